import Foundation
import TestSupport
import Testing

/// An image's size is read from its header before anything is decoded, and
/// a picture over the pixel cap is refused with one line.
@Suite struct ImagePixelCap {
    /// A PNG whose IHDR declares `width`x`height` and whose IDAT holds a few
    /// bytes: a decoder would allocate the whole picture before finding out.
    static func craftedPNG(_ path: String, width: Int, height: Int) async throws {
        let script = """
            import struct, sys, zlib
            def chunk(kind, data):
                return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
            w, h = int(sys.argv[2]), int(sys.argv[3])
            ihdr = struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)
            with open(sys.argv[1], 'wb') as f:
                f.write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\\x00' * 64)) + chunk(b'IEND', b''))
            """
        try await Tool.check("python3", ["-c", script, path, String(width), String(height)])
    }

    @Test("a 16000x16000 PNG with a tiny IDAT is refused by add and probe with one line, before it is decoded")
    func hugePNGRefused() async throws {
        let ws = try await CLIWorkspace.make("pixel-cap-png")
        let png = ws.file("huge.png")
        try await Self.craftedPNG(png, width: 16000, height: 16000)
        for arguments in [["add", png], ["probe", png]] {
            let result = try await ws.run(arguments)
            #expect(result.failedCleanly, "\(result)")
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(
                result.stderr.contains("16000x16000") && result.stderr.contains("OMNISTORE_MAX_PIXELS"),
                "\(result.stderr)")
        }
        #expect(try await ws.assetIDs().isEmpty)
        try await OmnistoreCLI.check(["fsck"], in: ws.path)
    }

    @Test("the cap holds for JPEG and WebP headers too, and OMNISTORE_MAX_PIXELS moves it")
    func capIsConfigurable() async throws {
        let ws = try await CLIWorkspace.make("pixel-cap-config")
        var images: [String] = []
        for (name, codec) in [("big.jpg", "mjpeg"), ("big.webp", "libwebp")] {
            let path = ws.file(name)
            try await Tool.check(
                "ffmpeg",
                [
                    "-v", "error", "-f", "lavfi", "-i", "testsrc=s=1200x1000", "-frames:v", "1", "-c:v", codec, "-y",
                    path,
                ])
            images.append(path)
        }
        for image in images {
            let refused = try await ws.run(["add", image], environment: ["OMNISTORE_MAX_PIXELS": "1000000"])
            #expect(refused.failedCleanly && refused.stderr.contains("1200x1000"), "\(refused)")
            try await OmnistoreCLI.check(["add", image], in: ws.path, environment: ["OMNISTORE_MAX_PIXELS": "2000000"])
        }
        #expect(try await ws.assetIDs().count == 2)
    }
}
