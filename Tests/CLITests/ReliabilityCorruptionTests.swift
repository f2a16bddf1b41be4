import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Part 3 of the reliability suite: damaged object files.
@Suite("Reliability 3: corruption") struct ReliabilityCorruption {
    @Test(
        "bit flips in 10 objects and 5 truncations: fsck finds 15 of 15, quarantines them, re-adding repairs; --fast finds the truncations"
    )
    func flipAndTruncate() async throws {
        let rounds = Reliability.cases(ci: 1, soak: 10)
        let seed = Reliability.seed()
        var random = ReliabilityRandom(seed: seed)
        let tally = ReliabilityTally("3 corruption (objects damaged)", seed: seed)
        for round in 0..<rounds {
            // One case per damaged object: found, quarantined and repaired.
            var failures: [String] = []
            var perObject: [String: [String]] = [:]
            let stillBad = try await Self.corruptionRound(
                round: round, random: &random, failures: &failures, perObject: &perObject)
            for (id, problems) in perObject.sorted(by: { $0.key < $1.key }) {
                let all = problems + failures
                tally.record(
                    passed: all.isEmpty, lost: stillBad.contains(id) ? 1 : 0,
                    failure: "round \(round) object \(id.prefix(12)): " + all.joined(separator: "; "))
            }
            for failure in failures { Issue.record("seed \(seed) round \(round): \(failure)") }
            for (id, problems) in perObject where !problems.isEmpty {
                Issue.record("seed \(seed) round \(round) object \(id.prefix(12)): \(problems)")
            }
        }
        tally.printSummary()
        #expect(tally.counts.lost == 0)
    }

    /// One store, 15 damaged objects; returns how many originals could not be brought back.
    static func corruptionRound(
        round: Int, random: inout ReliabilityRandom, failures: inout [String], perObject: inout [String: [String]]
    ) async throws -> [String] {
        let dir = try TemporaryDirectory("rel-corrupt")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let files = StoreFiles(workspace: ws)

        // 24 objects: real media of several formats and small WAVs; a few used by turns.
        var paths: [String] = []
        for fixture in [Fixture.mp4H264AAC, .png, .jpeg, .gifAnimated, .mp3, .webmVP9Opus] {
            paths.append(try await Fixtures.copy(fixture, into: dir.path + "/src"))
        }
        for i in 0..<18 {
            paths.append(
                try dir.write(WAV.data(seed: 30_000 + round * 100 + i, sampleCount: 64 + i * 97), to: "src/w\(i).wav"))
        }
        try await OmnistoreCLI.check(["add"] + paths, in: ws)
        try await OmnistoreCLI.check(["record", paths[6], "-m", "uses two", "--ref", paths[1] + ":logo"], in: ws)
        try await OmnistoreCLI.check(["record", paths[7], "-m", "uses one"], in: ws)
        let ids = try await SHA256Sum.hashes(paths)
        let clean = try await ReliabilityFsck.run(in: ws)
        if !clean.isClean { failures.append("fsck before any damage: \(clean)") }

        // Damage 15 of them: a flipped bit in 10, truncation in 5.
        var order = Array(0..<paths.count)
        order.shuffle(using: &random)
        let flipped = order.prefix(10).map { ids[$0] }
        let truncated = order.dropFirst(10).prefix(5).map { ids[$0] }
        for id in flipped {
            let path = files.objectPath(id)
            chmod(path, 0o644)
            var bytes = [UInt8](fileBytes(path) ?? Data())
            let offset = Int.random(in: 0..<bytes.count, using: &random)
            bytes[offset] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o444)
        }
        for id in truncated {
            let path = files.objectPath(id)
            chmod(path, 0o644)
            let size = Int(fileStatus(path)?.st_size ?? 1)
            truncate(path, off_t(Int.random(in: 0..<size, using: &random)))
            chmod(path, 0o444)
        }
        let damaged = Set(flipped + truncated)
        for id in damaged { perObject[id] = [] }

        // --fast sees only what changed size: the 5 truncations.
        let fast = try await ReliabilityFsck.run(in: ws, fast: true)
        if fast.result.exitCode == 0 || !fast.result.failedCleanly {
            failures.append("fsck --fast exit: \(fast.result)")
        }
        for id in truncated where !fast.problems.contains(where: { $0.subject == id && $0.kind == "size_mismatch" }) {
            perObject[id, default: []].append("fsck --fast did not report the truncation")
        }
        let unexpected = fast.problems.filter { !truncated.contains($0.subject) }
        if !unexpected.isEmpty {
            failures.append(
                "fsck --fast reported more than the truncations: \(unexpected.map { "\($0.kind) \($0.subject.prefix(12))" })"
            )
        }
        if !fast.quarantined.isEmpty { failures.append("fsck --fast moved objects: \(fast.quarantined)") }

        // A full fsck finds all 15, exits non-zero, and moves them to quarantine.
        let full = try await ReliabilityFsck.run(in: ws)
        if !full.result.failedCleanly { failures.append("fsck exit: \(full.result)") }
        for id in damaged where !full.problems.contains(where: { $0.subject == id && $0.kind == "corrupt_object" }) {
            perObject[id, default: []].append("fsck did not report it as corrupt_object")
        }
        if full.problems.count != 15 {
            failures.append(
                "fsck reported \(full.problems.count) problems, not 15: \(full.problems.map { "\($0.kind) \($0.subject.prefix(12))" })"
            )
        }
        let quarantine = files.storeDirectory + "/quarantine"
        let quarantined = Set(listTree(quarantine))
        if full.quarantined.count != 15 {
            failures.append("fsck --json lists \(full.quarantined.count) quarantined objects, not 15")
        }
        for id in damaged {
            if fileExists(files.objectPath(id)) { perObject[id, default: []].append("still under objects/") }
            // The damaged bytes are kept for inspection, not deleted.
            if !quarantined.contains(id) { perObject[id, default: []].append("not in quarantine/") }
        }
        let extra = quarantined.subtracting(damaged)
        if !extra.isEmpty { failures.append("undamaged objects quarantined: \(extra.map { $0.prefix(12) })") }
        // Undamaged objects are untouched.
        let intact = ids.filter { !damaged.contains($0) }
        let wrongIntact = try await ReliabilityStore.badObjects(intact, files: files)
        if !wrongIntact.isEmpty { failures.append("undamaged objects changed: \(wrongIntact.map { $0.prefix(12) })") }

        // Reading a quarantined asset says what to do instead of returning bad bytes.
        let export = try await OmnistoreCLI.run(["export", flipped[0], "-o", dir.file("out.bin")], in: ws)
        if export.succeeded || !export.stderr.hasPrefix("error: ") {
            failures.append("export of a quarantined object: \(export)")
        }

        // Re-adding the originals repairs everything.
        let damagedPaths = paths.enumerated().filter { damaged.contains(ids[$0.offset]) }.map(\.element)
        let readd = try await OmnistoreCLI.run(["add", "--json"] + damagedPaths, in: ws)
        if !readd.succeeded { failures.append("re-adding the originals: \(readd)") }
        let repaired = try await ReliabilityFsck.run(in: ws)
        if !repaired.isClean { failures.append("fsck after re-adding: \(repaired)") }
        let stillBad = try await ReliabilityStore.badObjects(ids, files: files)
        for id in stillBad { perObject[id, default: []].append("still missing or wrong after re-adding the original") }
        for id in damaged where permissionBits(files.objectPath(id)) != 0o444 {
            perObject[id, default: []].append("repaired object is not read-only")
        }
        let exported = try await OmnistoreCLI.run(["export", flipped[0], "-o", dir.file("out.bin")], in: ws)
        if !exported.succeeded || fileBytes(dir.file("out.bin")) != fileBytes(files.objectPath(flipped[0])) {
            failures.append("export after repair: \(exported)")
        }
        return stillBad
    }
}
