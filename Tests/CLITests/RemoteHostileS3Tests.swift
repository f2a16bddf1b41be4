import Foundation
import TestSupport
import Testing

/// A hostile S3 server (a proxy in front of moto, see `Tests/HostileS3`)
/// whose answer for one kind of key never ends: every read stops at what
/// such a file can weigh, with one line, and nothing is left half-written.
@Suite struct RemoteHostileS3 {
    static let cases: [(label: String, pattern: String)] = [
        ("a ref", "/refs/heads/main$"), ("a turn record", "/turns/[0-9a-f]{64}$"),
        ("an asset pack", "/assets/[0-9a-f]{64}$"), ("an object", "/objects/[0-9a-f]{2}/[0-9a-f]{62}$"),
    ]

    @Test(
        "clone from an S3 server whose ref, turn record, asset pack or object never ends fails with one line, quickly, leaving nothing over its size",
        arguments: 0..<4)
    func endlessBody(_ index: Int) async throws {
        let (label, pattern) = Self.cases[index]
        let dir = try TemporaryDirectory("hostile-s3-\(index)")
        let remote = try await RemoteFixtures.make(.s3, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        for seed in 1...2 { _ = try await recordClip(a, seed: 700 + seed, message: "take \(seed)", remote) }
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push", "origin", "main"], in: a, remote)

        let hostile = try await HostileS3(endless: pattern)
        var environment = remote.environment
        environment["AWS_ENDPOINT_URL"] = hostile.endpoint
        let b = dir.file("b")
        let started = Date()
        let clone = try await OmnistoreCLI.run(
            ["clone", remote.url, b], in: dir.path, environment: environment, timeout: 120)
        let elapsed = Date().timeIntervalSince(started)
        #expect(clone.failedCleanly, "\(label): \(clone)")
        #expect(clone.stderrLines.count == 1, "\(label): \(clone.stderr)")
        #expect(clone.stderr.contains("larger") || clone.stderr.contains("more than"), "\(label): \(clone.stderr)")
        #expect(elapsed < 60, "\(label): took \(elapsed) s")
        // Nothing bigger than a clip of this test (a few KiB) was written anywhere.
        let largest =
            listTree(dir.path).compactMap { relative -> Int? in
                guard !relative.hasPrefix("a/") else { return nil }
                return (try? FileManager.default.attributesOfItem(atPath: dir.file(relative)))?[.size] as? Int
            }.max() ?? 0
        #expect(largest < 1 << 20, "\(label): a file of \(largest) bytes was written")
        withExtendedLifetime(hostile) {}
    }
}
