import Foundation
import OmniMedia
import TestSupport
import Testing

@Suite struct FootageProbe {
    @Test("probe's display size is ffprobe's with rotation and SAR applied", arguments: FootageClip.allCases)
    func displaySize(_ clip: FootageClip) async throws {
        let path = try await FootageCorpus.path(clip)
        let expected = try await FootageOracle.displaySize(path)
        let size = try #require(try MediaProbe.probe(path: path).displaySize)
        #expect(
            size.width == expected.width && size.height == expected.height,
            "\(clip): \(size.width)x\(size.height), ffprobe implies \(expected.width)x\(expected.height)")
    }
}
