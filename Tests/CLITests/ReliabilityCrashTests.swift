import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Part 1 of the reliability suite: SIGKILL at a random moment.
@Suite("Reliability 1: crash") struct ReliabilityCrash {
    enum Op: CustomStringConvertible {
        case add([String])
        case record(clip: String, refs: [String], message: String)
        /// `expectBranch` is the branch HEAD should follow afterwards, if any.
        case checkout(String, expectBranch: String?)
        case branch(String, at: String)

        var kind: String {
            switch self {
            case .add(let paths): return paths.contains { $0.contains("big") } ? "add-big" : "add"
            case .record(let clip, _, _): return clip.contains("big") ? "record-big" : "record"
            case .checkout: return "checkout"
            case .branch: return "branch"
            }
        }

        var arguments: [String] {
            switch self {
            case .add(let paths): return ["add", "--json"] + paths
            case .record(let clip, let refs, let message):
                return ["record", clip, "-m", message, "--json"] + refs.flatMap { ["--ref", $0] }
            case .checkout(let target, _): return ["checkout", target]
            case .branch(let name, let at): return ["branch", name, at]
            }
        }

        var description: String { arguments.map { $0.count > 24 ? "…" + $0.suffix(24) : $0 }.joined(separator: " ") }
    }

    @Test(
        "add, record, checkout and branch under a random SIGKILL: fsck clean, everything acknowledged present, no temp files left, and the index rebuilt from the files shows the same store"
    )
    func randomKills() async throws {
        let rounds = Reliability.cases(ci: 30, soak: 300)
        let seed = Reliability.seed()
        var random = ReliabilityRandom(seed: seed)
        let tally = ReliabilityTally("1 crash (SIGKILL)", seed: seed)
        let dir = try TemporaryDirectory("rel-crash")
        let ws = try dir.makeDirectory("ws")
        let src = try dir.makeDirectory("src")
        let files = StoreFiles(workspace: ws)
        try await OmnistoreCLI.check(["init"], in: ws)

        var ackAssets: [String: String] = [:]  // asset id -> the source path that was acknowledged
        var ackTurns: Set<String> = []
        var ackBranches: [String: String] = [:]  // name -> the turn it was created at
        var serial = 0
        func newClip(big: Bool) throws -> String {
            serial += 1
            if big {
                // 4-16 MB, sparse: slow enough to copy that kills land mid-copy.
                let path = src + "/big-\(serial).wav"
                try writeSparseWAV(path, dataBytes: Int.random(in: 2_000...8_000, using: &random) * 2_000 + serial * 2)
                return path
            }
            return try dir.write(WAV.data(seed: 90_000 + serial, sampleCount: 512), to: "src/clip-\(serial).wav")
        }

        // What each operation costs when left alone, to spread the kills over its whole run.
        var estimate: [String: Double] = [:]
        // The kill window is `factor` times that; it adapts so that about 60% of the
        // commands are killed and 40% finish, however loaded the machine is.
        var factor = 1.0
        func timed(_ op: Op) async throws -> ProcessResult {
            let start = Date()
            let result = try await OmnistoreCLI.run(op.arguments, in: ws)
            estimate[op.kind] = Date().timeIntervalSince(start)
            return result
        }
        let firstRecord = try await timed(.record(clip: try newClip(big: false), refs: [], message: "base"))
        let base = try #require(RelCLI.recordedTurn(firstRecord), "\(firstRecord)")
        ackTurns.insert(base.id)
        _ = try await timed(.record(clip: try newClip(big: true), refs: [], message: "base big"))
        _ = try await timed(.add([try newClip(big: false)]))
        _ = try await timed(.add([try newClip(big: true)]))
        _ = try await timed(.branch("warmup", at: base.id))
        _ = try await timed(.checkout("main", expectBranch: "main"))
        // Those were only for timing; what they made is checked like everything else below.
        ackBranches["warmup"] = base.id
        for id in try await ReliabilityStore.turnIDs(in: ws) { ackTurns.insert(id) }
        for asset in try await OmnistoreCLI.assetsJSON(in: ws) {
            if let id = asset["id"] as? String, let path = (asset["paths"] as? [String])?.first { ackAssets[id] = path }
        }

        var killed = 0
        var completed = 0
        var rebuilds = 0
        let rebuildLimit = Reliability.cases(ci: 20, soak: 200)
        var emptyTemps: Set<String> = []
        var lastKill = Date.distantPast
        var lostItems: Set<String> = []
        var unreachable: Set<String> = []
        var verifiedObjects: Set<String> = []

        for round in 0..<rounds {
            // Pick an operation.
            let turns = ackTurns.sorted()
            let branchNames = ackBranches.keys.sorted()
            let op: Op
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<35:
                let count = Int.random(in: 1...3, using: &random)
                var paths: [String] = []
                for i in 0..<count {
                    paths.append(try newClip(big: i == 0 && Int.random(in: 0..<3, using: &random) == 0))
                }
                op = .add(paths)
            case 35..<65:
                var refs: [String] = []
                if Bool.random(using: &random), let (_, path) = ackAssets.randomElement(using: &random) {
                    refs.append(path + ":ref")
                }
                op = .record(
                    clip: try newClip(big: Int.random(in: 0..<4, using: &random) == 0), refs: refs,
                    message: "crash round \(round)")
            case 65..<85:
                if Int.random(in: 0..<3, using: &random) == 0,
                    let name = (branchNames + ["main"]).randomElement(using: &random)
                {
                    op = .checkout(name, expectBranch: name)
                } else {
                    op = .checkout(turns.randomElement(using: &random)!, expectBranch: nil)
                }
            default:
                op = .branch("b\(round)", at: turns.randomElement(using: &random)!)
            }

            // Run it and kill it at a random moment of its expected run.
            let started = Date()
            let process = try OmnistoreCLI.start(op.arguments, in: ws)
            let window = (estimate[op.kind] ?? 0.15) * factor
            let delay = Double.random(in: 0...window, using: &random)
            // On its own thread: a sleep on the cooperative pool can overshoot
            // by milliseconds under load, longer than a 10 ms command runs.
            try await onThread { usleep(useconds_t(delay * 1e6)) }
            if !process.hasFinished { process.send(SIGKILL) }
            let result = await process.wait()
            var failures: [String] = []
            var lost = 0
            if result.signaled {
                killed += 1
                lastKill = Date()
                factor = min(factor * 1.1, 6)
            } else {
                completed += 1
                // Under load the timed runs include slow process start-up, so
                // the window may start several times too long: shrink fast.
                factor = max(factor * 0.7, 0.05)
                estimate[op.kind] = 0.7 * (estimate[op.kind] ?? 0.15) + 0.3 * Date().timeIntervalSince(started)
                if !result.succeeded { failures.append("\(op) finished by itself but failed: \(RelCLI.brief(result))") }
            }

            // What a successful command acknowledged.
            var expectedHead: (turn: String?, branch: String?)? = nil
            if result.succeeded {
                switch op {
                case .add(let paths):
                    let items = RelCLI.addItems(result)
                    if items.count != paths.count || items.contains(where: { $0.id == nil }) {
                        failures.append(
                            "add reported \(items.count) items for \(paths.count) files: \(result.stdout.prefix(300))")
                    }
                    for item in items { if let id = item.id { ackAssets[id] = item.path } }
                case .record(let clip, let refs, _):
                    if let turn = RelCLI.recordedTurn(result) {
                        ackTurns.insert(turn.id)
                        ackAssets[turn.output] = clip
                        for (input, ref) in zip(turn.inputs, refs) { ackAssets[input] = String(ref.dropLast(4)) }
                    } else {
                        failures.append("record succeeded without a turn in its JSON: \(result.stdout.prefix(300))")
                    }
                case .checkout(let target, let branch):
                    expectedHead = (branch == nil ? target : nil, branch)
                case .branch(let name, let at):
                    ackBranches[name] = at
                }
            }

            // The store after the kill: fsck is clean...
            let fsck = try await ReliabilityFsck.run(in: ws)
            if !fsck.isClean {
                failures.append(
                    "fsck after \(op) (\(result.signaled ? "killed" : "finished")): \(fsck.result.stdout.prefix(1500)) \(fsck.result.stderr.prefix(300))"
                )
            }
            // ...and leaves no temp file of a killed writer behind. An empty one
            // younger than 10 s is spared by design (its writer may not have
            // locked it yet); it must be gone once it is older (checked at the end).
            for name in files.temporaryFiles() {
                let size = fileStatus(files.objectsDirectory + "/" + name).map { Int64($0.st_size) } ?? -1
                if size == 0 {
                    emptyTemps.insert(name)
                } else {
                    failures.append("temp file \(name) (\(size) bytes) left after the command that followed \(op)")
                }
            }
            // The files alone hold the store: the index, deleted and rebuilt
            // right after a kill, shows exactly what it showed.
            if result.signaled && rebuilds < rebuildLimit {
                rebuilds += 1
                failures += try await RebuildOracle.rebuildAndCompare(ws).map { "after a rebuild: \($0)" }
            }
            // Everything acknowledged so far is there.
            let listed = Set(try await OmnistoreCLI.assetIDs(in: ws))
            let missingAssets = Set(ackAssets.keys).subtracting(listed)
            let newObjects = Set(ackAssets.keys).subtracting(verifiedObjects).subtracting(missingAssets)
            let badObjects = try await ReliabilityStore.badObjects(newObjects.sorted(), files: files)
            verifiedObjects.formUnion(newObjects.subtracting(badObjects))
            let turnIDs = try await ReliabilityStore.turnIDs(in: ws)
            // A turn recorded on a detached HEAD drops out of log --all once HEAD moves on
            // (as a commit does in git); it must still be stored and verify by its id.
            var missingTurns: Set<String> = []
            for turn in ackTurns.subtracting(turnIDs) {
                let shown = try await OmnistoreCLI.run(["show", turn, "--json"], in: ws)
                if shown.succeeded, (try? JSONText.object(shown.stdout))?["id"] as? String == turn {
                    unreachable.insert(turn)
                } else {
                    missingTurns.insert(turn)
                }
            }
            let branches = try await ReliabilityStore.branches(in: ws)
            let missingBranches = Set(ackBranches.keys).subtracting(branches.keys)
            for item in missingAssets.union(badObjects).union(missingTurns).union(missingBranches)
            where !lostItems.contains(item) {
                lostItems.insert(item)
                lost += 1
            }
            if !missingAssets.isEmpty {
                failures.append("acknowledged assets missing: \(missingAssets.map { $0.prefix(12) })")
            }
            if !badObjects.isEmpty {
                failures.append("objects missing or not hashing to their id: \(badObjects.map { $0.prefix(12) })")
            }
            if !missingTurns.isEmpty {
                failures.append(
                    "acknowledged turns missing (not in log --all, not shown by id): \(missingTurns.map { $0.prefix(12) })"
                )
            }
            if !missingBranches.isEmpty {
                failures.append("acknowledged branches missing: \(missingBranches.sorted())")
            }
            if let expectedHead {
                let status = try JSONText.object(try await OmnistoreCLI.check(["status", "--json"], in: ws).stdout)
                let wantTurn = expectedHead.turn ?? expectedHead.branch.flatMap { branches[$0] }
                let workfile = status["workfile"] as? [String: Any]
                if status["head"] as? String != wantTurn || status["branch"] as? String != expectedHead.branch
                    || workfile?["state"] as? String != "matches HEAD"
                {
                    failures.append("checkout \(op) succeeded but status is \(status)")
                }
            }
            tally.record(
                passed: failures.isEmpty, lost: lost,
                failure: "round \(round) \(op) [\(result.signaled ? "killed" : "finished")]: "
                    + failures.joined(separator: "; "))
        }

        // Empty temp files spared as "maybe not locked yet" must go once they are old.
        if !emptyTemps.isEmpty {
            let wait = 11 - Date().timeIntervalSince(lastKill)
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
            tally.note(
                "\(emptyTemps.count) killed writer(s) left an empty temp file, spared for 10 s by design; the final fsck must remove them"
            )
        }
        let finalFsck = try await ReliabilityFsck.run(in: ws)
        #expect(finalFsck.isClean, "\(finalFsck)")
        #expect(files.temporaryFiles().isEmpty, "temp files left at the end: \(files.temporaryFiles())")
        // Every acknowledged object, re-hashed independently; every branch still leads to its turn.
        let bad = try await ReliabilityStore.badObjects(ackAssets.keys.sorted(), files: files)
        tally.addLost(
            Set(bad).subtracting(lostItems).count, "final sweep: objects missing or wrong: \(bad.map { $0.prefix(12) })"
        )
        for (name, turn) in ackBranches.sorted(by: { $0.key < $1.key }) {
            let history = Set((try? await ReliabilityStore.history(name, in: ws)) ?? [])
            if !history.contains(turn) {
                tally.addLost(1, "branch \(name) no longer contains the turn it was created at")
            }
        }
        let strays = listTree(ws).filter { $0.contains(".omnistore-") && !$0.hasPrefix(".omnistore/") }
        tally.note("\(rebuilds) index rebuild(s) from the files right after a kill")
        tally.note(
            "\(killed) killed mid-command, \(completed) finished first; \(ackAssets.count) assets, \(ackTurns.count) turns, \(ackBranches.count) branches acknowledged"
        )
        if !unreachable.isEmpty {
            tally.note(
                "\(unreachable.count) acknowledged turn(s) recorded on a detached HEAD were left out of log --all by a later checkout (still stored, shown by id)"
            )
        }
        if !strays.isEmpty {
            tally.note(
                "working-file temp files left by killed checkouts/records (not cleaned by anything): \(strays.count)")
        }
        tally.printSummary()

        let (tried, passed, lostCount) = tally.counts
        #expect(passed == tried, "seed \(seed): \(tried - passed) of \(tried) rounds failed (see the table above)")
        #expect(lostCount == 0, "seed \(seed): data lost")
        // Enough kills must land mid-command for the test to mean anything.
        // (A loaded machine shifts when commands finish, so the bar is a few kills, not a share.)
        #expect(killed >= 3, "seed \(seed): only \(killed) of \(rounds) commands were killed before they finished")
    }

    @Test("a killed add's temp file is removed by the next writing command: add and record alike")
    func killedAddTempFileAndNextRecord() async throws {
        let dir = try TemporaryDirectory("rel-crash-temp")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let files = StoreFiles(workspace: ws)
        let seed = Reliability.seed()
        let tally = ReliabilityTally("1 crash: temp file of a killed add, next command", seed: seed)

        for next in ["record", "add", "fsck", "gc"] {
            let big = dir.file("big-\(next).wav")
            try writeSparseWAV(big, dataBytes: 1200 << 20)
            let adding = try OmnistoreCLI.start(["add", big], in: ws)
            // Wait until the temp file has bytes in it, then kill the writer.
            // The watch runs on its own thread: on a loaded machine the
            // cooperative pool can stall for longer than the whole add takes.
            let caught = try await onThread { () -> Bool in
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline, !adding.hasFinished {
                    if let name = files.temporaryFiles().first,
                        let info = fileStatus(files.objectsDirectory + "/" + name), info.st_size > 0
                    {
                        adding.send(SIGKILL)
                        return true
                    }
                    usleep(1_000)
                }
                return false
            }
            let killedResult = await adding.wait()
            try #require(caught && killedResult.signaled, "could not catch the add mid-copy: \(killedResult)")
            let left = files.temporaryFiles()
            #expect(left.count == 1, "the killed add left \(left)")

            let clip = try dir.write(WAV.data(seed: 77_000 + next.count), to: "next-\(next).wav")
            let arguments: [String]
            switch next {
            case "record": arguments = ["record", clip, "-m", "after a killed add"]
            case "add": arguments = ["add", clip]
            case "gc": arguments = ["gc"]
            default: arguments = ["fsck"]
            }
            let result = try await OmnistoreCLI.run(arguments, in: ws)
            #expect(result.succeeded, "\(result)")
            let after = files.temporaryFiles()
            #expect(after.isEmpty, "after '\(next)', the killed add's temp file is still there: \(after)")
            tally.record(passed: result.succeeded && after.isEmpty, failure: "'\(next)' left \(after)")
            // Clean up for the next round whatever happened.
            for name in after { unlink(files.objectsDirectory + "/" + name) }
        }
        tally.printSummary()
    }
}
