import Foundation

/// The one text form of times in the store and in JSON: RFC 3339 in UTC with
/// milliseconds, which also sorts as text.
package enum Timestamp {
    /// Rounds to the millisecond first: Foundation's formatter truncates, and
    /// binary fractions such as .001 would otherwise print as .000.
    package static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = milliseconds / 1000
        var fraction = milliseconds % 1000
        if fraction < 0 {
            fraction += 1000
            seconds -= 1
        }
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds))
            .formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        return String(whole.dropLast()) + String(format: ".%03dZ", fraction)
    }

    package static func parse(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text)
    }
}
