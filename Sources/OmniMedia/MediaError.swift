internal import CFFmpeg

/// An error from decoding or probing media.
///
/// The message names the file and the reason in a form that can be shown to a
/// user as is.
public struct MediaError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in broad terms.
    public enum Code: Sendable, Equatable {
        /// The file could not be read at all (missing, unreadable).
        case unreadable
        /// libavformat could not recognise the bytes as media.
        case notMedia
        /// The media was recognised but is damaged or unsupported.
        case invalidMedia
        /// The media declares dimensions or sizes beyond safe limits.
        case limitExceeded
        /// A request was outside the media, such as a time past its end.
        case outOfRange
        /// An internal libav failure such as an allocation.
        case library
    }

    public let code: Code
    public let path: String?
    public let message: String
    /// The FFmpeg error code, when there was one.
    public let avCode: Int32?

    public init(_ code: Code, path: String?, _ message: String, avCode: Int32? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.avCode = avCode
    }

    public var description: String {
        if let path { return "'\(path)': \(message)" }
        return message
    }
}

/// FFmpeg's text for an error code, such as "Invalid data found when processing input".
///
/// The corresponding C function is `av_strerror`.
func avErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    av_strerror(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Turns a negative libav return code into a ``MediaError``; every libav call in
/// this module goes through here.
@discardableResult
func check(
    _ result: Int32, _ code: MediaError.Code, path: String?, _ what: @autoclosure () -> String
) throws(MediaError) -> Int32 {
    guard result < 0 else { return result }
    throw MediaError(code, path: path, "\(what()) (\(avErrorText(result)))", avCode: result)
}
