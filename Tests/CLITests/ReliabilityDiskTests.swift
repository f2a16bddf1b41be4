import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Part 5 of the reliability suite: a full disk and a read-only store, on a
/// small filesystem mounted for the test (tmpfs, else a loop-mounted ext4).
/// Where neither can be mounted the tests are skipped with the reason.
@Suite(
    "Reliability 5: full disk and read-only store",
    .enabled(if: SmallFilesystem.isAvailable, Comment(rawValue: SmallFilesystem.unavailableReason))
)
struct ReliabilityDisk {
    /// A store on a fresh 8 MiB filesystem with a few assets and a turn.
    struct SmallStore {
        let dir: TemporaryDirectory
        let fs: SmallFilesystem
        let ws: String
        let files: StoreFiles
        /// Source path -> id of what was stored before the trouble.
        let earlier: [(path: String, id: String)]
        let turn: String

        static func make(_ label: String) async throws -> SmallStore {
            let dir = try TemporaryDirectory(label)
            let fs = try SmallFilesystem(at: dir.file("small"), megabytes: 8)
            let ws = fs.path + "/ws"
            try FileManager.default.createDirectory(atPath: ws, withIntermediateDirectories: true)
            try await OmnistoreCLI.check(["init"], in: ws)
            var paths = [
                try await Fixtures.copy(.png, into: dir.path + "/src"),
                try await Fixtures.copy(.mp4H264AAC, into: dir.path + "/src"),
            ]
            for i in 0..<3 {
                paths.append(try dir.write(WAV.data(seed: 51_000 + i, sampleCount: 4000), to: "src/e\(i).wav"))
            }
            try await OmnistoreCLI.check(["add"] + paths, in: ws)
            let record = try await OmnistoreCLI.check(
                ["record", paths[1], "-m", "before the disk filled", "--ref", paths[0] + ":logo", "--json"], in: ws)
            let turn = try #require(RelCLI.recordedTurn(record)).id
            let ids = try await SHA256Sum.hashes(paths)
            return SmallStore(
                dir: dir, fs: fs, ws: ws, files: StoreFiles(workspace: ws), earlier: Array(zip(paths, ids)), turn: turn)
        }

        /// Earlier assets listed, their objects hashing right, the turn there, fsck clean.
        func intactProblems() async throws -> [String] {
            var problems: [String] = []
            let listed = Set(try await OmnistoreCLI.assetIDs(in: ws))
            let ids = earlier.map(\.id)
            if !Set(ids).isSubset(of: listed) {
                problems.append("earlier assets missing: \(Set(ids).subtracting(listed).map { $0.prefix(12) })")
            }
            let bad = try await ReliabilityStore.badObjects(ids, files: files)
            if !bad.isEmpty { problems.append("earlier objects damaged: \(bad.map { $0.prefix(12) })") }
            if !(try await ReliabilityStore.turnIDs(in: ws)).contains(turn) {
                problems.append("the earlier turn is missing")
            }
            let fsck = try await ReliabilityFsck.run(in: ws)
            if !fsck.isClean { problems.append("fsck: \(fsck)") }
            return problems
        }
    }

    @Test(
        "an add or record bigger than the free space fails cleanly: one-line error about space, no partial object, no temp file, fsck clean, earlier assets intact"
    )
    func largeAddOnFullDisk() async throws {
        let store = try await SmallStore.make("rel-fulldisk")
        defer { store.fs.unmount() }
        let seed = Reliability.seed()
        let tally = ReliabilityTally("5 full disk (\(store.fs.kind.rawValue) 8 MiB)", seed: seed)
        let objectsBefore = store.files.objectIDs()
        let turnsBefore = try await ReliabilityStore.turnIDs(in: store.ws)

        // Bigger than the whole filesystem: a real WAV (sparse, so the source costs nothing).
        let big = store.dir.file("src/big.wav")
        try writeSparseWAV(big, dataBytes: 16 << 20)
        let clip = store.dir.file("src/bigclip.wav")
        try writeSparseWAV(clip, dataBytes: 12 << 20)
        let cases: [(String, [String])] = [
            ("add", ["add", big]),
            ("add in a batch", ["add", big, store.earlier[0].path]),
            ("record", ["record", clip, "-m", "too big for the disk"]),
            ("add --json", ["add", "--json", big]),
        ]
        for (label, arguments) in cases {
            let result = try await OmnistoreCLI.run(arguments, in: store.ws)
            var failures: [String] = []
            if !result.failedCleanly { failures.append("did not fail cleanly: \(result)") }
            let errors = result.stderrLines.filter { $0.hasPrefix("error: ") }
            let spaceError = errors.first { $0.lowercased().contains("space") }
            if spaceError == nil { failures.append("no error line mentioning space: \(result.stderr)") }
            // One line per failure: the failing file's error (plus, in a batch, the count).
            if label == "add" || label == "record", result.stderrLines.count != 1 {
                failures.append("stderr is not one line: \(result.stderr.debugDescription)")
            }
            if label == "add --json", let item = RelCLI.addItems(result).first,
                item.status != "error" || !(item.error ?? "").contains("space")
            {
                failures.append("add --json item: \(result.stdout)")
            }
            if store.files.objectIDs() != objectsBefore {
                failures.append("objects/ changed: \(store.files.objectIDs().subtracting(objectsBefore))")
            }
            if !store.files.temporaryFiles().isEmpty {
                failures.append("temp files left: \(store.files.temporaryFiles())")
            }
            if try await ReliabilityStore.turnIDs(in: store.ws) != turnsBefore {
                failures.append("a turn was recorded")
            }
            failures += try await store.intactProblems()
            let leftovers = listTree(store.ws).filter { $0.contains("tmp_obj_") || $0.contains(".omnistore-") }
            if !leftovers.isEmpty { failures.append("leftover files: \(leftovers)") }
            tally.record(
                passed: failures.isEmpty, lost: failures.contains { $0.hasPrefix("earlier") } ? 1 : 0,
                failure: "\(label): " + failures.joined(separator: "; "))
            #expect(failures.isEmpty, "\(label): \(failures.joined(separator: "\n"))")
        }
        // Space is what was missing: with room again, the same add works.
        tally.note("free space before the big add: \(store.fs.freeBytes) bytes")
        tally.printSummary()
        #expect(tally.counts.lost == 0)
    }

    @Test("the disk filling up at any point of an add or record (object or database) never damages the store")
    func diskFillsAtEveryStep() async throws {
        let store = try await SmallStore.make("rel-fulldisk-steps")
        defer { store.fs.unmount() }
        let seed = Reliability.seed()
        var random = ReliabilityRandom(seed: seed)
        let tally = ReliabilityTally("5 full disk: filling at every step", seed: seed)
        let filler = store.fs.path + "/filler"
        let steps = Reliability.cases(ci: 24, soak: 200)
        var acknowledged: [String] = []
        for step in 0..<steps {
            // Leave 0-200 KiB free, then add or record a 40 KiB file: opening the
            // database, the object, the WAL or the working file may be the write that fails.
            unlink(filler)
            let free = store.fs.freeBytes
            let leave = Int64(Int.random(in: 0...100, using: &random)) * 2048
            if free > leave {
                let fd = open(filler, O_CREAT | O_WRONLY, 0o644)
                if fd >= 0 {
                    _ = posix_fallocate(fd, 0, off_t(free - leave))
                    close(fd)
                }
            }
            let clip = try store.dir.write(WAV.data(seed: 52_000 + step, sampleCount: 20_000), to: "src/s\(step).wav")
            let arguments = step % 2 == 0 ? ["add", "--json", clip] : ["record", clip, "-m", "step \(step)", "--json"]
            let result = try await OmnistoreCLI.run(arguments, in: store.ws)
            var failures: [String] = []
            if result.succeeded {
                if step % 2 == 0 {
                    if let id = RelCLI.addItems(result).first?.id { acknowledged.append(id) }
                } else if let turn = RelCLI.recordedTurn(result) {
                    acknowledged.append(turn.output)
                }
            } else {
                if !result.failedCleanly { failures.append("crashed: \(result)") }
                if result.stderrLines.count != 1 || !result.stderr.hasPrefix("error: ") {
                    failures.append("not a one-line error: \(result.stderr.debugDescription)")
                }
                if Reliability.mentionsLockError(result.stderr) { failures.append("lock error: \(result.stderr)") }
            }
            // With room again, the store is whole: fsck clean, earlier and acknowledged assets there.
            unlink(filler)
            if !store.files.temporaryFiles().isEmpty {
                // A failed write must clean up after itself, even on a full disk.
                failures.append("temp files left: \(store.files.temporaryFiles())")
            }
            failures += try await store.intactProblems()
            let listed = Set(try await OmnistoreCLI.assetIDs(in: store.ws))
            let lost = acknowledged.filter { !listed.contains($0) }
            let bad = try await ReliabilityStore.badObjects(acknowledged, files: store.files)
            if !lost.isEmpty || !bad.isEmpty { failures.append("acknowledged assets lost: \(lost) bad: \(bad)") }
            tally.record(
                passed: failures.isEmpty, lost: Set(lost + bad).count,
                failure: "step \(step) (\(arguments[0]), \(result.succeeded ? "succeeded" : "failed")): "
                    + failures.joined(separator: "; "))
        }
        tally.note("\(acknowledged.count) of \(steps) commands succeeded")
        tally.printSummary()
        let (tried, passed, lost) = tally.counts
        #expect(passed == tried, "seed \(seed): see the table above")
        #expect(lost == 0)
    }

    @Test(
        "a read-only store (remounted ro): log, show, assets, export, status and fsck work; writes fail with a clear one-line error"
    )
    func readOnlyStore() async throws {
        let store = try await SmallStore.make("rel-readonly")
        defer { store.fs.unmount() }
        let seed = Reliability.seed()
        let tally = ReliabilityTally("5 read-only store", seed: seed)
        let asset = store.earlier[1].id
        let logBefore = try await OmnistoreCLI.check(["log", "--all", "--json"], in: store.ws).stdout
        let assetsBefore = try await OmnistoreCLI.check(["assets", "--json"], in: store.ws).stdout
        try store.fs.remountReadOnly()
        defer { try? store.fs.remountReadWrite() }

        let outside = store.dir.file("exported.mp4")
        var reads: [[String]] = [
            ["log"], ["log", "--all", "--json"], ["log", "--graph", "--all"], ["show", "HEAD"],
            ["show", "HEAD", "--json"],
            ["show", asset], ["show", asset, "--json"], ["assets"], ["assets", "--json"],
            ["export", asset, "-o", outside],
            ["export", asset, "-o", "-"], ["status"], ["branch"], ["reflog"], ["diff", "HEAD"], ["cost"], ["fsck"],
            ["fsck", "--fast"],
        ]
        // A thumbnail is a read too (its cache is only a cache), where the command exists.
        if await omnistoreHasSubcommand("thumbnail") {
            reads.append(["thumbnail", asset, "-o", store.dir.file("thumb.png")])
        }
        for arguments in reads {
            let result = try await OmnistoreCLI.run(arguments, in: store.ws)
            var ok = result.succeeded
            if ["log", "show", "assets", "status", "branch"].contains(arguments[0]) && result.stdout.isEmpty {
                ok = false
            }
            if arguments == ["log", "--all", "--json"] && result.stdout != logBefore { ok = false }
            if arguments == ["assets", "--json"] && result.stdout != assetsBefore { ok = false }
            if arguments.first == "export", arguments.last == outside,
                fileBytes(outside) != fileBytes(store.earlier[1].path)
            {
                ok = false
            }
            if arguments.first == "export", arguments.last == "-", result.stdoutData != fileBytes(store.earlier[1].path)
            {
                ok = false
            }
            tally.record(passed: ok, failure: "read \(arguments.joined(separator: " ")): \(result)")
            #expect(ok, "reading a read-only store: \(result)")
        }

        let clip = try store.dir.write(WAV.data(seed: 53_000, sampleCount: 500), to: "src/new.wav")
        let writes: [[String]] = [
            ["add", clip], ["add", "--json", clip], ["record", clip, "-m", "cannot"], ["branch", "newbranch"],
            ["branch", "-m", "main", "renamed"], ["checkout", "HEAD", "--force"], ["checkout", "-b", "x", "HEAD"],
            ["config", "author", "someone"], ["gc", "--prune=now"],
        ]
        for arguments in writes {
            let result = try await OmnistoreCLI.run(arguments, in: store.ws)
            let lines = result.stderrLines.filter { !$0.hasPrefix("waiting") }
            let ok =
                result.failedCleanly && lines.count == 1 && lines[0].hasPrefix("error: ")
                && lines[0].lowercased().contains("read-only") && !Reliability.mentionsLockError(result.stderr)
            tally.record(passed: ok, failure: "write \(arguments.joined(separator: " ")): \(result)")
            #expect(ok, "writing to a read-only store must fail with one clear line: \(result)")
        }
        try store.fs.remountReadWrite()
        let after = try await OmnistoreCLI.check(["log", "--all", "--json"], in: store.ws).stdout
        #expect(after == logBefore, "nothing changed while read-only")
        let problems = try await store.intactProblems()
        #expect(problems.isEmpty, "\(problems)")
        tally.addLost(problems.isEmpty ? 0 : 1, "after remounting rw: \(problems)")
        tally.printSummary()
    }
}
