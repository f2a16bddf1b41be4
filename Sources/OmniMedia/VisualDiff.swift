import Foundation

/// How two clips differ to the eye, frame by frame: SSIM and PSNR of the luma
/// plane, computed as FFmpeg's `ssim` and `psnr` filters compute them, and the
/// moments that changed most.
///
/// Both clips are decoded at once, each on its own thread (with frame
/// threading), while a third compares. Frames are paired by timestamp, as
/// `ffmpeg -i A -i B -lavfi ssim` pairs them: at every frame of either clip,
/// the frames of A and B on screen at that moment are compared. Unlike
/// ffmpeg, timestamps count from each clip's first video frame, not from the
/// file's start time, so a clip whose audio starts first lines up with its
/// own copy in another container. Pairing stops when the shorter clip ends.
/// Each picture is turned upright by its display matrix first, as ffmpeg's
/// autorotation does; when sizes then differ, B's luma is scaled to A's.
///
/// ```swift
/// let diff = try VisualDiff.compare("a.mp4", "b.mp4")
/// print(diff.ssim.mean, diff.psnr.mean, diff.moments.map(\.time))
/// ```
///
/// ## Topics
/// - ``compare(_:_:moments:)``
/// - ``picture(pathA:pathB:tileWidth:)``
public struct VisualDiff: Sendable {
    /// Mean, lowest and highest of a metric over the compared frames.
    public struct Stats: Sendable, Equatable {
        public let mean: Double
        public let min: Double
        public let max: Double
    }

    /// One compared pair of frames.
    public struct Sample: Sendable, Equatable {
        /// The moment compared, in seconds from the clips' first video frames.
        public let time: Double
        /// When A's and B's frames are shown, in seconds from each file's
        /// start time, as a thumbnail's time counts (at or before ``time``
        /// past each clip's ``Clip/videoStart``).
        public let timeA: Double
        public let timeB: Double
        /// Luma SSIM, 1 for identical pictures.
        public let ssim: Double
        /// Luma mean squared error.
        public let meanSquaredError: Double
        /// Luma PSNR in dB; infinity for identical pictures.
        public let psnr: Double
    }

    /// What one side of the comparison is.
    public struct Clip: Sendable, Equatable {
        public let duration: Double?
        public let frameRate: Double?
        public let width: Int
        public let height: Int
        /// Frames decoded.
        public let frames: Int
        /// When the first video frame is shown, in seconds from the file's
        /// start time (which an audio stream that starts first sets).
        public let videoStart: Double
    }

    public let a: Clip
    public let b: Clip
    /// Every compared pair, in time order.
    public let samples: [Sample]
    /// Luma SSIM: the mean is over frames, as the filter's `Y:` figure.
    public let ssim: Stats
    /// Luma PSNR in dB: the mean is the PSNR of the mean squared error over
    /// frames, as the filter's `y:` figure; infinity where pictures are identical.
    public let psnr: Stats
    /// The pairs that changed most (lowest SSIM), at least a moment apart, most changed first.
    public let moments: [Sample]
    /// How the clips were lined up when they differ: frame rates, durations, sizes.
    public let notes: [String]

    /// Compares two clips.
    ///
    /// - Parameters:
    ///   - pathA: the first clip.
    ///   - pathB: the second clip.
    ///   - moments: how many most-changed moments to pick.
    /// - Throws: ``MediaError`` when either clip cannot be decoded, or no two frames overlap in time.
    public static func compare(_ pathA: String, _ pathB: String, moments: Int = 3) throws -> VisualDiff {
        try compareTyped(pathA, pathB, moments: moments)
    }

    static func compareTyped(_ pathA: String, _ pathB: String, moments count: Int) throws(MediaError) -> VisualDiff {
        // A few frames of slack keep both decoders busy; more would only
        // grow their buffer pools (every new buffer is fresh pages to fault in).
        let channelA = FrameChannel(capacity: 3)
        let channelB = FrameChannel(capacity: 3)
        let finished = DispatchGroup()
        startDecoding(pathA, into: channelA, group: finished)
        startDecoding(pathB, into: channelB, group: finished)
        defer {
            // Stop the decoders (they may be waiting to hand over a frame) and
            // wait for them, so no thread outlives the call.
            channelA.close()
            channelB.close()
            finished.wait()
        }
        var pairing = try Pairing(channelA: channelA, channelB: channelB, pathA: pathA, pathB: pathB)
        var samples: [Sample] = []
        while let (planeA, planeB, time) = try pairing.next() {
            let (first, second) = try pairing.comparable(planeA, planeB)
            let structural = SSIM.compare(first, second)
            let mse = PSNR.meanSquaredError(first, second, blockSquaredError: structural.blockSquaredError)
            samples.append(
                Sample(
                    time: time, timeA: planeA.time + pairing.videoStartA, timeB: planeB.time + pairing.videoStartB,
                    ssim: structural.ssim,
                    meanSquaredError: mse, psnr: PSNR.decibels(meanSquaredError: mse, maxValue: first.maxValue)))
        }
        guard !samples.isEmpty else {
            throw MediaError(.invalidMedia, path: nil, "the two clips have no frames that overlap in time")
        }
        let maxValue = pairing.comparedMaxValue
        let meanMSE = samples.reduce(0) { $0 + $1.meanSquaredError } / Double(samples.count)
        let ssimValues = samples.map(\.ssim)
        let psnrValues = samples.map(\.psnr)
        let stats = (
            ssim: Stats(
                mean: ssimValues.reduce(0, +) / Double(samples.count), min: ssimValues.min() ?? 0,
                max: ssimValues.max() ?? 0),
            psnr: Stats(
                mean: PSNR.decibels(meanSquaredError: meanMSE, maxValue: maxValue), min: psnrValues.min() ?? 0,
                max: psnrValues.max() ?? 0)
        )
        return VisualDiff(
            a: pairing.clipA, b: pairing.clipB, samples: samples, ssim: stats.ssim, psnr: stats.psnr,
            moments: pickMoments(samples, count: count), notes: pairing.notes)
    }

    /// The `count` lowest-SSIM pairs, each at least a tenth of the compared
    /// span (at most 1 s) from the others; identical pairs are never picked.
    static func pickMoments(_ samples: [Sample], count: Int) -> [Sample] {
        guard let first = samples.first, let last = samples.last else { return [] }
        let gap = min(1.0, (last.time - first.time) / 10)
        var picked: [Sample] = []
        for sample in samples.sorted(by: { $0.ssim < $1.ssim }) {
            if picked.count >= count { break }
            if sample.meanSquaredError == 0 { break }
            if picked.allSatisfy({ abs($0.time - sample.time) >= gap }) { picked.append(sample) }
        }
        return picked
    }

    /// Decodes `path` on a thread of its own, sending luma planes to `channel`.
    private static func startDecoding(_ path: String, into channel: FrameChannel, group: DispatchGroup) {
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            do throws(MediaError) {
                // Two decoders share the cores: frame threading on half of
                // them each, rather than libavcodec's cores + 1 each.
                let cores = ProcessInfo.processInfo.activeProcessorCount
                let decoder = try VideoDecoder(path: path, threads: max(2, cores / 2 + 1))
                var facts = ClipFacts(
                    duration: decoder.isStill ? 0 : decoder.duration, frameRate: decoder.frameRate, width: 0,
                    height: 0)
                // Times count from the first video frame, not from the file's
                // start time (which an earlier audio stream sets), so clips
                // whose video starts at different moments line up.
                var more = try decoder.decodeNext()
                let origin = more ? decoder.frame.timestamp : nil
                if let origin { facts.videoStart = decoder.seconds(origin) }
                guard channel.put(.opened(facts)) else { return }
                var scaler: ScaleContext? = nil
                var lastTime = -Double.infinity
                let step = decoder.frameRate.map { 1 / $0 } ?? 0.04
                while more {
                    // A frame without a timestamp follows the one before it.
                    let time =
                        decoder.frame.timestamp.map { decoder.seconds($0) - facts.videoStart }
                        ?? (lastTime.isFinite ? lastTime + step : 0)
                    lastTime = time
                    let plane = try LumaPlane(of: decoder, time: time, scaler: &scaler)
                    guard channel.put(.frame(plane)) else { return }
                    if decoder.isStill { break }
                    more = try decoder.decodeNext()
                }
                channel.put(.end)
            } catch {
                channel.put(.failed(error))
            }
        }
        thread.name = "omnistore-diff-decode"
        thread.start()
    }

    /// A picture of the most changed moments: A's frames in the top row, B's
    /// below, one column per moment.
    ///
    /// - Parameters:
    ///   - pathA: the first clip, as given to the comparison.
    ///   - pathB: the second clip.
    ///   - tileWidth: each frame's width in pixels.
    public func picture(pathA: String, pathB: String, tileWidth: Int = 320) throws -> RGBFrame {
        guard !moments.isEmpty else {
            throw MediaError(.outOfRange, path: nil, "the clips do not differ: there is no changed moment to show")
        }
        let extractorA = try FrameExtractor(opening: pathA, threads: 0)
        let extractorB = try FrameExtractor(opening: pathB, threads: 0)
        // Half a millisecond early, so rounding a frame's own time never skips to the next frame.
        let framesA = try extractorA.framesTyped(
            at: moments.map { max(0, $0.timeA - 0.0005) }, width: tileWidth, exact: true)
        let tileHeight = framesA.map(\.height).max() ?? 1
        var widthB = tileWidth
        if let probe = try extractorB.framesTyped(
            at: [max(0, moments[0].timeB - 0.0005)], width: tileWidth, exact: true
        ).first,
            probe.height > tileHeight
        {
            widthB = max(1, tileWidth * tileHeight / probe.height)
        }
        let framesB = try extractorB.framesTyped(
            at: moments.map { max(0, $0.timeB - 0.0005) }, width: widthB, exact: true)
        return ContactSheet.compose(
            framesA.map { Optional($0) } + framesB.map { Optional($0) }, columns: moments.count, rows: 2,
            tileWidth: tileWidth, tileHeight: tileHeight)
    }
}

/// Lines up the frames of two clips by timestamp, as libavfilter's framesync
/// does for two inputs, except that it stops at the end of the shorter clip
/// rather than repeating its last frame.
private struct Pairing {
    let channelA: FrameChannel
    let channelB: FrameChannel
    let pathA: String
    let pathB: String
    private(set) var clipA: VisualDiff.Clip
    private(set) var clipB: VisualDiff.Clip
    private var factsA: ClipFacts
    private var factsB: ClipFacts
    private var nextA: LumaPlane?
    private var nextB: LumaPlane?
    private var currentA: LumaPlane?
    private var currentB: LumaPlane?
    private var framesA = 0
    private var framesB = 0
    private var scaler: ScaleContext? = nil
    private var sizeNote: String? = nil
    private var depthNote: String? = nil
    private(set) var comparedMaxValue = 255
    /// Timestamps closer than this are the same moment (different time bases round differently).
    private let tolerance = 1e-6

    init(channelA: FrameChannel, channelB: FrameChannel, pathA: String, pathB: String) throws(MediaError) {
        self.channelA = channelA
        self.channelB = channelB
        self.pathA = pathA
        self.pathB = pathB
        factsA = try Pairing.opened(channelA)
        factsB = try Pairing.opened(channelB)
        clipA = VisualDiff.Clip(
            duration: factsA.duration, frameRate: factsA.frameRate, width: 0, height: 0, frames: 0,
            videoStart: factsA.videoStart)
        clipB = VisualDiff.Clip(
            duration: factsB.duration, frameRate: factsB.frameRate, width: 0, height: 0, frames: 0,
            videoStart: factsB.videoStart)
        nextA = try Pairing.frame(channelA)
        nextB = try Pairing.frame(channelB)
        if let nextA {
            factsA.width = nextA.width
            factsA.height = nextA.height
            framesA = 1
        }
        if let nextB {
            factsB.width = nextB.width
            factsB.height = nextB.height
            framesB = 1
        }
        updateClips()
    }

    private static func opened(_ channel: FrameChannel) throws(MediaError) -> ClipFacts {
        switch channel.take() {
        case .opened(let facts): return facts
        case .failed(let error): throw error
        case .frame, .end: throw MediaError(.library, path: nil, "the decoder sent frames before opening")
        }
    }

    private static func frame(_ channel: FrameChannel) throws(MediaError) -> LumaPlane? {
        switch channel.take() {
        case .frame(let plane): return plane
        case .end: return nil
        case .failed(let error): throw error
        case .opened: throw MediaError(.library, path: nil, "the decoder opened twice")
        }
    }

    private mutating func updateClips() {
        clipA = VisualDiff.Clip(
            duration: factsA.duration, frameRate: factsA.frameRate, width: factsA.width, height: factsA.height,
            frames: framesA, videoStart: factsA.videoStart)
        clipB = VisualDiff.Clip(
            duration: factsB.duration, frameRate: factsB.frameRate, width: factsB.width, height: factsB.height,
            frames: framesB, videoStart: factsB.videoStart)
    }

    var videoStartA: Double { factsA.videoStart }
    var videoStartB: Double { factsB.videoStart }

    /// How long a clip's last frame stays on screen.
    private func frameDuration(_ facts: ClipFacts) -> Double {
        facts.frameRate.map { 1 / $0 } ?? 0.04
    }

    private func stillShowing(_ last: LumaPlane?, _ facts: ClipFacts, at time: Double) -> Bool {
        guard let last else { return false }
        return time < last.time + frameDuration(facts) - tolerance
    }

    /// The next pair of frames on screen together, and the moment; nil when
    /// either clip has ended.
    mutating func next() throws(MediaError) -> (LumaPlane, LumaPlane, Double)? {
        while true {
            guard nextA != nil || nextB != nil else { return nil }
            let time = min(nextA?.time ?? .infinity, nextB?.time ?? .infinity)
            // A clip that has ended shows its last frame for one frame's time, then nothing.
            if nextA == nil, !stillShowing(currentA, factsA, at: time) { return nil }
            if nextB == nil, !stillShowing(currentB, factsB, at: time) { return nil }
            if let candidate = nextA, candidate.time <= time + tolerance {
                currentA = candidate
                nextA = try Pairing.frame(channelA)
                if nextA != nil { framesA += 1 }
            }
            if let candidate = nextB, candidate.time <= time + tolerance {
                currentB = candidate
                nextB = try Pairing.frame(channelB)
                if nextB != nil { framesB += 1 }
            }
            updateClips()
            if let currentA, let currentB { return (currentA, currentB, time) }
        }
    }

    /// Both planes at A's size and one bit depth.
    mutating func comparable(_ a: LumaPlane, _ b: LumaPlane) throws(MediaError) -> (LumaPlane, LumaPlane) {
        var first = a
        var second = b
        if first.depth != second.depth {
            depthNote = "bit depths differ (A \(a.depth)-bit, B \(b.depth)-bit): both compared as 8-bit"
            first = try first.reducedTo8Bits()
            second = try second.reducedTo8Bits()
        }
        if first.width != second.width || first.height != second.height {
            sizeNote = "sizes differ (A \(a.width)x\(a.height), B \(b.width)x\(b.height)): B was scaled to A's size"
            second = try second.resized(width: first.width, height: first.height, scaler: &scaler)
        }
        comparedMaxValue = first.maxValue
        return (first, second)
    }

    /// What the reader should know about how frames were paired.
    var notes: [String] {
        var notes: [String] = []
        if let rateA = factsA.frameRate, let rateB = factsB.frameRate, abs(rateA - rateB) > 0.01 {
            notes.append(
                "frame rates differ (A \(Pairing.number(rateA)) fps, B \(Pairing.number(rateB)) fps): frames were paired by timestamp"
            )
        }
        if let durationA = factsA.duration, let durationB = factsB.duration,
            abs(durationA - durationB) > max(frameDuration(factsA), frameDuration(factsB))
        {
            notes.append(
                "durations differ (A \(Pairing.number(durationA)) s, B \(Pairing.number(durationB)) s): only the first \(Pairing.number(min(durationA, durationB))) s were compared"
            )
        }
        if abs(factsA.videoStart - factsB.videoStart) > 0.001 {
            notes.append(
                "the video starts at \(Pairing.number(factsA.videoStart)) s in A and \(Pairing.number(factsB.videoStart)) s in B: frames were aligned by each clip's first video frame"
            )
        }
        if let sizeNote { notes.append(sizeNote) }
        if let depthNote { notes.append(depthNote) }
        return notes
    }

    private static func number(_ value: Double) -> String {
        String(format: "%.3f", value).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }
}
