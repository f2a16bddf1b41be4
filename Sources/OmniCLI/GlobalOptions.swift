import ArgumentParser
import Foundation
import OmniStore

/// Options every command that works on a store accepts.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("Use the store in DIR instead of searching from the current folder.", valueName: "DIR"))
    var store: String?

    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    /// The store named by `--store`, then `OMNISTORE_DIR`, then found from the
    /// current folder upwards, as git finds a repository.
    /// A lazy clone's missing objects are downloaded on demand.
    func openStore() throws -> Store {
        let store = try findStore()
        store.lazyObjectSource = RemoteObjectSource()
        return store
    }

    private func findStore() throws -> Store {
        if let store { return try Store.open(at: store) }
        if let env = ProcessInfo.processInfo.environment["OMNISTORE_DIR"], !env.isEmpty {
            return try Store.open(at: env)
        }
        return try Store.discover(from: FileManager.default.currentDirectoryPath)
    }

    /// The workspace of that store, found the same way, without opening it.
    func workspace() throws -> String {
        if let store { return try Store.workspace(at: store) }
        if let env = ProcessInfo.processInfo.environment["OMNISTORE_DIR"], !env.isEmpty {
            return try Store.workspace(at: env)
        }
        return try Store.discoverWorkspace(from: FileManager.default.currentDirectoryPath)
    }
}
