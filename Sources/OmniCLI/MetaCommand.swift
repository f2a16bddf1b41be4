import ArgumentParser
import OmniStore

struct MetaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meta",
        abstract: "Tag, note and rate assets, or show their metadata.",
        discussion: """
            Metadata belongs to an asset's content, not to a path, as in git-annex: the same bytes \
            added from two places share their tags. Assets are named by id (or a unique prefix) or by a \
            path they were added from. One call is one record: tagging 10,000 assets writes one file. \
            Records merge as sets, so two people who tag offline never conflict: for each tag, note \
            and rating the latest change wins, and a removal is a change of its own. With no change \
            given, meta shows each asset's tags, note and rating. Tags are hierarchical with '/' \
            (brand/logo/dark); 'assets --tag brand' finds them all.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The assets.", valueName: "ASSET|PATH"))
    var names: [String] = []

    @Option(name: .customLong("tag"), help: ArgumentHelp("Add a tag (repeatable).", valueName: "TAG"))
    var tags: [String] = []

    @Option(name: .customLong("untag"), help: ArgumentHelp("Remove a tag (repeatable).", valueName: "TAG"))
    var untags: [String] = []

    @Option(help: ArgumentHelp("Set the note (an empty one clears it).", valueName: "TEXT"))
    var note: String?

    @Option(help: ArgumentHelp("Set the rating, 0 to 5.", valueName: "0-5"))
    var rate: Int?

    @Flag(help: "Clear the rating.")
    var unrate = false

    func validate() throws {
        if names.isEmpty { throw ValidationError("give at least one asset id or path") }
        for tag in tags + untags {
            if let problem = Store.tagProblem(tag) { throw ValidationError(problem) }
        }
        if let rate, !(0...5).contains(rate) { throw ValidationError("--rate takes 0 to 5, not \(rate)") }
        if rate != nil && unrate { throw ValidationError("give --rate or --unrate, not both") }
    }

    var changes: [MetadataChange] {
        var changes = tags.map(MetadataChange.tag) + untags.map(MetadataChange.untag)
        if let note { changes.append(.note(note.isEmpty ? nil : note)) }
        if let rate { changes.append(.rating(rate)) }
        if unrate { changes.append(.rating(nil)) }
        return changes
    }

    func run() throws {
        let store = try global.openStore()
        let record = try store.changeMetadata(of: names, changes)
        var seen: Set<AssetID> = []
        let ids = try names.map { try store.assetNamed($0) }.filter { seen.insert($0).inserted }
        let shown = try ids.map { ($0, try store.metadata(of: $0)) }
        if global.json {
            Terminal.json(
                .object([
                    "record": JSONValue(record?.id),
                    "assets": .array(
                        shown.map { id, meta in
                            var object = meta.json
                            if case .object(var fields) = object {
                                fields["id"] = .string(id.hex)
                                object = .object(fields)
                            }
                            return object
                        }),
                ]))
            return
        }
        for (id, meta) in shown {
            var parts = [id.short]
            parts.append(meta.tags.isEmpty ? "no tags" : meta.tags.joined(separator: ", "))
            if let rating = meta.rating { parts.append(String(repeating: "★", count: rating) + " (\(rating)/5)") }
            if let note = meta.note { parts.append("note: \(BranchName.printable(note))") }
            Terminal.out(parts.joined(separator: "  "))
        }
    }
}
