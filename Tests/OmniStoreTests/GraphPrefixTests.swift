import Foundation
import OmniStore
import TestSupport
import Testing

@Suite struct GraphTurnPrefixes {
    @Test("a 4-digit prefix shared by two turns is ambiguous and names both; longer unique prefixes resolve")
    func ambiguous() async throws {
        let dir = try TemporaryDirectory("graph-prefix")
        let workspace = try dir.makeDirectory("ws")
        let (store, _) = try Store.create(at: workspace)
        let clip = try dir.write(WAV.data(seed: 900), to: "clip.wav")
        let asset = try store.add(file: clip).asset.id
        // Turns are cheap when they share an output: record until two ids share 4 digits.
        var byPrefix: [String: TurnID] = [:]
        var all: [TurnID] = []
        var pair: (TurnID, TurnID)? = nil
        var count = 0
        while pair == nil && count < 4000 {
            let request = RecordRequest(output: AssetSource(.asset(asset.hex)), instruction: "turn \(count)")
            let id = try store.record(request).turn.id
            all.append(id)
            if let other = byPrefix[String(id.hex.prefix(4))] { pair = (other, id) }
            byPrefix[String(id.hex.prefix(4))] = id
            count += 1
        }
        let (first, second) = try #require(pair)
        let prefix = String(first.hex.prefix(4))
        #expect(second.hex.hasPrefix(prefix))

        for revision in [prefix, prefix.uppercased(), prefix + "~1", prefix + "^"] {
            let error = #expect(throws: StoreError.self, "\(revision)") { try store.resolve(revision) }
            #expect(error?.code == .ambiguous, "\(revision): \(String(describing: error))")
            #expect(error?.message.contains(String(first.hex.prefix(16))) == true, "\(String(describing: error))")
            #expect(error?.message.contains(String(second.hex.prefix(16))) == true, "\(String(describing: error))")
        }
        // The shortest prefix that is unique among all ids resolves, for both turns.
        for id in [first, second] {
            var length = 5
            while all.filter({ $0.hex.hasPrefix(id.hex.prefix(length)) }).count > 1 { length += 1 }
            #expect(try store.resolve(String(id.hex.prefix(length))) == id)
        }

        // The CLI reports it as one clear error line, exit 1, for show, log, checkout and branch.
        for arguments in [["show", prefix], ["log", prefix], ["checkout", prefix], ["branch", "x", prefix]] {
            let result = try await OmnistoreCLI.run(arguments, in: workspace)
            #expect(result.exitCode == 1 && !result.signaled, "\(result)")
            #expect(result.stderrLines.count == 1 && result.stderr.contains("ambiguous"), "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
        }
        #expect(try store.branches().map(\.name.name) == ["main"])
    }

    @Test("a branch whose name looks like a turn id prefix wins over the prefix, as a ref does in git")
    func branchBeatsPrefix() async throws {
        let dir = try TemporaryDirectory("graph-branch-prefix")
        let workspace = try dir.makeDirectory("ws")
        let (store, _) = try Store.create(at: workspace)
        var ids: [TurnID] = []
        for seed in 0..<2 {
            let clip = try dir.write(WAV.data(seed: 930 + seed), to: "c\(seed).wav")
            ids.append(
                try store.record(RecordRequest(output: AssetSource(.file(clip)), instruction: "t\(seed)")).turn.id)
        }
        // A branch named after the newer turn's prefix, pointing at the older turn.
        let name = String(ids[1].hex.prefix(8))
        try store.createBranch(name, at: ids[0].hex)
        #expect(try store.resolve(name) == ids[0])
        #expect(try store.resolve(name + "~0") == ids[0])
        #expect(try store.resolve(String(ids[1].hex.prefix(9))) == ids[1])

        // git: the same shape, a branch named after a commit's prefix.
        let git = try await GitScratchRepo.create(at: dir.file("git"))
        let first = try await git.commit(message: "t0", parents: [], unixSeconds: 1_700_000_000)
        let second = try await git.commit(message: "t1", parents: [first], unixSeconds: 1_700_000_060)
        try await git.setBranch(String(second.prefix(8)), to: first)
        #expect(try await git.revParse(String(second.prefix(8))) == first)
    }

    @Test("unknown revisions, a prefix of no turn, and REV~N past the root are clear errors")
    func unknown() async throws {
        let dir = try TemporaryDirectory("graph-unknown")
        let workspace = try dir.makeDirectory("ws")
        let (store, _) = try Store.create(at: workspace)
        #expect(throws: StoreError.self) { try store.resolve("HEAD") }
        var ids: [TurnID] = []
        for seed in 0..<3 {
            let clip = try dir.write(WAV.data(seed: 910 + seed), to: "c\(seed).wav")
            ids.append(
                try store.record(RecordRequest(output: AssetSource(.file(clip)), instruction: "t\(seed)")).turn.id)
        }
        let unused = try #require(
            (0..<0x10000).lazy.map { String(format: "%04x", $0) }.first { p in !ids.contains { $0.hex.hasPrefix(p) } })
        for (revision, code) in [
            ("nosuch", StoreError.Code.notFound), (unused, .notFound), (unused + "0000", .notFound),
            ("main~3", .notFound), ("main~99", .notFound), ("HEAD^2", .notFound), ("main^^^", .notFound),
            ("main~x", .invalidArgument),
        ] {
            let error = #expect(throws: StoreError.self, "\(revision)") { try store.resolve(revision) }
            #expect(error?.code == code, "\(revision): \(String(describing: error))")
            #expect(error?.message.contains(revision) == true, "\(revision): \(String(describing: error))")
        }
        #expect(try store.resolve("main~2") == ids[0])

        for arguments in [
            ["show", "main~99"], ["log", "nosuch"], ["checkout", "main~3"], ["diff", "main", "nosuch"],
        ] {
            let result = try await OmnistoreCLI.run(arguments, in: workspace)
            #expect(result.exitCode == 1 && !result.signaled, "\(result)")
            #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("error: "), "\(result)")
        }
    }
}
