import Foundation
import OmniBasics

/// The fields a metadata line can set on an asset. Each field holds a set
/// of values (`tag`) or one value (`note`, `rating`); `library` is
/// membership itself, with an empty value.
public enum MetaField: Sendable, Hashable, CustomStringConvertible {
    /// Membership of the library: an add puts the asset in, a remove takes it out.
    case library
    /// A tag; hierarchical with `/` (`brand/logo/dark`). Many per asset.
    case tag
    /// A free-text note. One per asset: the latest wins.
    case note
    /// A rating 0–5. One per asset: the latest wins.
    case rating
    /// A path the asset was added from, relative to the workspace. Many per asset.
    case path
    /// A field a newer omnistore wrote: kept in the record and replicated, not interpreted.
    case unknown(String)

    public init(name: String) {
        switch name {
        case "library": self = .library
        case "tag": self = .tag
        case "note": self = .note
        case "rating": self = .rating
        case "path": self = .path
        default: self = .unknown(name)
        }
    }

    public var name: String {
        switch self {
        case .library: "library"
        case .tag: "tag"
        case .note: "note"
        case .rating: "rating"
        case .path: "path"
        case .unknown(let name): name
        }
    }

    public var description: String { name }
}

/// One command's metadata changes: an immutable, content-addressed record
/// (`meta/<sha256>` in the store and on a remote), as git-annex keeps a log
/// of metadata lines per key. Records merge as sets (a pull takes the union),
/// and the current state is a deterministic replay of every line: for each
/// asset, field and value the latest line wins (later `at`, then the greater
/// record id, then the later line), and a removal is a line of its own, so
/// it beats an older add made elsewhere. A record is stamped after every
/// record its store already knew (a Lamport clock on top of the wall
/// clock), so a change always wins over what its author could see.
public struct MetaRecord: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public enum Operation: String, Sendable {
            case add
            case remove
        }
        public var asset: AssetID
        public var field: MetaField
        public var operation: Operation
        public var value: String

        public init(asset: AssetID, field: MetaField, operation: Operation, value: String = "") {
            self.asset = asset
            self.field = field
            self.operation = operation
            self.value = value
        }

        var json: JSONValue {
            .object([
                "asset": .string(asset.hex), "field": .string(field.name), "op": .string(operation.rawValue),
                "value": .string(value),
            ])
        }
    }

    /// RFC 3339 UTC with milliseconds.
    public var at: String
    public var author: String
    public var lines: [Line]
    /// The record as read: fields this version does not know stay in it
    /// (and in its id) when it travels on.
    private var extra: [String: JSONValue] = [:]

    public init(at: String, author: String, lines: [Line]) {
        self.at = at
        self.author = author
        self.lines = lines
    }

    /// The lines as read (with any line or key this version cannot
    /// interpret): they stay in the record, and its id, when it travels on.
    private var rawLines: [JSONValue]? = nil

    /// The canonical bytes; the record's id is their SHA-256.
    public var canonicalText: String {
        var fields = extra
        fields["at"] = .string(at)
        fields["author"] = .string(author)
        fields["lines"] = .array(rawLines ?? lines.map(\.json))
        return CanonicalJSON.text(.object(fields))
    }

    public var id: String { CanonicalJSON.hexDigest(Array(canonicalText.utf8)) }

    /// Reads a record leniently: a line this version cannot read (a bad
    /// asset id, an unknown op) is skipped but kept, and so are unknown fields.
    public init(json: JSONValue) throws(StoreError) {
        guard case .object(var fields) = json, let at = fields["at"]?.stringValue,
            let lines = fields["lines"]?.arrayValue
        else {
            throw StoreError(.corrupt, "a metadata record has no 'at' or 'lines'")
        }
        self.at = at
        self.author = fields["author"]?.stringValue ?? ""
        self.lines = lines.compactMap { line in
            guard let asset = line["asset"]?.stringValue.flatMap(AssetID.init),
                let field = line["field"]?.stringValue,
                let operation = line["op"]?.stringValue.flatMap(Line.Operation.init(rawValue:))
            else { return nil }
            return Line(
                asset: asset, field: MetaField(name: field), operation: operation,
                value: line["value"]?.stringValue ?? "")
        }
        // Records are immutable: what was read is what travels on, whole.
        rawLines = lines
        fields["at"] = nil
        fields["author"] = nil
        fields["lines"] = nil
        extra = fields
    }
}
