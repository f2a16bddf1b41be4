import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Small helpers shared by the Reliability* suites.
enum RelCLI {
    /// `add --json PATHS`: (path, status, asset id or error) per item.
    static func addItems(_ result: ProcessResult) -> [(path: String, status: String, id: String?, error: String?)] {
        guard let items = (try? ExactJSON.parse(result.stdout))?.array else { return [] }
        return items.map { item in
            (
                item["path"]?.string ?? "", item["status"]?.string ?? "?", item["asset"]?["id"]?.string,
                item["error"]?.string
            )
        }
    }

    /// The `id`, `output` and input asset ids of `record --json`.
    static func recordedTurn(_ result: ProcessResult) -> (
        id: String, output: String, inputs: [String], sideBranch: String?
    )? {
        guard let object = try? JSONText.object(result.stdout), let id = object["id"] as? String,
            let output = object["output"] as? String
        else { return nil }
        let inputs = (object["inputs"] as? [[String: Any]] ?? []).compactMap { $0["asset"] as? String }
        return (id, output, inputs, object["side_branch"] as? String)
    }

    /// Whether a finished process crashed or hung (as opposed to exiting by itself).
    static func crashedOrHung(_ result: ProcessResult) -> Bool { result.signaled || result.timedOut }

    /// Text of a result for failure messages, kept short.
    static func brief(_ result: ProcessResult) -> String {
        let how =
            result.timedOut ? "timed out" : result.signaled ? "signal \(result.exitCode)" : "exit \(result.exitCode)"
        let args = result.command.dropFirst().map { $0.count > 60 ? String($0.prefix(60)) + "…" : $0 }
        return
            "omnistore \(args.prefix(8).joined(separator: " "))\(args.count > 8 ? " …" : "") [\(how)] stderr: \(result.stderr.prefix(400))"
    }
}

/// Whether `omnistore --help` lists a subcommand (for commands other people are adding).
func omnistoreHasSubcommand(_ name: String) async -> Bool {
    guard let help = try? await OmnistoreCLI.run(["--help"], in: FileManager.default.temporaryDirectory.path) else {
        return false
    }
    return help.stdout.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name + " ") }
}
