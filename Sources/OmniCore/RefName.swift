/// A branch name, checked against git's `check-ref-format` rules.
public struct BranchName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The short name, such as `main` or `style/noir`.
    public let name: String

    /// The full ref, such as `refs/heads/main`.
    public var ref: String { "refs/heads/" + name }

    public var description: String { name }

    /// Validates `name`.
    ///
    /// - Throws: ``StoreError`` `.invalidArgument` with the rule it breaks.
    public init(_ name: String) throws {
        if let problem = BranchName.problem(name) {
            throw StoreError(.invalidArgument, "'\(BranchName.printable(name))' is not a valid branch name: \(problem)")
        }
        self.name = name
    }

    package init(trusted name: String) {
        self.name = name
    }

    /// The branch named by a full ref, if it is under `refs/heads/`.
    package init?(ref: String) {
        guard ref.hasPrefix("refs/heads/") else { return nil }
        name = String(ref.dropFirst("refs/heads/".count))
    }

    public static func < (lhs: BranchName, rhs: BranchName) -> Bool {
        Array(lhs.name.utf8).lexicographicallyPrecedes(Array(rhs.name.utf8))
    }

    /// The first rule `name` breaks, or nil if it is valid.
    package static func problem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "@" { return "'@' alone is reserved" }
        if name == "HEAD" { return "HEAD is reserved" }
        if name.hasPrefix("-") { return "it starts with '-'" }
        if name.hasPrefix("/") || name.hasSuffix("/") { return "it starts or ends with '/'" }
        if name.contains("//") { return "it contains '//'" }
        if name.contains("..") { return "it contains '..'" }
        if name.contains("@{") { return "it contains '@{'" }
        if name.hasSuffix(".") { return "it ends with '.'" }
        for scalar in name.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F { return "it contains a control character" }
            if scalar == " " { return "it contains a space" }
            if "~^:?*[\\".unicodeScalars.contains(scalar) { return "it contains '\(scalar)'" }
        }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            if component.hasPrefix(".") { return "a part starts with '.'" }
            if component.hasSuffix(".lock") { return "a part ends with '.lock'" }
        }
        return nil
    }

    /// `name` with control characters made visible, for error messages.
    package static func printable(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return name.unicodeScalars.count > 80 ? out + "…" : out
    }
}
