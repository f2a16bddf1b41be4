import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct GraphConcurrency {
    @Test("2 processes x 50 records on one branch at once: all succeed and all turns are on the branch, in one line")
    func parallelRecords() async throws {
        let dir = try TemporaryDirectory("graph-concurrent")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let initial = try dir.write(WAV.data(seed: 1000), to: "clips/initial.wav")
        try await OmnistoreCLI.check(["record", initial, "-m", "initial"], in: ws)
        var clips: [[String]] = [[], []]
        for worker in 0..<2 {
            for index in 0..<50 {
                clips[worker].append(
                    try dir.write(WAV.data(seed: 1001 + worker * 50 + index), to: "clips/\(worker)-\(index).wav"))
            }
        }

        let results = try await withThrowingTaskGroup(of: [(String, ProcessResult)].self) { group in
            for worker in 0..<2 {
                let mine = clips[worker]
                group.addTask {
                    var out: [(String, ProcessResult)] = []
                    for (index, clip) in mine.enumerated() {
                        let message = "w\(worker)-\(index)"
                        out.append(
                            (message, try await OmnistoreCLI.run(["record", clip, "-m", message, "--json"], in: ws)))
                    }
                    return out
                }
            }
            var all: [(String, ProcessResult)] = []
            for try await part in group { all += part }
            return all
        }
        #expect(results.count == 100)
        var ids: [String: String] = [:]
        for (message, result) in results {
            #expect(result.succeeded, "\(message):\n\(result)")
            #expect(!(result.stdout + result.stderr).lowercased().contains("locked"), "\(message):\n\(result)")
            let json = try? JSONText.object(result.stdout)
            ids[message] = json?["id"] as? String
            #expect(json?["branch"] as? String == "main" && json?["side_branch"] is NSNull, "\(message):\n\(result)")
        }

        // Every turn is on main, in one line of history: each turn's only parent is the next one listed.
        let log = try JSONText.array(try await OmnistoreCLI.check(["log", "--json"], in: ws).stdout)
            .compactMap { $0 as? [String: Any] }
        #expect(log.count == 101)
        #expect(
            Set(log.compactMap { $0["id"] as? String }) == Set(ids.values).union([log.last?["id"] as? String ?? ""]))
        #expect(log.last?["instruction"] as? String == "initial")
        for (index, entry) in log.enumerated() {
            let parents = entry["parents"] as? [String] ?? ["?"]
            let expected = index + 1 < log.count ? [log[index + 1]["id"] as? String ?? ""] : []
            #expect(parents == expected, "turn \(entry["instruction"] ?? "?")")
        }
        // Each worker's turns are in its own order along the line.
        for worker in 0..<2 {
            let mine = log.reversed().compactMap { $0["instruction"] as? String }.filter { $0.hasPrefix("w\(worker)-") }
            #expect(mine == (0..<50).map { "w\(worker)-\($0)" })
        }
        let branches = try JSONText.parse(try await OmnistoreCLI.check(["branch", "--json"], in: ws).stdout)
        #expect((branches as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["main"])

        // status agrees with the bytes actually in the working file.
        let status = try JSONText.object(try await OmnistoreCLI.check(["status", "--json"], in: ws).stdout)
        let workfile = status["workfile"] as? [String: Any] ?? [:]
        let path = try #require(workfile["path"] as? String)
        #expect(workfile["sha256"] as? String == (try await SHA256Sum.hash(path)), "status: \(workfile)")
    }
}
