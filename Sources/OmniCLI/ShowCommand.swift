import ArgumentParser
import Foundation
import OmniMedia
import OmniStore

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a turn (inputs, output, parents, children, branches) or an asset's probe.")

    @OptionGroup var global: GlobalOptions

    @Argument(
        help:
            "A revision (HEAD, a branch, a turn id, REV~N, REV^N) or an asset id; unique prefixes of 4+ hex digits work."
    )
    var name: String = "HEAD"

    func run() throws {
        let store = try global.openStore()
        switch try store.lookup(name) {
        case .turn(let id): try TurnShow(store: store, json: global.json).show(id)
        case .asset(let id): try showAsset(store.asset(id: id), in: store)
        }
    }

    func showAsset(_ found: Asset, in store: Store) throws {
        let listed = try store.listing(of: [found.id])[found.id]
        if global.json {
            // The same record as assets --json gives.
            Terminal.json(AssetsCommand.json(found, listed))
            return
        }
        var rows: [[String]] = [
            ["asset", found.id.hex],
            ["kind", "\(found.kind.rawValue) (\(found.mime))"],
            ["format", found.format],
            ["size", "\(Formatting.bytes(found.size)) (\(found.size) bytes)"],
        ]
        if found.kind != .image { rows.append(["duration", Formatting.duration(found.duration)]) }
        if let bitRate = found.bitRate { rows.append(["bit rate", "\(bitRate / 1000) kb/s"]) }
        rows.append(["added", found.json.objectString("added_at") ?? "-"])
        for (index, path) in found.paths.enumerated() {
            rows.append([index == 0 ? "paths" : "", path])
        }
        rows.append(["library", listed?.inLibrary == true ? "yes (kept until rm)" : "no (kept by its turns)"])
        if let taken = found.media.capturedAt { rows.append(["taken", taken]) }
        if let metadata = listed?.metadata {
            if !metadata.tags.isEmpty { rows.append(["meta tags", metadata.tags.joined(separator: ", ")]) }
            if let note = metadata.note { rows.append(["note", note]) }
            if let rating = metadata.rating { rows.append(["rating", "\(rating)/5"]) }
        }
        for key in found.media.tags.keys.sorted() {
            rows.append([
                key == found.media.tags.keys.sorted().first ? "tags" : "", "\(key)=\(found.media.tags[key] ?? "")",
            ])
        }
        for stream in found.media.streams {
            rows.append(["stream \(stream.index)", ShowCommand.describe(stream)])
        }
        Formatting.table(rows).forEach(Terminal.out)
    }

    static func describe(_ stream: StreamInfo) -> String {
        var parts = [stream.type.rawValue, stream.codec ?? "unknown codec"]
        if let profile = stream.profile { parts[1] += " (\(profile))" }
        if let width = stream.width, let height = stream.height {
            parts.append("\(width)x\(height)")
            if let ratio = stream.sampleAspectRatio { parts.append("SAR \(ratio)") }
            if let shown = stream.displaySize, shown.width != width || shown.height != height {
                parts.append("(displays as \(shown.width)x\(shown.height))")
            }
        }
        if let pixelFormat = stream.pixelFormat { parts.append(pixelFormat) }
        if let fps = stream.fps, stream.type == .video {
            parts.append(String(format: "%.3g fps", fps))
        }
        if let frames = stream.frames { parts.append("\(frames) frames") }
        if let rotation = stream.rotation, rotation != 0 {
            parts.append("rotation \(JSONValue.double(rotation).compactText)°")
        }
        if let rate = stream.sampleRate { parts.append("\(rate) Hz") }
        if let layout = stream.channelLayout ?? stream.channels.map({ "\($0) channels" }) { parts.append(layout) }
        if let bitRate = stream.bitRate { parts.append("\(bitRate / 1000) kb/s") }
        if let language = stream.language, language != "und" { parts.append("[\(language)]") }
        if stream.isAttachedPicture { parts.append("(cover art)") }
        return parts.joined(separator: " ")
    }
}

extension JSONValue {
    func objectString(_ key: String) -> String? {
        if case .object(let members) = self, case .string(let value)? = members[key] { return value }
        return nil
    }
}
