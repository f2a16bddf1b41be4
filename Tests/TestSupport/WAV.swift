import Foundation

/// Writes tiny PCM WAV files directly, for tests that need many distinct
/// media files quickly (no ffmpeg).
public enum WAV {
    /// A 16-bit mono WAV whose samples are derived from `seed`, so different
    /// seeds give different bytes and the same seed the same bytes.
    public static func data(seed: Int, sampleCount: Int = 64, sampleRate: Int = 8000) -> Data {
        var samples: [Int16] = []
        samples.reserveCapacity(sampleCount)
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 0xD1B5_4A32_D192_ED03
        for _ in 0..<sampleCount {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            samples.append(Int16(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 48) / 8)
        }
        return data(samples: samples, sampleRate: sampleRate)
    }

    public static func data(samples: [Int16], sampleRate: Int, channels: Int = 1) -> Data {
        var out = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { out.append(contentsOf: $0) } }
        let dataSize = samples.count * 2
        out.append(contentsOf: Array("RIFF".utf8))
        u32(36 + dataSize)
        out.append(contentsOf: Array("WAVE".utf8))
        out.append(contentsOf: Array("fmt ".utf8))
        u32(16)
        u16(1)  // PCM
        u16(channels)
        u32(sampleRate)
        u32(sampleRate * channels * 2)
        u16(channels * 2)
        u16(16)
        out.append(contentsOf: Array("data".utf8))
        u32(dataSize)
        for sample in samples { withUnsafeBytes(of: sample.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
}

/// Deterministic pseudo-random bytes (not media).
public func garbageBytes(count: Int, seed: UInt64) -> Data {
    var state = seed | 1
    var bytes = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[i] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return Data(bytes)
}
