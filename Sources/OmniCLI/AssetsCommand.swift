import ArgumentParser
import OmniMedia
import OmniStore

extension MediaKind: ExpressibleByArgument {}

struct AssetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "List stored assets: id, kind, size in pixels, duration, first path.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only assets of this kind: image, video or audio.")
    var kind: MediaKind?

    func run() throws {
        let assets = try global.openStore().assets(kind: kind)
        if global.json {
            Terminal.json(.array(assets.map(\.json)))
        } else {
            Formatting.table(assets.map(Formatting.assetRow)).forEach(Terminal.out)
        }
    }
}
