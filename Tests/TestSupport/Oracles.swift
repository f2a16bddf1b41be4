import Foundation

/// One stream as `ffprobe -of json -show_format -show_streams` reports it.
public struct FFprobeStream: Sendable {
    public var index: Int
    /// `codec_type`: video, audio, subtitle, data, attachment.
    public var codecType: String
    public var codecName: String?
    /// nil when ffprobe prints no profile name.
    public var profile: String?
    public var width: Int?
    public var height: Int?
    public var pixFmt: String?
    /// `avg_frame_rate` as a number; nil for `0/0`.
    public var avgFrameRate: Double?
    public var nbFrames: Int64?
    /// `side_data_list[].rotation` of the display matrix, if any.
    public var rotation: Double?
    public var sampleRate: Int?
    public var channels: Int?
    public var channelLayout: String?
    public var bitRate: Int64?
    public var language: String?
    public var attachedPic: Bool
}

/// What ffprobe says about a file: the oracle for every probe field.
public struct FFprobeReport: Sendable {
    public var formatName: String
    public var duration: Double?
    public var bitRate: Int64?
    public var size: Int64?
    public var tags: [String: String]
    public var streams: [FFprobeStream]

    /// The stream that best represents the picture: the first video stream
    /// that is not cover art.
    public var primaryVideo: FFprobeStream? {
        streams.first { $0.codecType == "video" && !$0.attachedPic }
    }

    public init(json data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let format = root["format"] as? [String: Any]
        else { throw TestSupportError("ffprobe printed no format object") }
        formatName = format["format_name"] as? String ?? ""
        duration = JSONNumbers.double(format["duration"])
        bitRate = JSONNumbers.int64(format["bit_rate"])
        size = JSONNumbers.int64(format["size"])
        tags = (format["tags"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        streams = (root["streams"] as? [[String: Any]] ?? []).map { s in
            let disposition = s["disposition"] as? [String: Any] ?? [:]
            let streamTags = s["tags"] as? [String: Any] ?? [:]
            var rotation: Double? = nil
            for side in s["side_data_list"] as? [[String: Any]] ?? [] {
                if let value = JSONNumbers.double(side["rotation"]) { rotation = value }
            }
            let profile = s["profile"] as? String
            return FFprobeStream(
                index: JSONNumbers.int(s["index"]) ?? -1,
                codecType: s["codec_type"] as? String ?? "unknown",
                codecName: s["codec_name"] as? String,
                // ffprobe prints the number when a profile has no name, and
                // "unknown" when there is none; both mean "no profile name".
                profile: profile.flatMap { $0 == "unknown" || Int($0) != nil ? nil : $0 },
                width: JSONNumbers.int(s["width"]),
                height: JSONNumbers.int(s["height"]),
                pixFmt: s["pix_fmt"] as? String,
                avgFrameRate: JSONNumbers.rational(s["avg_frame_rate"]),
                nbFrames: JSONNumbers.int64(s["nb_frames"]),
                rotation: rotation,
                sampleRate: JSONNumbers.int(s["sample_rate"]),
                channels: JSONNumbers.int(s["channels"]),
                channelLayout: s["channel_layout"] as? String,
                bitRate: JSONNumbers.int64(s["bit_rate"]),
                language: streamTags["language"] as? String,
                attachedPic: JSONNumbers.int(disposition["attached_pic"]) == 1)
        }
    }
}

public enum FFprobe {
    /// Runs `ffprobe -of json -show_format -show_streams` on `path`.
    public static func report(_ path: String) async throws -> FFprobeReport {
        let result = try await Tool.check(
            "ffprobe", ["-v", "error", "-of", "json", "-show_format", "-show_streams", path])
        return try FFprobeReport(json: result.stdoutData)
    }
}

public enum SHA256Sum {
    /// `sha256sum`'s digests of the files, in the same order.
    public static func hashes(_ paths: [String]) async throws -> [String] {
        if paths.isEmpty { return [] }
        var digests: [String] = []
        // Chunks keep the argument list well under the kernel's limit.
        var start = 0
        while start < paths.count {
            let chunk = Array(paths[start..<min(start + 500, paths.count)])
            let result = try await Tool.check("sha256sum", ["--"] + chunk)
            let lines = result.stdoutLines
            guard lines.count == chunk.count else {
                throw TestSupportError("sha256sum printed \(lines.count) lines for \(chunk.count) files")
            }
            for line in lines {
                // Names with a backslash or newline are printed with a leading '\'.
                let hex = line.drop { $0 == "\\" }.prefix(64)
                guard hex.count == 64 else { throw TestSupportError("unexpected sha256sum line: \(line)") }
                digests.append(String(hex))
            }
            start += chunk.count
        }
        return digests
    }

    public static func hash(_ path: String) async throws -> String {
        try await hashes([path])[0]
    }
}

/// Reading numbers out of `JSONSerialization` results, where ffprobe writes
/// many of them as strings.
public enum JSONNumbers {
    public static func double(_ value: Any?) -> Double? {
        switch value {
        case let number as NSNumber: return number.doubleValue
        case let text as String: return Double(text)
        default: return nil
        }
    }

    public static func int64(_ value: Any?) -> Int64? {
        switch value {
        case let number as NSNumber:
            let d = number.doubleValue
            return d == d.rounded() ? number.int64Value : nil
        case let text as String: return Int64(text)
        default: return nil
        }
    }

    public static func int(_ value: Any?) -> Int? {
        int64(value).map(Int.init)
    }

    /// "25/1" as 25.0; nil for "0/0" or a zero numerator.
    public static func rational(_ value: Any?) -> Double? {
        guard let text = value as? String else { return nil }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let num = Double(parts[0]), let den = Double(parts[1]), den != 0, num != 0 else {
            return nil
        }
        return num / den
    }
}

/// Parsing command output as JSON.
public enum JSONText {
    public static func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    public static func object(_ text: String) throws -> [String: Any] {
        guard let object = try parse(text) as? [String: Any] else {
            throw TestSupportError("expected a JSON object, got: \(text.prefix(200))")
        }
        return object
    }

    public static func array(_ text: String) throws -> [Any] {
        guard let array = try parse(text) as? [Any] else {
            throw TestSupportError("expected a JSON array, got: \(text.prefix(200))")
        }
        return array
    }
}
