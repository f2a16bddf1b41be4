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

    func run() throws {
        let store = try global.openStore()
        let line = ProgressLine()
        let report = try store.fsck(fast: fast) { done, total in line.update(done: done, total: total, label: "checking objects") }
        line.finish()
        if global.json {
            Terminal.json(report.json)
        } else {
            for path in report.cleanedTemporaries { Terminal.out("removed temp file left by a killed command: \(Formatting.path(path))") }
            for problem in report.problems { Terminal.out("\(problem.kind): \(problem.message)") }
            if !report.danglingObjects.isEmpty {
                Terminal.out("\(report.danglingObjects.count) object file(s) not in the index (left by an interrupted add; 'omnistore gc' removes them)")
            }
            let summary = "checked \(report.objectsChecked) objects (\(Formatting.bytes(report.bytesChecked))), \(report.turnsChecked) turns, \(report.refsChecked) refs"
            Terminal.out(report.isClean ? "\(summary): ok" : "\(summary): \(report.problems.count) problem(s)")
        }
        if !report.isClean { throw CommandFailure() }
    }
}
