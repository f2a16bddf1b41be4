import ArgumentParser
import OmniStore

struct DupesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dupes",
        abstract: "List sets of images or clips that look alike (near-duplicates).",
        discussion: """
            Looks are PDQ hashes (Meta's), of a picture or of a clip's frames sampled about once a \
            second, made on first need and cached. The distance is in bits of 256, as hydrus's levels: \
            0 the same picture (another format or size), 8 near-identical, 16 close, 31 (the default, \
            Meta's match) re-encodes, resizes and small edits; unrelated pictures are about 128 apart. \
            Clips match when 80% of one clip's frames each match a frame of the other, and only at \
            durations within 80% of each other. Incremental: each asset is searched once at a distance, so a second run searches \
            only what was added since. Robust to re-encoding and resizing; not to crops (a 5% crop \
            moves a picture 34 to 52), borders, or mirrored pictures.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The largest distance within a set, 0 to 256 bits (default 31).", valueName: "N"))
    var distance: Int = PDQ.matchDistance

    func validate() throws {
        if !(0...256).contains(distance) { throw ValidationError("--distance takes 0 to 256 bits, not \(distance)") }
    }

    func run() throws {
        let line = ProgressLine()
        let report = try global.openStore().dupes(within: distance, progress: LooksText.progress(line))
        line.finish()
        if global.json {
            Terminal.json(LooksText.json(report))
            return
        }
        let sets = report.sets.count == 1 ? "1 set" : "\(report.sets.count) sets"
        Terminal.out("\(sets) of near-duplicates within distance \(report.distance)")
        for (index, set) in report.sets.enumerated() {
            Terminal.out("")
            Terminal.out("set \(index + 1)")
            Formatting.table(set.members.map { ["  " + String($0.nearest)] + Formatting.assetRow($0.asset) })
                .forEach(Terminal.out)
        }
    }
}

extension LooksText {
    /// `dupes --json`: the distance, how many assets were searched, and the sets.
    static func json(_ report: DupesReport) -> JSONValue {
        .object([
            "distance": .int(Int64(report.distance)),
            "searched": .int(Int64(report.searched)),
            "sets": .array(
                report.sets.map { set in
                    .object([
                        "assets": .array(
                            set.members.map { member in
                                .object([
                                    "id": .string(member.asset.id.hex),
                                    "kind": .string(member.asset.kind.rawValue),
                                    "path": member.asset.paths.first.map(JSONValue.string) ?? .null,
                                    "nearest": .int(Int64(member.nearest)),
                                ])
                            })
                    ])
                }),
        ])
    }
}
