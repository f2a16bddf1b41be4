import Foundation

/// A moment in a clip, as a user writes it: seconds (`12.5`), a clock time
/// (`00:00:12.5`, `1:30`) or a share of the duration (`50%`).
public enum FrameTime: Sendable, Equatable, CustomStringConvertible {
    /// Seconds from the start of the clip.
    case seconds(Double)
    /// A fraction of the duration, 0 to 1.
    case fraction(Double)

    /// Where a thumbnail is taken when no time is given: 10% into the clip,
    /// past the fade-in or title card most clips open with.
    public static let defaultThumbnail = FrameTime.fraction(0.1)

    /// Parses `12.5`, `00:00:12.5`, `1:30` or `50%`.
    ///
    /// - Returns: nil when the text is none of those or is negative, or a
    ///   percentage is over 100.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let percent = FrameTime.number(trimmed.dropLast()), percent <= 100 else { return nil }
            self = .fraction(percent / 100)
            return
        }
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (index, part) in parts.enumerated() {
            guard let value = FrameTime.number(part) else { return nil }
            let isLast = index == parts.count - 1
            // Hours and minutes are whole; minutes and seconds after a colon stay under 60.
            if !isLast, value != value.rounded() { return nil }
            if index > 0, value >= 60 { return nil }
            total = total * 60 + value
        }
        self = .seconds(total)
    }

    /// `count` times spread evenly over a clip, each in the middle of its
    /// share (`(i + 0.5) * duration / count`), so neither the first frame
    /// (often black) nor the very end is picked.
    public static func evenlySpaced(count: Int, duration: Double) -> [Double] {
        guard count > 0 else { return [] }
        let span = max(duration, 0)
        return (0..<count).map { (Double($0) + 0.5) * span / Double(count) }
    }

    /// Seconds from the start of a clip lasting `duration` seconds; nil for a
    /// fraction when the duration is unknown.
    public func seconds(duration: Double?) -> Double? {
        switch self {
        case .seconds(let value): return value
        case .fraction(let share): return duration.map { $0 * share }
        }
    }

    public var description: String {
        switch self {
        case .seconds(let value): return FrameTime.format(value)
        case .fraction(let share): return FrameTime.format(share * 100) + "%"
        }
    }

    /// Seconds as a short decimal: `12.5`, `3`, `0.041667`.
    public static func format(_ seconds: Double) -> String {
        var text = String(format: "%.6f", seconds)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    private static func number(_ text: Substring) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            text.filter({ $0 == "." }).count <= 1, text != "."
        else { return nil }
        return Double(text)
    }
}
