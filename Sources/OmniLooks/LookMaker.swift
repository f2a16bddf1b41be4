import Foundation
import OmniMedia

/// Decodes a picture or a clip and hashes what it looks like.
///
/// Pictures are decoded scaled so that their longest side is at most
/// ``maximumSide`` pixels: PDQ blurs to 64×64 anyway, and hashing the full
/// picture costs more than the hash itself. A JPEG's decoder does most of
/// that reduction itself (libavcodec's `lowres`): a 1080p photo is decoded
/// at 480×270 (at least ``minimumDecodedSide``) and only converted to RGB. Clips are sampled at most once
/// a second: the keyframe at or before each second when it is at most
/// ``maximumKeyframeLag`` seconds earlier (a keyframe needs no other frame
/// to decode), and the exact frame otherwise, so that a clip with keyframes
/// far apart is still sampled every second.
///
/// Every call blocks on decoding: call it from a thread that may block.
public enum LookMaker {
    /// The longest side pictures are decoded at.
    public static let maximumSide = 512
    /// The smallest longest side a JPEG is decoded at: its decoder can
    /// decode at 1/2, 1/4 or 1/8 of the size, which skips most of the work.
    /// Not lower: PDQ moves by 14–18 bits between a picture hashed at 320
    /// and at 512 pixels wide, but by 0–2 between 480 and 512.
    public static let minimumDecodedSide = 448
    /// How far before a sample time a keyframe may be and still stand for it.
    public static let maximumKeyframeLag = 2.0

    /// The width to decode a `width`×`height` picture at, or nil to keep its size.
    public static func reducedWidth(width: Int, height: Int) -> Int? {
        guard width > 0, height > 0, max(width, height) > maximumSide else { return nil }
        return width >= height ? maximumSide : max(1, width * maximumSide / height)
    }

    /// The look of the image or clip at `path`.
    ///
    /// - Parameters:
    ///   - path: an image or a video file.
    ///   - media: its probe, when the caller has it (saves probing again).
    /// - Throws: ``LooksError`` when the file has no pictures or they cannot be decoded.
    public static func look(ofFileAt path: String, media: MediaInfo? = nil) throws -> Look {
        let info: MediaInfo
        do {
            info = try media ?? MediaProbe.probe(path: path)
        } catch {
            throw LooksError(.noPictures, "cannot look at '\(path)': \(error); give an image or a video file")
        }
        guard info.kind != .audio, let stream = info.primaryVideo, let codedWidth = stream.width,
            let codedHeight = stream.height
        else {
            throw LooksError(.noPictures, "'\(path)' has no pictures to compare; give an image or a video file")
        }
        let (width, height) = stream.isQuarterTurn ? (codedHeight, codedWidth) : (codedWidth, codedHeight)
        let scaledWidth = reducedWidth(width: width, height: height)
        do {
            // One decoder thread: looks are made in parallel across assets.
            let extractor = try FrameExtractor(path: path, threads: 1, decodingAtLeast: minimumDecodedSide)
            if extractor.isStill || info.kind == .image {
                let (hash, quality) = PDQ.hash(try extractor.frame(at: 0, width: scaledWidth))
                return Look(frames: [LookFrame(hash: hash, quality: quality, time: 0)], duration: nil)
            }
            let duration = extractor.duration ?? info.duration ?? 0
            let frames = try sampledFrames(extractor, duration: duration, width: scaledWidth)
            let hashed = frames.map { frame in
                let (hash, quality) = PDQ.hash(frame)
                return LookFrame(hash: hash, quality: quality, time: frame.time)
            }
            return Look(frames: hashed, duration: duration)
        } catch let error as MediaError {
            throw LooksError(.undecodable, "cannot decode the pictures of '\(path)': \(error.message)")
        }
    }

    /// About one frame a second, keyframes where they are close enough.
    static func sampledFrames(_ extractor: FrameExtractor, duration: Double, width: Int?) throws -> [RGBFrame] {
        let times = sampleTimes(duration: duration)
        let keyframes = try extractor.frames(at: times, width: width, exact: false)
        var kept: [RGBFrame] = []
        var exactTimes: [Double] = []
        var lastKeyframe: Double? = nil
        for (time, keyframe) in zip(times, keyframes) {
            if time - keyframe.time > maximumKeyframeLag {
                exactTimes.append(time)
            } else if lastKeyframe != keyframe.time {
                // Seconds that share a keyframe share its one sample.
                kept.append(keyframe)
                lastKeyframe = keyframe.time
            }
        }
        if !exactTimes.isEmpty {
            kept += try extractor.frames(at: exactTimes, width: width, exact: true)
        }
        return kept.sorted { $0.time < $1.time }
    }

    /// 0, 1, 2… seconds up to the end; at least the first frame.
    static func sampleTimes(duration: Double) -> [Double] {
        guard duration.isFinite, duration > 1 else { return [0] }
        return stride(from: 0.0, to: duration, by: 1.0).map { $0 }
    }
}
