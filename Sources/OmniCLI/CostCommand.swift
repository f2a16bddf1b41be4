import ArgumentParser
import OmniStore

struct CostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Show spend per turn, per branch and in total.",
        discussion: """
            A branch's spend counts every turn reachable from it, so shared history counts on each branch; \
            with --by-branch the total is over the union of the branches' turns, each counted once.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Every turn in the store.")
    var all = false

    @Flag(name: .customLong("by-branch"), help: "Totals per branch.")
    var byBranch = false

    @Argument(help: "Revisions whose history to cost (default HEAD).")
    var revisions: [String] = []

    func run() throws {
        let store = try global.openStore()
        // Per branch, the total is over every branch's history, not HEAD's alone.
        let union = byBranch && revisions.isEmpty && !all
        let report = try store.costReport(union ? try store.branches().map(\.name.name) : revisions, all: all)
        if global.json {
            Terminal.json(report.json)
            return
        }
        if byBranch {
            let rows = report.branches.map { [$0.name.name, "\($0.turns) turns", TurnText.usd($0.usd)] }
            Formatting.table(rows).forEach(Terminal.out)
        } else {
            let rows = report.turns.map {
                [
                    $0.id.short, $0.kind.name, TurnText.usd($0.costUSD),
                    $0.estimateUSD.map { "est " + TurnText.usd($0) } ?? "-",
                    $0.basis ?? "-", TurnText.firstLine($0.instruction),
                ]
            }
            Formatting.table(rows).forEach(Terminal.out)
        }
        let scope = union ? " on \(report.branches.count) branches" : ""
        if report.estimatedUSD > 0 {
            let change = (report.billedUSD / report.estimatedUSD - 1) * 100
            Terminal.out(
                "billed \(TurnText.usd(report.billedUSD)) against \(TurnText.usd(report.estimatedUSD)) estimated (\(String(format: "%+.1f%%", change)))"
            )
        }
        Terminal.out(
            "total \(TurnText.usd(report.totalUSD)) over \(report.turns.count) turns\(scope)"
                + (report.uncounted > 0 ? " (\(report.uncounted) with no recorded cost)" : ""))
    }
}
