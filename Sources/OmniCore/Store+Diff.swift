import GRDB
import OmniMedia

extension Store {
    /// Compares two revisions the way `git diff A B` reads: what B changes relative to A.
    public func diff(_ a: String, _ b: String) throws -> TurnDiff {
        let (idA, idB, bases, onlyA, onlyB) = try read("cannot compare '\(a)' and '\(b)'") { db in
            let graph = TurnGraph(db)
            let seqA = try Store.resolveSeq(db, a)
            let seqB = try Store.resolveSeq(db, b)
            let bases = try graph.mergeBases(seqA, seqB).map { try graph.node($0).id }
            let onlyA = try graph.onlyReachable(from: [seqA], notFrom: [seqB]).map {
                try Store.logEntry(db, graph.node($0), graph)
            }
            let onlyB = try graph.onlyReachable(from: [seqB], notFrom: [seqA]).map {
                try Store.logEntry(db, graph.node($0), graph)
            }
            return (try graph.node(seqA).id, try graph.node(seqB).id, bases, onlyA, onlyB)
        }
        let turnA = try turn(idA)
        let turnB = try turn(idB)
        let inputsA = Set(turnA.inputs.map { $0.asset })
        let inputsB = Set(turnB.inputs.map { $0.asset })

        var settings: [TurnDiff.Change] = []
        if turnA.model != turnB.model {
            settings.append(
                .init(field: "model", old: turnA.model.map(JSONValue.string), new: turnB.model.map(JSONValue.string)))
        }
        if turnA.kind != turnB.kind {
            settings.append(.init(field: "kind", old: .string(turnA.kind.name), new: .string(turnB.kind.name)))
        }
        for key in Set(turnA.settings.keys).union(turnB.settings.keys).sorted()
        where turnA.settings[key] != turnB.settings[key] {
            settings.append(.init(field: key, old: turnA.settings[key], new: turnB.settings[key]))
        }
        return TurnDiff(
            a: turnA, b: turnB, mergeBases: bases, onlyA: onlyA, onlyB: onlyB,
            inputsAdded: turnB.inputs.filter { !inputsA.contains($0.asset) },
            inputsRemoved: turnA.inputs.filter { !inputsB.contains($0.asset) },
            settingChanges: settings,
            mediaChanges: try mediaChanges(turnA.output, turnB.output),
            costA: onlyA.reduce(0) { $0 + ($1.costUSD ?? 0) },
            costB: onlyB.reduce(0) { $0 + ($1.costUSD ?? 0) })
    }

    private func mediaChanges(_ a: AssetID, _ b: AssetID) throws -> [TurnDiff.Change] {
        guard a != b else { return [] }
        let assetA = try asset(id: a)
        let assetB = try asset(id: b)
        var changes: [TurnDiff.Change] = [.init(field: "output", old: .string(a.hex), new: .string(b.hex))]
        func compare(_ field: String, _ old: JSONValue, _ new: JSONValue) {
            if old != new { changes.append(.init(field: field, old: old, new: new)) }
        }
        func rounded(_ value: Double?, _ places: Double) -> JSONValue {
            value.map { .double(($0 * places).rounded() / places) } ?? .null
        }
        compare("format", .string(assetA.format), .string(assetB.format))
        compare("duration", rounded(assetA.duration, 1000), rounded(assetB.duration, 1000))
        compare("resolution", JSONValue(assetA.dimensions), JSONValue(assetB.dimensions))
        compare("fps", rounded(assetA.fps, 1000), rounded(assetB.fps, 1000))
        compare("video_codec", JSONValue(assetA.media.primaryVideo?.codec), JSONValue(assetB.media.primaryVideo?.codec))
        compare("bit_rate", JSONValue(assetA.bitRate), JSONValue(assetB.bitRate))
        compare("size", .int(assetA.size), .int(assetB.size))
        func audio(_ asset: Asset) -> JSONValue {
            .array(
                asset.media.streams.filter { $0.type == .audio }.map {
                    .string(
                        [
                            $0.codec, $0.sampleRate.map { "\($0) Hz" },
                            $0.channelLayout ?? $0.channels.map { "\($0) ch" },
                        ]
                        .compactMap { $0 }.joined(separator: " "))
                })
        }
        compare("audio", audio(assetA), audio(assetB))
        return changes
    }
}
