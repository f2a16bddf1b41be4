import ArgumentParser
import Foundation
import OmniStore

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two versions: history since their merge base, inputs, settings, media and cost.",
        discussion: """
            --visual also compares the output clips frame by frame, decoded in-process: luma SSIM and PSNR \
            as ffmpeg's ssim and psnr filters compute them, and the most changed moments. With --visual, \
            A and B may also be asset ids.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The old version.")
    var a: String

    @Argument(help: "The new version; HEAD when omitted.")
    var b: String = "HEAD"

    @Flag(help: "Compare the clips frame by frame: SSIM and PSNR on luma, and the 3 most changed moments.")
    var visual = false

    @Option(
        help: ArgumentHelp(
            "Write a picture of the most changed moments, A above B, labelled with each side and each moment's time and SSIM (implies --visual).",
            valueName: "OUT.png"))
    var frames: String?

    func run() throws {
        let store = try global.openStore()
        let wantsVisual = visual || frames != nil
        var graph: TurnDiff? = nil
        if wantsVisual {
            if case .turn = try store.lookup(a), case .turn = try store.lookup(b) { graph = try store.diff(a, b) }
        } else {
            graph = try store.diff(a, b)
        }
        var visualResult: (diff: VisualDiff, a: Asset, b: Asset, picture: String?)? = nil
        if wantsVisual {
            let assetA = try store.mediaAsset(named: a)
            let assetB = try store.mediaAsset(named: b)
            let diff = try store.visualDiff(assetA, assetB)
            var written: String? = nil
            if let frames, !diff.moments.isEmpty {
                let labels = VisualDiff.Labels(
                    a: Self.label(a, turn: graph?.a.id, asset: assetA),
                    b: Self.label(b, turn: graph?.b.id, asset: assetB))
                let picture = try store.visualDiffPicture(diff, assetA, assetB, labels: labels)
                try FrameFiles.write(
                    ImageEncoder.encode(picture, as: ImageFormat(pathExtensionOf: frames) ?? .png), to: frames)
                written = frames
            }
            visualResult = (diff, assetA, assetB, written)
        }
        if global.json {
            var members: [String: JSONValue] = [:]
            if let graph, case .object(let fields) = graph.json { members = fields }
            if let visualResult {
                if graph == nil {
                    members["a"] = .string(visualResult.a.id.hex)
                    members["b"] = .string(visualResult.b.id.hex)
                }
                members["visual"] = visualResult.diff.json(
                    assetA: visualResult.a.id, assetB: visualResult.b.id, picture: visualResult.picture)
            }
            Terminal.json(.object(members))
            return
        }
        if let graph { printGraph(graph) }
        if let visualResult {
            if graph != nil { Terminal.out("") }
            printVisual(visualResult.diff, a: visualResult.a, b: visualResult.b, picture: visualResult.picture)
        }
    }

    /// How the picture names a side: the revision as given and the turn it
    /// names, or the asset when A and B are assets.
    static func label(_ name: String, turn: TurnID?, asset: Asset) -> String {
        if let turn { return name == turn.short ? "turn \(turn.short)" : "\(name) (turn \(turn.short))" }
        return "asset \(asset.id.short)"
    }

    func printGraph(_ diff: TurnDiff) {
        Terminal.out("diff \(diff.a.id.short) \(diff.b.id.short)")
        Terminal.out(
            "merge base: \(diff.mergeBases.map(\.short).joined(separator: " ").ifEmpty("none (unrelated histories)"))")
        for (label, turns, cost) in [(a, diff.onlyA, diff.costA), (b, diff.onlyB, diff.costB)] {
            Terminal.out("")
            Terminal.out("only in \(label): \(turns.count) turn\(turns.count == 1 ? "" : "s"), \(TurnText.usd(cost))")
            for turn in turns {
                Terminal.out("  \(turn.id.short) \(turn.kind): \(TurnText.firstLine(turn.instruction))")
            }
        }
        if !diff.inputsAdded.isEmpty || !diff.inputsRemoved.isEmpty {
            Terminal.out("")
            Terminal.out("inputs:")
            for input in diff.inputsRemoved { Terminal.out("- \(input.name) \(input.asset.short)") }
            for input in diff.inputsAdded { Terminal.out("+ \(input.name) \(input.asset.short)") }
        }
        for (title, changes) in [("settings", diff.settingChanges), ("output", diff.mediaChanges)]
        where !changes.isEmpty {
            Terminal.out("")
            Terminal.out("\(title):")
            let rows = changes.map { ["  " + $0.field, Self.text($0.old), "->", Self.text($0.new)] }
            Formatting.table(rows).forEach(Terminal.out)
        }
    }

    func printVisual(_ diff: VisualDiff, a assetA: Asset, b assetB: Asset, picture: String?) {
        func clip(_ clip: VisualDiff.Clip) -> String {
            let rate = clip.frameRate.map { String(format: "%.3g fps", $0) } ?? "? fps"
            return "\(clip.width)x\(clip.height) \(rate) \(Formatting.duration(clip.duration))"
        }
        func decibels(_ value: Double) -> String { value.isFinite ? String(format: "%.2f dB", value) : "inf" }
        Terminal.out("visual: \(assetA.id.short) (\(clip(diff.a))) vs \(assetB.id.short) (\(clip(diff.b)))")
        Terminal.out("  \(diff.samples.count) frame pairs compared, aligned by timestamp from each clip's first frame")
        Formatting.table([
            [
                "  SSIM (Y)", String(format: "mean %.4f", diff.ssim.mean), String(format: "min %.4f", diff.ssim.min),
                String(format: "max %.4f", diff.ssim.max),
            ],
            [
                "  PSNR (Y)", "mean \(decibels(diff.psnr.mean))", "min \(decibels(diff.psnr.min))",
                "max \(decibels(diff.psnr.max))",
            ],
        ]).forEach(Terminal.out)
        if diff.moments.isEmpty {
            Terminal.out("  no changed moment: the pictures are identical")
        } else {
            Terminal.out("  most changed:")
            for moment in diff.moments {
                Terminal.out(
                    "    \(Formatting.duration(moment.time))  SSIM \(String(format: "%.4f", moment.ssim))  PSNR \(decibels(moment.psnr))"
                )
            }
        }
        for note in diff.notes { Terminal.out("  note: \(note)") }
        if let picture {
            Terminal.out("  frames: \(picture) (A above B)")
        } else if frames != nil {
            Terminal.out("  frames: not written (nothing changed)")
        }
    }

    static func text(_ value: JSONValue?) -> String {
        guard let value, value != .null else { return "(none)" }
        if case .string(let string) = value { return string.count == 64 ? String(string.prefix(12)) : string }
        return value.compactText
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
