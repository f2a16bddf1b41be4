import Foundation
import TestSupport
import Testing

@Suite struct GraphRecord {
    struct Workspace {
        let dir: TemporaryDirectory
        var seed = 1500

        mutating func record(_ message: String, _ extra: [String] = []) async throws -> ProcessResult {
            seed += 1
            let clip = try dir.write(WAV.data(seed: seed), to: "clips/\(seed).wav")
            return try await OmnistoreCLI.run(["record", clip, "-m", message, "--json"] + extra, in: dir.path)
        }

        mutating func recordID(_ message: String, _ extra: [String] = []) async throws -> String {
            let result = try await record(message, extra)
            guard result.succeeded, let id = try JSONText.object(result.stdout)["id"] as? String else {
                throw TestSupportError("record failed:\n\(result)")
            }
            return id
        }

        func json(_ arguments: [String]) async throws -> Any {
            try JSONText.parse(try await OmnistoreCLI.check(arguments + ["--json"], in: dir.path).stdout)
        }

        func branches() async throws -> [String: String] {
            var out: [String: String] = [:]
            for item in try await json(["branch"]) as? [[String: Any]] ?? [] {
                out[item["name"] as? String ?? "?"] = item["turn"] as? String
            }
            return out
        }

        func turn(_ revision: String) async throws -> [String: Any] {
            try await json(["show", revision]) as? [String: Any] ?? [:]
        }
    }

    @Test(
        "record: the parent is HEAD, the branch advances, a merge keeps its parents in order, HEAD detached moves alone"
    )
    func parents() async throws {
        let dir = try TemporaryDirectory("graph-record")
        try await OmnistoreCLI.check(["init"], in: dir.path)
        var ws = Workspace(dir: dir)
        let a = try await ws.recordID("A")
        #expect(try await ws.turn(a)["parents"] as? [String] == [])
        let b = try await ws.recordID("B")
        #expect(try await ws.turn(b)["parents"] as? [String] == [a])
        #expect(try await ws.branches() == ["main": b])

        try await OmnistoreCLI.check(["checkout", "HEAD~1", "-b", "feat"], in: dir.path)
        let f = try await ws.recordID("F")
        #expect(try await ws.branches() == ["main": b, "feat": f])
        try await OmnistoreCLI.check(["checkout", "main"], in: dir.path)
        let m = try await ws.recordID("M", ["--parent", "main", "--parent", "feat"])
        #expect(try await ws.turn(m)["parents"] as? [String] == [b, f])
        #expect(try await ws.branches() == ["main": m, "feat": f])

        // Detached: HEAD moves, no branch does.
        try await OmnistoreCLI.check(["checkout", a], in: dir.path)
        let d = try await ws.recordID("D")
        #expect(try await ws.turn(d)["parents"] as? [String] == [a])
        #expect(try await ws.branches() == ["main": m, "feat": f])
        let status = try await ws.json(["status"]) as? [String: Any] ?? [:]
        #expect(status["head"] as? String == d && status["detached"] as? Bool == true)
        #expect(try await ws.json(["log", "--all"]) as? [Any] != nil)
        let all = (try await ws.json(["log", "--all"]) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(Set(all) == [a, b, f, m, d])
    }

    @Test("record with parents off the branch keeps the turn on a new branch; the same parent twice is refused")
    func sideBranchAndDuplicates() async throws {
        let dir = try TemporaryDirectory("graph-record-side")
        try await OmnistoreCLI.check(["init"], in: dir.path)
        var ws = Workspace(dir: dir)
        let a = try await ws.recordID("A")
        let b = try await ws.recordID("B")

        let side = try await ws.record("S", ["--parent", "main~1"])
        #expect(side.succeeded, "\(side)")
        let json = try JSONText.object(side.stdout)
        let s = try #require(json["id"] as? String)
        let sideName = try #require(json["side_branch"] as? String)
        #expect(sideName.hasPrefix("main-"))
        #expect(try await ws.branches() == ["main": b, sideName: s], "main does not move; the turn stays reachable")
        #expect(try await ws.turn(s)["parents"] as? [String] == [a])

        for arguments in [["--parent", "main", "--parent", "main"], ["--parent", "main", "--parent", b]] {
            let result = try await ws.record("dup", arguments)
            #expect(result.exitCode == 1 && result.stderrLines.count == 1 && result.stdout.isEmpty, "\(result)")
        }
        let all = try await ws.json(["log", "--all"]) as? [[String: Any]] ?? []
        #expect(all.count == 3, "nothing recorded by the refused commands")
        for bad in ["nosuch", "main~5"] {
            let result = try await ws.record("bad parent", ["--parent", bad])
            #expect(result.exitCode == 1 && result.stderr.contains(bad), "\(result)")
        }
    }
}
