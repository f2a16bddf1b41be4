import Foundation
import TestSupport
import Testing

@Suite struct PrefixResolution {
    @Test("show and export accept any unique prefix of 4 or more digits, in either case")
    func unique() async throws {
        let ws = try await CLIWorkspace.make("cli-prefix")
        let wav = try ws.write(WAV.data(seed: 61), to: "a.wav")
        let png = try await Fixtures.copy(.png, into: ws.path)
        let hashes = try await SHA256Sum.hashes([wav, png])
        #expect(try await ws.run(["add", wav, png]).succeeded)
        for hex in hashes {
            for length in [4, 7, 12, 64] {
                let prefix = String(hex.prefix(length))
                if hashes.filter({ $0.hasPrefix(prefix) }).count > 1 { continue }
                #expect(try await ws.show(prefix)["id"] as? String == hex)
                #expect(try await ws.show(prefix.uppercased())["id"] as? String == hex)
            }
        }
    }

    @Test("a prefix shorter than 4 digits is refused", arguments: [1, 2, 3])
    func tooShort(_ length: Int) async throws {
        let ws = try await CLIWorkspace.make("cli-prefix-short")
        let wav = try ws.write(WAV.data(seed: 62), to: "a.wav")
        let hex = try await SHA256Sum.hash(wav)
        #expect(try await ws.run(["add", wav]).succeeded)
        let result = try await ws.run(["show", String(hex.prefix(length))])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("error: "), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a prefix shared by two assets is an error that lists both candidates")
    func ambiguous() async throws {
        let ws = try await CLIWorkspace.make("cli-prefix-ambiguous")
        // Distinct tiny WAVs, hashed by sha256sum, until two share 4 leading digits.
        var byPrefix: [String: String] = [:]
        var pair: [String]? = nil
        var paths: [String: String] = [:]
        var seed = 0
        while pair == nil && seed < 8000 {
            var batch: [String] = []
            for s in seed..<(seed + 400) { batch.append(try ws.write(WAV.data(seed: s), to: "gen/\(s).wav")) }
            seed += 400
            for (path, hex) in zip(batch, try await SHA256Sum.hashes(batch)) {
                paths[hex] = path
                if let other = byPrefix[String(hex.prefix(4))] {
                    pair = [other, hex]
                    break
                }
                byPrefix[String(hex.prefix(4))] = hex
            }
        }
        let hashes = try #require(pair)
        let added = try await ws.run(["add", paths[hashes[0]]!, paths[hashes[1]]!])
        #expect(added.succeeded, "\(added)")

        let shared = String(hashes[0].prefix(4))
        for command in [["show", shared], ["export", shared, "-o", "out.wav"]] {
            let result = try await ws.run(command)
            #expect(result.failedCleanly, "\(result)")
            #expect(result.stderrLines.count == 1, "\(result)")
            #expect(result.stderr.hasPrefix("error: "))
            for hex in hashes { #expect(result.stderr.contains(hex.prefix(12)), "\(result.stderr) lists \(hex)") }
            #expect(!fileExists(ws.file("out.wav")))
        }
        let common = zip(hashes[0], hashes[1]).prefix { $0 == $1 }.count
        for hex in hashes {
            #expect(try await ws.show(String(hex.prefix(common + 1)))["id"] as? String == hex)
        }
    }
}
