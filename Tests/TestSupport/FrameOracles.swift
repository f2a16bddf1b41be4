import Foundation

/// A packed RGB24 picture, from ffmpeg or from omnistore, for comparing pixels.
public struct FrameRGB: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let bytes: [UInt8]

    public init(width: Int, height: Int, bytes: [UInt8]) {
        self.width = width
        self.height = height
        self.bytes = bytes
    }

    /// PSNR in dB over all three channels against a picture of the same size;
    /// infinity when identical, nil when the sizes differ.
    public func psnr(against other: FrameRGB) -> Double? {
        guard width == other.width, height == other.height, bytes.count == other.bytes.count, !bytes.isEmpty else {
            return nil
        }
        var sum: UInt64 = 0
        for index in bytes.indices {
            let d = Int(bytes[index]) - Int(other.bytes[index])
            sum += UInt64(d * d)
        }
        guard sum > 0 else { return .infinity }
        let mse = Double(sum) / Double(bytes.count)
        return 10 * log10(255 * 255 / mse)
    }
}

/// ffmpeg as the oracle for frames and picture metrics.
public enum FFmpegFrames {
    /// `ffmpeg -ss T -i FILE -frames:v 1 -vf FILTERS -pix_fmt rgb24 -f rawvideo -`, as a `width`x`height` picture.
    ///
    /// - Parameters:
    ///   - seconds: nil to take the first frame without seeking.
    ///   - filters: the `-vf` chain, which must produce `width`x`height` (e.g.
    ///     `scale=320:-1:flags=bicubic`); nil for the decoded size.
    ///   - inputOptions: options for the input, such as `-noautorotate`.
    public static func frame(
        _ path: String, at seconds: Double?, filters: String?, width: Int, height: Int, inputOptions: [String] = []
    ) async throws -> FrameRGB {
        var arguments = ["-v", "error", "-nostdin"] + inputOptions
        if let seconds { arguments += ["-ss", String(format: "%.6f", seconds)] }
        arguments += ["-i", path, "-frames:v", "1"]
        if let filters { arguments += ["-vf", filters] }
        arguments += ["-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
        let result = try await Tool.check("ffmpeg", arguments)
        let bytes = [UInt8](result.stdoutData)
        guard bytes.count == width * height * 3 else {
            throw TestSupportError(
                "ffmpeg gave \(bytes.count) bytes, not \(width)x\(height) RGB (\(width * height * 3)):\n\(result)")
        }
        return FrameRGB(width: width, height: height, bytes: bytes)
    }

    /// Decodes a picture file (PNG, JPEG) to RGB with ffmpeg, at its own size.
    public static func picture(_ path: String) async throws -> FrameRGB {
        let probe = try await Tool.check(
            "ffprobe",
            ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
        let parts = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else {
            throw TestSupportError("ffprobe gave no size for \(path): \(probe.stdout)")
        }
        return try await frame(path, at: nil, filters: nil, width: width, height: height)
    }

    /// The presentation times (seconds) of every frame, from ffprobe.
    public static func frameTimes(_ path: String) async throws -> [Double] {
        let result = try await Tool.check(
            "ffprobe",
            ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path])
        // A line may carry more fields (side data) after the time.
        return result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: ",", omittingEmptySubsequences: false).first.flatMap { Double($0) }
        }
    }

    /// The luma SSIM and PSNR ffmpeg's `ssim` and `psnr` filters report for
    /// A against B (their `Y:` and `y:` figures).
    public static func lumaMetrics(_ a: String, _ b: String) async throws -> (ssim: Double, psnr: Double) {
        let result = try await Tool.check(
            "ffmpeg", ["-nostdin", "-i", a, "-i", b, "-lavfi", "[0:v][1:v]ssim;[0:v][1:v]psnr", "-f", "null", "-"],
            timeout: 300)
        func value(after marker: String) -> Double? {
            guard let range = result.stderr.range(of: marker) else { return nil }
            let rest = result.stderr[range.upperBound...]
            return Double(rest.prefix { $0.isNumber || $0 == "." || $0 == "-" })
        }
        guard let ssim = value(after: "SSIM Y:"), let psnr = value(after: "PSNR y:") else {
            throw TestSupportError("no SSIM/PSNR in ffmpeg's output:\n\(result.stderr.suffix(2000))")
        }
        return (ssim, psnr)
    }
}
