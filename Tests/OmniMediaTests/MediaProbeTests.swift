import Foundation
import OmniMedia
import TestSupport
import Testing

extension ProbedMedia {
    /// The library's probe in the shape ffprobe is compared with.
    init(_ info: MediaInfo) {
        let primary = info.primaryVideo
        self.init(
            format: info.formatName, duration: info.duration, bitRate: info.bitRate, size: info.size,
            tags: info.tags,
            streams: info.streams.map { s in
                ProbedStream(
                    index: s.index, type: s.type.rawValue, codec: s.codec, profile: s.profile, width: s.width,
                    height: s.height, pixFmt: s.pixelFormat, fps: s.fps, frames: s.frames, rotation: s.rotation,
                    sampleRate: s.sampleRate, channels: s.channels, channelLayout: s.channelLayout,
                    bitRate: s.bitRate, language: s.language)
            },
            width: primary?.width, height: primary?.height, fps: primary?.fps, hasTopLevelPicture: true)
    }
}

@Suite struct MediaProbeAgreesWithFFprobe {
    @Test("every field of the probe matches ffprobe's JSON", arguments: Fixture.allCases)
    func matchesFFprobe(_ fixture: Fixture) async throws {
        let path = try await Fixtures.path(fixture)
        let oracle = try await FFprobe.report(path)
        let info = try MediaProbe.probe(path: path)
        let problems = probeMismatches(ProbedMedia(info), ffprobe: oracle)
        #expect(problems.isEmpty, "\(fixture): \(problems.joined(separator: "; "))")
    }

    @Test("kind and MIME type follow the specification", arguments: Fixture.allCases)
    func kindAndMime(_ fixture: Fixture) async throws {
        let info = try MediaProbe.probe(path: try await Fixtures.path(fixture))
        #expect(info.kind.rawValue == fixture.expectedKind)
        #expect(fixture.acceptableMimes.contains(info.mime), "mime \(info.mime) for \(fixture)")
    }

    @Test("size is the file's size on disk", arguments: [Fixture.mp4H264AAC, .png, .wav])
    func size(_ fixture: Fixture) async throws {
        let path = try await Fixtures.path(fixture)
        let status = try #require(fileStatus(path))
        #expect(try MediaProbe.probe(path: path).size == Int64(status.st_size))
    }

    @Test("the rotated mov reports ffprobe's display-matrix rotation (90)")
    func rotation() async throws {
        let path = try await Fixtures.path(.movRotated90)
        let oracle = try #require(try await FFprobe.report(path).primaryVideo?.rotation)
        #expect(abs(oracle) == 90, "the fixture itself should be rotated; ffprobe says \(oracle)")
        let info = try MediaProbe.probe(path: path)
        #expect(info.primaryVideo?.rotation == oracle)
        let unrotated = try MediaProbe.probe(path: try await Fixtures.path(.mp4H264AAC))
        #expect(try await FFprobe.report(try await Fixtures.path(.mp4H264AAC)).primaryVideo?.rotation == nil)
        #expect(unrotated.primaryVideo?.rotation == nil)
    }

    @Test("cover art in an mp3 is flagged, and the primary video is nil")
    func coverArt() async throws {
        let path = try await Fixtures.path(.mp3WithCoverArt)
        let oracle = try await FFprobe.report(path)
        #expect(oracle.streams.contains { $0.attachedPic }, "the fixture should carry an attached picture")
        let info = try MediaProbe.probe(path: path)
        #expect(info.streams.map(\.isAttachedPicture) == oracle.streams.map(\.attachedPic))
        #expect(info.primaryVideo == nil)
        #expect(info.kind == .audio)
    }

    @Test("the odd-sized video keeps its odd size")
    func oddSize() async throws {
        let path = try await Fixtures.path(.oddSize)
        let oracle = try #require(try await FFprobe.report(path).primaryVideo)
        #expect(oracle.width.map { $0 % 2 == 1 } == true && oracle.height.map { $0 % 2 == 1 } == true)
        let video = try #require(try MediaProbe.probe(path: path).primaryVideo)
        #expect(video.width == oracle.width)
        #expect(video.height == oracle.height)
    }

    @Test("10-bit video reports a 10-bit pixel format", arguments: [Fixture.h264TenBit, .hevcTenBit])
    func tenBit(_ fixture: Fixture) async throws {
        let path = try await Fixtures.path(fixture)
        let oracle = try #require(try await FFprobe.report(path).primaryVideo)
        #expect(
            oracle.pixFmt?.contains("10") == true, "fixture should be 10-bit, ffprobe says \(oracle.pixFmt ?? "nil")")
        let video = try #require(try MediaProbe.probe(path: path).primaryVideo)
        #expect(video.pixelFormat == oracle.pixFmt)
        #expect(video.profile == oracle.profile)
    }
}

@Suite struct MediaProbeNameHint {
    @Test("Matroska bytes named .webm are WebM, WebM bytes named .mkv are Matroska")
    func matroskaAndWebM() async throws {
        let mkv = try await Fixtures.path(.mkvVP9Opus)
        let webm = try await Fixtures.path(.webmVP9Opus)
        #expect(try MediaProbe.probe(path: mkv).mime != "video/webm")
        #expect(try MediaProbe.probe(path: mkv, nameHint: "clip.webm").mime == "video/webm")
        #expect(try MediaProbe.probe(path: webm).mime == "video/webm")
        #expect(
            Fixture.mkvVP9Opus.acceptableMimes.contains(try MediaProbe.probe(path: webm, nameHint: "clip.mkv").mime))
    }

    @Test("the hint does not change anything ffprobe reports")
    func hintDoesNotChangeProbe() async throws {
        let path = try await Fixtures.path(.webmVP8Vorbis)
        let oracle = try await FFprobe.report(path)
        let info = try MediaProbe.probe(path: path, nameHint: "whatever.mkv")
        #expect(probeMismatches(ProbedMedia(info), ffprobe: oracle).isEmpty)
    }
}

@Suite struct MediaProbeRejectsBadInput {
    enum Bad: String, CaseIterable, CustomStringConvertible {
        case garbage, textNamedMP4, empty, truncatedMP4, missing, directory
        var description: String { rawValue }
    }

    /// Writes the bad input into `dir` and returns its path.
    static func make(_ bad: Bad, in dir: TemporaryDirectory) async throws -> String {
        switch bad {
        case .garbage:
            return try dir.write(garbageBytes(count: 64 << 10, seed: 42), to: "noise.bin")
        case .textNamedMP4:
            let text = (1...200).map { "line \($0): this is a plain text file, not a video.\n" }.joined()
            return try dir.write(text, to: "notes.mp4")
        case .empty:
            return try dir.write(Data(), to: "empty.mp4")
        case .truncatedMP4:
            let full = try #require(fileBytes(try await Fixtures.path(.mp4H264AAC)))
            return try dir.write(full.prefix(4096), to: "truncated.mp4")
        case .missing:
            return dir.file("does-not-exist.mp4")
        case .directory:
            return try dir.makeDirectory("folder.mp4")
        }
    }

    @Test("bad input throws a MediaError naming the file", arguments: Bad.allCases)
    func rejects(_ bad: Bad) async throws {
        let dir = try TemporaryDirectory("probe-bad")
        let path = try await Self.make(bad, in: dir)
        if bad == .truncatedMP4 {
            // The oracle agrees that the head alone is not readable media.
            let ffprobe = try await RunningProcess.run("ffprobe", ["-v", "error", "-show_streams", path])
            #expect(!ffprobe.succeeded, "ffprobe accepted the truncated mp4, so the fixture is wrong")
        }
        let error = try #require(throws: MediaError.self) { try MediaProbe.probe(path: path) }
        #expect(error.path == path)
        #expect(error.description.contains(path))
        #expect(!error.message.isEmpty && !error.message.contains("\n"))
        switch bad {
        case .missing: #expect(error.code == .unreadable)
        case .garbage, .textNamedMP4, .empty: #expect(error.code == .notMedia)
        case .truncatedMP4, .directory: #expect(error.code != .library)
        }
    }
}
