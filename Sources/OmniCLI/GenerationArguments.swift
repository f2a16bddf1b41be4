import ArgumentParser
import Foundation
import OmniStore

/// The options shared by generate, edit and translate.
struct GenerationArguments: ParsableArguments {
    @Option(
        name: .customLong("ref"),
        help: ArgumentHelp("A reference image or clip: PATH|ASSET[:NAME]. Repeatable.", valueName: "REF"))
    var refs: [String] = []

    @Option(help: "The model (default: the store's 'model' setting, else gemini-omni-1.1-flash).")
    var model: String?

    @Option(help: "360p, 720p (default), 1080p or 4k.")
    var resolution: String?

    @Option(help: "Clip length in seconds, 3 to 10 (default 8; an edit keeps its source's length).")
    var duration: Int?

    @Option(help: "16:9 (default) or 9:16.")
    var aspect: String?

    @Option(help: "text_to_video, image_to_video, reference_to_video, edit or extend (default: the model decides).")
    var task: String?

    @Option(help: "A seed for repeatable results.")
    var seed: Int?

    @Option(name: .customShort("b"), help: "Start this new branch at the new turn and switch to it.")
    var branch: String?

    @Flag(name: .customLong("dry-run"), help: "Print the exact request and its estimated cost; send nothing.")
    var dryRun = false

    @Option(
        name: .customLong("max-cost"),
        help: ArgumentHelp("Refuse if the estimate exceeds this many US dollars.", valueName: "USD"))
    var maxCost: Double?

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be a positive number of seconds") }
        if let maxCost, !(maxCost >= 0) { throw ValidationError("--max-cost must be a non-negative amount") }
    }

    func apply(to options: inout GenerationOptions) {
        options.references = refs.map(AssetSource.parse)
        options.model = model
        options.resolution = resolution
        options.duration = duration
        options.aspectRatio = aspect
        if let task { options.task = task }
        options.seed = seed
        options.newBranch = branch
        options.maxCost = maxCost
    }
}
