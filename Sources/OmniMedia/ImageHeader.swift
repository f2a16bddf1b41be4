import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A still image's size, read from its header alone (PNG's IHDR, JPEG's
/// start-of-frame marker, WebP's VP8/VP8L/VP8X chunk), before anything is
/// decoded: libavformat learns an image's size by decoding it, and a crafted
/// 16000x16000 PNG with a few bytes of data would cost a gigabyte.
enum ImageHeader {
    /// The width and height the header declares, or nil when the file is
    /// none of these formats (or its header is cut short).
    static func dimensions(path: String) -> (width: Int, height: Int)? {
        leadingBytes(path: path).flatMap(dimensions)
    }

    static func dimensions(_ b: [UInt8]) -> (width: Int, height: Int)? {
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        func be16(_ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
        func le16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func le24(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 }
        // PNG: signature, then the IHDR chunk's width and height.
        if b.count >= 24, b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            b[12...15].elementsEqual(Array("IHDR".utf8))
        {
            return (be32(16), be32(20))
        }
        // JPEG: walk the markers to the first start-of-frame (SOF0-SOF15 but DHT, JPG and DAC).
        if b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 {
            var i = 2
            while i + 9 < b.count {
                guard b[i] == 0xFF else { return nil }
                let marker = b[i + 1]
                if marker == 0xFF { i += 1; continue }
                if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
                let length = be16(i + 2)
                if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                    return (be16(i + 7), be16(i + 5))
                }
                if marker == 0xDA || length < 2 { return nil }
                i += 2 + length
            }
            return nil
        }
        // WebP: RIFF....WEBP, then the first chunk.
        if b.count >= 30, b.starts(with: Array("RIFF".utf8)), b[8...11].elementsEqual(Array("WEBP".utf8)) {
            let chunk = String(decoding: b[12...15], as: UTF8.self)
            switch chunk {
            case "VP8 ": return (le16(26) & 0x3FFF, le16(28) & 0x3FFF)
            case "VP8L":
                let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
                return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
            case "VP8X": return (le24(24) + 1, le24(27) + 1)
            default: return nil
            }
        }
        return nil
    }
}
