import Foundation
@testable import OmniStore
import TestSupport
import Testing

/// The chain index (schema v6): where record, importTurns and the migration
/// of an older store place each turn, that concurrent writers never break it,
/// and that the answers built on it (`~N`, merge-base, counts) stay right.
@Suite struct GraphChainIndex {
    /// Names of turns in the order they are stored, with their parents. A
    /// fork taken while the parent is still its chain's last turn (D1)
    /// extends that chain; the later sibling (M3) starts one.
    static let shape: [(name: String, parents: [String])] = [
        ("A1", []), ("A2", ["A1"]), ("A3", ["A2"]), ("B1", ["A2"]), ("A4", ["A3"]), ("B2", ["B1"]),
        ("M", ["A4", "B2"]), ("M2", ["M"]), ("C1", ["A2"]), ("R", []), ("D1", ["M2"]), ("M3", ["M2"]),
    ]

    /// Where the chain rule puts each turn of `shape`: (first turn of its chain, position).
    static let expected: [String: (String, Int64)] = [
        "A1": ("A1", 0), "A2": ("A1", 1), "A3": ("A1", 2), "B1": ("B1", 0), "A4": ("A1", 3), "B2": ("B1", 1),
        "M": ("M", 0), "M2": ("M", 1), "C1": ("C1", 0), "R": ("R", 0), "D1": ("M", 2), "M3": ("M3", 0),
    ]

    static func placements(_ store: Store, _ names: [TurnID: String]) throws -> [String: (String, Int64)] {
        let places = try store.read("test") { db in try ChainIndex.placements(db) }
        var named: [String: (String, Int64)] = [:]
        for (id, place) in places {
            named[names[id] ?? id.short] = (names[place.chain] ?? place.chain.short, place.pos)
        }
        return named
    }

    static func expectPlaced(_ store: Store, _ ids: [String: TurnID], _ context: String) throws {
        let names = Dictionary(uniqueKeysWithValues: ids.map { ($1, $0) })
        let places = try placements(store, names)
        #expect(places.count == expected.count, "\(context): \(places.count) turns placed")
        for (name, place) in expected {
            #expect(
                places[name]?.0 == place.0 && places[name]?.1 == place.1,
                "\(context): \(name) is at \(String(describing: places[name])), expected \(place)")
        }
        #expect(try store.read("test") { db in try ChainIndex.problems(db) } == [], "\(context)")
    }

    /// Answers that cross chains: first-parent steps through a merge and a
    /// fork, merge bases across chains, counts and ancestry.
    static func expectAnswers(_ store: Store, _ ids: [String: TurnID], _ context: String) throws {
        func name(_ id: TurnID) -> String { ids.first { $0.value == id }?.key ?? id.short }
        let hex = { (name: String) in ids[name]?.hex ?? name }
        #expect(name(try store.resolve(hex("M3") + "~1")) == "M2", "\(context)")
        #expect(name(try store.resolve(hex("M3") + "~3")) == "A4", "\(context)")
        #expect(name(try store.resolve(hex("M3") + "~6")) == "A1", "\(context)")
        #expect(name(try store.resolve(hex("D1") + "~2^2")) == "B2", "\(context)")
        #expect(name(try store.resolve(hex("B2") + "~2")) == "A2", "\(context)")
        let past = #expect(throws: StoreError.self) { try store.resolve(hex("M3") + "~7") }
        #expect(past?.message.contains("only 6 turns before it") == true, "\(context): \(String(describing: past))")
        #expect(try store.mergeBases(hex("D1"), hex("M3")).map(name) == ["M2"], "\(context)")
        #expect(try store.mergeBases(hex("C1"), hex("M3")).map(name) == ["A2"], "\(context)")
        #expect(try store.mergeBases(hex("B2"), hex("A4")).map(name) == ["A2"], "\(context)")
        #expect(try store.mergeBases(hex("B2"), hex("M")).map(name) == ["B2"], "\(context)")
        #expect(try store.mergeBases(hex("R"), hex("M")).isEmpty, "\(context)")
        #expect(try store.countTurns([hex("M3")]) == 9, "\(context)")
        #expect(try store.countTurns([hex("M3"), hex("D1"), hex("C1"), hex("R")]) == 12, "\(context)")
        #expect(try store.isAncestor(ids["B1"]!, of: ids["D1"]!), "\(context)")
        #expect(try !store.isAncestor(ids["C1"]!, of: ids["D1"]!), "\(context)")
        #expect(try !store.isAncestor(ids["D1"]!, of: ids["M3"]!), "\(context)")
    }

    /// Records `shape` through `store.record`, every turn from explicit parents.
    static func recordShape(in dir: TemporaryDirectory) throws -> (Store, [String: TurnID]) {
        let (store, _) = try Store.create(at: try dir.makeDirectory("ws"))
        var ids: [String: TurnID] = [:]
        for (index, turn) in shape.enumerated() {
            let clip = try dir.write(WAV.data(seed: 7_000 + index), to: "\(turn.name).wav")
            var request = RecordRequest(output: AssetSource(.file(clip)), instruction: turn.name)
            request.parents = turn.parents.map { ids[$0]?.hex ?? $0 }
            ids[turn.name] = try store.record(request).turn.id
        }
        return (store, ids)
    }

    @Test("record places each turn by the chain rule: a fork or merge starts a chain, a line extends one")
    func afterRecord() throws {
        let dir = try TemporaryDirectory("chain-record")
        let (store, ids) = try Self.recordShape(in: dir)
        try Self.expectPlaced(store, ids, "record")
        try Self.expectAnswers(store, ids, "record")
    }

    @Test("importTurns places turns as record does, in one transaction and when some are already stored")
    func afterImport() throws {
        let dir = try TemporaryDirectory("chain-import")
        let (store, _) = try Store.create(at: try dir.makeDirectory("ws"))
        let clip = try store.add(file: try dir.write(WAV.data(seed: 7_100), to: "clip.wav")).asset.id
        var ids: [String: TurnID] = [:]
        var turns: [Turn] = []
        for (index, shaped) in Self.shape.enumerated() {
            let turn = Turn(
                parents: shaped.parents.compactMap { ids[$0] }, kind: "edit", instruction: shaped.name, inputs: [],
                output: clip, model: nil, interaction: nil, settings: [:], cost: nil, author: "test",
                createdAt: "2026-11-25T10:\(String(format: "%02d", index)):00.000Z")
            ids[shaped.name] = turn.id
            turns.append(turn)
        }
        // The first half alone, then everything again: stored turns keep their places.
        #expect(try store.importTurns(Array(turns.prefix(5))) == 5)
        #expect(try store.importTurns(turns) == turns.count - 5)
        try Self.expectPlaced(store, ids, "import")
        try Self.expectAnswers(store, ids, "import")
    }

    @Test("a store made before the chain index gets it when opened, as record would have placed its turns")
    func afterMigration() throws {
        let dir = try TemporaryDirectory("chain-migrate")
        let (store, ids) = try Self.recordShape(in: dir)
        // Take the store back to schema v5: no chain columns, v6 not applied.
        try store.write("test") { db in
            try db.execute(sql: "DROP INDEX turn_by_chain")
            try db.execute(sql: "ALTER TABLE turn DROP COLUMN chain_pos")
            try db.execute(sql: "ALTER TABLE turn DROP COLUMN chain")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v6-chains'")
        }
        let reopened = try Store.open(at: store.layout.workspace)
        try Self.expectPlaced(reopened, ids, "migrated")
        try Self.expectAnswers(reopened, ids, "migrated")
        // New turns after the migration continue the backfilled chains.
        let clip = try dir.write(WAV.data(seed: 7_200), to: "D2.wav")
        var request = RecordRequest(output: AssetSource(.file(clip)), instruction: "D2")
        request.parents = [ids["D1"]?.hex ?? "D1"]
        let d2 = try reopened.record(request).turn.id
        let names = Dictionary(uniqueKeysWithValues: ids.map { ($1, $0) })
        let place = try Self.placements(reopened, names)[d2.short]
        #expect(place?.0 == "M" && place?.1 == 3, "D2 is at \(String(describing: place))")
    }

    @Test("2 processes recording children of one turn at once: every record lands, one child continues its chain")
    func concurrentForks() async throws {
        let dir = try TemporaryDirectory("chain-concurrent")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let rootClip = try dir.write(WAV.data(seed: 7_300), to: "root.wav")
        let root = try JSONText.object(
            try await OmnistoreCLI.check(["record", rootClip, "-m", "root", "--json"], in: ws).stdout)
        let rootID = try #require(root["id"] as? String)
        let perWorker = 12
        var clips: [[String]] = [[], []]
        for worker in 0..<2 {
            for index in 0..<perWorker {
                clips[worker].append(
                    try dir.write(WAV.data(seed: 7_301 + worker * 100 + index), to: "\(worker)-\(index).wav"))
            }
        }
        // Both fork from the root every time, so they race for the one place
        // that continues the root's chain.
        let results = try await withThrowingTaskGroup(of: [ProcessResult].self) { group in
            for worker in 0..<2 {
                let mine = clips[worker]
                group.addTask {
                    var out: [ProcessResult] = []
                    for (index, clip) in mine.enumerated() {
                        out.append(
                            try await OmnistoreCLI.run(
                                ["record", clip, "-m", "w\(worker)-\(index)", "--parent", rootID], in: ws))
                    }
                    return out
                }
            }
            var all: [ProcessResult] = []
            for try await part in group { all += part }
            return all
        }
        for result in results { #expect(result.succeeded, "\(result)") }

        let store = try Store.open(at: ws)
        #expect(try store.read("test") { db in try ChainIndex.problems(db) } == [])
        let rootTurn = try #require(TurnID(rootID))
        let children = try store.children(of: rootTurn)
        #expect(children.count == 2 * perWorker)
        let places = try store.read("test") { db in try ChainIndex.placements(db) }
        let rootChain = try #require(places[rootTurn]).chain
        #expect(
            children.filter { places[$0]?.chain == rootChain }.count == 1,
            "exactly one child continues the root's chain")
        for child in children {
            #expect(try store.resolve(child.hex + "~1").hex == rootID)
        }
        #expect(try store.countTurns(all: true) == 2 * perWorker + 1)
        #expect(try store.countTurns(["main"]) == (try store.log(["main"]).count))
        #expect(try store.log(all: true).count == 2 * perWorker + 1)
    }

    @Test(
        "random DAGs imported in batches: count, is-ancestor, merge bases and ~N match a walk over every turn",
        arguments: [UInt64(11), 12, 13])
    func randomAgainstBruteForce(_ seed: UInt64) throws {
        let dir = try TemporaryDirectory("chain-random")
        let (store, _) = try Store.create(at: try dir.makeDirectory("ws"))
        let clip = try store.add(file: try dir.write(WAV.data(seed: 7_400), to: "clip.wav")).asset.id
        var rng = GitSplitMix(seed)
        var parents: [[Int]] = []
        var turns: [Turn] = []
        for index in 0..<160 {
            var chosen: [Int] = []
            if index > 0 {
                let roll = rng.below(100)
                if roll < 3 {
                    chosen = []  // another root
                } else if roll < 23, index > 2 {
                    // A merge of 2 or 3 distinct earlier turns.
                    while chosen.count < 2 + rng.below(2) {
                        let pick = rng.below(index)
                        if !chosen.contains(pick) { chosen.append(pick) }
                    }
                } else if roll < 70 {
                    chosen = [index - 1]  // the line goes on
                } else {
                    chosen = [rng.below(index)]  // a fork from anywhere
                }
            }
            parents.append(chosen)
            turns.append(
                Turn(
                    parents: chosen.map { turns[$0].id }, kind: "edit", instruction: "t\(index)", inputs: [],
                    output: clip,
                    model: nil, interaction: nil, settings: [:], cost: nil, author: "test",
                    createdAt: "2026-11-25T10:00:00.\(String(format: "%03d", index))Z"))
        }
        var start = 0
        while start < turns.count {
            let end = min(turns.count, start + 1 + rng.below(40))
            try store.importTurns(Array(turns[start..<end]))
            start = end
        }
        #expect(try store.read("test") { db in try ChainIndex.problems(db) } == [])

        // Every turn's ancestors, the slow way.
        var ancestors: [Set<Int>] = []
        for index in parents.indices {
            ancestors.append(parents[index].reduce(into: [index]) { $0.formUnion(ancestors[$1]) })
        }
        let hex = turns.map(\.id.hex)
        let context = "seed \(seed)"
        for _ in 0..<120 {
            let (a, b) = (rng.below(turns.count), rng.below(turns.count))
            #expect(
                try store.isAncestor(turns[a].id, of: turns[b].id) == ancestors[b].contains(a),
                "t\(a) in t\(b), \(context)")
            #expect(
                try store.countTurns([hex[a], hex[b]]) == ancestors[a].union(ancestors[b]).count,
                "count t\(a) t\(b), \(context)")
            let common = ancestors[a].intersection(ancestors[b])
            let best = common.filter { candidate in
                !common.contains { $0 != candidate && ancestors[$0].contains(candidate) }
            }
            let bases = try store.mergeBases(hex[a], hex[b]).map { id in hex.firstIndex(of: id.hex) ?? -1 }
            #expect(Set(bases) == best && bases.count == best.count, "merge-base t\(a) t\(b), \(context)")
            // ~N along first parents.
            let steps = rng.below(12)
            var walked: Int? = a
            for _ in 0..<steps { walked = walked.flatMap { parents[$0].first } }
            let resolved = try? store.resolve("\(hex[a])~\(steps)")
            #expect(resolved.map { hex.firstIndex(of: $0.hex) ?? -1 } == walked, "t\(a)~\(steps), \(context)")
        }
        #expect(try store.countTurns(hex) == turns.count)
    }
}
