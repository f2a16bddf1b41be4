import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Part 7 of the reliability suite: gc --prune=now in a loop against writers.
@Suite("Reliability 7: gc race") struct ReliabilityGCRace {
    struct Recorded: Sendable {
        let message: String
        let turn: String
        let output: String
        let inputs: [String]
    }

    @Test(
        "gc --prune=now in a loop while other processes add and record: no command fails, every turn keeps its output and inputs, fsck clean"
    )
    func gcAgainstWriters() async throws {
        let writers = 3
        let iterations = Reliability.cases(ci: 12, soak: 120)
        let seed = Reliability.seed()
        let tally = ReliabilityTally("7 gc race", seed: seed)
        let dir = try TemporaryDirectory("rel-gc")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let files = StoreFiles(workspace: ws)
        // Each writer's own file, added and taken out of the library again at
        // once, and used by no turn: gc removes it again and again while its
        // writer re-adds it.
        let commons = try (0..<writers).map {
            try dir.write(WAV.data(seed: 71_000 + $0, sampleCount: 300), to: "src/common-\($0).wav")
        }

        let stop = Locked(false)
        let gcLoop = Task { () -> [ProcessResult] in
            var runs: [ProcessResult] = []
            while !stop.current || runs.count < 3 {
                runs.append(try await OmnistoreCLI.run(["gc", "--prune=now", "--json"], in: ws, timeout: 300))
            }
            return runs
        }

        let writerResults = try await withThrowingTaskGroup(of: ([ProcessResult], [Recorded]).self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var results: [ProcessResult] = []
                    var recorded: [Recorded] = []
                    var previousOutput: String?
                    for index in 0..<iterations {
                        let base = 72_000 + writer * 1000 + index * 4
                        let unique = try dir.write(
                            WAV.data(seed: base, sampleCount: 300), to: "src/w\(writer)/u\(index).wav")
                        let clip = try dir.write(
                            WAV.data(seed: base + 1, sampleCount: 300), to: "src/w\(writer)/c\(index).wav")
                        let ref = try dir.write(
                            WAV.data(seed: base + 2, sampleCount: 300), to: "src/w\(writer)/r\(index).wav")
                        // add: a new file and the one gc keeps removing, which leaves the library again.
                        let common = commons[writer]
                        let add = try await OmnistoreCLI.run(["add", "--json", unique, common], in: ws, timeout: 300)
                        results.append(add)
                        results.append(try await OmnistoreCLI.run(["rm", common], in: ws, timeout: 300))
                        // record: a new clip with a reference file, and the previous turn's output by id
                        // (used by a turn, so gc must keep it).
                        let message = "gc race writer \(writer) turn \(index)"
                        var arguments = ["record", clip, "-m", message, "--ref", ref + ":ref", "--json"]
                        if let previousOutput { arguments += ["--ref", previousOutput + ":previous"] }
                        let record = try await OmnistoreCLI.run(arguments, in: ws, timeout: 300)
                        results.append(record)
                        if let turn = RelCLI.recordedTurn(record) {
                            recorded.append(
                                Recorded(message: message, turn: turn.id, output: turn.output, inputs: turn.inputs))
                            previousOutput = turn.output
                        }
                    }
                    return (results, recorded)
                }
            }
            var all: [([ProcessResult], [Recorded])] = []
            for try await part in group { all.append(part) }
            return all
        }
        stop.withValue { $0 = true }
        let gcRuns = try await gcLoop.value

        var removedDuringRace = 0
        for run in gcRuns {
            let ok = run.succeeded && !Reliability.mentionsLockError(run.stdout + run.stderr)
            tally.record(passed: ok, failure: "gc: \(RelCLI.brief(run))")
            removedDuringRace += ((try? JSONText.object(run.stdout))?["removed_assets"] as? [Any])?.count ?? 0
        }
        for result in writerResults.flatMap(\.0) {
            let ok = result.succeeded && !Reliability.mentionsLockError(result.stdout + result.stderr)
            tally.record(passed: ok, failure: RelCLI.brief(result))
        }

        // Every recorded turn: there, with its output and inputs stored and hashing right.
        let recorded = writerResults.flatMap(\.1)
        let turnIDs = try await ReliabilityStore.turnIDs(in: ws)
        var needed: Set<String> = []
        for turn in recorded {
            var failures: [String] = []
            var lost = 0
            if !turnIDs.contains(turn.turn) {
                lost += 1
                failures.append("turn missing from log --all")
            }
            let show = try await OmnistoreCLI.run(["show", turn.turn, "--json"], in: ws)
            let object = (try? JSONText.object(show.stdout)) ?? [:]
            if (object["output_asset"] as? [String: Any])?["id"] as? String != turn.output {
                lost += 1
                failures.append("output asset gone: \(RelCLI.brief(show))")
            }
            let inputs = (object["input_assets"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            if inputs != turn.inputs {
                lost += Set(turn.inputs).subtracting(inputs).count
                failures.append(
                    "input assets \(inputs.map { $0.prefix(12) }) instead of \(turn.inputs.map { $0.prefix(12) })")
            }
            needed.insert(turn.output)
            needed.formUnion(turn.inputs)
            tally.record(
                passed: failures.isEmpty, lost: lost, failure: "'\(turn.message)': " + failures.joined(separator: "; "))
        }
        let bad = try await ReliabilityStore.badObjects(needed.sorted(), files: files)
        tally.addLost(bad.count, "objects of recorded turns missing or wrong: \(bad.map { $0.prefix(12) })")
        let fsck = try await ReliabilityFsck.run(in: ws)
        #expect(fsck.isClean, "\(fsck)")
        #expect(files.temporaryFiles().isEmpty)
        // A last gc with nothing running keeps every turn's assets.
        try await OmnistoreCLI.check(["gc", "--prune=now"], in: ws)
        let afterGC = try await ReliabilityStore.badObjects(needed.sorted(), files: files)
        #expect(afterGC.isEmpty, "a quiet gc removed assets turns use: \(afterGC)")
        // What was added and not removed is kept, through every gc of the race.
        let uniques = (0..<writers).flatMap { writer in (0..<iterations).map { dir.file("src/w\(writer)/u\($0).wav") } }
        let uniqueIDs = try await SHA256Sum.hashes(uniques)
        let missing = Set(uniqueIDs).subtracting(files.objectIDs())
        #expect(missing.isEmpty, "gc removed \(missing.count) added files of the library")
        tally.note(
            "\(gcRuns.count) gc runs during \(writers) writers × \(iterations) add+record; gc removed \(removedDuringRace) unused assets meanwhile"
        )
        tally.printSummary()

        let (tried, passed, lost) = tally.counts
        #expect(passed == tried, "seed \(seed): \(tried - passed) of \(tried) checks failed (see the table above)")
        #expect(lost == 0)
        #expect(recorded.count == writers * iterations)
        #expect(gcRuns.count >= 3, "gc must have run during the writes")
        #expect(removedDuringRace > 0, "gc removed nothing: the race was not exercised")
    }
}
