import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Part 4 of the reliability suite: mutated media through probe, add, show
/// (and thumbnail, where that command exists).
///
/// `scripts/soak` also runs this suite against an AddressSanitizer build of
/// omnistore (`OMNISTORE_BIN` pointing into `.build-asan`); any sanitizer report
/// in a command's output counts as a crash.
@Suite("Reliability 4: probe fuzz") struct ReliabilityFuzz {
    static let perProcessTimeout: Double = 20
    static let batchSize = 50

    static let seedFixtures: [Fixture] = [
        .mp4H264AAC, .mkvVP9Opus, .webmVP9Opus, .movRotated90, .png, .jpeg, .gifAnimated, .gifStill, .wav, .mp3,
        .mp3WithCoverArt, .m4a,
    ]

    final class CaseState: @unchecked Sendable {
        let index: Int
        let path: String
        let description: String
        var failures: [String] = []
        var probeAccepted = false
        var addStatus: String?
        var assetID: String?
        init(index: Int, path: String, description: String) {
            self.index = index
            self.path = path
            self.description = description
        }
    }

    @Test(
        "mutated mp4/mkv/webm/mov/png/jpeg/gif/wav/mp3 never crash or hang probe, add, show or thumbnail, and the store stays consistent"
    )
    func mutatedMedia() async throws {
        let total = Reliability.cases(ci: 500, soak: 5000)
        let seed = Reliability.seed()
        var random = ReliabilityRandom(seed: seed)
        let tally = ReliabilityTally("4 probe fuzz", seed: seed)
        let dir = try TemporaryDirectory("rel-fuzz")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let files = StoreFiles(workspace: ws)

        var seeds: [MediaMutator.Seed] = []
        for fixture in Self.seedFixtures {
            let path = try await Fixtures.path(fixture)
            seeds.append(
                .init(data: fileBytes(path) ?? Data(), fileExtension: (path as NSString).pathExtension.lowercased()))
        }
        let thumbnail = await Self.thumbnailArguments()
        tally.note(
            thumbnail == nil
                ? "no 'thumbnail' command in this omnistore: not exercised"
                : "thumbnail exercised as: thumbnail ID \(thumbnail!.joined(separator: " "))")

        var accepted: Set<String> = []
        var probeAddDisagreements = 0
        var phase: [String: Double] = [:]
        var clock = Date()
        func lap(_ name: String) {
            phase[name, default: 0] += Date().timeIntervalSince(clock)
            clock = Date()
        }
        var batchStart = 0
        while batchStart < total {
            let count = min(Self.batchSize, total - batchStart)
            let folder = try dir.makeDirectory("cases/\(batchStart / Self.batchSize)")
            var cases: [CaseState] = []
            for i in 0..<count {
                let made = MediaMutator.makeCase(seeds, using: &random)
                let index = batchStart + i
                let path = "\(folder)/case-\(index).\(made.fileExtension)"
                try made.data.write(to: URL(fileURLWithPath: path))
                cases.append(CaseState(index: index, path: path, description: made.description))
            }
            var batchFailures: [String] = []
            lap("write cases")

            // probe: many files in one process; a crash or hang is pinned on its file by re-running them one by one.
            let probeOutcomes = try await Self.runBatch(["probe", "--json"], cases, in: ws)
            for (state, result) in probeOutcomes {
                Self.checkRan(result, "probe", state)
                if result.succeeded || result.failedCleanly,
                    let items = try? JSONText.parse(result.stdout) as? [[String: Any]]
                {
                    if items.contains(where: { $0["path"] as? String == state.path }) { state.probeAccepted = true }
                }
            }

            lap("probe")
            // add: the whole batch in one process, in the store.
            let addOutcomes = try await Self.runBatch(["add", "--json"], cases, in: ws)
            for (state, result) in addOutcomes {
                Self.checkRan(result, "add", state)
                guard !RelCLI.crashedOrHung(result) else { continue }
                guard let item = RelCLI.addItems(result).first(where: { $0.path == state.path }) else {
                    state.failures.append("add --json has no item for the file: \(result.stdout.prefix(200))")
                    continue
                }
                state.addStatus = item.status
                switch item.status {
                case "added", "already_stored":
                    state.assetID = item.id
                    if let id = item.id { accepted.insert(id) }
                case "error":
                    if (item.error ?? "").isEmpty { state.failures.append("add refused the file without saying why") }
                default:
                    state.failures.append("add status '\(item.status)'")
                }
            }
            for state in cases where state.addStatus != nil && state.probeAccepted != (state.assetID != nil) {
                probeAddDisagreements += 1
            }

            lap("add")
            // show --json and thumbnail for every stored case (text show for every tenth:
            // the text listing of every asset comes with 'assets' below).
            // (A file identical to an earlier one is shown once.)
            var seen: Set<String> = []
            let stored = cases.filter { state in state.assetID.map { seen.insert($0).inserted } ?? false }
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                for state in stored {
                    if running >= 3 {
                        try await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask {
                        let id = state.assetID!
                        let json = try await OmnistoreCLI.run(
                            ["show", id, "--json"], in: ws, timeout: Self.perProcessTimeout)
                        Self.checkRan(json, "show --json", state)
                        if json.succeeded {
                            let object = try? JSONText.object(json.stdout)
                            if object?["id"] as? String != id
                                || !((object?["paths"] as? [String]) ?? []).contains(state.path)
                            {
                                state.failures.append(
                                    "show --json does not describe the asset: \(json.stdout.prefix(200))")
                            }
                        } else if !RelCLI.crashedOrHung(json) {
                            state.failures.append("show --json of a stored asset failed: \(RelCLI.brief(json))")
                        }
                        if state.index % 10 == 0 {
                            let text = try await OmnistoreCLI.run(
                                ["show", id], in: ws, timeout: Self.perProcessTimeout)
                            Self.checkRan(text, "show", state)
                            if !text.succeeded && !RelCLI.crashedOrHung(text) {
                                state.failures.append("show of a stored asset failed: \(RelCLI.brief(text))")
                            }
                        }
                        if let thumbnail {
                            let out = dir.file("thumbs/\(state.index).png")
                            try? FileManager.default.createDirectory(
                                atPath: dir.file("thumbs"), withIntermediateDirectories: true)
                            // Vary where and how many: the start, the very end, several at once.
                            let extra: [String] = [
                                [], ["--at", "99%"], ["--count", "3"], ["--at", "0"], ["--width", "7"],
                            ][state.index % 5]
                            let arguments = ["thumbnail", id] + thumbnail.map { $0 == "OUT" ? out : $0 } + extra
                            let result = try await OmnistoreCLI.run(arguments, in: ws, timeout: Self.perProcessTimeout)
                            Self.checkRan(result, "thumbnail", state)
                        }
                    }
                }
                try await group.waitForAll()
            }

            lap("show and thumbnail")
            // The listings of the whole store, and the store's consistency, after every batch.
            for arguments in [["assets"], ["assets", "--json"], ["log", "--all"]] {
                let listing = try await OmnistoreCLI.run(arguments, in: ws, timeout: 60)
                if !listing.succeeded {
                    batchFailures.append(
                        "\(arguments.joined(separator: " ")) after the batch: \(RelCLI.brief(listing))")
                }
            }
            let fsck = try await ReliabilityFsck.run(in: ws)
            if !fsck.isClean { batchFailures.append("fsck after the batch: \(fsck.result.stdout.prefix(1000))") }
            let objects = files.objectIDs()
            if objects != accepted {
                batchFailures.append(
                    "objects/ holds \(objects.count) files for \(accepted.count) accepted assets: extra \(objects.subtracting(accepted).map { $0.prefix(12) }), missing \(accepted.subtracting(objects).map { $0.prefix(12) })"
                )
            }
            if !files.temporaryFiles().isEmpty { batchFailures.append("temp files left: \(files.temporaryFiles())") }
            let listed = Set(try await OmnistoreCLI.assetIDs(in: ws))
            let lostIDs = accepted.subtracting(listed)

            for state in cases {
                let failures = state.failures + batchFailures
                if !state.failures.isEmpty { Self.keep(state, seed: seed) }
                let lost = state.assetID.map { lostIDs.contains($0) ? 1 : 0 } ?? 0
                tally.record(
                    passed: failures.isEmpty, lost: lost,
                    failure: "case \(state.index) (\(state.description)): " + failures.joined(separator: "; "))
            }
            batchStart += count
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: dir.file("thumbs"))
            lap("listings and fsck")
        }
        tally.note(
            "\(accepted.count) of \(total) mutated files were stored; probe and add disagreed on \(probeAddDisagreements)"
        )
        tally.note("failing inputs are kept in \(Reliability.keepDirectory)")
        tally.note(
            "time: "
                + phase.sorted { $0.key < $1.key }.map { String(format: "%@ %.1f s", $0.key, $0.value) }.joined(
                    separator: ", "))
        tally.printSummary()
        let (tried, passed, lost) = tally.counts
        #expect(tried == total)
        #expect(passed == tried, "seed \(seed): \(tried - passed) of \(tried) cases failed (see the table above)")
        #expect(lost == 0)
    }

    /// Runs `arguments + every case's path` in one process; if it crashed or
    /// hung, runs each file alone to find which ones do. Returns each case's
    /// result (the batch's when it ran through).
    static func runBatch(_ arguments: [String], _ cases: [CaseState], in ws: String) async throws -> [(
        CaseState, ProcessResult
    )] {
        let batch = try await OmnistoreCLI.run(
            arguments + ["--"] + cases.map(\.path), in: ws, timeout: perProcessTimeout)
        if !RelCLI.crashedOrHung(batch) && !Reliability.mentionsSanitizer(batch.stderr) {
            return cases.map { ($0, batch) }
        }
        var single: [(CaseState, ProcessResult)] = []
        var reproduced = false
        for state in cases {
            let result = try await OmnistoreCLI.run(arguments + ["--", state.path], in: ws, timeout: perProcessTimeout)
            if RelCLI.crashedOrHung(result) || Reliability.mentionsSanitizer(result.stderr) { reproduced = true }
            single.append((state, result))
        }
        if !reproduced {
            // Not pinned on one file: every case of the batch shares the failure.
            for state in cases {
                state.failures.append(
                    "the batch '\(arguments.joined(separator: " "))' crashed or hung, no single file does: \(RelCLI.brief(batch))"
                )
            }
        }
        return single
    }

    /// Records a crash (signal or sanitizer report) or a hang.
    static func checkRan(_ result: ProcessResult, _ what: String, _ state: CaseState) {
        if result.timedOut {
            state.failures.append("\(what) hung (killed after \(Int(perProcessTimeout)) s)")
        } else if result.signaled {
            state.failures.append("\(what) crashed with signal \(result.exitCode): \(result.stderr.suffix(600))")
        } else if Reliability.mentionsSanitizer(result.stderr) {
            state.failures.append("\(what): sanitizer report: \(result.stderr.prefix(1500))")
        } else if result.exitCode != 0 && result.exitCode != 1 {
            state.failures.append(
                "\(what) exited \(result.exitCode) (neither success nor a reported failure): \(result.stderr.prefix(300))"
            )
        }
    }

    /// Keeps a failing input for replay.
    static func keep(_ state: CaseState, seed: UInt64) {
        let folder = Reliability.keepDirectory
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let name = "seed\(seed)-case\(state.index).\((state.path as NSString).pathExtension)"
        try? FileManager.default.removeItem(atPath: folder + "/" + name)
        try? FileManager.default.copyItem(atPath: state.path, toPath: folder + "/" + name)
    }

    /// How to call `thumbnail` (arguments after the asset id; `OUT` stands for
    /// the output path), or nil when this omnistore has no such command.
    static func thumbnailArguments() async -> [String]? {
        guard await omnistoreHasSubcommand("thumbnail") else { return nil }
        let help =
            (try? await OmnistoreCLI.run(["thumbnail", "--help"], in: FileManager.default.temporaryDirectory.path))?
            .stdout ?? ""
        if help.contains("--output") || help.contains("-o,") || help.contains("-o <") { return ["-o", "OUT"] }
        return []
    }
}
