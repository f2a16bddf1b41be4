import ArgumentParser
import OmniStore

struct ThumbnailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail",
        abstract: "Write exact-frame thumbnails of a version's clip or an asset (PNG or JPEG).",
        discussion: """
            The frame at TIME is the first shown at or after it, counted from the clip's start time: the one \
            'ffmpeg -ss TIME -i CLIP -frames:v 1' gives (turned upright, pixels as coded), decoded in-process. \
            In MPEG-TS and MPEG-PS, where ffmpeg's own seek can land past it, it is still the frame shown at TIME. \
            Thumbnails are cached under .omnistore/cache/, so asking again is instant. \
            A still image gives its one picture.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A revision (its output clip) or an asset id; unique prefixes of 4+ hex digits work.")
    var name: String

    @Option(
        help: ArgumentHelp(
            "When: seconds (12.5), a clock time (00:00:12.5) or a share (50%); default 10%.", valueName: "TIME"))
    var at: String?

    @Option(help: ArgumentHelp("Write N thumbnails spread evenly over the clip: OUT-001.png…", valueName: "N"))
    var count: Int = 1

    @Option(help: ArgumentHelp("Width in pixels; the height keeps the picture's proportions.", valueName: "W"))
    var width: Int = 320

    @Option(help: ArgumentHelp("png or jpg; default from OUT's extension, else png.", valueName: "FORMAT"))
    var format: String?

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "The file to write ('-' for stdout); default <asset>.png in the current folder.", valueName: "OUT"))
    var output: String?

    func validate() throws {
        if let at, FrameTime(parsing: at) == nil {
            throw ValidationError(
                "'\(at)' is not a time: give seconds (12.5), a clock time (00:00:12.5) or a share (50%)")
        }
        if !(1...1000).contains(count) { throw ValidationError("--count must be from 1 to 1000") }
        if at != nil && count > 1 { throw ValidationError("give either --at or --count, not both") }
        if !(1...16384).contains(width) { throw ValidationError("--width must be from 1 to 16384") }
        if let format, ImageFormat(name: format) == nil { throw ValidationError("--format must be png or jpg") }
        if output == "-" && count > 1 { throw ValidationError("-o - writes one picture: drop --count or name a file") }
    }

    func run() throws {
        let store = try global.openStore()
        let asset = try store.mediaAsset(named: name)
        let imageFormat =
            format.flatMap(ImageFormat.init(name:)) ?? output.flatMap(ImageFormat.init(pathExtensionOf:)) ?? .png
        let request = ThumbnailRequest(
            time: at.flatMap(FrameTime.init(parsing:)), count: count, width: width, format: imageFormat)
        let result = try store.thumbnails(of: asset, request)
        let base = output ?? FrameFiles.defaultName(for: asset.id, format: imageFormat)
        let paths = result.items.indices.map {
            count > 1 ? FrameFiles.numbered(base, index: $0, format: imageFormat) : base
        }
        for (item, path) in zip(result.items, paths) {
            try FrameFiles.write(item.thumbnail.data, to: path)
        }
        if global.json {
            Terminal.json(result.json(paths: paths))
        } else if output != "-" {
            for (item, path) in zip(result.items, paths) {
                let thumb = item.thumbnail
                let when = asset.kind == .image ? "image" : "at \(Formatting.duration(thumb.time))"
                Terminal.out("\(path)  \(thumb.width)x\(thumb.height)  \(when)\(item.cached ? "  (cached)" : "")")
            }
        }
    }
}
