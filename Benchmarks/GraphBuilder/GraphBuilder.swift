import Foundation
import OmniStore

/// Builds a large clip graph through the OmniStore library, and the same
/// shape as a `git fast-import` stream, for Benchmarks/bench-graph.sh.
///
/// Shape: a main line of `mainLength` turns; every `mainLength / branches`
/// turns a branch forks off and grows `branchLength` turns. Usage:
///
///     omnistore-graph-bench STORE_DIR CLIP FAST_IMPORT_FILE [TOTAL] [BRANCHES]
@main
struct GraphBuilder {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4 else {
            FileHandle.standardError.write(
                Data("usage: omnistore-graph-bench STORE_DIR CLIP FAST_IMPORT_FILE [TOTAL] [BRANCHES]\n".utf8))
            exit(64)
        }
        let total = arguments.count > 4 ? Int(arguments[4]) ?? 100_000 : 100_000
        let branchCount = arguments.count > 5 ? Int(arguments[5]) ?? 1_000 : 1_000
        let branchLength = max(1, total / 2 / branchCount)
        let mainLength = total - branchCount * branchLength
        let (store, _) = try Store.create(at: arguments[1])
        let clip = try store.add(file: arguments[2]).asset.id
        var fastImport = ""
        var mark = 0
        var batch: [Turn] = []
        var mainTurns: [TurnID] = []
        var mainMarks: [Int] = []
        let start = Date(timeIntervalSince1970: 1_700_000_000)

        func stamp(_ index: Int) -> String {
            ISO8601DateFormatter().string(from: start.addingTimeInterval(Double(index))).replacingOccurrences(
                of: "Z", with: ".000Z")
        }
        func flush() throws {
            try store.importTurns(batch)
            batch.removeAll(keepingCapacity: true)
        }
        func commit(_ message: String, branch: String, parent: Int?, time: Int) -> Int {
            mark += 1
            fastImport +=
                "commit refs/heads/\(branch)\nmark :\(mark)\ncommitter bench <bench@example.com> \(1_700_000_000 + time) +0000\n"
            fastImport += "data \(message.utf8.count)\n\(message)\n"
            if let parent { fastImport += "from :\(parent)\n" }
            fastImport += "\n"
            return mark
        }

        var clock = 0
        var previous: TurnID? = nil
        var previousMark: Int? = nil
        let forkEvery = max(1, mainLength / branchCount)
        var forks: [Int] = []
        for index in 0..<mainLength {
            clock += 1
            let message = "main \(index)"
            let turn = Turn(
                parents: previous.map { [$0] } ?? [], kind: "edit", instruction: message, inputs: [], output: clip,
                model: "gemini-omni-1.1-flash", interaction: nil, settings: [:],
                cost: Turn.Cost(usd: 0.8, seconds: 8, basis: "seconds_x_rate"),
                author: "bench", createdAt: stamp(clock))
            batch.append(turn)
            previous = turn.id
            previousMark = commit(message, branch: "main", parent: previousMark, time: clock)
            mainTurns.append(turn.id)
            mainMarks.append(previousMark ?? 0)
            if index % forkEvery == forkEvery - 1, forks.count < branchCount { forks.append(index) }
            if batch.count >= 5_000 { try flush() }
        }
        try flush()
        try store.setBranch("main", to: mainTurns[mainTurns.count - 1], reason: "bench: main")
        for (number, forkIndex) in forks.enumerated() {
            var tip = mainTurns[forkIndex]
            var tipMark = mainMarks[forkIndex]
            for step in 0..<branchLength {
                clock += 1
                let message = "branch \(number) step \(step)"
                let turn = Turn(
                    parents: [tip], kind: "edit", instruction: message, inputs: [], output: clip,
                    model: "gemini-omni-1.1-flash",
                    interaction: nil, settings: [:], cost: Turn.Cost(usd: 0.8, seconds: 8, basis: "seconds_x_rate"),
                    author: "bench",
                    createdAt: stamp(clock))
                batch.append(turn)
                tip = turn.id
                tipMark = commit(message, branch: "b\(number)", parent: tipMark, time: clock)
            }
            if batch.count >= 5_000 { try flush() }
            try flush()
            try store.setBranch("b\(number)", to: tip, reason: "bench: branch")
        }
        try fastImport.write(toFile: arguments[3], atomically: true, encoding: .utf8)
        print("built \(mainLength) main turns and \(forks.count) branches of \(branchLength) turns")
    }
}
