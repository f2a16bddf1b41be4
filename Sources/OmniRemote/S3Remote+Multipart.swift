import Crypto
import Foundation
import OmniHTTP
import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

extension S3Remote {
    /// The part size for a file: at least 16 MiB, and large enough to stay
    /// under S3's 10,000 parts. It depends only on the size, so a resumed
    /// upload cuts the file exactly as the interrupted one did.
    static func partSize(for size: Int64) -> Int64 {
        max(8 << 20, (size + 9_999) / 10_000)
    }

    /// Download ranges are fewer and larger: eight per object (64 MiB at
    /// least). Servers that read a whole object to answer each range (moto,
    /// some gateways) then pay eight reads, not hundreds, while S3 still gets
    /// eight parallel streams.
    static func downloadPartSize(for size: Int64) -> Int64 {
        max(64 << 20, (size + 7) / 8)
    }

    static func parts(of size: Int64, step fixed: Int64? = nil) -> [(number: Int, offset: Int64, length: Int64)] {
        let step = fixed ?? partSize(for: size)
        var parts: [(Int, Int64, Int64)] = []
        var offset: Int64 = 0
        while offset < size {
            parts.append((parts.count + 1, offset, min(step, size - offset)))
            offset += step
        }
        return parts
    }

    /// Uploads in parallel parts, continuing an unfinished upload of the
    /// same key when S3 still holds one: parts already there with the right
    /// size and MD5 are kept.
    func uploadMultipart(_ key: String, from path: String, size: Int64, progress: @escaping TransferProgress) throws {
        let parts = S3Remote.parts(of: size)
        let uploadID: String
        let existing: [Int: (etag: String, size: Int64)]
        if let resumable = try findUpload(key) {
            uploadID = resumable
            existing = try listParts(key, uploadID: uploadID)
        } else {
            uploadID = try startUpload(key)
            existing = [:]
        }
        let etags = LockedParts(count: parts.count)
        let id = uploadID
        try ParallelWork.run(parts.count, workers: parallelism) { index in
            let part = parts[index]
            if let held = existing[part.number], held.size == part.length {
                let md5 = try S3Remote.md5(file: path, offset: part.offset, length: part.length)
                if held.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == md5 {
                    etags.set(index, held.etag)
                    progress(part.length)
                    return
                }
            }
            let hash = try Digest.sha256(file: path, offset: part.offset, length: part.length)
            let request = Request(
                method: "PUT", key: key, query: [("partNumber", String(part.number)), ("uploadId", id)],
                headers: [("content-type", "application/octet-stream")],
                body: [.file(path: path, offset: part.offset, length: part.length)], payloadHash: hash)
            let response = try send(request, what: "upload part \(part.number) of \(key)")
            guard response.status == 200, let etag = response.headers["etag"] else {
                throw failure(response, "upload part \(part.number) of \(key)")
            }
            etags.set(index, etag)
            progress(part.length)
        }
        var body = "<CompleteMultipartUpload>"
        for (index, part) in parts.enumerated() {
            body += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(etags.get(index)))</ETag></Part>"
        }
        body += "</CompleteMultipartUpload>"
        let bytes = Array(body.utf8)
        let request = Request(
            method: "POST", key: key, query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")],
            body: [.bytes(bytes)], payloadHash: Digest.sha256(bytes))
        let response = try send(request, what: "finish uploading \(key)")
        // S3 can answer 200 and still report an error in the body.
        guard response.status == 200, !response.bodyText.contains("<Error>") else {
            throw failure(response, "finish uploading \(key)")
        }
    }

    private func findUpload(_ key: String) throws -> String? {
        let full = fullKey(key)
        let response = try send(
            Request(method: "GET", key: nil, query: [("uploads", ""), ("prefix", full)]), what: "list uploads")
        guard response.status == 200 else { return nil }
        for block in S3XML.blocks("Upload", in: response.bodyText).reversed()
        where S3XML.value("Key", in: block) == full {
            if let id = S3XML.value("UploadId", in: block) { return id }
        }
        return nil
    }

    private func listParts(_ key: String, uploadID: String) throws -> [Int: (etag: String, size: Int64)] {
        var found: [Int: (String, Int64)] = [:]
        var marker: String? = nil
        repeat {
            var query = [("uploadId", uploadID)]
            if let marker { query.append(("part-number-marker", marker)) }
            let response = try send(Request(method: "GET", key: key, query: query), what: "list parts of \(key)")
            guard response.status == 200 else { return [:] }
            let text = response.bodyText
            for block in S3XML.blocks("Part", in: text) {
                guard let number = S3XML.value("PartNumber", in: block).flatMap(Int.init),
                    let etag = S3XML.value("ETag", in: block),
                    let size = S3XML.value("Size", in: block).flatMap(Int64.init)
                else { continue }
                found[number] = (etag, size)
            }
            marker =
                S3XML.value("IsTruncated", in: text) == "true" ? S3XML.value("NextPartNumberMarker", in: text) : nil
        } while marker != nil
        return found
    }

    private func startUpload(_ key: String) throws -> String {
        let request = Request(
            method: "POST", key: key, query: [("uploads", "")], headers: [("content-type", "application/octet-stream")])
        let response = try send(request, what: "start uploading \(key)")
        guard response.status == 200, let id = S3XML.value("UploadId", in: response.bodyText) else {
            throw failure(response, "start uploading \(key)")
        }
        return id
    }

    static func md5(file path: String, offset: Int64, length: Int64) throws -> String {
        let file = try LocalFile.open(path, flags: O_RDONLY)
        try file.seek(to: offset)
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var hasher = Insecure.MD5()
        var remaining = length
        while remaining > 0 {
            let n = try file.read(into: buffer, count: Int(min(Int64(chunk), remaining)))
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            remaining -= Int64(n)
        }
        return SigV4Signer.hex(hasher.finalize())
    }

    /// Downloads with parallel ranged GETs into one file, each part written
    /// at its offset through its own descriptor. Finished parts are noted in
    /// `<path>.parts`, so a rerun fetches only the rest.
    func downloadInParts(_ key: String, size: Int64, to path: String, progress: @escaping TransferProgress) throws {
        let parts = S3Remote.parts(of: size, step: S3Remote.downloadPartSize(for: size))
        let journalPath = path + ".parts"
        var done: Set<Int> = []
        if let text = try? String(contentsOfFile: journalPath, encoding: .utf8),
            let file = try? LocalFile.open(path, flags: O_RDONLY), file.size == size
        {
            done = Set(text.split(separator: "\n").compactMap { Int($0) })
        } else {
            unlink(journalPath)
            let file = try LocalFile.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            guard ftruncate(file.raw, off_t(size)) == 0 else {
                throw LocalFile.posixError(errno, "cannot size '\(path)'")
            }
        }
        let journal = try PartJournal(path: journalPath)
        for part in parts where done.contains(part.number) { progress(part.length) }
        let pending = parts.filter { !done.contains($0.number) }
        try ParallelWork.run(pending.count, workers: parallelism) { index in
            let part = pending[index]
            try downloadPart(key, part: (part.offset, part.length), to: path, progress: progress)
            try journal.append(part.number)
        }
        let file = try LocalFile.open(path, flags: O_WRONLY)
        try file.sync()
        unlink(journalPath)
    }

    private func downloadPart(
        _ key: String, part: (offset: Int64, length: Int64), to path: String, progress: @escaping TransferProgress
    ) throws {
        let file = try LocalFile.open(path, flags: O_WRONLY)
        var offset = part.offset
        let end = part.offset + part.length
        for attempt in 1...S3Remote.retries.attempts {
            try file.seek(to: offset)
            let request = Request(method: "GET", key: key, headers: [("range", "bytes=\(offset)-\(end - 1)")])
            var reported: Int64 = 0
            do {
                let (response, written) = try clients.with {
                    try $0.send(signed(request), bodyTo: file.raw, maxBytes: end - offset) { now in
                        progress(now - reported)
                        reported = now
                    }
                }
                guard response.status == 206 else {
                    if [500, 502, 503, 504, 429].contains(response.status), attempt < S3Remote.retries.attempts {
                        S3Remote.backoff(attempt)
                        continue
                    }
                    if response.status == 200 {
                        throw RemoteError(
                            .protocolError,
                            "\(displayURL) ignored a byte range request: it cannot serve large objects in parts")
                    }
                    throw failure(response, "download \(key)")
                }
                offset += written
                progress(written - reported)
                guard offset == end else {
                    throw RemoteError(
                        .corrupt, "\(key) on \(displayURL) is shorter than its listed size: the remote copy is damaged")
                }
                return
            } catch let error as HTTPError {
                if error.code == .refused {
                    throw RemoteError(
                        .corrupt,
                        "a part of \(key) on \(displayURL) is longer than it should be: the remote copy is damaged")
                }
                guard error.isRetryable, attempt < S3Remote.retries.attempts else {
                    throw RemoteError(
                        .transport,
                        "cannot download \(key) from \(displayURL): \(error.message); run the command again to resume")
                }
                offset += error.bytesReceived
                progress(error.bytesReceived - reported)
                S3Remote.backoff(attempt)
            }
        }
        throw RemoteError(
            .transport, "cannot download \(key) from \(displayURL): it kept failing; run the command again to resume")
    }
}

/// The numbers of finished parts, appended as they finish.
final class PartJournal: @unchecked Sendable {
    // @unchecked: `file` is only written under `lock`.
    private let lock = NSLock()
    private let file: LocalFile

    init(path: String) throws {
        file = try LocalFile.open(path, flags: O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
    }

    func append(_ number: Int) throws {
        let line = Array("\(number)\n".utf8)
        lock.lock()
        defer { lock.unlock() }
        try line.withUnsafeBytes { buffer in
            if let base = buffer.baseAddress { try file.writeAll(base, count: buffer.count) }
        }
    }
}

/// Part ETags collected from parallel uploads.
final class LockedParts: @unchecked Sendable {
    // @unchecked: `etags` is only touched under `lock`.
    private let lock = NSLock()
    private var etags: [String]

    init(count: Int) { etags = Array(repeating: "", count: count) }

    func set(_ index: Int, _ etag: String) {
        lock.lock()
        etags[index] = etag
        lock.unlock()
    }

    func get(_ index: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        return etags[index]
    }
}
