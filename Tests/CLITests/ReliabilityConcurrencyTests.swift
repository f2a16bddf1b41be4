import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Part 2 of the reliability suite: several writers on one store at once.
@Suite("Reliability 2: concurrency") struct ReliabilityConcurrency {
    struct Outcome: Sendable {
        let worker: Int
        let index: Int
        let isRecord: Bool
        let path: String
        let message: String
        let result: ProcessResult
    }

    @Test(
        "4 processes, each 50 adds and 50 records on one store at once: everything present, no lock errors, history explains every turn"
    )
    func fourWriters() async throws {
        let workers = 4
        let perWorker = Reliability.cases(ci: 50, soak: 250)
        let seed = Reliability.seed()
        let tally = ReliabilityTally("2 concurrency (4 writers)", seed: seed)
        let dir = try TemporaryDirectory("rel-concurrency")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let files = StoreFiles(workspace: ws)

        // Distinct files for every add and every record, made up front.
        var plans: [[(add: String, clip: String)]] = []
        for worker in 0..<workers {
            var plan: [(String, String)] = []
            for index in 0..<perWorker {
                let base = Int(seed % 1_000_000) * 8 + (worker * perWorker + index) * 2
                plan.append(
                    (
                        try dir.write(WAV.data(seed: base, sampleCount: 256), to: "w\(worker)/add-\(index).wav"),
                        try dir.write(WAV.data(seed: base + 1, sampleCount: 256), to: "w\(worker)/clip-\(index).wav")
                    ))
            }
            plans.append(plan)
        }

        let started = Date()
        let outcomes = try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for worker in 0..<workers {
                let plan = plans[worker]
                group.addTask {
                    var done: [Outcome] = []
                    for (index, step) in plan.enumerated() {
                        let add = try await OmnistoreCLI.run(["add", "--json", step.add], in: ws, timeout: 180)
                        done.append(
                            Outcome(
                                worker: worker, index: index, isRecord: false, path: step.add, message: "", result: add)
                        )
                        // Human output: the message is what a user reads about where the turn went.
                        let message = "worker \(worker) turn \(index)"
                        let record = try await OmnistoreCLI.run(
                            ["record", step.clip, "-m", message], in: ws, timeout: 180)
                        done.append(
                            Outcome(
                                worker: worker, index: index, isRecord: true, path: step.clip, message: message,
                                result: record))
                    }
                    return done
                }
            }
            var all: [Outcome] = []
            for try await part in group { all += part }
            return all
        }
        let elapsed = Date().timeIntervalSince(started)

        // The store's view after everyone finished.
        let log = try await OmnistoreCLI.check(["log", "--all", "--json"], in: ws)
        var turnByMessage: [String: String] = [:]
        var outputOf: [String: String] = [:]
        for case let turn as [String: Any] in try JSONText.array(log.stdout) {
            if let id = turn["id"] as? String, let message = turn["instruction"] as? String {
                turnByMessage[message] = id
                outputOf[id] = turn["output"] as? String
            }
        }
        let mainHistory = Set(try await ReliabilityStore.history("main", in: ws))
        let branches = try await ReliabilityStore.branches(in: ws)
        let listed = Set(try await OmnistoreCLI.assetIDs(in: ws))
        let expectedHashes = try await SHA256Sum.hashes(outcomes.map(\.path))
        let hashOf = Dictionary(zip(outcomes.map(\.path), expectedHashes), uniquingKeysWith: { a, _ in a })
        let badObjects = Set(try await ReliabilityStore.badObjects(Array(Set(expectedHashes)), files: files))
        var sideBranchTurns = 0
        var historyCache: [String: Set<String>] = [:]

        for outcome in outcomes.sorted(by: {
            ($0.worker, $0.index, $0.isRecord ? 1 : 0) < ($1.worker, $1.index, $1.isRecord ? 1 : 0)
        }) {
            let result = outcome.result
            var failures: [String] = []
            var lost = 0
            if !result.succeeded { failures.append("failed: \(RelCLI.brief(result))") }
            if Reliability.mentionsLockError(result.stdout + result.stderr) {
                failures.append("lock error in the output: \(RelCLI.brief(result)) \(result.stdout.prefix(200))")
            }
            let hash = hashOf[outcome.path] ?? "?"
            if !listed.contains(hash) || badObjects.contains(hash) {
                lost += 1
                failures.append("asset \(hash.prefix(12)) of \(outcome.path) missing or corrupt")
            }
            if outcome.isRecord {
                if let turn = turnByMessage[outcome.message] {
                    if outputOf[turn] != hash {
                        failures.append(
                            "turn '\(outcome.message)' has output \(outputOf[turn] ?? "nil"), not \(hash.prefix(12))")
                    }
                    if !mainHistory.contains(turn) {
                        // Allowed only when the command said where it went.
                        let side = Self.sideBranch(in: result)
                        if let side, branches[side] != nil {
                            if historyCache[side] == nil {
                                historyCache[side] = Set(try await ReliabilityStore.history(side, in: ws))
                            }
                            if historyCache[side]?.contains(turn) == true {
                                sideBranchTurns += 1
                            } else {
                                failures.append(
                                    "'\(outcome.message)' is not on the side branch '\(side)' its message names")
                            }
                        } else {
                            failures.append(
                                "'\(outcome.message)' is not in main's history and its message does not say where it went: \(result.stdout) \(result.stderr)"
                            )
                        }
                    }
                } else if result.succeeded {
                    lost += 1
                    failures.append("turn '\(outcome.message)' acknowledged but missing from log --all")
                }
            }
            tally.record(
                passed: failures.isEmpty, lost: lost,
                failure: "worker \(outcome.worker) #\(outcome.index) \(outcome.isRecord ? "record" : "add"): "
                    + failures.joined(separator: "; "))
        }
        let fsck = try await ReliabilityFsck.run(in: ws)
        #expect(fsck.isClean, "\(fsck)")
        #expect(files.temporaryFiles().isEmpty)
        tally.note(
            String(
                format: "%d commands in %.1f s; %d turn(s) kept on side branches; %d turns on main", outcomes.count,
                elapsed, sideBranchTurns, mainHistory.count))
        tally.printSummary()

        let (tried, passed, lost) = tally.counts
        #expect(tried == workers * perWorker * 2)
        #expect(
            passed == tried, "seed \(seed): \(tried - passed) of \(tried) commands failed a check (see the table above)"
        )
        #expect(lost == 0)
        #expect(turnByMessage.count == workers * perWorker, "every record made exactly one turn")
    }

    /// The side branch a human `record` output names: `[NAME ID] …` on stdout
    /// plus a note on stderr saying the turn is kept on new branch 'NAME'.
    static func sideBranch(in result: ProcessResult) -> String? {
        guard let range = result.stderr.range(of: "kept on new branch '") else { return nil }
        let name = result.stderr[range.upperBound...].prefix { $0 != "'" }
        return result.stdout.hasPrefix("[\(name) ") ? String(name) : nil
    }
}
