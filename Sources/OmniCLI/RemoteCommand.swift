import ArgumentParser
import OmniStore

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "List, add or remove remotes (a shared folder or an S3-compatible bucket).",
        discussion: """
            omnistore remote [-v]                 list remotes (-v: with their URLs)
            omnistore remote add NAME URL         URL is file:///mnt/nas/project.omni or s3://bucket/prefix
            omnistore remote remove NAME          forget NAME and its remote-tracking branches

            S3 credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN \
            when a command runs, and are never stored. The endpoint and region come from --endpoint and \
            --region, else AWS_ENDPOINT_URL and AWS_REGION.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Show each remote's URL.")
    var verbose = false

    @Option(help: ArgumentHelp("S3 endpoint for 'add', such as http://127.0.0.1:9000.", valueName: "URL"))
    var endpoint: String?

    @Option(help: ArgumentHelp("S3 region for 'add'.", valueName: "REGION"))
    var region: String?

    @Option(
        help: ArgumentHelp(
            "S3 addressing for 'add': path or virtual (default: path for --endpoint, else virtual).", valueName: "STYLE"
        ))
    var addressing: String?

    @Argument(help: "add NAME URL, or remove NAME.")
    var arguments: [String] = []

    func validate() throws {
        guard let action = arguments.first else { return }
        switch action {
        case "add": if arguments.count != 3 { throw ValidationError("usage: omnistore remote add NAME URL") }
        case "remove", "rm": if arguments.count != 2 { throw ValidationError("usage: omnistore remote remove NAME") }
        default: throw ValidationError("unknown action '\(action)': use add or remove")
        }
    }

    func run() throws {
        let store = try global.openStore()
        switch arguments.first {
        case "add":
            if let addressing, addressing != "path" && addressing != "virtual" {
                throw CommandFailure(message: "--addressing must be 'path' or 'virtual'")
            }
            try store.addRemote(
                arguments[1], url: arguments[2], endpoint: endpoint, region: region, addressing: addressing)
        case "remove", "rm":
            try store.removeRemote(arguments[1])
        default:
            let remotes = try store.remotes()
            if global.json {
                Terminal.json(
                    .array(
                        remotes.map {
                            .object([
                                "name": .string($0.name), "url": .string($0.url), "endpoint": JSONValue($0.endpoint),
                                "region": JSONValue($0.region), "addressing": JSONValue($0.addressing),
                                "lazy": .bool($0.lazy),
                            ])
                        }))
                return
            }
            for remote in remotes {
                if verbose {
                    var extra = remote.endpoint.map { " (endpoint \($0))" } ?? ""
                    if remote.lazy { extra += " (lazy)" }
                    Terminal.out("\(remote.name)\t\(remote.url)\(extra) (fetch)")
                    Terminal.out("\(remote.name)\t\(remote.url)\(extra) (push)")
                } else {
                    Terminal.out(remote.name)
                }
            }
        }
    }
}
