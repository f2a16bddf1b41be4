import ArgumentParser
import Foundation
import OmniStore

struct FetchObjectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-objects",
        abstract: "Download, ahead of need, the objects a lazy clone has not fetched yet.",
        discussion:
            "Each REV's output and inputs are downloaded and verified; --all downloads every object still on the remote."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Every object not downloaded yet.")
    var all = false

    @Argument(help: "Revisions whose objects to download.")
    var revisions: [String] = []

    func validate() throws {
        if revisions.isEmpty && !all { throw ValidationError("name revisions, or use --all") }
    }

    func run() throws {
        let store = try global.openStore()
        let line = ProgressLine()
        let count = try store.fetchObjects(revisions, all: all, progress: RemoteSyncText.progress(line))
        line.finish()
        if global.json {
            Terminal.json(.object(["fetched": .int(Int64(count))]))
        } else {
            Terminal.err(count == 0 ? "nothing to download: every object is here" : "downloaded \(count) object(s)")
        }
    }
}
