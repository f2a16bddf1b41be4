/// The picture formats frames are written in.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case png
    case jpeg

    /// `png` or `jpg`.
    public var fileExtension: String {
        switch self {
        case .png: return "png"
        case .jpeg: return "jpg"
        }
    }

    /// Parses `png`, `jpg` or `jpeg` (any case).
    public init?(name: String) {
        switch name.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }

    /// The format a file name asks for by its extension, if it names one.
    public init?(pathExtensionOf path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        self.init(name: String(path[path.index(after: dot)...]))
    }

    /// Whether `bytes` look like a whole file of this format: the signature
    /// at the start and the end marker at the end, so a cut-short file is
    /// never taken for a good one.
    public func looksComplete(_ bytes: [UInt8]) -> Bool {
        switch self {
        case .png:
            let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            let end: [UInt8] = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
            return bytes.count > 33 && Array(bytes.prefix(8)) == signature && Array(bytes.suffix(8)) == end
        case .jpeg:
            return bytes.count > 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[bytes.count - 2] == 0xFF
                && bytes[bytes.count - 1] == 0xD9
        }
    }

    /// The picture size recorded in a PNG's header or a JPEG's frame marker.
    public func dimensions(of bytes: [UInt8]) -> (width: Int, height: Int)? {
        func big(_ offset: Int, _ count: Int) -> Int {
            (offset..<offset + count).reduce(0) { $0 << 8 | Int(bytes[$1]) }
        }
        switch self {
        case .png:
            guard bytes.count >= 24 else { return nil }
            return (big(16, 4), big(20, 4))
        case .jpeg:
            var offset = 2
            while offset + 9 < bytes.count {
                guard bytes[offset] == 0xFF else { return nil }
                let marker = bytes[offset + 1]
                let length = big(offset + 2, 2)
                // SOF0..SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    return (big(offset + 7, 2), big(offset + 5, 2))
                }
                offset += 2 + length
            }
            return nil
        }
    }
}
