import Foundation
import TestSupport

/// After a kill: delete the index, rebuild it from the store's files, and
/// compare what the store shows with what it showed before. Used by the
/// crash suites, so that every kill they make also checks that the files
/// alone hold every turn, ref, asset, setting and pending interaction.
enum RebuildOracle {
    static let views: [[String]] = [
        ["log", "--all", "--json"], ["branch", "--all", "--json"], ["assets", "--json"],
        ["resume", "--list", "--json"],
        ["config", "--list", "--json"], ["remote", "-v", "--json"],
    ]

    /// Whether every item listed before is still listed (by its id or name):
    /// a command killed between writing its records and committing leaves
    /// records that the index never had, so the rebuilt store may hold more.
    static func keepsEverything(before: String, after: String) -> Bool {
        func keys(_ text: String) -> Set<String>? {
            guard let value = try? JSONText.parse(text) else { return nil }
            let items: [Any]
            if let array = value as? [Any] {
                items = array
            } else if let object = value as? [String: Any] {
                return Set(object.keys)
            } else {
                return nil
            }
            var out: Set<String> = []
            for item in items {
                guard let object = item as? [String: Any] else { return nil }
                guard let key = (object["id"] ?? object["name"] ?? object["interaction"]) as? String else { return nil }
                out.insert(key)
            }
            return out
        }
        guard let old = keys(before), let new = keys(after) else { return false }
        return new.isSuperset(of: old)
    }

    /// The problems found (empty when the rebuilt index shows the same store).
    static func rebuildAndCompare(_ workspace: String, environment: [String: String] = [:]) async throws -> [String] {
        var before: [String] = []
        for view in views {
            let result = try await OmnistoreCLI.run(view, in: workspace, environment: environment)
            guard result.succeeded else {
                return ["\(view.joined(separator: " ")) failed before the rebuild: \(result)"]
            }
            before.append(result.stdout)
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = workspace + "/.omnistore/omnistore.db" + suffix
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        }
        let rebuild = try await OmnistoreCLI.run(
            ["fsck", "--rebuild-index", "--json"], in: workspace, environment: environment)
        guard rebuild.succeeded else { return ["the rebuild failed: \(rebuild)"] }
        var problems: [String] = []
        if let lost = (try? JSONText.object(rebuild.stdout))?["lost"] as? [Any], !lost.isEmpty {
            problems.append("the rebuild reports lost: \(lost)")
        }
        for (view, old) in zip(views, before) {
            let after = try await OmnistoreCLI.run(view, in: workspace, environment: environment)
            if after.stdout != old && !keepsEverything(before: old, after: after.stdout) {
                problems.append(
                    "\(view.joined(separator: " ")) differs after the rebuild:\n\(after.stdout.prefix(1500))\nwas:\n\(old.prefix(1500))"
                )
            }
        }
        return problems
    }
}
