/// What made a turn. The set is closed for this version, but a record from a
/// newer omnistore may name a kind this one has never heard of: it is kept as
/// ``unknown(_:)``, shown as its name, and written back byte for byte, so the
/// turn keeps its id.
public enum TurnKind: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// A clip recorded by hand (`omnistore record`).
    case record
    /// A clip made from a prompt and references, with no parent clip.
    case generate
    /// A change to the parent's clip that keeps the rest.
    case edit
    /// The parent's clip with its speech in another language.
    case translate
    /// The parent's clip made longer.
    case extend
    /// A kind named by a newer version.
    case unknown(String)

    /// The kinds this version knows, in the order they are documented.
    public static let known: [TurnKind] = [.record, .generate, .edit, .translate, .extend]

    public init(_ name: String) {
        self = Self.known.first { $0.name == name } ?? .unknown(name)
    }

    public init(stringLiteral name: String) { self.init(name) }

    /// The name written in the record (`"edit"`).
    public var name: String {
        switch self {
        case .record: "record"
        case .generate: "generate"
        case .edit: "edit"
        case .translate: "translate"
        case .extend: "extend"
        case .unknown(let name): name
        }
    }

    /// Kinds are equal by name, so `.unknown("edit")` is `.edit`.
    public static func == (a: TurnKind, b: TurnKind) -> Bool { a.name == b.name }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    public var description: String { name }
}
