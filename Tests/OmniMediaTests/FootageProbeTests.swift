import Foundation
import OmniMedia
import TestSupport
import Testing

/// The display size ffprobe implies: the coded size stretched by the sample
/// aspect ratio, then turned by the display matrix's rotation.
private func ffprobeDisplaySize(_ path: String) async throws -> (width: Int, height: Int) {
    let result = try await Tool.check(
        "ffprobe",
        [
            "-v", "error", "-select_streams", "v:0", "-show_entries",
            "stream=width,height,sample_aspect_ratio:stream_side_data=rotation", "-of", "json", path,
        ])
    let root = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
    let stream = try #require((root["streams"] as? [[String: Any]])?.first)
    let width = try #require(stream["width"] as? Int)
    let height = try #require(stream["height"] as? Int)
    var shownWidth = width
    let ratio = (stream["sample_aspect_ratio"] as? String)?.split(separator: ":").compactMap { Int($0) } ?? []
    if ratio.count == 2, ratio[0] > 0, ratio[1] > 0 {
        shownWidth = Int((Double(width) * Double(ratio[0]) / Double(ratio[1])).rounded())
    }
    let sideData = stream["side_data_list"] as? [[String: Any]] ?? []
    let rotation = sideData.compactMap { ($0["rotation"] as? NSNumber)?.intValue }.first ?? 0
    return abs(rotation) % 180 == 90 ? (height, shownWidth) : (shownWidth, height)
}

@Suite struct FootageProbe {
    @Test("probe's display size is ffprobe's with rotation and SAR applied", arguments: FootageClip.allCases)
    func displaySize(_ clip: FootageClip) async throws {
        let path = try await FootageCorpus.path(clip)
        let expected = try await ffprobeDisplaySize(path)
        let size = try #require(try MediaProbe.probe(path: path).displaySize)
        #expect(size.width == expected.width && size.height == expected.height,
            "\(clip): \(size.width)x\(size.height), ffprobe implies \(expected.width)x\(expected.height)")
    }
}
