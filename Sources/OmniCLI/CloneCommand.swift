import ArgumentParser
import Foundation
import OmniStore

struct CloneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone",
        abstract: "Make a new store from a remote: every branch, its turns and (unless --lazy) its objects.",
        discussion: """
            With --lazy, turns, refs and what is known about each asset arrive now, and object bytes only \
            when a command first needs them (checkout, export); 'omnistore fetch-objects' downloads ahead.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Fetch object bytes only when a command needs them.")
    var lazy = false

    @Option(help: ArgumentHelp("S3 endpoint, such as http://127.0.0.1:9000.", valueName: "URL"))
    var endpoint: String?

    @Option(help: ArgumentHelp("S3 region.", valueName: "REGION"))
    var region: String?

    @Option(help: ArgumentHelp("S3 addressing: path or virtual.", valueName: "STYLE"))
    var addressing: String?

    @Argument(help: "file:///path or s3://bucket/prefix.")
    var url: String

    @Argument(help: "The folder to create (default: the URL's last part, without .omni).")
    var directory: String?

    func run() throws {
        let target = directory ?? CloneCommand.defaultDirectory(url)
        let line = ProgressLine()
        let start = Date()
        let (store, result) = try Store.clone(
            from: url, into: target, lazy: lazy, endpoint: endpoint, region: region, addressing: addressing,
            progress: RemoteSyncText.progress(line))
        line.finish()
        if global.json {
            var json = RemoteSyncText.json(result)
            if case .object(var members) = json {
                members["path"] = .string(store.layout.workspace)
                json = .object(members)
            }
            Terminal.json(json)
            return
        }
        Terminal.err("Cloned \(url) into \(target): \(result.branches.count) branch(es)")
        RemoteSyncText.warnSkipped(result)
        Terminal.err(RemoteSyncText.summary(result, sent: false, seconds: Date().timeIntervalSince(start)))
        if let head = try store.head().branch {
            Terminal.err("run 'omnistore checkout \(head.name)' in \(target) to write the clip")
        }
    }

    static func defaultDirectory(_ url: String) -> String {
        let last = url.split(separator: "/").last.map(String.init) ?? "clone"
        let name = last.hasSuffix(".omni") ? String(last.dropLast(5)) : last
        return name.isEmpty || name.hasPrefix("s3:") ? "clone" : name
    }
}
