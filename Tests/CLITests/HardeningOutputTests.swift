import Foundation
import TestSupport
import Testing

/// What a new user and an attacker tripped over in the human output: control
/// characters, files that are only a header, rotated and anamorphic clips,
/// argument errors and the diff picture (issue 12, items 8 and 10-13).
@Suite struct HardeningOutput {
    // MARK: item 8: text reaches the terminal escaped

    @Test("log, show and the record line escape control characters; --json keeps the exact text")
    func controlCharactersAreEscaped() async throws {
        let ws = try await CLIWorkspace.make("cli-escape-controls")
        _ = try await Fixtures.copy(.mp4H264AAC, into: ws.path)
        // Retitles the terminal, clears it, and forges a second log line after a CR.
        let hostile = "ok\u{1B}]0;pwned\u{07}\u{1B}[2J\rdeadbeef00 (HEAD -> main) forged\u{9B}31m\u{202E}evil"
        let record = try await ws.run(["record", Fixture.mp4H264AAC.fileName, "-m", hostile])
        #expect(record.succeeded, "\(record)")
        for arguments in [["log"], ["show"], ["log", "--graph"], ["reflog"]] {
            let result = try await ws.run(arguments)
            #expect(result.succeeded, "\(result)")
            let bytes = Array(result.stdoutData)
            #expect(
                !bytes.contains(0x1B) && !bytes.contains(0x07) && !bytes.contains(0x0D), "\(arguments): raw controls")
            #expect(!result.stdout.unicodeScalars.contains { $0.value == 0x9B || $0.value == 0x202E })
            if arguments != ["reflog"] {
                #expect(result.stdout.contains("ok\\x1b]0;pwned\\x07\\x1b[2J\\x0ddeadbeef00"), "\(result.stdout)")
                #expect(result.stdout.contains("forged\\u{009b}31m\\u{202e}evil"), "\(result.stdout)")
            }
        }
        #expect(!Array(record.stdoutData).contains(0x1B), "the record line itself is escaped")
        let json = try await ws.run(["show", "--json"])
        let object = try JSONText.object(json.stdout)
        #expect(object["instruction"] as? String == hostile, "--json keeps the exact text")
        #expect(!Array(json.stdoutData).contains(0x1B) && !json.stdout.unicodeScalars.contains { $0.value == 0x9B })
    }

    // MARK: item 10: media without a picture or sound is refused

    static let headerOnly: [(name: String, bytes: [UInt8])] = {
        func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
        func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        func le16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        func ebml(_ docType: String) -> [UInt8] {
            let body: [UInt8] = [0x42, 0x82, 0x80 | UInt8(docType.utf8.count)] + Array(docType.utf8)
            return [0x1A, 0x45, 0xDF, 0xA3, 0x80 | UInt8(body.count)] + body
        }
        let wavFormat = le16(1) + le16(2) + le32(44100) + le32(44100 * 4) + le16(4) + le16(16)
        let wav =
            Array("RIFF".utf8) + le32(36) + Array("WAVEfmt ".utf8) + le32(16) + wavFormat
            + Array("data".utf8) + le32(0)
        return [
            ("only-signature.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            (
                "only-header.jpg",
                [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
            ),
            ("only-header.webp", Array("RIFF".utf8) + le32(4) + Array("WEBP".utf8)),
            ("only-header.gif", Array("GIF89a".utf8)),
            ("only-ftyp.mp4", be32(24) + Array("ftypisom".utf8) + be32(512) + Array("isomiso2".utf8)),
            ("only-ebml.mkv", ebml("matroska")),
            ("only-ebml.webm", ebml("webm")),
            ("only-header.wav", wav),
            ("only-tag.mp3", Array("ID3".utf8) + [3, 0, 0, 0, 0, 0, 10] + Array("TIT2".utf8) + be32(0) + [0, 0]),
        ]
    }()

    @Test("add, record and --ref refuse a file that is only a header, with one line and nothing stored")
    func headerOnlyFilesAreRefused() async throws {
        let ws = try await CLIWorkspace.make("cli-header-only")
        _ = try await Fixtures.copy(.mp4H264AAC, into: ws.path)
        for file in Self.headerOnly {
            try ws.write(Data(file.bytes), to: file.name)
            for arguments in [
                ["add", file.name], ["record", file.name, "-m", "x"],
                ["record", Fixture.mp4H264AAC.fileName, "-m", "x", "--ref", file.name],
            ] {
                let result = try await ws.run(arguments)
                #expect(result.failedCleanly, "\(arguments): \(result)")
                #expect(result.stderrLines.count == 1 && result.stderrLines[0].hasPrefix("error: "), "\(result)")
                #expect(result.stderr.contains(file.name), "\(result)")
            }
        }
        #expect(try await ws.assetsJSON().isEmpty, "nothing was stored")
        #expect(ws.files.objectIDs().isEmpty, "no object was written")
        let log = try await ws.run(["log", "--json"])
        #expect(log.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(log)")
    }

    // MARK: item 11: short views show the display size

    @Test("a portrait phone clip (90°) and a PAL 16:15 clip show their display size in every short view")
    func displaySizeInShortViews() async throws {
        let ws = try await CLIWorkspace.make("cli-display-size")
        let source = try await Fixtures.copy(.mp4H264AAC, into: ws.file("src"))
        try await Tool.check(
            "ffmpeg",
            ["-v", "error", "-i", source, "-c", "copy", "-metadata:s:v:0", "rotate=90", ws.file("portrait.mov")])
        try await Tool.check(
            "ffmpeg",
            [
                "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25:duration=1", "-vf", "setsar=16/15",
                "-c:v", "mpeg2video", ws.file("pal.mpg"),
            ])
        var expected: [String: (coded: String, shown: String)] = [:]
        for name in ["portrait.mov", "pal.mpg"] {
            expected[name] = (try await Self.codedSize(ws.file(name)), try await Self.ffmpegDisplaySize(ws.file(name)))
        }
        #expect(expected["portrait.mov"]?.coded != expected["portrait.mov"]?.shown, "the oracle turns the picture")
        #expect(expected["pal.mpg"]?.shown == "768x576", "ffmpeg shows PAL 16:15 at 768x576")

        let added = try await ws.run(["add", "portrait.mov", "pal.mpg"])
        #expect(added.succeeded, "\(added)")
        let assets = try await ws.run(["assets"])
        let probe = try await ws.run(["probe", "portrait.mov", "pal.mpg"])
        for (name, sizes) in expected {
            for (view, result) in [("add", added), ("assets", assets), ("probe", probe)] {
                let line = try #require(result.stdoutLines.first { $0.contains(name) }, "\(view): \(result)")
                #expect(line.contains(" \(sizes.shown) ") && !line.contains(" \(sizes.coded) "), "\(view): \(line)")
            }
        }
        #expect(try await ws.run(["record", "portrait.mov", "-m", "phone"]).succeeded)
        let log = try await ws.run(["log"])
        let portrait = try #require(expected["portrait.mov"])
        #expect(log.stdout.contains(portrait.shown) && !log.stdout.contains(portrait.coded), "\(log)")

        // show and --json keep the coded size and the rotation beside the display size.
        let assetsJSON = try await ws.assetsJSON()
        let phone = try #require(
            assetsJSON.first { (($0["paths"] as? [String]) ?? []).contains { $0.hasSuffix("portrait.mov") } })
        #expect("\(phone["width"] ?? "")x\(phone["height"] ?? "")" == portrait.coded)
        #expect("\(phone["display_width"] ?? "")x\(phone["display_height"] ?? "")" == portrait.shown)
        let stream = try #require((phone["streams"] as? [[String: Any]])?.first)
        #expect(JSONNumbers.double(stream["rotation"]).map { abs(abs($0) - 90) < 0.01 } == true, "\(stream)")
        let show = try await ws.run(["show", try #require(phone["id"] as? String)])
        #expect(
            show.stdout.contains("\(portrait.coded) (displays as \(portrait.shown))")
                && show.stdout.contains("rotation"))
    }

    /// The coded size, as ffprobe reports it.
    static func codedSize(_ path: String) async throws -> String {
        let result = try await Tool.check(
            "ffprobe",
            ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "json", path])
        let stream = try #require((try JSONText.object(result.stdout)["streams"] as? [[String: Any]])?.first)
        return "\(JSONNumbers.int(stream["width"]) ?? 0)x\(JSONNumbers.int(stream["height"]) ?? 0)"
    }

    /// The size ffmpeg shows: it autorotates, and the scale stretches by the SAR.
    static func ffmpegDisplaySize(_ path: String) async throws -> String {
        let png = path + ".shown.png"
        try await Tool.check(
            "ffmpeg", ["-v", "error", "-i", path, "-frames:v", "1", "-vf", "scale=iw*sar:ih,setsar=1", "-y", png])
        return try await codedSize(png)
    }

    // MARK: item 12: an argument error is one line

    @Test(
        "an argument error is one error: line with where to read more, and exit 64",
        arguments: [["assets", "--kind", "poster"], ["export", "abcd"], ["log", "-n", "lots"], ["no-such-command"]])
    func argumentErrorsAreOneLine(_ arguments: [String]) async throws {
        let ws = try await CLIWorkspace.make("cli-usage-line")
        let result = try await ws.run(arguments)
        #expect(result.exitCode == 64 && !result.signaled, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        let line = try #require(result.stderrLines.first)
        #expect(line.hasPrefix("error: ") && line.contains("--help')"), "\(line)")
        if arguments[0] != "no-such-command" { #expect(line.contains("omnistore \(arguments[0]) --help"), "\(line)") }
        #expect(result.stdout.isEmpty)
        // --help itself still prints the help, to stdout, and succeeds.
        let help = try await ws.run([arguments[0] == "no-such-command" ? "log" : arguments[0], "--help"])
        #expect(help.succeeded && help.stdout.contains("USAGE:"), "\(help)")
    }
}
