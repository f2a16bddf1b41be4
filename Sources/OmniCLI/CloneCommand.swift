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

    @Flag(help: "Bring only the assets that turns use, not the rest of the library.")
    var onlyUsed = false

    @Option(
        help: ArgumentHelp("Leave library assets larger than this on the remote (such as 50M, 2G).", valueName: "SIZE"))
    var maxSize: String?

    @Option(
        name: .customLong("tag"),
        help: ArgumentHelp("Bring only library assets with this tag, or one below it (repeatable).", valueName: "TAG"))
    var tags: [String] = []

    @Argument(help: "file:///path or s3://bucket/prefix.")
    var url: String

    @Argument(help: "The folder to create (default: the URL's last part, without .omni).")
    var directory: String?

    func validate() throws {
        if let maxSize, CloneCommand.bytes(maxSize) == nil {
            throw ValidationError("--max-size takes a size such as 500K, 50M or 2G, not '\(maxSize)'")
        }
        for tag in tags {
            if let problem = Store.tagProblem(tag) { throw ValidationError("--tag: \(problem)") }
        }
        if onlyUsed && (maxSize != nil || !tags.isEmpty) {
            throw ValidationError("--only-used brings no library asset: give it without --max-size or --tag")
        }
    }

    /// A size such as 500, 500K, 50M or 2G (binary units).
    static func bytes(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = text.uppercased()
        if digits.hasSuffix("B") { digits.removeLast() }
        var scale: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits.removeLast()
        }
        guard let value = Double(digits), value >= 0, value * Double(scale) < 9e18 else { return nil }
        return Int64(value * Double(scale))
    }

    func run() throws {
        let target = directory ?? CloneCommand.defaultDirectory(url)
        let line = ProgressLine()
        let start = Date()
        let (store, result) = try Store.clone(
            from: url, into: target, lazy: lazy, endpoint: endpoint, region: region, addressing: addressing,
            filter: LibraryFilter(onlyUsed: onlyUsed, maxSize: maxSize.flatMap(CloneCommand.bytes), tags: tags),
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
        if let head = try store.head().branch, try store.head().turn != nil {
            Terminal.err("run 'omnistore checkout \(head.name)' in \(target) to write the clip")
        }
    }

    static func defaultDirectory(_ url: String) -> String {
        let last = url.split(separator: "/").last.map(String.init) ?? "clone"
        let name = last.hasSuffix(".omni") ? String(last.dropLast(5)) : last
        return name.isEmpty || name.hasPrefix("s3:") ? "clone" : name
    }
}
