import ArgumentParser
import Foundation
import OmniStore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an empty store in DIR/.omnistore (running it again is harmless).")

    @Argument(help: "The workspace folder; created if missing.")
    var directory: String = "."

    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    func run() throws {
        let (store, created) = try Store.create(at: directory)
        if json {
            Terminal.json(.object(["store": .string(store.layout.storeDirectory), "created": .bool(created)]))
        } else if created {
            Terminal.out("Initialized empty omnistore in \(store.layout.storeDirectory)")
        } else {
            Terminal.out("Reinitialized existing omnistore in \(store.layout.storeDirectory)")
        }
    }
}
