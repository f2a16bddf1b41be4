import Foundation

/// Mutations of real media files for fuzzing the probe: bit flips,
/// truncation, spliced headers, repeated and blanked ranges, and huge declared
/// sizes patched into the fields demuxers trust (PNG IHDR, JPEG SOF, GIF screen,
/// MP4 tkhd/sample entries/box sizes/sample tables, Matroska element sizes and
/// pixel sizes, WAV chunk sizes and format, ID3 sizes).
public enum MediaMutator {
    /// One mutated input: its bytes, the file extension to give it, and what was done.
    public struct Case: Sendable {
        public let data: Data
        public let fileExtension: String
        public let description: String
    }

    /// A seed file: its bytes and extension (`mp4`, `png`, …).
    public struct Seed: Sendable {
        public let data: Data
        public let fileExtension: String
        public init(data: Data, fileExtension: String) {
            self.data = data
            self.fileExtension = fileExtension
        }
    }

    /// Makes one case from `seeds`, chaining one to three mutations.
    public static func makeCase(_ seeds: [Seed], using random: inout ReliabilityRandom) -> Case {
        let seed = seeds[Int.random(in: 0..<seeds.count, using: &random)]
        var bytes = [UInt8](seed.data)
        var steps: [String] = []
        let count = Int.random(in: 1...3, using: &random)
        for _ in 0..<count {
            let other = [UInt8](seeds[Int.random(in: 0..<seeds.count, using: &random)].data)
            steps.append(mutate(&bytes, fileExtension: seed.fileExtension, other: other, using: &random))
        }
        var fileExtension = seed.fileExtension
        // Sometimes the name lies about the format, as downloads do.
        if Int.random(in: 0..<10, using: &random) == 0 {
            fileExtension = seeds[Int.random(in: 0..<seeds.count, using: &random)].fileExtension
            steps.append("named .\(fileExtension)")
        }
        return Case(
            data: Data(bytes), fileExtension: fileExtension,
            description: "\(seed.fileExtension): " + steps.joined(separator: ", "))
    }

    /// Applies one random mutation in place and says what it did.
    public static func mutate(
        _ bytes: inout [UInt8], fileExtension: String, other: [UInt8], using random: inout ReliabilityRandom
    ) -> String {
        if bytes.isEmpty {
            bytes = Array(other.prefix(Int.random(in: 0...min(other.count, 512), using: &random)))
            return "refilled from another header"
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<28: return flipBits(&bytes, using: &random)
        case 28..<43: return truncateBytes(&bytes, using: &random)
        case 43..<53: return spliceHeader(&bytes, other: other, using: &random)
        case 53..<58: return repeatRange(&bytes, using: &random)
        case 58..<63: return blankRange(&bytes, using: &random)
        default: return hugeSize(&bytes, fileExtension: fileExtension, using: &random)
        }
    }

    // MARK: - Generic

    static func flipBits(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String {
        let flips = Int.random(in: 1...16, using: &random)
        var offsets: [Int] = []
        for _ in 0..<flips {
            // Half the flips land in the first 512 bytes, where headers are.
            let limit = Bool.random(using: &random) ? min(bytes.count, 512) : bytes.count
            let offset = Int.random(in: 0..<limit, using: &random)
            bytes[offset] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            offsets.append(offset)
        }
        return
            "flipped \(flips) bit(s) at \(offsets.prefix(4).map(String.init).joined(separator: ","))\(flips > 4 ? ",…" : "")"
    }

    static func truncateBytes(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String {
        let limit = Bool.random(using: &random) ? min(bytes.count, 2048) : bytes.count
        let length = Int.random(in: 0..<max(limit, 1), using: &random)
        bytes.removeSubrange(length...)
        return "truncated to \(length)"
    }

    static func spliceHeader(_ bytes: inout [UInt8], other: [UInt8], using random: inout ReliabilityRandom) -> String {
        guard !other.isEmpty else { return truncateBytes(&bytes, using: &random) }
        let head = Int.random(in: 1...min(other.count, 2048), using: &random)
        if Bool.random(using: &random) {
            // Another file's header in front of this file's body.
            let cut = Int.random(in: 0..<bytes.count, using: &random)
            bytes = Array(other.prefix(head)) + bytes[cut...]
            return "spliced \(head) header bytes of another file before offset \(cut)"
        }
        // This file's header, then another file's body.
        let keep = Int.random(in: 1...min(bytes.count, 2048), using: &random)
        let from = Int.random(in: 0..<other.count, using: &random)
        bytes = Array(bytes.prefix(keep)) + other[from...]
        return "kept \(keep) header bytes, then another file from \(from)"
    }

    static func repeatRange(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String {
        let start = Int.random(in: 0..<bytes.count, using: &random)
        let length = Int.random(in: 1...min(bytes.count - start, 256), using: &random)
        let times = Int.random(in: 2...200, using: &random)
        let slice = Array(bytes[start..<start + length])
        var repeated: [UInt8] = []
        repeated.reserveCapacity(slice.count * times)
        for _ in 0..<times { repeated += slice }
        bytes.insert(contentsOf: repeated, at: start)
        return "repeated \(length) bytes at \(start) \(times) times"
    }

    static func blankRange(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String {
        let start = Int.random(in: 0..<bytes.count, using: &random)
        let length = Int.random(in: 1...min(bytes.count - start, 4096), using: &random)
        let value: UInt8 = Bool.random(using: &random) ? 0x00 : 0xFF
        for i in start..<start + length { bytes[i] = value }
        return "set \(length) bytes at \(start) to \(value)"
    }

    // MARK: - Huge declared sizes

    static let hugeValues: [UInt32] = [100_000, 0x7FFF_FFFF, 0xFFFF_FFFF, 0xFFFF_0000, 0, 1]

    static func hugeSize(_ bytes: inout [UInt8], fileExtension: String, using random: inout ReliabilityRandom) -> String
    {
        let done: String?
        switch fileExtension {
        case "png": done = patchPNG(&bytes, using: &random)
        case "jpg", "jpeg": done = patchJPEG(&bytes, using: &random)
        case "gif": done = patchGIF(&bytes, using: &random)
        case "mp4", "mov", "m4a": done = patchMP4(&bytes, using: &random)
        case "mkv", "webm": done = patchMatroska(&bytes, using: &random)
        case "wav": done = patchWAV(&bytes, using: &random)
        case "mp3": done = patchMP3(&bytes, using: &random)
        default: done = nil
        }
        if let done { return done }
        // Any 32-bit field in the header.
        guard bytes.count >= 4 else { return flipBits(&bytes, using: &random) }
        let offset = Int.random(in: 0...min(bytes.count - 4, 252), using: &random)
        let value = hugeValues.randomElement(using: &random)!
        let bigEndian = Bool.random(using: &random)
        put32(&bytes, offset, value, bigEndian: bigEndian)
        return "set the \(bigEndian ? "BE" : "LE") u32 at \(offset) to \(value)"
    }

    static func patchPNG(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String? {
        guard bytes.count >= 33, bytes[12..<16].elementsEqual(Array("IHDR".utf8)) else { return nil }
        let width = Bool.random(using: &random)
        let value: UInt32 = [100_000, 0x7FFF_FFFF, 0xFFFF_FFFF, 0, 65_536].randomElement(using: &random)!
        put32(&bytes, width ? 16 : 20, value, bigEndian: true)
        if Bool.random(using: &random) {
            // Also make both huge.
            put32(&bytes, width ? 20 : 16, 100_000, bigEndian: true)
        }
        // A right CRC, most of the time, so decoders that check it go on reading.
        let fixCRC = Int.random(in: 0..<4, using: &random) != 0
        if fixCRC { put32(&bytes, 29, crc32(bytes[12..<29]), bigEndian: true) }
        return "PNG IHDR \(width ? "width" : "height") = \(value)\(fixCRC ? " (CRC fixed)" : "")"
    }

    static func patchJPEG(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String? {
        for i in 0..<max(bytes.count - 9, 0) where bytes[i] == 0xFF && (0xC0...0xC2).contains(bytes[i + 1]) {
            let value: UInt16 = [0xFFFF, 0, 0x8000, 50_000].randomElement(using: &random)!
            let field = Bool.random(using: &random) ? 5 : 7
            bytes[i + field] = UInt8(value >> 8)
            bytes[i + field + 1] = UInt8(value & 0xFF)
            return "JPEG SOF \(field == 5 ? "height" : "width") = \(value)"
        }
        return nil
    }

    static func patchGIF(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String? {
        guard bytes.count >= 13, bytes[0..<3].elementsEqual(Array("GIF".utf8)) else { return nil }
        let value: UInt16 = [0xFFFF, 0, 0x8000].randomElement(using: &random)!
        var offset = Bool.random(using: &random) ? 6 : 8
        var what = "screen"
        if Bool.random(using: &random), let descriptor = bytes[13...].firstIndex(of: 0x2C), descriptor + 9 < bytes.count
        {
            offset = descriptor + (Bool.random(using: &random) ? 5 : 7)
            what = "image descriptor"
        }
        bytes[offset] = UInt8(value & 0xFF)
        bytes[offset + 1] = UInt8(value >> 8)
        return "GIF \(what) size field at \(offset) = \(value)"
    }

    static func patchMP4(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String? {
        let boxes = [
            "tkhd", "avc1", "hvc1", "hev1", "mp4a", "stsz", "stco", "stsc", "stts", "stsd", "mdhd", "mvhd", "moov",
            "trak", "mdat", "ctts", "elst",
        ]
        let found = boxes.flatMap { name in find(Array(name.utf8), in: bytes).map { (name, $0) } }
        guard !found.isEmpty else { return nil }
        let (name, at) = found.randomElement(using: &random)!
        let value = hugeValues.randomElement(using: &random)!
        switch (name, Int.random(in: 0..<3, using: &random)) {
        case (_, 0) where at >= 4:
            // The box's own size field.
            let size: UInt32 = [0xFFFF_FFFF, 0x7FFF_FFFF, 1, 0, 8, 100_000].randomElement(using: &random)!
            put32(&bytes, at - 4, size, bigEndian: true)
            return "MP4 \(name) box size = \(size)"
        case ("tkhd", _) where at >= 4:
            let boxSize = Int(get32(bytes, at - 4))
            let end = at - 4 + boxSize
            guard end <= bytes.count, boxSize >= 16 else { return nil }
            let width = Bool.random(using: &random)
            put32(&bytes, end - (width ? 8 : 4), value, bigEndian: true)
            return "MP4 tkhd \(width ? "width" : "height") (16.16) = \(value)"
        case ("avc1", _), ("hvc1", _), ("hev1", _):
            guard at + 32 <= bytes.count else { return nil }
            let width = Bool.random(using: &random)
            let offset = at + 4 + 24 + (width ? 0 : 2)
            bytes[offset] = 0xFF
            bytes[offset + 1] = 0xFF
            return "MP4 \(name) sample entry \(width ? "width" : "height") = 65535"
        case ("mdhd", _), ("mvhd", _):
            // version 0: flags(4) creation(4) modification(4) timescale(4) duration(4)
            guard at + 24 <= bytes.count, bytes[at + 4] == 0 else { return nil }
            let timescale = Bool.random(using: &random)
            put32(&bytes, at + 4 + (timescale ? 12 : 16), value, bigEndian: true)
            return "MP4 \(name) \(timescale ? "timescale" : "duration") = \(value)"
        default:
            // Full boxes with an entry count after version/flags (stsz: sample size, then count).
            let offset = at + 4 + 4 + (name == "stsz" ? 4 : 0)
            guard offset + 4 <= bytes.count else { return nil }
            put32(&bytes, offset, value, bigEndian: true)
            return "MP4 \(name) count = \(value)"
        }
    }

    static func patchMatroska(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String? {
        let elements: [(String, [UInt8])] = [
            ("Segment", [0x18, 0x53, 0x80, 0x67]), ("Cluster", [0x1F, 0x43, 0xB6, 0x75]),
            ("Tracks", [0x16, 0x54, 0xAE, 0x6B]),
            ("TrackEntry", [0xAE]), ("Video", [0xE0]), ("CodecPrivate", [0x63, 0xA2]), ("SimpleBlock", [0xA3]),
            ("EBML", [0x1A, 0x45, 0xDF, 0xA3]),
        ]
        // PixelWidth (B0) / PixelHeight (BA) with a 1- or 2-byte value.
        if Bool.random(using: &random) {
            let pixels = [[UInt8]([0xB0, 0x82]), [0xBA, 0x82], [0xB0, 0x81], [0xBA, 0x81]].flatMap { pattern in
                find(pattern, in: bytes).map { (pattern, $0) }
            }
            if let (pattern, at) = pixels.randomElement(using: &random), at + 2 + Int(pattern[1] & 0x0F) <= bytes.count
            {
                for i in 0..<Int(pattern[1] & 0x0F) { bytes[at + 2 + i] = 0xFF }
                return "Matroska Pixel\(pattern[0] == 0xB0 ? "Width" : "Height") = all ones"
            }
        }
        let found = elements.flatMap { element in
            find(element.1, in: bytes).prefix(8).map { (element.0, element.1.count, $0) }
        }
        guard let (name, idLength, at) = found.randomElement(using: &random) else { return nil }
        let sizeAt = at + idLength
        guard sizeAt < bytes.count, bytes[sizeAt] != 0 else { return nil }
        let length = bytes[sizeAt].leadingZeroBitCount + 1
        guard sizeAt + length <= bytes.count else { return nil }
        // The largest known (not "unknown") size that fits the same width.
        let marker = UInt8(0x80) >> UInt8(length - 1)
        bytes[sizeAt] = marker | (marker &- 1)
        for i in 1..<length { bytes[sizeAt + i] = 0xFF }
        bytes[sizeAt + length - 1] &-= 1
        return "Matroska \(name) size = largest \(length)-byte value"
    }

    static func patchWAV(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String? {
        guard bytes.count >= 44, bytes[0..<4].elementsEqual(Array("RIFF".utf8)) else { return nil }
        let value = hugeValues.randomElement(using: &random)!
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            put32(&bytes, 4, value, bigEndian: false)
            return "WAV RIFF size = \(value)"
        case 1:
            guard let data = find(Array("data".utf8), in: bytes).first, data + 8 <= bytes.count else { return nil }
            put32(&bytes, data + 4, value, bigEndian: false)
            return "WAV data size = \(value)"
        case 2:
            guard let fmt = find(Array("fmt ".utf8), in: bytes).first, fmt + 12 <= bytes.count else { return nil }
            let channels: UInt16 = [0, 0xFFFF, 255].randomElement(using: &random)!
            bytes[fmt + 10] = UInt8(channels & 0xFF)
            bytes[fmt + 11] = UInt8(channels >> 8)
            return "WAV channels = \(channels)"
        case 3:
            guard let fmt = find(Array("fmt ".utf8), in: bytes).first, fmt + 16 <= bytes.count else { return nil }
            put32(&bytes, fmt + 12, value, bigEndian: false)
            return "WAV sample rate = \(value)"
        case 4:
            guard let fmt = find(Array("fmt ".utf8), in: bytes).first, fmt + 24 <= bytes.count else { return nil }
            let bits: UInt16 = [0, 0xFFFF, 1, 33].randomElement(using: &random)!
            bytes[fmt + 22] = UInt8(bits & 0xFF)
            bytes[fmt + 23] = UInt8(bits >> 8)
            return "WAV bits per sample = \(bits)"
        default:
            guard let fmt = find(Array("fmt ".utf8), in: bytes).first, fmt + 8 <= bytes.count else { return nil }
            put32(&bytes, fmt + 4, value, bigEndian: false)
            return "WAV fmt chunk size = \(value)"
        }
    }

    static func patchMP3(_ bytes: inout [UInt8], using random: inout ReliabilityRandom) -> String? {
        if bytes.count >= 10, bytes[0..<3].elementsEqual(Array("ID3".utf8)), Bool.random(using: &random) {
            for i in 6..<10 { bytes[i] = 0x7F }
            return "ID3 tag size = largest"
        }
        let frames = (0..<max(bytes.count - 4, 0)).filter { bytes[$0] == 0xFF && (bytes[$0 + 1] & 0xE0) == 0xE0 }
        guard let at = frames.randomElement(using: &random) else { return nil }
        bytes[at + 2] = (bytes[at + 2] & 0x0F) | 0xF0  // bitrate index 15: "bad"
        return "MP3 frame at \(at) with bitrate index 15"
    }

    // MARK: - Bytes

    static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> [Int] {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return [] }
        var hits: [Int] = []
        let first = pattern[0]
        var i = 0
        while i <= bytes.count - pattern.count {
            if bytes[i] == first, bytes[i..<i + pattern.count].elementsEqual(pattern) { hits.append(i) }
            i += 1
        }
        return hits
    }

    static func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32, bigEndian: Bool) {
        guard offset >= 0, offset + 4 <= bytes.count else { return }
        for i in 0..<4 {
            let shift = bigEndian ? (24 - 8 * i) : (8 * i)
            bytes[offset + i] = UInt8((value >> UInt32(shift)) & 0xFF)
        }
    }

    static func get32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// CRC-32 as PNG uses it.
    static func crc32<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
