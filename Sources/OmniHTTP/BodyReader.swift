import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Produces a request body segment by segment for libcurl's read callback.
enum BodyReader {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// Fills up to `capacity` bytes; 0 means the body is complete.
    static func fill(_ state: TransferState, _ buffer: UnsafeMutableRawPointer, _ capacity: Int) throws -> Int {
        var filled = 0
        while filled < capacity, state.segmentIndex < state.segments.count {
            let segment = state.segments[state.segmentIndex]
            var produced = 0
            switch segment {
            case .bytes(let bytes):
                let remaining = bytes.count - Int(state.segmentOffset)
                produced = min(remaining, capacity - filled)
                bytes.withUnsafeBytes { source in
                    (buffer + filled).copyMemory(
                        from: source.baseAddress.map { $0 + Int(state.segmentOffset) } ?? UnsafeRawPointer(buffer),
                        byteCount: produced)
                }
                state.segmentOffset += Int64(produced)
                if Int(state.segmentOffset) == bytes.count { advance(state) }
            case .file(let path, let offset, let length):
                let fd = try open(state, path)
                let want = Int(min(length - state.segmentOffset, Int64(capacity - filled)))
                let n = pread(fd, buffer + filled, want, off_t(offset + state.segmentOffset))
                guard n > 0 else { throw ReadError(description: "cannot read '\(path)' while sending it") }
                produced = n
                state.segmentOffset += Int64(n)
                if state.segmentOffset == length { advance(state) }
            case .base64File(let path, let length):
                if state.pendingBase64.isEmpty {
                    let fd = try open(state, path)
                    let consumed = state.segmentOffset
                    if consumed < length {
                        // Read a multiple of 3 bytes so each chunk encodes without padding.
                        let want = Int(min(length - consumed, Int64(3 << 16)))
                        var raw = [UInt8](repeating: 0, count: want)
                        let n = raw.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(consumed)) }
                        guard n == want else { throw ReadError(description: "cannot read '\(path)' while sending it") }
                        state.pendingBase64 = Array(Data(raw).base64EncodedData())
                        state.segmentOffset += Int64(n)
                    }
                }
                produced = min(state.pendingBase64.count, capacity - filled)
                state.pendingBase64.withUnsafeBytes { source in
                    if let base = source.baseAddress { (buffer + filled).copyMemory(from: base, byteCount: produced) }
                }
                state.pendingBase64.removeFirst(produced)
                if state.pendingBase64.isEmpty && state.segmentOffset >= length { advance(state) }
            }
            filled += produced
        }
        return filled
    }

    private static func advance(_ state: TransferState) {
        state.segmentIndex += 1
        state.segmentOffset = 0
        if state.openFile >= 0 {
            close(state.openFile)
            state.openFile = -1
        }
    }

    private static func open(_ state: TransferState, _ path: String) throws -> Int32 {
        if state.openFile >= 0 { return state.openFile }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ReadError(description: "cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        state.openFile = fd
        return fd
    }
}
