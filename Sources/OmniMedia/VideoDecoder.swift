internal import CFFmpeg
import Foundation

/// One video stream of a file, demuxed and decoded in-process: seeks, exact
/// frames, keyframes and sequential reading.
///
/// Not thread-safe: use it from one thread at a time.
final class VideoDecoder {
    /// What a request for a frame at a time found.
    enum Outcome {
        /// The first frame at or after the target, in ``VideoDecoder/frame``.
        case frame
        /// The stream ended before the target; ``VideoDecoder/previous`` holds
        /// the last frame before it, if any was decoded.
        case endedBefore
    }

    let path: String
    private var input: InputFormatContext
    private(set) var stream: UnsafeMutablePointer<AVStream>
    let streamIndex: Int32
    private let codec: CodecContext
    private let packet: Packet
    /// The frame the last request returned.
    let frame: Frame
    /// The last frame decoded before the target of the last request.
    let previous: Frame
    let timeBase: AVRational
    /// The file's start time in stream time base: times are counted from it,
    /// as `ffmpeg -ss` counts them.
    let startTimestamp: Int64
    /// The same in microseconds (`AV_TIME_BASE`).
    private let startMicros: Int64
    /// Whether the file is a still image (one picture, no timeline).
    let isStill: Bool
    /// Seconds of video, when the file says.
    let duration: Double?
    /// Frames per second, when the file says.
    let frameRate: Double?
    let orientation: Orientation
    /// Spots H.264 packets that only hold a non-reference picture, which a
    /// seek leaves out rather than sends to be skipped; nil for other streams.
    private let nonReference: NonReferencePackets?

    /// Whether the decoder was told the input ended (it needs a flush to take more).
    private var draining = false
    /// Whether the demuxer has run out of packets.
    private var atEndOfFile = false
    /// The timestamp of the last frame handed out, for continuing forward.
    private(set) var lastTimestamp: Int64?
    /// Whether packets are left out until the next keyframe: a seek may land
    /// between keyframes, and what comes before the next one cannot be decoded.
    private var awaitingKeyframe = false
    /// Whether a keyframe was sent since the decoder was last emptied.
    private var keyframeSent = false
    /// Whether the decoder is reading from the start of the file, rather than
    /// from where a seek landed.
    private var readingFromStart = true
    /// Whether a frame came out since the last seek, and the timestamps of
    /// the first keyframe and the first frame that did.
    private var outputSinceSeek = false
    private var firstKeyframeSinceSeek: Int64?
    private var firstFrameSinceSeek: Int64?

    /// A request reads at most this many packets; a stream that needs more is
    /// treated as broken rather than decoded forever.
    static let packetBudget = 500_000
    /// Decode errors tolerated per request before giving up on the stream.
    static let errorBudget = 250

    /// Opens `path` and its first video stream that is not cover art.
    ///
    /// - Parameters:
    ///   - threads: decoder threads; 0 means every core, with frame threading.
    ///   - minimumSide: let a decoder that can decode at a reduced size
    ///     (JPEG) do so, keeping the longest side at least this long.
    init(path: String, threads: Int, minimumSide: Int? = nil) throws(MediaError) {
        self.path = path
        var info = stat()
        if stat(path, &info) == 0, info.st_size == 0 {
            throw MediaError(.notMedia, path: path, "the file is empty")
        }
        input = try InputFormatContext(path: path)
        var found = VideoDecoder.videoStream(in: input, requireParameters: true)
        if found == nil {
            // Headers that leave the size out (raw streams, image pipes) need
            // packets read to fill it in; mp4 and Matroska never get here.
            try input.findStreamInfo()
            found = VideoDecoder.videoStream(in: input, requireParameters: false)
        }
        guard let found else {
            throw MediaError(.invalidMedia, path: path, "has no video stream to take frames from")
        }
        stream = found
        streamIndex = found.pointee.index
        let parameters = found.pointee.codecpar.pointee
        let limit = MediaProbe.maxDimension
        if parameters.width > limit || parameters.height > limit {
            throw MediaError(
                .limitExceeded, path: path,
                "declares a \(parameters.width)x\(parameters.height) picture, larger than the \(limit)x\(limit) limit")
        }
        timeBase = found.pointee.time_base
        guard timeBase.num > 0, timeBase.den > 0 else {
            throw MediaError(.invalidMedia, path: path, "the video stream has no time base")
        }
        startMicros = try VideoDecoder.startTime(of: input)
        startTimestamp = av_rescale_q(startMicros, cffmpeg_time_base_q(), timeBase)
        let format = input.pointer.pointee
        let name = input.formatName
        if name == "gif" {
            isStill = try VideoDecoder.countPackets(path: path, stream: found.pointee.index, upTo: 2) <= 1
        } else {
            isStill = name.hasSuffix("_pipe") || name == "image2"
        }
        if found.pointee.duration > 0, found.pointee.duration != cffmpeg_nopts_value() {
            duration = Double(found.pointee.duration) * av_q2d(timeBase)
        } else if format.duration > 0, format.duration != cffmpeg_nopts_value() {
            duration = Double(format.duration) / Double(AV_TIME_BASE)
        } else {
            duration = nil
        }
        let rate = found.pointee.avg_frame_rate
        frameRate = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : nil
        orientation = VideoDecoder.orientation(of: found)
        if parameters.codec_id == AV_CODEC_ID_H264, let extradata = parameters.extradata {
            nonReference = NonReferencePackets(
                avcC: UnsafeBufferPointer(start: extradata, count: Int(max(parameters.extradata_size, 0))))
        } else {
            nonReference = nil
        }
        codec = try CodecContext.decoder(for: found, threads: threads, path: path, minimumSide: minimumSide)
        packet = try Packet()
        frame = try Frame()
        previous = try Frame()
    }

    private static func videoStream(
        in input: InputFormatContext, requireParameters: Bool
    ) -> UnsafeMutablePointer<AVStream>? {
        for index in 0..<input.streamCount {
            guard let stream = input.stream(at: index), let parameters = stream.pointee.codecpar else { continue }
            let p = parameters.pointee
            guard p.codec_type == AVMEDIA_TYPE_VIDEO, stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
            else { continue }
            if requireParameters, p.codec_id == AV_CODEC_ID_NONE || p.width <= 0 || p.height <= 0 { continue }
            return stream
        }
        return nil
    }

    /// Counts a stream's packets on a separate demuxer, stopping at `limit`:
    /// a one-frame GIF is a still image.
    private static func countPackets(path: String, stream: Int32, upTo limit: Int) throws(MediaError) -> Int {
        let counter = try InputFormatContext(path: path)
        let packet = try Packet()
        var count = 0
        var reads = 0
        while count < limit, reads < 10_000, av_read_frame(counter.pointer, packet.pointer) >= 0 {
            if packet.streamIndex == stream { count += 1 }
            reads += 1
            packet.unref()
        }
        return count
    }

    private static func orientation(of stream: UnsafeMutablePointer<AVStream>) -> Orientation {
        var size: Int = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size),
            size >= 9 * MemoryLayout<Int32>.size
        else { return .identity }
        return data.withMemoryRebound(to: Int32.self, capacity: 9) { matrix in
            Orientation(
                matrix: Array(UnsafeBufferPointer(start: matrix, count: 9)), degrees: av_display_rotation_get(matrix))
        }
    }

    // MARK: - Time

    /// A time in seconds from the start of the file, in stream time base,
    /// rounded as `ffmpeg -ss` rounds it (to microseconds, then to the nearest tick).
    func timestamp(seconds: Double) -> Int64 {
        let micros = Int64((seconds * 1_000_000).rounded())
        return av_rescale_q(micros + startMicros, cffmpeg_time_base_q(), timeBase)
    }

    /// The file's start time in microseconds, as `avformat_find_stream_info`
    /// sets it and ffmpeg counts `-ss` from: the earliest start of its audio
    /// and video streams (0 when none says).
    ///
    /// Opening a file leaves it unset. MP4 and MOV give each stream's start
    /// from the index (an audio stream may start before the video); other
    /// demuxers (Matroska, WebM) need packets read for it.
    private static func startTime(of input: InputFormatContext) throws(MediaError) -> Int64 {
        let nopts = cffmpeg_nopts_value()
        if input.pointer.pointee.start_time != nopts { return input.pointer.pointee.start_time }
        var earliest: Int64? = nil
        for index in 0..<input.streamCount {
            guard let stream = input.stream(at: index), let parameters = stream.pointee.codecpar else { continue }
            let type = parameters.pointee.codec_type
            guard type == AVMEDIA_TYPE_VIDEO || type == AVMEDIA_TYPE_AUDIO,
                stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
            else { continue }
            let start = stream.pointee.start_time
            guard start != nopts, stream.pointee.time_base.den > 0 else {
                try input.findStreamInfo()
                let found = input.pointer.pointee.start_time
                return found == nopts ? 0 : found
            }
            let micros = av_rescale_q(start, stream.pointee.time_base, cffmpeg_time_base_q())
            earliest = min(earliest ?? micros, micros)
        }
        return earliest ?? 0
    }

    /// Seconds from the start of the file for a stream timestamp.
    func seconds(_ timestamp: Int64) -> Double {
        Double(timestamp - startTimestamp) * av_q2d(timeBase)
    }

    /// The frame duration in stream ticks, from the frame rate (or 1/25 s).
    var frameTicks: Int64 {
        let rate = stream.pointee.avg_frame_rate
        let perSecond = rate.num > 0 && rate.den > 0 ? rate : AVRational(num: 25, den: 1)
        return max(1, av_rescale_q(1, av_inv_q(perSecond), timeBase))
    }

    // MARK: - Seeking

    /// Goes to the keyframe at or before `target` and empties the decoder,
    /// as `ffmpeg -ss` does.
    ///
    /// The corresponding C function is `avformat_seek_file`. Demuxers that
    /// cannot seek by time are reopened and read from the start instead.
    /// Packets are left out until the next keyframe (see ``seekAndDecode(atOrAfter:drainEarly:)``).
    func seek(to target: Int64) throws(MediaError) {
        let result = avformat_seek_file(input.pointer, streamIndex, Int64.min, target, target, 0)
        if result < 0 {
            // Even with nothing read yet, a failed seek may have moved the
            // demuxer (Matroska reads on to find clusters for a time before
            // its first frame, and is left at the end): start again.
            try rewind()
        } else {
            readingFromStart = false
            awaitingKeyframe = true
        }
        resetAfterSeek()
    }

    /// Reopens the file, so that decoding starts from its first packet.
    func rewindToStart() throws(MediaError) {
        try rewind()
        resetAfterSeek()
    }

    /// Forgets what was decoded before a seek or a rewind.
    private func resetAfterSeek() {
        codec.flush()
        draining = false
        atEndOfFile = false
        lastTimestamp = nil
        keyframeSent = false
        outputSinceSeek = false
        firstKeyframeSinceSeek = nil
        firstFrameSinceSeek = nil
    }

    /// Whether what was decoded since the last seek starts at or before
    /// `target`: the first keyframe that came out (else the first frame) is
    /// not later. Reading from the start of the file always counts.
    private func started(atOrBefore target: Int64) -> Bool {
        if readingFromStart { return true }
        guard outputSinceSeek else { return false }
        guard let start = firstKeyframeSinceSeek ?? firstFrameSinceSeek else { return true }
        return start <= target
    }

    /// Earlier seeks tried before reading the file from its start.
    static let seekRetries = 6

    /// The seek to try when the last one landed past what `target` needs:
    /// `step` ticks before the target; nil once that is before the file's
    /// start, where only reading from the start is left.
    private func earlierSeek(than target: Int64, step: Int64) -> Int64? {
        let earlier = target - step
        let first = stream.pointee.start_time == cffmpeg_nopts_value() ? startTimestamp : stream.pointee.start_time
        return earlier > min(first, startTimestamp) ? earlier : nil
    }

    /// One second in stream ticks.
    private var secondTicks: Int64 { max(1, av_rescale_q(1, AVRational(num: 1, den: 1), timeBase)) }

    /// Seeks to `target` and decodes to the first frame at or after it, as
    /// ``decode(atOrAfter:drainEarly:)``, making sure decoding started from a
    /// keyframe at or before the target.
    ///
    /// Demuxers without an index (MPEG-TS, MPEG-PS) seek by a binary search
    /// over timestamps, which lands on any packet before the target, rarely a
    /// keyframe: decoding from there gives nothing (or a picture built on
    /// missing references) until the next keyframe, after the target. So the
    /// packets before the first keyframe after a seek are left out, and when
    /// that keyframe comes out later than the target, the seek is repeated 1 s
    /// earlier, then 2 s, 4 s…, and at last the file is read from its start.
    /// The B-frames shown before that keyframe, which refer to pictures
    /// before it, are then never the answer.
    func seekAndDecode(atOrAfter target: Int64, drainEarly: Bool) throws(MediaError) -> Outcome {
        var seekTarget = target
        var step = secondTicks
        for _ in 0..<VideoDecoder.seekRetries {
            try seek(to: seekTarget)
            let outcome = try decode(atOrAfter: target, drainEarly: drainEarly)
            if started(atOrBefore: target) { return outcome }
            guard let earlier = earlierSeek(than: target, step: step) else { break }
            seekTarget = earlier
            step *= 2
        }
        try rewindToStart()
        return try decode(atOrAfter: target, drainEarly: drainEarly)
    }

    private func rewind() throws(MediaError) {
        let reopened = try InputFormatContext(path: path)
        if VideoDecoder.videoStream(in: reopened, requireParameters: true) == nil {
            try reopened.findStreamInfo()
        }
        guard let again = reopened.stream(at: Int(streamIndex)) else {
            throw MediaError(.invalidMedia, path: path, "the video stream is gone after reopening the file")
        }
        input = reopened
        stream = again
        readingFromStart = true
        awaitingKeyframe = false
    }

    /// Whether reaching `target` is cheaper by decoding on from the last
    /// frame than by seeking: it is ahead, and no keyframe lies between.
    func canContinue(to target: Int64) -> Bool {
        guard !draining, let last = lastTimestamp, target > last else { return false }
        let index = av_index_search_timestamp(stream, target, AVSEEK_FLAG_BACKWARD)
        guard index >= 0, let entry = avformat_index_get_entry(stream, index) else {
            return target - last <= frameTicks * 50
        }
        return entry.pointee.timestamp <= last
    }

    // MARK: - Decoding

    /// Decodes forward to the first frame whose timestamp is at or after `target`.
    ///
    /// Packets before the target that no other frame refers to are not
    /// decoded at all (`AVDISCARD_NONREF`): that holds until the first packet,
    /// in decode order, at or after the target or without a timestamp, and
    /// after it for every packet still before the target (the B-frames shown
    /// before a reference frame are decoded after it, and are never needed).
    /// Such H.264 packets are not even sent (``NonReferencePackets``), so
    /// frame threading spends its workers on the frames that count.
    ///
    /// - Parameter drainEarly: stop feeding packets once every frame that can
    ///   still come before the target has been sent, and drain the decoder,
    ///   instead of decoding past the target to push it out of frame threading.
    ///   The decoder then needs a seek before the next request.
    func decode(atOrAfter target: Int64, drainEarly: Bool) throws(MediaError) -> Outcome {
        previous.unref()
        var reachedTarget = false
        var switchPTS: Int64? = nil
        var sentSinceSwitch = 0
        var sawLaterPacket = false
        var drainNow = false
        var earlyDrain = drainEarly
        // Sees every packet of the stream, sent or left out, so the decision
        // to drain is the same either way.
        func track(_ packet: Packet, before: Bool) {
            if !reachedTarget {
                if before { return }
                reachedTarget = true
                switchPTS = packet.pts
                if switchPTS == nil { earlyDrain = false }
                // A frame exactly at the target is the answer: nothing
                // decoded later can be shown between the two.
                if earlyDrain, switchPTS == target { drainNow = true }
                return
            }
            guard earlyDrain, let switchPTS else { return }
            sentSinceSwitch += 1
            guard let pts = packet.pts else {
                earlyDrain = false
                return
            }
            if pts > switchPTS { sawLaterPacket = true }
            // Every frame shown before the first packet at or after the
            // target is in once a later reference frame has been sent, and
            // more packets than the decoder's reorder depth.
            if sawLaterPacket, sentSinceSwitch >= self.codec.reorderDepth + 2 { drainNow = true }
        }
        let found = try run(
            accept: { frame throws(MediaError) in
                guard let timestamp = frame.timestamp, timestamp < target else { return true }
                try self.keepAsPrevious(frame)
                return false
            },
            beforeSend: { packet in
                let before = packet.pts.map { $0 < target } ?? false
                self.codec.skipFrame = before ? AVDISCARD_NONREF : AVDISCARD_DEFAULT
                // Packets before the first keyframe (a file that starts
                // without one) give no frame: draining early on them would
                // end the request with nothing decoded.
                if packet.isKeyframe { self.keyframeSent = true }
                if self.keyframeSent { track(packet, before: before) }
                // The decoder would skip it anyway; left out, it takes no frame-threading worker.
                guard before, let nonReference = self.nonReference else { return true }
                return !packet.withBytes(nonReference.isNonReference)
            },
            afterSend: { drainNow })
        codec.skipFrame = AVDISCARD_DEFAULT
        if found {
            lastTimestamp = frame.timestamp
            return .frame
        }
        return .endedBefore
    }

    /// Decodes the next frame in display order; false at the end of the stream.
    func decodeNext() throws(MediaError) -> Bool {
        codec.skipFrame = AVDISCARD_DEFAULT
        let found = try run(accept: { _ in true }, beforeSend: { _ in true }, afterSend: { false })
        if found { lastTimestamp = frame.timestamp }
        return found
    }

    /// Seeks to the keyframe at or before `target` and decodes only it.
    ///
    /// - Returns: false when no keyframe could be decoded from there to the end.
    func decodeKeyframe(atOrBefore target: Int64) throws(MediaError) -> Bool {
        // As in seekAndDecode: a seek that lands past the keyframe wanted
        // (demuxers without an index) is repeated earlier, then from the start.
        var seekTarget = target
        var step = secondTicks
        for _ in 0..<VideoDecoder.seekRetries {
            try seek(to: seekTarget)
            let found = try decodeFirstKeyframe()
            if started(atOrBefore: target) { return found }
            guard let earlier = earlierSeek(than: target, step: step) else { break }
            seekTarget = earlier
            step *= 2
        }
        try rewindToStart()
        return try decodeFirstKeyframe()
    }

    /// Decodes only the next keyframe from wherever the demuxer is.
    private func decodeFirstKeyframe() throws(MediaError) -> Bool {
        // NONKEY makes the decoder drop everything else, so whatever comes out
        // first is the keyframe.
        codec.skipFrame = AVDISCARD_NONKEY
        defer { codec.skipFrame = AVDISCARD_DEFAULT }
        for _ in 0..<VideoDecoder.keyframeAttempts {
            var sentKeyframe = false
            let found = try run(
                accept: { _ in true },
                beforeSend: { packet in
                    if packet.isKeyframe { sentKeyframe = true }
                    return true
                },
                afterSend: { sentKeyframe })
            if found {
                lastTimestamp = frame.timestamp
                return true
            }
            if atEndOfFile { return false }
            // A damaged keyframe decodes to nothing: go on to the next one.
            codec.flush()
            draining = false
        }
        return false
    }

    /// Damaged keyframes skipped before giving up on a keyframe request.
    static let keyframeAttempts = 8

    /// The receive/send loop shared by every request.
    ///
    /// - Parameters:
    ///   - accept: whether a received frame is the one wanted.
    ///   - beforeSend: sees each packet of the stream and says whether to send it.
    ///   - afterSend: whether to stop reading and drain the decoder now.
    /// - Returns: true with the wanted frame in ``frame``; false at the end.
    private func run(
        accept: (Frame) throws(MediaError) -> Bool, beforeSend: (Packet) -> Bool, afterSend: () -> Bool
    ) throws(MediaError) -> Bool {
        var packets = 0
        var errors = 0
        func fail(_ code: Int32) throws(MediaError) {
            guard code < 0, code != cffmpeg_averror_eof(), code != cffmpeg_averror_eagain() else { return }
            errors += 1
            if errors > VideoDecoder.errorBudget {
                try check(code, .invalidMedia, path: path, "the video is too damaged to decode")
            }
        }
        while true {
            frame.unref()
            let received = codec.receive(into: frame)
            if received == 0 {
                let limit = MediaProbe.maxDimension
                if frame.width > limit || frame.height > limit {
                    throw MediaError(
                        .limitExceeded, path: path,
                        "has a \(frame.width)x\(frame.height) frame, larger than the \(limit)x\(limit) limit")
                }
                noteOutput(frame)
                if try accept(frame) { return true }
                continue
            }
            if received == cffmpeg_averror_eof() { return false }
            if received != cffmpeg_averror_eagain() {
                try fail(received)
                continue
            }
            if draining { return false }
            packet.unref()
            let read = av_read_frame(input.pointer, packet.pointer)
            if read < 0 {
                // The end of the file, or a read error that ends it early: let
                // the decoder hand out what it still holds.
                atEndOfFile = true
                try fail(startDraining())
                continue
            }
            guard packet.streamIndex == streamIndex else { continue }
            packets += 1
            if packets > VideoDecoder.packetBudget {
                throw MediaError(
                    .invalidMedia, path: path,
                    "gave up after \(VideoDecoder.packetBudget) packets without finding the frame")
            }
            if awaitingKeyframe {
                guard packet.isKeyframe else { continue }
                awaitingKeyframe = false
            }
            if beforeSend(packet) { try fail(codec.send(packet)) }
            if afterSend() { try fail(startDraining()) }
        }
    }

    private func noteOutput(_ frame: Frame) {
        if !outputSinceSeek {
            outputSinceSeek = true
            firstFrameSinceSeek = frame.timestamp
        }
        if firstKeyframeSinceSeek == nil, frame.pointer.pointee.key_frame != 0 {
            firstKeyframeSinceSeek = frame.timestamp
        }
    }

    /// Tells the decoder no more packets come. With frame threading, the
    /// result may be a damaged earlier packet's error; draining starts anyway.
    private func startDraining() -> Int32 {
        guard !draining else { return 0 }
        draining = true
        return codec.send(nil)
    }

    /// A reference to the current frame that survives further decoding.
    ///
    /// The corresponding C function is `av_frame_ref`.
    func retainFrame() throws(MediaError) -> Frame {
        let kept = try Frame()
        try check(av_frame_ref(kept.pointer, frame.pointer), .library, path: path, "cannot keep a decoded frame")
        return kept
    }

    /// How to turn `frame` upright: from its own display matrix if it has one
    /// (an H.264 orientation message), else from the stream's, as ffmpeg does.
    func orientation(of frame: Frame) -> Orientation {
        guard let side = av_frame_get_side_data(frame.pointer, AV_FRAME_DATA_DISPLAYMATRIX),
            let data = side.pointee.data,
            side.pointee.size >= 9 * MemoryLayout<Int32>.size
        else { return orientation }
        return data.withMemoryRebound(to: Int32.self, capacity: 9) { matrix in
            Orientation(
                matrix: Array(UnsafeBufferPointer(start: matrix, count: 9)), degrees: av_display_rotation_get(matrix))
        }
    }

    private func keepAsPrevious(_ frame: Frame) throws(MediaError) {
        previous.unref()
        try check(av_frame_ref(previous.pointer, frame.pointer), .library, path: path, "cannot keep a decoded frame")
    }

    /// The demuxer's name, as ffprobe's `format_name`.
    var formatName: String { input.formatName }
}

@available(*, unavailable)
extension VideoDecoder: Sendable {}
