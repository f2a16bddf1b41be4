/// Media types for the containers libavformat names.
enum MimeType {
    static func guess(
        formatName: String, kind: MediaKind, streams: [StreamInfo], tags: [String: String], nameHint: String
    ) -> String {
        let ext = nameHint.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch formatName {
        case "mov,mp4,m4a,3gp,3g2,mj2":
            let brand = (tags["major_brand"] ?? "").trimmingCharacters(in: " ")
            if brand == "qt" || ext == "mov" { return "video/quicktime" }
            if brand.hasPrefix("3gp") || ext == "3gp" { return kind == .audio ? "audio/3gpp" : "video/3gpp" }
            return kind == .audio ? "audio/mp4" : "video/mp4"
        case "matroska,webm":
            let webmCodecs: Set<String> = ["vp8", "vp9", "av1", "opus", "vorbis", "webvtt"]
            let allWebM = streams.allSatisfy { $0.codec.map(webmCodecs.contains) ?? true }
            if ext == "webm" || (ext != "mkv" && ext != "mka" && allWebM) {
                return kind == .audio ? "audio/webm" : "video/webm"
            }
            return kind == .audio ? "audio/x-matroska" : "video/x-matroska"
        case "ogg": return kind == .audio ? "audio/ogg" : "video/ogg"
        case "avi": return "video/x-msvideo"
        case "mpegts": return "video/mp2t"
        case "mpeg": return "video/mpeg"
        case "flv": return "video/x-flv"
        case "asf": return "video/x-ms-asf"
        case "wav": return "audio/wav"
        case "mp3": return "audio/mpeg"
        case "flac": return "audio/flac"
        case "aac": return "audio/aac"
        case "aiff": return "audio/aiff"
        case "png_pipe", "apng": return formatName == "apng" ? "image/apng" : "image/png"
        case "jpeg_pipe": return "image/jpeg"
        case "webp_pipe": return "image/webp"
        case "bmp_pipe": return "image/bmp"
        case "tiff_pipe": return "image/tiff"
        case "gif": return "image/gif"
        default:
            switch streams.first?.codec {
            case "png": return "image/png"
            case "mjpeg": return "image/jpeg"
            case "webp": return "image/webp"
            default: return "application/octet-stream"
            }
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
