/// The broad class of an asset, decided from its probe.
public enum MediaKind: String, Sendable, Codable, CaseIterable {
    /// A still picture: png, jpeg, webp, bmp, tiff or a one-frame gif.
    case image
    /// Anything with a moving video stream (an animated gif included).
    case video
    /// Audio only; cover art does not make it a video.
    case audio
}
