import ArgumentParser
import OmniStore

struct SheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sheet",
        abstract: "Write a contact sheet: a grid of frames spread evenly over a clip, in order.",
        discussion: """
            Cells show the keyframe at or before each time (fast, like ffmpegthumbnailer); \
            --exact decodes the exact frames instead.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A revision (its output clip) or an asset id; unique prefixes of 4+ hex digits work.")
    var name: String

    @Option(help: ArgumentHelp("Columns x rows.", valueName: "CxR"))
    var grid: String = "5x2"

    @Option(help: ArgumentHelp("Width of each frame in pixels.", valueName: "W"))
    var width: Int = 320

    @Flag(help: "Exact frames at evenly spaced times instead of the keyframes before them.")
    var exact = false

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("The picture to write (.png or .jpg; '-' for a PNG on stdout).", valueName: "OUT"))
    var output: String

    var columnsAndRows: (columns: Int, rows: Int)? {
        let parts = grid.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let columns = Int(parts[0]), let rows = Int(parts[1]), columns >= 1, rows >= 1 else {
            return nil
        }
        return (columns, rows)
    }

    func validate() throws {
        guard let size = columnsAndRows else { throw ValidationError("--grid takes COLUMNSxROWS, such as 5x2") }
        if size.columns * size.rows > 1000 { throw ValidationError("--grid allows at most 1000 frames") }
        if width < 1 || width * size.columns > 16384 {
            throw ValidationError("--width times the columns must be from 1 to 16384 pixels")
        }
    }

    func run() throws {
        guard let size = columnsAndRows else { throw ValidationError("--grid takes COLUMNSxROWS, such as 5x2") }
        let store = try global.openStore()
        let asset = try store.mediaAsset(named: name)
        let sheet = try store.contactSheet(
            of: asset, columns: size.columns, rows: size.rows, tileWidth: width, exact: exact)
        let format = ImageFormat(pathExtensionOf: output) ?? .png
        try FrameFiles.write(ImageEncoder.encode(sheet.image, as: format), to: output)
        if global.json {
            Terminal.json(sheet.json(asset: asset.id, path: output))
        } else if output != "-" {
            let substituted = sheet.substitutes.count
            Terminal.out(
                "\(output)  \(sheet.image.width)x\(sheet.image.height)  \(sheet.times.count) \(sheet.exact ? "exact frames" : "keyframes")"
                    + (substituted > 0
                        ? "  (\(substituted) could not be decoded and show the nearest frame that could)" : ""))
            for substitute in sheet.substitutes {
                Terminal.out(
                    "  the frame at \(Formatting.duration(substitute.time)) shows \(Formatting.duration(substitute.shown)): \(substitute.reason)"
                )
            }
        }
    }
}
