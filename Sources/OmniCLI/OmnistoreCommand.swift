import ArgumentParser
import Foundation
import OmniInteractions
import OmniStore

/// The `omnistore` command line: a thin layer over the `OmniStore` library.
public struct OmnistoreCommand: ParsableCommand {
    public static let version = "0.2.0"

    public static let configuration = CommandConfiguration(
        commandName: "omnistore",
        abstract: "Git for generated video: a content-addressed media store with a versioned clip graph.",
        version: version,
        groupedSubcommands: [
            CommandGroup(
                name: "Files",
                subcommands: [
                    InitCommand.self, AddCommand.self, RmCommand.self, AssetsCommand.self, MetaCommand.self,
                    DupesCommand.self, ShowCommand.self,
                    ExportCommand.self, ProbeCommand.self, ConfigCommand.self,
                ]),
            CommandGroup(
                name: "History",
                subcommands: [
                    RecordCommand.self, LogCommand.self, StatusCommand.self, BranchCommand.self, CheckoutCommand.self,
                    DiffCommand.self, ReflogCommand.self, MergeBaseCommand.self, RevParseCommand.self,
                ]),
            CommandGroup(
                name: "Generation",
                subcommands: [
                    GenerateCommand.self, EditCommand.self, TranslateCommand.self, ResumeCommand.self,
                    CancelCommand.self, CostCommand.self,
                ]),
            CommandGroup(name: "Frames", subcommands: [ThumbnailCommand.self, SheetCommand.self]),
            CommandGroup(name: "Integrity", subcommands: [FsckCommand.self, GcCommand.self]),
            CommandGroup(
                name: "Remotes",
                subcommands: [
                    RemoteCommand.self, PushCommand.self, PullCommand.self, CloneCommand.self, FetchObjectsCommand.self,
                ]),
        ])

    public init() {}

    /// Runs the command line and exits: 0 on success, 1 on a reported failure,
    /// 64 on a usage error.
    public static func runMain() async -> Never {
        let arguments = hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst()))
        // `--version --json`: the version, and every published schema's, for tools to check against.
        if Set(arguments) == ["--version", "--json"] {
            var schemas: [String: JSONValue] = [:]
            for schema in SchemaVersions.all { schemas[schema.name] = .int(Int64(schema.version)) }
            Terminal.json(.object(["version": .string(version), "schemas": .object(schemas)]))
            Foundation.exit(0)
        }
        do {
            var command: any ParsableCommand
            do {
                command = try parseAsRoot(arguments)
            } catch {
                exitForUsage(error, arguments: arguments)
            }
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as StoreError {
            Terminal.error(ErrorText.of(error))
            Foundation.exit(1)
        } catch let error as InteractionsError {
            Terminal.error(ErrorText.of(error))
            Foundation.exit(1)
        } catch let error as LooksError {
            Terminal.error(ErrorText.of(error))
            Foundation.exit(1)
        } catch let error as CommandFailure {
            if let message = error.message { Terminal.error(message) }
            Foundation.exit(error.exitCode)
        } catch {
            exitForUsage(error, arguments: arguments)
        }
    }

    /// A usage error is one `error:` line with where to read more, as every
    /// other error is; `--help` and `--version` print as the parser prints them.
    private static func exitForUsage(_ error: any Error, arguments: [String]) -> Never {
        let code = exitCode(for: error)
        guard code != .success else { exit(withError: error) }
        let text = message(for: error)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
            .joined(separator: "; ")
        let subcommand = configuration.subcommands
            .compactMap { $0.configuration.commandName }
            .first { arguments.first == $0 }
        let help = subcommand.map { "omnistore \($0) --help" } ?? "omnistore --help"
        var line = text.isEmpty ? "invalid arguments" : lowercasedFirst(text)
        if line.hasSuffix(".") { line.removeLast() }
        // Only a usage error points at --help; another failure is its own message.
        Terminal.error(code == .validationFailure ? "\(line) (see '\(help)')" : line)
        Foundation.exit(code.rawValue)
    }

    private static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase == true else {
            return text
        }
        return first.lowercased() + text.dropFirst()
    }
}

/// Moves `--store DIR` (or `--store=DIR`) given before the subcommand to
/// after it, so `omnistore --store DIR log` works as in git (`git -C DIR log`).
func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
    var leading: [String] = []
    var index = 0
    while index < arguments.count, arguments[index].hasPrefix("--store") {
        if arguments[index] == "--store", index + 1 < arguments.count {
            leading += [arguments[index], arguments[index + 1]]
            index += 2
        } else if arguments[index].hasPrefix("--store=") {
            leading.append(arguments[index])
            index += 1
        } else {
            break
        }
    }
    guard !leading.isEmpty, index < arguments.count else { return arguments }
    return [arguments[index]] + leading + arguments[(index + 1)...]
}

/// A failure already reported to the user, carrying only the exit code.
struct CommandFailure: Error {
    var message: String? = nil
    var exitCode: Int32 = 1
}
