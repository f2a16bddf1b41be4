import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Remotes and media for the remote-sync tests.
public enum RemoteFixtures {
    /// A kind of remote the sync tests run against.
    public enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case folder, s3
        public var description: String { rawValue }
    }

    /// A fresh, empty remote: its URL and the environment omnistore needs to reach it.
    public struct Remote: Sendable {
        public let kind: Kind
        public let url: String
        public let environment: [String: String]
        /// For a folder remote, its path.
        public let folder: String?
        /// For an S3 remote, the bucket and key prefix.
        public let bucket: String?
        public let prefix: String?

        /// Where an object's bytes live on the remote (a path, or a key).
        public func objectLocation(_ hex: String) -> String {
            let relative = "objects/\(hex.prefix(2))/\(hex.dropFirst(2))"
            if let folder { return folder + "/" + relative }
            return (prefix.map { $0 + "/" } ?? "") + relative
        }

        /// Overwrites an object on the remote with other bytes of the same size.
        public func corruptObject(_ hex: String) async throws {
            if let folder = folder {
                let path = folder + "/objects/\(hex.prefix(2))/\(hex.dropFirst(2))"
                chmod(path, 0o644)
                guard var bytes = fileBytes(path) else { throw TestSupportError("no object at \(path)") }
                bytes[bytes.count / 2] ^= 0xFF
                try bytes.write(to: URL(fileURLWithPath: path))
                return
            }
            guard let bucket else { return }
            try await RemoteServer.corrupt(bucket: bucket, key: objectLocation(hex))
        }
    }

    /// Makes an empty remote of `kind` (a folder under `scratch`, or a new bucket on moto).
    public static func make(_ kind: Kind, in scratch: TemporaryDirectory) async throws -> Remote {
        switch kind {
        case .folder:
            let folder = scratch.file("shared/project.omni")
            return Remote(
                kind: kind, url: "file://" + folder, environment: [:], folder: folder, bucket: nil, prefix: nil)
        case .s3:
            let bucket = try await RemoteServer.makeBucket()
            return Remote(
                kind: kind, url: "s3://\(bucket)/clips", environment: try await RemoteServer.environment(), folder: nil,
                bucket: bucket, prefix: "clips")
        }
    }

    /// Writes a WAV of about `megabytes` MiB of random samples, fast (for large-object tests).
    @discardableResult
    public static func bigWAV(at path: String, megabytes: Int) throws -> String {
        let dataSize = megabytes << 20
        var header = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { header.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { header.append(contentsOf: $0) } }
        header.append(contentsOf: Array("RIFF".utf8))
        u32(36 + dataSize)
        header.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16)
        u16(1)
        u16(2)
        u32(48000)
        u32(48000 * 4)
        u16(4)
        u16(16)
        header.append(contentsOf: Array("data".utf8))
        u32(dataSize)
        _ = FileManager.default.createFile(atPath: path, contents: header)
        guard let output = FileHandle(forWritingAtPath: path), let random = FileHandle(forReadingAtPath: "/dev/urandom")
        else {
            throw TestSupportError("cannot write \(path)")
        }
        defer {
            try? output.close()
            try? random.close()
        }
        output.seekToEndOfFile()
        var left = dataSize
        while left > 0 {
            let chunk = random.readData(ofLength: min(left, 4 << 20))
            output.write(chunk)
            left -= chunk.count
        }
        return path
    }
}
