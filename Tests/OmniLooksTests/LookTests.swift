import OmniLooks
import Testing

/// vPDQ's matching rule as ``Look/distance(to:)`` applies it, on made-up hashes.
@Suite struct LooksMatching {
    /// A hash of deterministic pseudo-random bits.
    static func hash(_ seed: UInt64) -> PDQHash {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        return PDQHash(words: (next(), next(), next(), next()))
    }

    /// `hash` with its first `bits` bits flipped.
    static func flipped(_ hash: PDQHash, _ bits: Int) -> PDQHash {
        var bytes = hash.bytes
        for bit in 0..<bits { bytes[bit / 8] ^= 0x80 >> UInt8(bit % 8) }
        return PDQHash(bytes: bytes) ?? hash
    }

    static func clip(_ hashes: [PDQHash], duration: Double, quality: Int = 100) -> Look {
        Look(
            frames: hashes.enumerated().map { LookFrame(hash: $1, quality: quality, time: Double($0)) },
            duration: duration)
    }

    @Test("hex and bytes round-trip, bit 255 first, and the distance counts differing bits")
    func hashes() throws {
        let hash = Self.hash(7)
        #expect(PDQHash(hex: hash.hex) == hash)
        #expect(PDQHash(bytes: hash.bytes) == hash)
        #expect(PDQHash(hex: "8" + String(repeating: "0", count: 63))?.bit(255) == true)
        #expect(Self.flipped(hash, 12).distance(to: hash) == 12)
        #expect(PDQHash(hex: "xyz") == nil)
    }

    @Test("stills compare by Hamming distance; a still never matches a clip; low quality is never compared")
    func stills() {
        let base = Self.hash(1)
        let still = Look(frames: [LookFrame(hash: base, quality: 90, time: 0)], duration: nil)
        let near = Look(frames: [LookFrame(hash: Self.flipped(base, 9), quality: 80, time: 0)], duration: nil)
        #expect(still.distance(to: near) == 9)
        #expect(still.distance(to: Self.clip([base], duration: 1)) == nil)
        let blurry = Look(frames: [LookFrame(hash: base, quality: 49, time: 0)], duration: nil)
        #expect(still.distance(to: blurry) == nil)
    }

    @Test("clips match when 80% of one clip's frames match, gated on duration")
    func clips() {
        let frames = (1...10).map { Self.hash($0) }
        let original = Self.clip(frames, duration: 10)
        // 8 of 10 frames within 5, two unrelated: 80% match at 5.
        let reencoded = Self.clip(
            frames.prefix(8).map { Self.flipped($0, 5) } + [Self.hash(90), Self.hash(91)], duration: 10)
        #expect(original.distance(to: reencoded) == 5)
        // 7 of 10: the two worst of the needed 8 are unrelated, far past 31.
        let mostlyOther = Self.clip(frames.prefix(7) + [Self.hash(92), Self.hash(93), Self.hash(94)], duration: 10)
        #expect((original.distance(to: mostlyOther) ?? 0) > 31)
        // Symmetric, and order does not matter.
        #expect(reencoded.distance(to: original) == 5)
        #expect(original.distance(to: Self.clip(frames.reversed(), duration: 10)) == 0)
        // A re-encode with keyframes 2 s apart samples half the times: all of
        // its frames match, half of the original's do, and that is a match.
        let sparse = Self.clip(stride(from: 0, to: 10, by: 2).map { Self.flipped(frames[$0], 3) }, duration: 10)
        #expect(original.distance(to: sparse) == 3 && sparse.distance(to: original) == 3)
        // The same frames in a clip of half the length fail the duration gate.
        #expect(original.distance(to: Self.clip(frames, duration: 5)) == nil)
        #expect(original.distance(to: Self.clip(frames, duration: 8.5)) == 0)
    }
}
