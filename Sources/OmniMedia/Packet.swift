internal import CFFmpeg

/// An owned `AVPacket`, freed on deinit.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    /// The corresponding C function is `av_packet_alloc`.
    init() throws(MediaError) {
        guard let packet = av_packet_alloc() else {
            throw MediaError(.library, path: nil, "out of memory allocating a packet")
        }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    var streamIndex: Int32 { pointer.pointee.stream_index }
    var isKeyframe: Bool { pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }

    /// The presentation timestamp in stream time base, when the container gives one.
    var pts: Int64? {
        let value = pointer.pointee.pts
        return value == cffmpeg_nopts_value() ? nil : value
    }

    /// The packet's payload, empty when it has none.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let raw = pointer.pointee
        guard let data = raw.data, raw.size > 0 else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return body(UnsafeBufferPointer(start: data, count: Int(raw.size)))
    }

    /// The corresponding C function is `av_packet_unref`.
    func unref() {
        av_packet_unref(pointer)
    }
}

@available(*, unavailable)
extension Packet: Sendable {}
