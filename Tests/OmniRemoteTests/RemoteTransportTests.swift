import Foundation
import Testing
import TestSupport

@testable import OmniRemote

/// The two kinds of remote the contract tests run against.
enum RemoteKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case folder, s3
    var description: String { rawValue }
}

/// A transport on a fresh remote (a temp folder, or a new bucket on moto),
/// plus the folder that holds the test's own files.
struct TransportFixture {
    let transport: any RemoteTransport
    let scratch: TemporaryDirectory

    static func make(_ kind: RemoteKind, addressing: String? = nil) async throws -> TransportFixture {
        let scratch = try TemporaryDirectory("remote-transport")
        switch kind {
        case .folder:
            return TransportFixture(
                transport: try FileRemote(root: scratch.file("remote.omni"), create: true), scratch: scratch)
        case .s3:
            let bucket = try await RemoteServer.makeBucket()
            var environment = try await RemoteServer.environment()
            if addressing == "virtual" {
                environment["AWS_ENDPOINT_URL"] = environment["AWS_ENDPOINT_URL"]?.replacingOccurrences(
                    of: "127.0.0.1", with: "localhost")
            }
            let transport = try Remotes.open(
                "s3://\(bucket)/team/project", s3: Remotes.S3Options(addressing: addressing), environment: environment)
            return TransportFixture(transport: transport, scratch: scratch)
        }
    }

    /// Writes `count` random bytes to a scratch file and returns its path and SHA-256.
    func randomFile(_ name: String, count: Int) throws -> (path: String, sha256: String) {
        var bytes = [UInt8](repeating: 0, count: count)
        var generator = SystemRandomNumberGenerator()
        for index in stride(from: 0, to: count, by: 8) {
            let value = generator.next() as UInt64
            withUnsafeBytes(of: value) { raw in
                for offset in 0..<min(8, count - index) { bytes[index + offset] = raw[offset] }
            }
        }
        let path = try scratch.write(Data(bytes), to: name)
        return (path, Digest.sha256(bytes))
    }
}

@Suite("RemoteTransport")
struct RemoteTransportTests {
    @Test("small files: write, read, size, list", arguments: RemoteKind.allCases)
    func smallFiles(_ kind: RemoteKind) async throws {
        let fixture = try await TransportFixture.make(kind)
        let remote = fixture.transport
        #expect(try remote.read("turns/\(String(repeating: "a", count: 64))", limit: RemoteLimits.turn) == nil)
        #expect(try remote.size(of: "objects/ab/cd") == nil)
        try remote.write("turns/one", bytes: Array("first".utf8))
        try remote.write("turns/two", bytes: Array("second!".utf8))
        try remote.write("assets/three", bytes: Array("x".utf8))
        #expect(try remote.read("turns/one", limit: RemoteLimits.turn) == Array("first".utf8))
        #expect(try remote.size(of: "turns/two") == 7)
        let listed = try remote.list("turns/").sorted { $0.key < $1.key }
        #expect(listed == [RemoteEntry(key: "turns/one", size: 5), RemoteEntry(key: "turns/two", size: 7)])
        #expect(try remote.list("refs/heads/").isEmpty)
    }

    @Test("refs move only by compare-and-swap", arguments: RemoteKind.allCases)
    func compareAndSwap(_ kind: RemoteKind) async throws {
        let fixture = try await TransportFixture.make(kind)
        let remote = fixture.transport
        let key = "refs/heads/style/noir"
        #expect(try remote.readRef(key) == nil)
        #expect(try remote.swapRef(key, expected: nil, to: Array("A\n".utf8)))
        // A second create (If-None-Match: * on S3) loses.
        #expect(try !remote.swapRef(key, expected: nil, to: Array("B\n".utf8)))
        let first = try #require(try remote.readRef(key))
        #expect(first.value == Array("A\n".utf8))
        #expect(try remote.swapRef(key, expected: first, to: Array("C\n".utf8)))
        // The version read before the last swap is stale now (wrong If-Match).
        #expect(try !remote.swapRef(key, expected: first, to: Array("D\n".utf8)))
        #expect(try remote.readRef(key)?.value == Array("C\n".utf8))
        #expect(try remote.list("refs/heads/").map(\.key) == [key])
    }

    @Test("of many writers racing on one ref, exactly one wins", arguments: RemoteKind.allCases)
    func racingSwaps(_ kind: RemoteKind) async throws {
        let fixture = try await TransportFixture.make(kind)
        let remote = fixture.transport
        let key = "refs/heads/main"
        #expect(try remote.swapRef(key, expected: nil, to: Array("base\n".utf8)))
        let base = try #require(try remote.readRef(key))
        let wins = Locked(0)
        try ParallelWork.run(8, workers: 8) { index in
            if try remote.swapRef(key, expected: base, to: Array("writer \(index)\n".utf8)) {
                wins.withValue { $0 += 1 }
            }
        }
        #expect(wins.current == 1)
        #expect(try remote.readRef(key)?.value != base.value)
    }

    @Test("upload and download verify, and a download resumes", arguments: RemoteKind.allCases)
    func uploadDownload(_ kind: RemoteKind) async throws {
        let fixture = try await TransportFixture.make(kind)
        let remote = fixture.transport
        let (path, hash) = try fixture.randomFile("clip.bin", count: 3 << 20)
        let key = "objects/\(hash.prefix(2))/\(hash.dropFirst(2))"
        let sent = Locked<Int64>(0)
        try remote.upload(
            key, from: path, size: 3 << 20, sha256: hash, progress: { delta in sent.withValue { $0 += delta } })
        #expect(sent.current == 3 << 20)
        #expect(try remote.size(of: key) == 3 << 20)
        // A partial download (the first MiB, as a killed pull leaves it) is continued.
        let original = try #require(fileBytes(path))
        let partial = try fixture.scratch.write(original.prefix(1 << 20), to: "partial")
        try remote.download(key, size: 3 << 20, to: partial, progress: { _ in })
        #expect(try Digest.sha256(file: partial) == hash)
    }

    @Test("a large file goes up in parts, and an unfinished upload is completed", arguments: RemoteKind.allCases)
    func multipart(_ kind: RemoteKind) async throws {
        let fixture = try await TransportFixture.make(kind)
        let remote = fixture.transport
        let size = Int(S3Remote.multipartThreshold) + (5 << 20)
        let (path, hash) = try fixture.randomFile("big.bin", count: size)
        let key = "objects/\(hash.prefix(2))/\(hash.dropFirst(2))"
        if let s3 = remote as? S3Remote {
            // Leave an upload half done, as a killed push would: two parts sent, no completion.
            let parts = S3Remote.parts(of: Int64(size))
            #expect(parts.count > 2)
            let start = try s3.send(S3Remote.Request(method: "POST", key: key, query: [("uploads", "")]), what: "start")
            let uploadID = try #require(S3XML.value("UploadId", in: start.bodyText))
            for part in parts.prefix(2) {
                let request = S3Remote.Request(
                    method: "PUT", key: key, query: [("partNumber", String(part.number)), ("uploadId", uploadID)],
                    body: [.file(path: path, offset: part.offset, length: part.length)],
                    payloadHash: try Digest.sha256(file: path, offset: part.offset, length: part.length))
                #expect(try s3.send(request, what: "part").status == 200)
            }
        }
        try remote.upload(key, from: path, size: Int64(size), sha256: hash, progress: { _ in })
        #expect(try remote.size(of: key) == Int64(size))
        let copy = fixture.scratch.file("copy.bin")
        let received = Locked<Int64>(0)
        try remote.download(key, size: Int64(size), to: copy, progress: { delta in received.withValue { $0 += delta } })
        #expect(received.current == Int64(size))
        #expect(try Digest.sha256(file: copy) == hash)
    }

    @Test("virtual-hosted addressing reaches the same bucket")
    func virtualHosted() async throws {
        let fixture = try await TransportFixture.make(.s3, addressing: "virtual")
        let remote = try #require(fixture.transport as? S3Remote)
        #expect(remote.address("turns/x").host.hasPrefix(remote.bucket + ".localhost:"))
        try remote.write("turns/x", bytes: [1, 2, 3])
        #expect(try remote.read("turns/x", limit: RemoteLimits.turn) == [1, 2, 3])
        #expect(try remote.list("turns/").map(\.key) == ["turns/x"])
    }

    @Test func remoteURLsAreChecked() throws {
        #expect(throws: RemoteError.self) { try Remotes.validate("ftp://nas/x") }
        #expect(throws: RemoteError.self) { try Remotes.validate("s3://No_Such") }
        #expect(throws: RemoteError.self) { try Remotes.validate("file://relative/path") }
        try Remotes.validate("s3://bucket-1/a/b")
        try Remotes.validate("file:///mnt/nas/project.omni")
    }

    @Test func missingCredentialsSayWhatToSet() throws {
        let error = #expect(throws: RemoteError.self) { try Remotes.open("s3://bucket/p", environment: [:]) }
        #expect(error?.code == .authentication)
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test func partsAreCutTheSameWayEveryTime() {
        let size: Int64 = (1 << 30) + 12345
        let parts = S3Remote.parts(of: size)
        #expect(parts.reduce(0) { $0 + $1.length } == size)
        #expect(parts.allSatisfy { $0.length <= S3Remote.partSize(for: size) })
        #expect(S3Remote.parts(of: size).map(\.offset) == parts.map(\.offset))
    }
}
