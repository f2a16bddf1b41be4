import Foundation
import OmniStore
import TestSupport
import Testing

/// The graph API of the library (`log`, `resolve`, `mergeBases`, `isAncestor`,
/// `branches`, `children`) against git on the same DAG. The DAG is built with
/// the CLI (so dates can be fixed with OMNISTORE_DATE), then read in-process.
@Suite struct GraphLibraryOracle {
    static func open(_ build: GitGraphBuild) throws -> Store {
        try Store.open(at: build.workspace)
    }

    @Test(
        "store.log, mergeBases and isAncestor match git log --topo-order and merge-base, with and without ties in dates",
        arguments: [false, true])
    func log(_ equalDates: Bool) async throws {
        let dir = try TemporaryDirectory("graph-lib-log")
        let scenario = equalDates ? GitGraphScenario.standard.dated { _ in 1_700_000_000 } : GitGraphScenario.standard
        let build = try await scenario.build(in: dir.path, salt: 11)
        let store = try Self.open(build)

        let gitAll = try await build.git.logSubjects(["--topo-order", "--all"])
        #expect(gitAll.count == build.order.count)
        #expect(try store.log(all: true).map(\.instruction) == gitAll)
        for starts in [[], ["main"], ["old", "cx2"], ["Zeta", "style/Noir", "main~3"], ["cx1", "X2"]] {
            let storeStarts = starts.map { build.turns[$0] ?? $0 }
            let gitStarts = starts.map { build.commits[$0] ?? $0 }
            let expected = try await build.git.logSubjects(["--topo-order"] + gitStarts)
            #expect(try store.log(storeStarts).map(\.instruction) == expected, "log \(starts)")
            for limit in [0, 1, 4, 9] {
                #expect(
                    try store.log(storeStarts, limit: limit).map(\.instruction) == Array(expected.prefix(limit)),
                    "log \(starts) limit \(limit)")
            }
        }
        // Each entry's parents are git's parents, in order.
        for entry in try store.log(all: true) {
            let sha = build.commits[entry.instruction] ?? "?"
            let gitParents =
                try await build.git.lines(["rev-list", "--parents", "-n", "1", sha]).first?
                .split(separator: " ").dropFirst().map { build.name(ofCommit: String($0)) ?? "?" } ?? []
            #expect(entry.parents.map { build.name(ofTurn: $0.hex) ?? "?" } == gitParents, "\(entry.instruction)")
        }

        // store.mergeBases is git merge-base --all for every pair; isAncestor is merge-base --is-ancestor.
        let names = ["A1", "A3", "F2", "M1", "O1", "O2", "F3", "P", "Q", "X", "Y", "M2", "F4", "N1", "A5", "X2"]
        var sawCrissCross = false
        // Ancestry from `git rev-list NAME` (everything it reaches).
        var gitReaches: [String: Set<String>] = [:]
        for name in names { gitReaches[name] = Set(try await build.git.logSubjects([build.commits[name]!])) }
        for (i, a) in names.enumerated() {
            for b in names {
                #expect(
                    try store.isAncestor(TurnID(build.turns[a]!)!, of: TurnID(build.turns[b]!)!)
                        == gitReaches[b]!.contains(a),
                    "\(a) ancestor of \(b)")
            }
            // merge-base is symmetric, so each unordered pair once.
            for b in names[i...] {
                let (ca, cb) = (build.commits[a]!, build.commits[b]!)
                let gitBases = try await build.git.mergeBases(ca, cb).map { build.name(ofCommit: $0) ?? "?" }
                for (x, y) in [(a, b), (b, a)] {
                    let bases = try store.mergeBases(build.turns[x]!, build.turns[y]!).map {
                        build.name(ofTurn: $0.hex) ?? "?"
                    }
                    if equalDates {
                        #expect(Set(bases) == Set(gitBases) && bases.count == gitBases.count, "merge-base \(x) \(y)")
                    } else {
                        #expect(bases == gitBases, "merge-base --all \(x) \(y)")
                    }
                }
                if gitBases.count > 1 { sawCrissCross = true }
            }
        }
        #expect(sawCrissCross)
        // Branch names and REV~N work as arguments too.
        let gitBases = try await build.git.mergeBases("cx1~1", "cx2").map { build.name(ofCommit: $0) ?? "?" }
        #expect(
            try store.mergeBases("cx1~1", "cx2").map { build.name(ofTurn: $0.hex) ?? "?" }.sorted() == gitBases.sorted()
        )
    }

    @Test(
        "store.resolve agrees with git rev-parse (failures are StoreErrors); branches, head and children agree with git"
    )
    func resolve() async throws {
        let dir = try TemporaryDirectory("graph-lib-resolve")
        let build = try await GitGraphScenario.standard.build(in: dir.path, salt: 12)
        let store = try Self.open(build)
        let revisions = [
            "HEAD", "main", "main~1", "main~6", "main~7", "main^", "main~1^2", "main~1^3", "main~1^4", "main~1^3^2~1",
            "main~3^2~2", "cx1^2", "cx1~1^2^2", "feat~4", "feat~5", "Zeta~1", "Zeta~2", "style/Noir^2", "HEAD^0",
        ]
        for revision in revisions {
            let expected = try await build.git.revParse(revision).map { build.name(ofCommit: $0) ?? "?" }
            if let expected {
                #expect(build.name(ofTurn: try store.resolve(revision).hex) == expected, "\(revision)")
            } else {
                let error = #expect(throws: StoreError.self, "\(revision) does not resolve in git") {
                    try store.resolve(revision)
                }
                #expect(error?.code == .notFound, "\(revision): \(String(describing: error))")
                #expect(error?.message.contains(revision) == true, "\(revision): the message names it")
            }
        }
        // Every full id and a 10-digit prefix of it, with suffixes, as git resolves the commit's.
        for name in build.order {
            let id = try #require(build.turns[name])
            #expect(try store.resolve(id).hex == id)
            #expect(try store.resolve(String(id.prefix(10))).hex == id)
            #expect(try store.resolve(String(id.prefix(10)).uppercased()).hex == id)
            for suffix in ["^", "~2", "^2"] {
                let expected = try await build.git.revParse(build.commits[name]! + suffix).map {
                    build.name(ofCommit: $0)
                }
                let actual = try? store.resolve(id + suffix)
                #expect(actual.map { build.name(ofTurn: $0.hex) } == expected, "\(name)\(suffix)")
            }
        }
        // Malformed or unknown revisions.
        for bad in ["nosuch", "main~x", "main^^x", "main~99999999999", "", "refs/heads/nosuch", "main~1^0x"] {
            #expect(throws: StoreError.self, "\(bad)") { try store.resolve(bad) }
            #expect(try await build.git.revParse(bad) == nil, "git refuses \(bad) too")
        }
        let past = #expect(throws: StoreError.self) { try store.resolve("main~99") }
        #expect(past?.code == .notFound)
        #expect(past?.message.contains("past the first turn") == true, "\(String(describing: past))")

        // branches(), head() and children(of:) agree with git.
        let gitBranches = try await build.git.branchNames()
        let branches = try store.branches()
        #expect(branches.map(\.name.name) == gitBranches)
        for (name, turn) in branches {
            let gitTip = try await build.git.revParse("refs/heads/" + name.name)
            #expect(build.name(ofTurn: turn.hex) == gitTip.flatMap(build.name(ofCommit:)))
        }
        #expect(try store.head().branch?.name == build.head)

        // git rev-list --all --children: "commit child child…".
        var gitChildren: [String: Set<String>] = [:]
        for line in try await build.git.lines(["rev-list", "--all", "--children"]) {
            let parts = line.split(separator: " ").map { build.name(ofCommit: String($0)) ?? "?" }
            gitChildren[parts[0]] = Set(parts.dropFirst())
        }
        for name in build.order {
            let children = try store.children(of: TurnID(build.turns[name]!)!).map { build.name(ofTurn: $0.hex) ?? "?" }
            #expect(Set(children) == gitChildren[name] ?? [], "children of \(name)")
            #expect(children.count == Set(children).count)
        }
    }

    @Test("unrelated histories: no merge base, and each side of a diff is its whole history, as in git")
    func unrelated() async throws {
        let dir = try TemporaryDirectory("graph-lib-unrelated")
        let workspace = try dir.makeDirectory("ws")
        let (store, _) = try Store.create(at: workspace)
        var ids: [String: TurnID] = [:]
        func record(_ name: String, parents: [String]?) throws -> RecordResult {
            let clip = try dir.write(WAV.data(seed: 940 + ids.count), to: "\(name).wav")
            var request = RecordRequest(output: AssetSource(.file(clip)), instruction: name)
            request.parents = parents
            let result = try store.record(request)
            ids[name] = result.turn.id
            return result
        }
        _ = try record("A1", parents: nil)
        _ = try record("A2", parents: nil)
        let root = try record("B1", parents: [])  // a second root: kept on a side branch
        let side = try #require(root.sideBranch)
        #expect(root.turn.parents.isEmpty)
        _ = try await store.checkout(side.name)
        _ = try record("B2", parents: nil)

        let git = try await GitScratchRepo.create(at: dir.file("git"))
        let a1 = try await git.commit(message: "A1", parents: [], unixSeconds: 1_700_000_000)
        let a2 = try await git.commit(message: "A2", parents: [a1], unixSeconds: 1_700_000_060)
        let b1 = try await git.commit(message: "B1", parents: [], unixSeconds: 1_700_000_120)
        let b2 = try await git.commit(message: "B2", parents: [b1], unixSeconds: 1_700_000_180)

        #expect(try await git.mergeBases(a2, b2).isEmpty)
        #expect(try store.mergeBases("main", side.name).isEmpty)
        let diff = try store.diff("main", side.name)
        #expect(diff.mergeBases.isEmpty)
        #expect(diff.onlyA.map(\.instruction).sorted() == (try await git.logSubjects(["\(b2)..\(a2)"])).sorted())
        #expect(diff.onlyB.map(\.instruction).sorted() == (try await git.logSubjects(["\(a2)..\(b2)"])).sorted())
        #expect(diff.json.objectValue?["merge_base"] == .null)
        #expect(Set(try store.log(all: true).map(\.instruction)) == ["A1", "A2", "B1", "B2"])
        #expect(try store.isAncestor(ids["A1"]!, of: ids["B2"]!) == false)
    }
}
