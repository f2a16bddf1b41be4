#if canImport(Glibc)
    import Glibc
#endif

extension ImageHeader {
    /// The first bytes of a file (64 KiB: a JPEG's EXIF segment, and every
    /// header `dimensions` reads, sit there), or nil when it cannot be read.
    static func leadingBytes(path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 64 << 10)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return Array(bytes.prefix(count))
    }

    /// When a JPEG's EXIF says it was shot: DateTimeOriginal (0x9003), with
    /// OffsetTimeOriginal (0x9011) where the camera wrote one, as
    /// `2026-11-01T10:12:13+01:00` (no offset: `2026-11-01T10:12:13`, read
    /// as UTC). Nil when the file has no such EXIF.
    static func exifCaptureTime(_ b: [UInt8]) -> String? {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        // The markers before the image data; APP1 "Exif\0\0" holds a TIFF structure.
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xDA || marker == 0xD9 { return nil }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            if marker == 0xE1, length >= 8, Array(b[(i + 4)..<(i + 10)]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {
                return tiffCaptureTime(Array(b[(i + 10)..<(i + 2 + length)]))
            }
            i += 2 + length
        }
        return nil
    }

    private static func tiffCaptureTime(_ t: [UInt8]) -> String? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= t.count else { return nil }
            return little ? Int(t[at]) | Int(t[at + 1]) << 8 : Int(t[at]) << 8 | Int(t[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(little ? at : at + 2), let high = u16(little ? at + 2 : at) else { return nil }
            return high << 16 | low
        }
        /// The entries of the IFD at `offset`: tag → (type, count, value or offset field position).
        func entries(_ offset: Int) -> [Int: (type: Int, count: Int, field: Int)] {
            guard let n = u16(offset), n < 1000 else { return [:] }
            var found: [Int: (type: Int, count: Int, field: Int)] = [:]
            for k in 0..<n {
                let at = offset + 2 + 12 * k
                guard let tag = u16(at), let type = u16(at + 2), let count = u32(at + 4) else { break }
                found[tag] = (type, count, at + 8)
            }
            return found
        }
        func ascii(_ entry: (type: Int, count: Int, field: Int)?) -> String? {
            guard let entry, entry.type == 2, entry.count > 0, entry.count < 64 else { return nil }
            let start = entry.count <= 4 ? entry.field : (u32(entry.field) ?? -1)
            guard start >= 0, start + entry.count <= t.count else { return nil }
            let text = t[start..<(start + entry.count)].prefix { $0 != 0 }
            return String(decoding: text, as: UTF8.self)
        }
        guard u16(2) == 42, let ifd0 = u32(4),
            let exifField = entries(ifd0)[0x8769]?.field, let exifIFD = u32(exifField)
        else { return nil }
        let exif = entries(exifIFD)
        // "2026:11:01 10:12:13": the date's colons become dashes, the space a T.
        guard let original = ascii(exif[0x9003]), original.utf8.count == 19 else { return nil }
        var bytes = Array(original.utf8)
        guard bytes[4] == 58, bytes[7] == 58, bytes[10] == 32 else { return nil }
        (bytes[4], bytes[7], bytes[10]) = (45, 45, 84)
        let time = String(decoding: bytes, as: UTF8.self)
        if let offset = ascii(exif[0x9011]), offset.utf8.count == 6, offset.hasPrefix("+") || offset.hasPrefix("-") {
            return time + offset
        }
        return time
    }
}
