import ArgumentParser
import OmniStore

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Read or change a store setting (workfile, author, model, retention_days).")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Remove the setting.")
    var unset = false

    @Flag(name: .shortAndLong, help: "List every setting that is set.")
    var list = false

    @Argument(help: "The setting.")
    var key: String?

    @Argument(help: "The new value; prints the current one when omitted.")
    var value: String?

    func validate() throws {
        if !list && key == nil { throw ValidationError("give a setting name, or --list") }
        if let key, Store.configKeys[key] == nil {
            let known = Store.configKeys.keys.sorted().joined(separator: ", ")
            throw ValidationError("unknown setting '\(key)': the settings are \(known)")
        }
    }

    func run() throws {
        let store = try global.openStore()
        if list {
            let all = try store.allConfig()
            if global.json {
                Terminal.json(.object(all.mapValues(JSONValue.string)))
            } else {
                for key in all.keys.sorted() { Terminal.out("\(key)=\(all[key] ?? "")") }
            }
            return
        }
        guard let key else { return }
        if unset {
            try store.setConfig(key, nil)
        } else if let value {
            try store.setConfig(key, value)
        } else if let current = try store.config(key) {
            Terminal.out(current)
        } else {
            throw CommandFailure()
        }
    }
}
