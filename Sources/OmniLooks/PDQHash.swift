/// A 256-bit PDQ hash: one bit per coefficient of a 16×16 DCT block, set
/// where the coefficient is above the block's median.
///
/// Bit `k` is coefficient `k` in row-major order (row `k / 16`, column
/// `k % 16`), as Meta's reference numbers them. The bytes and ``hex`` put bit
/// 255 first, so the hex is the 64 digits Meta's tools print and the bytes
/// are what `numpy.packbits` makes of the `pdqhash` Python package's bit
/// vector.
public struct PDQHash: Sendable, Hashable, CustomStringConvertible {
    /// Bits 255…192, 191…128, 127…64 and 63…0, each word's most significant
    /// bit first.
    public let words: (UInt64, UInt64, UInt64, UInt64)

    /// The hash whose every bit is clear (what an image too small to hash gets).
    public static let zero = PDQHash(words: (0, 0, 0, 0))

    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// Reads 32 bytes, bit 255 first; nil unless there are exactly 32.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var values: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            values[index / 8] = values[index / 8] << 8 | UInt64(byte)
        }
        words = (values[0], values[1], values[2], values[3])
    }

    /// Reads Meta's 64-digit hex form; nil when it is not that.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    /// Sets bit `k` (0…255) of 256 given as flags in Meta's order.
    init(bits: [Bool]) {
        precondition(bits.count == 256, "a PDQ hash has 256 bits")
        var values: [UInt64] = [0, 0, 0, 0]
        for k in 0..<256 where bits[k] {
            // Bit 255 is the top bit of the first word.
            values[3 - k / 64] |= 1 << UInt64(k % 64)
        }
        words = (values[0], values[1], values[2], values[3])
    }

    /// The 32 bytes, bit 255 first.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// Meta's hex form: 64 lowercase digits, bit 255 first.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    /// Whether bit `k` (0…255, Meta's numbering) is set.
    public func bit(_ k: Int) -> Bool {
        let word = [words.0, words.1, words.2, words.3][3 - k / 64]
        return word >> UInt64(k % 64) & 1 == 1
    }

    /// The Hamming distance: how many of the 256 bits differ (0 is the same
    /// look, unrelated pictures average 128, and Meta matches at 31 or less).
    public func distance(to other: PDQHash) -> Int {
        (words.0 ^ other.words.0).nonzeroBitCount + (words.1 ^ other.words.1).nonzeroBitCount
            + (words.2 ^ other.words.2).nonzeroBitCount + (words.3 ^ other.words.3).nonzeroBitCount
    }

    public static func == (lhs: PDQHash, rhs: PDQHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
