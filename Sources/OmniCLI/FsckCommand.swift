import ArgumentParser
import OmniStore

struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Verify every object, turn and reference; quarantine corrupt objects.",
        discussion: """
            Re-hashes every object (--fast: only checks existence and size), verifies every turn's \
            canonical id, and checks turns, refs, the reflog and pending interactions for missing \
            targets. A corrupt object is moved to .omnistore/quarantine/ and re-adding the original \
            file repairs it. Exits 1 when anything is wrong.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Only check that objects exist with the right size.")
    var fast = false

    @Flag(
        help: """
            Build a new index (omnistore.db) from the store's files: objects, asset packs, turn records \
            and the ref journal. The old database is kept beside it.
            """)
    var rebuildIndex = false

    func run() throws {
        if rebuildIndex { return try rebuild() }
        let store = try global.openStore()
        let line = ProgressLine()
        let report = try store.fsck(fast: fast) { done, total in
            line.update(done: done, total: total, label: "checking objects")
        }
        line.finish()
        if global.json {
            Terminal.json(report.json(naming: \.commandLine))
        } else {
            for path in report.cleanedTemporaries {
                Terminal.out("removed temp file left by a killed command: \(Formatting.path(path))")
            }
            for problem in report.problems { Terminal.out("\(problem.kind): \(problem.text(naming: \.commandLine))") }
            for hex in report.restoredRecords {
                Terminal.out("restored the missing record file of turn \(String(hex.prefix(12))) from the index")
            }
            if !report.leftoverTemporaries.isEmpty {
                Terminal.out(
                    "\(report.leftoverTemporaries.count) file(s) in .omnistore/tmp (a download of a killed or running generation; 'omnistore gc' removes them)"
                )
            }
            if !report.unindexedRecords.isEmpty {
                Terminal.out(
                    "\(report.unindexedRecords.count) turn record file(s) not in the index (left by an interrupted command; 'omnistore fsck --rebuild-index' indexes them)"
                )
            }
            if !report.stalePartialDownloads.isEmpty {
                Terminal.out(
                    "\(report.stalePartialDownloads.count) partial download(s) untouched for 3 days in .omnistore/remote-partial (a pull resumes them; 'omnistore gc' removes them)"
                )
            }
            if !report.danglingObjects.isEmpty {
                Terminal.out(
                    "\(report.danglingObjects.count) object file(s) not in the index (left by an interrupted add; 'omnistore gc' removes them)"
                )
            }
            let summary =
                "checked \(report.objectsChecked) objects (\(Formatting.bytes(report.bytesChecked))), \(report.turnsChecked) turns, \(report.refsChecked) refs"
            Terminal.out(report.isClean ? "\(summary): ok" : "\(summary): \(report.problems.count) problem(s)")
        }
        if !report.isClean { throw CommandFailure() }
    }

    func rebuild() throws {
        let report = try Store.rebuildIndex(at: global.workspace())
        if global.json {
            Terminal.json(report.json)
        } else {
            for line in report.lost { Terminal.out("not recovered: \(line)") }
            if report.unansweredRequests > 0 {
                Terminal.out(
                    "\(report.unansweredRequests) request(s) were sent and got no reply before the command stopped: they may be billed; 'omnistore log --attempts' lists them"
                )
            }
            if report.unrecordedObjects > 0 {
                Terminal.out(
                    "\(report.unrecordedObjects) object file(s) that no record names were left unindexed (written by a command killed before it finished; 'omnistore gc' removes them)"
                )
            }
            if let old = report.oldDatabase { Terminal.out("kept the old index as \(Formatting.path(old))") }
            Terminal.out(
                "rebuilt the index: \(report.assets) assets, \(report.paths) paths, \(report.turns) turns, "
                    + "\(report.refs) refs, \(report.reflogEntries) reflog entries, \(report.pending) pending interaction(s)"
            )
        }
        // Run fsck on the result, so what was rebuilt is checked as any store is.
        let check = try global.openStore().fsck(fast: true)
        if !check.isClean {
            for problem in check.problems { Terminal.err("\(problem.kind): \(problem.text(naming: \.commandLine))") }
            throw CommandFailure()
        }
    }
}
