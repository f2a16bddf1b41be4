import OmniCore

/// The media types the Interactions API documents for input parts, and how a
/// stored asset's type maps onto them.
///
/// A store keeps the IANA type libavformat's container implies
/// (`video/quicktime` for a phone's `.mov`); the API names some of them its
/// own way (`video/mov`) and refuses the rest, so the type sent is this view
/// of it. The table is the reference's list: image/png|jpeg|webp|heic|heif|
/// gif|bmp|tiff and video/mp4|mpeg|mpg|mov|avi|x-flv|webm|wmv|3gpp.
enum APIMediaType {
    /// The type to send for a stored type, or nil when the API takes none like it.
    static func wire(for stored: String) -> String? {
        switch stored {
        case "video/mp4", "video/mpeg", "video/webm", "video/3gpp", "video/x-flv": return stored
        case "video/quicktime": return "video/mov"
        case "video/x-msvideo", "video/avi": return "video/avi"
        case "video/x-ms-asf", "video/x-ms-wmv": return "video/wmv"
        case "image/png", "image/jpeg", "image/webp", "image/heic", "image/heif", "image/gif", "image/bmp",
            "image/tiff":
            return stored
        default: return nil
        }
    }

    /// What to call a container in a refusal.
    static func containerName(_ stored: String) -> String {
        switch stored {
        case "video/mp2t": return "MPEG-TS"
        case "video/x-matroska": return "Matroska"
        case "video/ogg": return "Ogg"
        case "image/apng": return "APNG"
        default: return stored
        }
    }
}
