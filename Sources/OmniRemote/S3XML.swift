/// Just enough XML for S3's answers: the text of simple elements.
///
/// S3 responses are flat and machine-written, so finding `<Tag>…</Tag>`
/// pairs is exact for the elements read here (keys, sizes, ids, tokens).
enum S3XML {
    /// The texts of every `<tag>…</tag>` in order, unescaped.
    static func values(_ tag: String, in text: String) -> [String] {
        blocks(tag, in: text).map(unescape)
    }

    static func value(_ tag: String, in text: String) -> String? {
        values(tag, in: text).first
    }

    /// The raw inner texts of every `<tag>…</tag>`.
    static func blocks(_ tag: String, in text: String) -> [String] {
        var found: [String] = []
        let open = "<\(tag)>"
        let close = "</\(tag)>"
        var rest = text[...]
        while let start = rest.range(of: open) {
            let after = rest[start.upperBound...]
            guard let end = after.range(of: close) else { break }
            found.append(String(after[..<end.lowerBound]))
            rest = after[end.upperBound...]
        }
        return found
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#34;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
