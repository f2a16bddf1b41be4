import Foundation

/// A grid of frames spread evenly over a clip, in order, left to right and
/// top to bottom: one picture that shows what a clip is.
///
/// By default each cell shows the keyframe at or before its time, as
/// ffmpegthumbnailer does, which needs one decoded picture per cell; `exact`
/// decodes to the exact frame instead. Cells are decoded on every core, each
/// worker with its own demuxer and decoder.
///
/// ```swift
/// let sheet = try ContactSheet.make(path: "clip.mp4", columns: 5, rows: 2, tileWidth: 320)
/// let png = try ImageEncoder.encode(sheet.image, as: .png)
/// ```
public struct ContactSheet: Sendable {
    /// The whole sheet.
    public let image: RGBFrame
    public let columns: Int
    public let rows: Int
    public let tileWidth: Int
    public let tileHeight: Int
    /// When each cell's frame is shown, in seconds, in cell order.
    public let times: [Double]
    /// Whether cells hold exact frames rather than keyframes.
    public let exact: Bool
    /// The cells whose own frame could not be decoded, and which show the
    /// nearest frame that could instead, in cell order.
    public let substitutes: [Substitute]

    /// A cell showing another frame than its own, which could not be decoded.
    public struct Substitute: Sendable, Equatable {
        /// The cell, counted from 0 in cell order.
        public let cell: Int
        /// When the cell's own frame is shown, in seconds.
        public let time: Double
        /// When the frame it shows instead is shown, in seconds.
        public let shown: Double
        /// Why its own frame is missing.
        public let reason: String
    }

    /// Makes a sheet of `columns` × `rows` frames of the video at `path`.
    ///
    /// A cell whose frame cannot be decoded (a damaged or truncated stretch)
    /// shows the nearest frame that can, and is listed in ``substitutes``;
    /// no cell is left black.
    ///
    /// - Parameters:
    ///   - path: the video file.
    ///   - columns: frames across.
    ///   - rows: frames down.
    ///   - tileWidth: each frame's width in pixels; its height follows the picture.
    ///   - exact: exact frames at evenly spaced times instead of the keyframes before them.
    /// - Throws: ``MediaError`` when the file cannot be read or no frame at all decodes.
    public static func make(
        path: String, columns: Int = 5, rows: Int = 2, tileWidth: Int = 320, exact: Bool = false
    ) throws -> ContactSheet {
        try makeTyped(path: path, columns: columns, rows: rows, tileWidth: tileWidth, exact: exact)
    }

    static func makeTyped(
        path: String, columns: Int, rows: Int, tileWidth: Int, exact: Bool
    ) throws(MediaError) -> ContactSheet {
        guard columns >= 1, rows >= 1, columns * rows <= 1000, tileWidth >= 1,
            tileWidth * columns <= MediaProbe.maxDimension
        else {
            throw MediaError(
                .outOfRange, path: path, "a \(columns)x\(rows) sheet of \(tileWidth)-pixel frames is too large")
        }
        let probe = try VideoDecoder(path: path, threads: 1)
        // A still image has one picture: its sheet is that picture.
        let columns = probe.isStill ? 1 : columns
        let rows = probe.isStill ? 1 : rows
        let count = columns * rows
        guard probe.isStill || probe.duration != nil else {
            throw MediaError(
                .invalidMedia, path: path, "the clip does not say how long it is, so frames cannot be spread over it")
        }
        let times = probe.isStill ? [0] : FrameTime.evenlySpaced(count: count, duration: probe.duration ?? 0)
        var cells = decodeInParallel(path: path, times: times, width: tileWidth, exact: exact)
        var exactCells = Set(exact ? Array(cells.indices) : [])
        if !exact {
            exactCells = try replaceRepeatedKeyframes(&cells, path: path, times: times, width: tileWidth)
        }
        let frameSeconds = 1 / (probe.frameRate ?? 25)
        let (frames, substitutes) = try fillGaps(
            cells, times: times, exactCells: exactCells, frameSeconds: frameSeconds, path: path)
        let tileHeight = frames.map(\.height).max() ?? 1
        let image = compose(frames, columns: columns, rows: rows, tileWidth: tileWidth, tileHeight: tileHeight)
        return ContactSheet(
            image: image, columns: columns, rows: rows, tileWidth: tileWidth, tileHeight: tileHeight,
            times: frames.map(\.time), exact: exact, substitutes: substitutes)
    }

    /// Gives every cell a frame: a cell that failed takes the frame of the
    /// nearest cell that decoded (the earlier one on a tie), and an exact
    /// cell whose frame is more than two frames before its time (the stream
    /// ended early, and the last frame there is was given) is noted too.
    ///
    /// - Throws: the first cell's error when no cell decoded at all.
    static func fillGaps(
        _ cells: [Result<RGBFrame, MediaError>], times: [Double], exactCells: Set<Int>, frameSeconds: Double,
        path: String?
    ) throws(MediaError) -> ([RGBFrame], [Substitute]) {
        let decoded = cells.indices.filter { (try? cells[$0].get()) != nil }
        guard !decoded.isEmpty else {
            if case .failure(let error)? = cells.first { throw error }
            throw MediaError(.invalidMedia, path: path, "no frame could be decoded")
        }
        var frames: [RGBFrame] = []
        var substitutes: [Substitute] = []
        for (index, cell) in cells.enumerated() {
            switch cell {
            case .success(let frame):
                frames.append(frame)
                if exactCells.contains(index), frame.time < times[index] - 2 * frameSeconds {
                    substitutes.append(
                        Substitute(
                            cell: index, time: times[index], shown: frame.time,
                            reason:
                                "no frame decodes after \(FrameTime.format(frame.time)) s (the video may be truncated or damaged)"
                        ))
                }
            case .failure(let error):
                let nearest = decoded.min { abs(times[$0] - times[index]) < abs(times[$1] - times[index]) }
                guard let nearest, case .success(let frame) = cells[nearest] else { continue }
                frames.append(frame)
                substitutes.append(
                    Substitute(cell: index, time: times[index], shown: frame.time, reason: error.message))
            }
        }
        return (frames, substitutes)
    }

    /// Splits the times into one contiguous run per core and decodes the runs
    /// at once, each with its own extractor.
    private static func decodeInParallel(
        path: String, times: [Double], width: Int, exact: Bool
    ) -> [Result<RGBFrame, MediaError>] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, times.count))
        let results = CellResults(count: times.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = (times.count * worker / workers)..<(times.count * (worker + 1) / workers)
            do throws(MediaError) {
                // One worker alone may use every core for frame threading.
                let extractor = try FrameExtractor(opening: path, threads: workers == 1 ? 0 : 1)
                let decoded = extractor.framesAllowingGaps(at: Array(times[range]), width: width, exact: exact)
                for (index, result) in zip(range, decoded) { results.set(index, result) }
            } catch {
                for index in range { results.set(index, .failure(error)) }
            }
        }
        return results.all
    }

    /// Two cells landing on the same keyframe (GOPs longer than the spacing)
    /// would show one picture twice; the later one gets its exact frame.
    ///
    /// - Returns: the cells that now hold exact frames.
    private static func replaceRepeatedKeyframes(
        _ cells: inout [Result<RGBFrame, MediaError>], path: String, times: [Double], width: Int
    ) throws(MediaError) -> Set<Int> {
        var extractor: FrameExtractor? = nil
        var replaced: Set<Int> = []
        for index in cells.indices.dropFirst() {
            guard case .success(let frame) = cells[index], case .success(let earlier) = cells[index - 1],
                frame.time <= earlier.time
            else { continue }
            if extractor == nil { extractor = try FrameExtractor(opening: path, threads: 0) }
            guard let extractor else { continue }
            do throws(MediaError) {
                cells[index] = .success(try extractor.exactFrame(at: times[index], width: width, drainEarly: true))
                replaced.insert(index)
            } catch {
                continue
            }
        }
        return replaced
    }

    /// Lays frames out in a grid of `tileWidth` × `tileHeight` cells on black,
    /// each centered in its cell; nil leaves a cell black.
    public static func compose(
        _ frames: [RGBFrame?], columns: Int, rows: Int, tileWidth: Int, tileHeight: Int
    ) -> RGBFrame {
        var sheet = RGBFrame(width: tileWidth * columns, height: tileHeight * rows)
        for (index, frame) in frames.prefix(columns * rows).enumerated() {
            guard let frame else { continue }
            let x = (index % columns) * tileWidth + (tileWidth - frame.width) / 2
            let y = (index / columns) * tileHeight + (tileHeight - frame.height) / 2
            sheet.draw(frame, x: x, y: y)
        }
        return sheet
    }
}

/// Cell results written by several workers at once.
private final class CellResults: @unchecked Sendable {
    // @unchecked: `cells` is only touched under `lock`.
    private let lock = NSLock()
    private var cells: [Result<RGBFrame, MediaError>]

    init(count: Int) {
        cells = Array(repeating: .failure(MediaError(.library, path: nil, "not decoded")), count: count)
    }

    func set(_ index: Int, _ result: Result<RGBFrame, MediaError>) {
        lock.lock()
        cells[index] = result
        lock.unlock()
    }

    var all: [Result<RGBFrame, MediaError>] {
        lock.lock()
        defer { lock.unlock() }
        return cells
    }
}
