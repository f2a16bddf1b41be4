import Foundation

extension MediaInfo {
    /// When the footage was shot, as an RFC 3339 UTC time with milliseconds:
    /// from QuickTime's `com.apple.quicktime.creationdate` (a phone's local
    /// time with its offset), a JPEG's EXIF DateTimeOriginal (with
    /// OffsetTimeOriginal; without one, read as UTC), else the container's
    /// `creation_time` (UTC), as ffprobe reports them. Nil when the file says neither, or says
    /// 1904-01-01 or 1970-01-01 (a zero QuickTime or Unix time: unset).
    public var capturedAt: String? {
        let candidates = [tags["com.apple.quicktime.creationdate"], exifCaptureTime, tags["creation_time"]]
        for case let text? in candidates {
            guard let date = MediaInfo.parseCaptureTime(text) else { continue }
            let year = Calendar(identifier: .gregorian).dateComponents(
                in: TimeZone(secondsFromGMT: 0) ?? .current, from: date
            ).year
            if year == 1904 || year == 1970 { continue }
            return MediaInfo.utcFormatter.string(from: date)
        }
        return nil
    }

    private static var utcFormatter: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }

    /// `2026-11-01T10:12:13+0100`, `2026-11-01T09:12:13.000000Z`,
    /// `2026-11-01 09:12:13` (no zone: UTC, as FFmpeg writes it).
    static func parseCaptureTime(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (48...57).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == 45, let month = number(5..<7), bytes[7] == 45,
            let day = number(8..<10), bytes[10] == 84 || bytes[10] == 32, let hour = number(11..<13),
            bytes[13] == 58, let minute = number(14..<16), bytes[16] == 58, let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            while index < bytes.count, (48...57).contains(bytes[index]) {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count {
            switch bytes[index] {
            case 90:  // Z
                index += 1
            case 43, 45:  // + or -
                let sign = bytes[index] == 45 ? -1 : 1
                let digits = bytes[(index + 1)...].filter { $0 != 58 }
                guard digits.count == 4 || digits.count == 2,
                    let hours = Int(String(decoding: digits.prefix(2), as: UTF8.self)),
                    let minutes = digits.count == 4 ? Int(String(decoding: digits.suffix(2), as: UTF8.self)) : 0,
                    hours <= 14, minutes < 60
                else { return nil }
                offset = sign * (hours * 3600 + minutes * 60)
                index = bytes.count
            default:
                return nil
            }
        }
        guard index == bytes.count, let zone = TimeZone(secondsFromGMT: offset) else { return nil }
        var components = DateComponents()
        (components.year, components.month, components.day) = (year, month, day)
        (components.hour, components.minute, components.second) = (hour, minute, second)
        components.timeZone = zone
        guard let date = Calendar(identifier: .gregorian).date(from: components) else { return nil }
        return date.addingTimeInterval(fraction)
    }
}
