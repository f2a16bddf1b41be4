import ArgumentParser
import OmniStore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an asset's original bytes to a file (verified against its id).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An asset id (or a unique prefix of 4 or more hex digits), or a path it was added from.")
    var asset: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the bytes; '-' for stdout.", valueName: "FILE"))
    var output: String

    func run() throws {
        let store = try global.openStore()
        let id = try store.assetNamed(asset)
        try store.export(id, to: output)
        if output != "-" {
            if global.json {
                Terminal.json(.object(["asset": .string(id.hex), "path": .string(output)]))
            } else {
                Terminal.err("exported \(id.short) to \(output)")
            }
        }
    }
}
