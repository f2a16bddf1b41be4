import Foundation
import Testing

@testable import OmniMedia

/// The diff picture says which row is A and which is B, and each column's
/// time and SSIM (issue 12, item 13). The text is read back from the pixels,
/// glyph by glyph, so a label drawn in the wrong place or garbled fails.
@Suite struct DiffPictureLabels {
    /// Reads `count` characters of the 5×7 font drawn at (`x`, `y`).
    static func read(_ frame: RGBFrame, x: Int, y: Int, count: Int, scale: Int) -> String {
        var text = ""
        for index in 0..<count {
            var rows: [UInt8] = []
            for row in 0..<PixelFont.glyphHeight {
                var bits: UInt8 = 0
                for column in 0..<PixelFont.glyphWidth {
                    let px = x + (index * PixelFont.advance + column) * scale
                    let py = y + row * scale
                    guard px < frame.width, py < frame.height else { continue }
                    if frame.pixel(x: px, y: py).red > 128 { bits |= 0x10 >> UInt8(column) }
                }
                rows.append(bits)
            }
            text.append(PixelFont.glyphs.first { $0.value == rows }?.key ?? "\u{FFFD}")
        }
        return text
    }

    static func sample(_ time: Double, _ ssim: Double) -> VisualDiff.Sample {
        VisualDiff.Sample(time: time, timeA: time, timeB: time, ssim: ssim, meanSquaredError: 1, psnr: 30)
    }

    @Test("strips above each row name A and B; one under the frames gives each column's time and SSIM")
    func labelsAreReadable() throws {
        let tile = 320
        let rowHeight = 180
        // Row A dark blue, row B dark green: the frames themselves must come through untouched.
        var frames = RGBFrame(width: 2 * tile, height: 2 * rowHeight, red: 0, green: 0, blue: 90)
        frames.fill(x: 0, y: rowHeight, width: 2 * tile, height: rowHeight, color: (0, 90, 0))
        let moments = [Self.sample(1.25, 0.734), Self.sample(4.5, 0.9)]
        let labels = VisualDiff.Labels(a: "main~1 (turn 1a2b3c4d5e6f)", b: "noir (turn 9f8e7d6c5b4a)")
        let out = VisualDiff.label(frames, moments: moments, labels: labels, tileWidth: tile)

        let scale = 2
        let strip = PixelFont.glyphHeight * scale + 6 * scale
        let pad = 3 * scale
        #expect(out.width == frames.width && out.height == frames.height + 3 * strip)
        let headerA = "A  " + labels.a
        let headerB = "B  " + labels.b
        #expect(Self.read(out, x: pad, y: pad, count: headerA.count, scale: scale) == headerA)
        #expect(Self.read(out, x: pad, y: strip + rowHeight + pad, count: headerB.count, scale: scale) == headerB)
        for (column, caption) in ["1.25s  SSIM 0.734", "4.50s  SSIM 0.900"].enumerated() {
            let x = column * tile + (tile - PixelFont.width(of: caption, scale: scale)) / 2
            #expect(
                Self.read(out, x: x, y: 2 * strip + frames.height + pad, count: caption.count, scale: scale) == caption)
        }
        #expect(out.pixel(x: 10, y: strip + 10) == (0, 0, 90), "row A sits under its strip")
        #expect(out.pixel(x: 10, y: 2 * strip + rowHeight + 10) == (0, 90, 0), "row B sits under its strip")
    }

    @Test("a time that differs between A and B shows both, and long labels are cut to the picture")
    func differingTimesAndLongLabels() {
        let moment = VisualDiff.Sample(time: 2, timeA: 2, timeB: 2.04, ssim: 0.5, meanSquaredError: 1, psnr: 20)
        #expect(VisualDiff.caption(moment) == "2.00s/2.04s  SSIM 0.500")
        let frames = RGBFrame(width: 64, height: 72)
        let out = VisualDiff.label(
            frames, moments: [moment], labels: .init(a: String(repeating: "x", count: 500), b: "b"), tileWidth: 64)
        #expect(out.width == 64, "nothing widens the picture")
    }
}
