import Foundation

extension VisualDiff {
    /// What the labelled picture says about each side: a name for the row,
    /// such as `main~1 (turn 1a2b3c4d)`.
    public struct Labels: Sendable, Equatable {
        public var a: String
        public var b: String

        public init(a: String, b: String) {
            self.a = a
            self.b = b
        }
    }

    /// ``picture(pathA:pathB:tileWidth:)`` with words on it: a strip above
    /// each row saying which side it is (`A main~1 (turn 1a2b3c4d)`), and one
    /// under the frames giving each column's time and SSIM.
    public func labelledPicture(
        pathA: String, pathB: String, labels: Labels, tileWidth: Int = 320
    ) throws -> RGBFrame {
        let frames = try picture(pathA: pathA, pathB: pathB, tileWidth: tileWidth)
        return Self.label(frames, moments: moments, labels: labels, tileWidth: tileWidth)
    }

    /// The text under each column: when A's and B's frames are shown, and their SSIM.
    static func caption(_ moment: Sample) -> String {
        let timeA = String(format: "%.2fs", moment.timeA)
        let timeB = String(format: "%.2fs", moment.timeB)
        let time = timeA == timeB ? timeA : "\(timeA)/\(timeB)"
        return "\(time)  SSIM \(String(format: "%.3f", moment.ssim))"
    }

    /// Lays strips of text around a two-row picture of `moments.count` columns.
    static func label(_ frames: RGBFrame, moments: [Sample], labels: Labels, tileWidth: Int) -> RGBFrame {
        let scale = tileWidth >= 240 ? 2 : 1
        let strip = PixelFont.glyphHeight * scale + 6 * scale
        let rowHeight = frames.height / 2
        var out = RGBFrame(width: frames.width, height: frames.height + 3 * strip, red: 24, green: 24, blue: 24)
        let white: (red: UInt8, green: UInt8, blue: UInt8) = (235, 235, 235)
        let pad = 3 * scale
        let fits = max(1, (frames.width - 2 * pad) / (PixelFont.advance * scale))

        let rowA = RGBFrame(
            width: frames.width, height: rowHeight,
            pixels: Array(frames.pixels[0..<(frames.width * rowHeight * 3)]), time: frames.time)
        let rowB = RGBFrame(
            width: frames.width, height: frames.height - rowHeight,
            pixels: Array(frames.pixels[(frames.width * rowHeight * 3)...]), time: frames.time)

        PixelFont.draw(
            String(("A  " + labels.a).prefix(fits)), into: &out, x: pad, y: pad, scale: scale, color: white)
        out.draw(rowA, x: 0, y: strip)
        PixelFont.draw(
            String(("B  " + labels.b).prefix(fits)), into: &out, x: pad, y: strip + rowHeight + pad, scale: scale,
            color: white)
        out.draw(rowB, x: 0, y: 2 * strip + rowHeight)

        let captionTop = 2 * strip + frames.height + pad
        let perColumn = max(1, (tileWidth - 2 * pad) / (PixelFont.advance * scale))
        for (column, moment) in moments.enumerated() {
            let text = String(caption(moment).prefix(perColumn))
            let x = column * tileWidth + (tileWidth - PixelFont.width(of: text, scale: scale)) / 2
            PixelFont.draw(text, into: &out, x: x, y: captionTop, scale: scale, color: white)
        }
        return out
    }
}
