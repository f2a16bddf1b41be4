import ArgumentParser
import Foundation
import OmniStore

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store media files by their SHA-256, probing each one.",
        discussion: """
            Each file is copied and hashed in one pass, probed with libavformat, and stored once. \
            Files that are not media are refused; the rest of the batch still goes in, and the exit \
            code is 1 if anything failed. A file added before from the same path and unchanged since \
            (same inode, size, modification and change times) is not read again; --rehash reads it anyway.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Add the files inside folders, recursively (hidden files are skipped).")
    var recursive = false

    @Flag(
        help: """
            Hash every file again, even one unchanged (same inode, size and times) since it was last added \
            from the same path.
            """)
    var rehash = false

    @Argument(help: "Files (or folders, with -r) to add.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file to add") }
    }

    /// Above this size a single file shows progress on a terminal.
    static let progressThreshold: Int64 = 64 << 20

    func run() throws {
        let store = try global.openStore()
        let line = ProgressLine()
        let outcomes = store.add(paths, recursive: recursive, rehash: rehash) { progress in
            guard progress.fileCount > 1 || progress.fileBytesTotal > AddCommand.progressThreshold else { return }
            let label =
                progress.fileCount > 1 ? "adding \(progress.fileIndex + 1)/\(progress.fileCount)" : "adding"
            line.update(done: progress.batchBytesDone, total: progress.batchBytesTotal, label: label)
        }
        line.finish()
        var failed = 0
        var rows: [[String]] = []
        var items: [JSONValue] = []
        for outcome in outcomes {
            switch outcome {
            case .added(let asset, let path):
                rows.append(["added"] + Formatting.assetRow(asset).dropLast() + [path])
                items.append(.object(["path": .string(path), "status": .string("added"), "asset": asset.json]))
            case .alreadyStored(let asset, let path):
                rows.append(["already stored"] + Formatting.assetRow(asset).dropLast() + [path])
                items.append(
                    .object(["path": .string(path), "status": .string("already_stored"), "asset": asset.json]))
            case .failed(let path, let error):
                failed += 1
                Terminal.error(ErrorText.of(error))
                items.append(
                    .object(["path": .string(path), "status": .string("error"), "error": .string(ErrorText.of(error))]))
            }
        }
        if global.json {
            Terminal.json(.array(items))
        } else {
            Formatting.table(rows).forEach(Terminal.out)
        }
        if failed > 0 {
            throw CommandFailure(
                message: failed == outcomes.count ? nil : "\(failed) of \(outcomes.count) files were not added")
        }
    }
}
