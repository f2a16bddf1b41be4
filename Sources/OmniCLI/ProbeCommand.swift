import ArgumentParser
import Foundation
import OmniMedia
import OmniStore

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe media files in-process without storing them (like ffprobe).",
        discussion: "Needs no store. Prints the same fields as 'show', as one line per file or as JSON.")

    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    @Argument(help: "Files to probe.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file to probe") }
    }

    func run() throws {
        var items: [JSONValue] = []
        var rows: [[String]] = []
        var failed = 0
        for path in paths {
            do {
                let info = try MediaProbe.probe(path: path)
                let video = info.primaryVideo
                items.append(
                    .object([
                        "path": .string(path), "kind": .string(info.kind.rawValue), "mime": .string(info.mime),
                        "format": .string(info.formatName), "duration": JSONValue(info.duration),
                        "bit_rate": JSONValue(info.bitRate), "size": .int(info.size),
                        "width": JSONValue(video?.width), "height": JSONValue(video?.height),
                        "display_width": JSONValue(info.displaySize?.width),
                        "display_height": JSONValue(info.displaySize?.height),
                        "fps": JSONValue(video?.fps), "streams": .array(info.streams.map(\.json)),
                        "tags": .object(info.tags.mapValues(JSONValue.string)),
                    ]))
                let size = info.displaySize.map { "\($0.width)x\($0.height)" } ?? "-"
                rows.append([
                    info.kind.rawValue, size, info.kind == .image ? "-" : Formatting.duration(info.duration),
                    info.streams.compactMap(\.codec).joined(separator: ","), path,
                ])
            } catch let error as MediaError {
                failed += 1
                Terminal.error("cannot probe \(error.description)")
            }
        }
        if json {
            Terminal.json(.array(items))
        } else {
            Formatting.table(rows).forEach(Terminal.out)
        }
        if failed > 0 { throw CommandFailure() }
    }
}
