import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The published JSON Schemas (`Resources/schemas`) against real `--json`
/// outputs, with Python's `jsonschema` (Draft 2020-12) as the oracle.
@Suite struct JSONSchema {
    @Test(
        "every --json output of a real store (files, history, frames, integrity, remotes) is valid against its schema")
    func storeOutputs() async throws {
        let dir = try TemporaryDirectory("schema-store")
        var outputs = try SchemaOutputs(in: dir)
        let path = try dir.makeDirectory("ws")
        try await outputs.run("init", ["init", path], in: dir.path)
        try await outputs.run("init", ["init", path], in: dir.path)
        let version = try await outputs.run("version", ["--version", "--json"], in: dir.path) as? [String: Any]
        let listed = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: SchemaFiles.directory + "/index.json")))
        let reported = NSDictionary(dictionary: version?["schemas"] as? [String: Any] ?? [:])
        #expect(reported.isEqual(to: listed as? [String: Any] ?? ["-": 0]), "\(reported)")
        let ws = CLIWorkspace(dir: dir, path: path)

        let shot1 = try await makeTestClip(ws.file("shot1.mp4"), seconds: 2, tone: 440)
        let shot2 = try await makeTestClip(ws.file("shot2.mp4"), seconds: 2, size: "80x60", rate: 12, tone: 660)
        let shot3 = try await makeTestClip(ws.file("shot3.mp4"), seconds: 2, size: "64x48", rate: 10)
        let shot4 = try await makeTestClip(ws.file("shot4.mp4"), seconds: 1, tone: 550)
        let still = ws.file("still.png")
        try await Tool.check(
            "ffmpeg",
            ["-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=48x32", "-frames:v", "1", still])
        let tone = try ws.write(WAV.data(seed: 7, sampleCount: 8000), to: "tone.wav")
        let notes = try ws.write("not media", to: "notes.txt")

        // Files.
        try await outputs.run("add", ["add", shot1, still, tone], in: path)
        try await outputs.run("add", ["add", still], in: path)
        try await outputs.run("add", ["add", notes, still], in: path, exitCode: 1)
        try await outputs.run("probe", ["probe", shot1, tone, still], in: path)
        let assets = try await outputs.run("assets", ["assets"], in: path) as? [[String: Any]] ?? []
        #expect(assets.count == 3, "\(assets)")
        let imageID = try #require(assets.first { $0["kind"] as? String == "image" }?["id"] as? String)
        try await outputs.run("show-asset", ["show", imageID], in: path)
        try await outputs.run("asset", ["show", String(imageID.prefix(12))], in: path)
        try await outputs.run("export", ["export", imageID, "-o", ws.file("exported.png")], in: path)
        try await OmnistoreCLI.check(["config", "author", "Ann Editor"], in: path)
        try await OmnistoreCLI.check(["config", "model", "gemini-omni-1.1-flash"], in: path)
        try await outputs.run("config", ["config", "--list"], in: path)
        try await outputs.run(
            "meta", ["meta", imageID, "--tag", "brand/logo", "--note", "the dark one", "--rate", "4"], in: path)
        try await outputs.run("rm", ["rm", tone], in: path)
        try await outputs.run("assets", ["assets", "--like", still], in: path)
        try await outputs.run("assets", ["assets", "--like", imageID, "--distance", "256"], in: path)
        let copy = ws.file("still-copy.png")
        try await Tool.check(
            "ffmpeg", ["-v", "error", "-y", "-nostdin", "-i", still, "-vf", "scale=44:30", copy])
        try await outputs.run("add", ["add", copy], in: path)
        let dupes = try await outputs.run("dupes", ["dupes"], in: path) as? [String: Any]
        #expect((dupes?["sets"] as? [Any])?.count == 1, "\(String(describing: dupes))")
        try await outputs.run("dupes", ["dupes", "--distance", "0"], in: path)

        // History: main gets two turns, alt branches off the first.
        let first = try await outputs.run(
            "record",
            ["record", shot1, "-m", "first cut", "--ref", "\(still):look", "--set", "seed=3", "--cost", "0.25"],
            in: path)
        let firstID = try #require((first as? [String: Any])?["id"] as? String)
        try await outputs.run(
            "record",
            ["record", shot2, "-m", "second cut\nwith a second line", "--model", "other", "--set", "resolution=360p"],
            in: path)
        try await outputs.run("status", ["status"], in: path)
        try await outputs.run("branch-create", ["branch", "alt", firstID], in: path)
        try await outputs.run("checkout", ["checkout", "alt"], in: path)
        try await outputs.run("record", ["record", shot3, "-m", "a darker cut", "--ref", tone], in: path)
        try await outputs.run("checkout", ["checkout", "main"], in: path)
        try await outputs.run("checkout", ["checkout", "alt", "--to", ws.file("alt-copy.mp4")], in: path)
        try await outputs.run("checkout", ["checkout", String(firstID.prefix(10))], in: path)
        try await outputs.run("status", ["status"], in: path)
        try await outputs.run("checkout", ["checkout", "main"], in: path)
        try await outputs.run("branch", ["branch"], in: path)
        try await outputs.run("log", ["log"], in: path)
        try await outputs.run("log", ["log", "--all", "-n", "2"], in: path)
        try await outputs.run("log-count", ["log", "--count", "--all"], in: path)
        try await outputs.run("log-attempts", ["log", "--attempts"], in: path)
        try await outputs.run("show-turn", ["show", "HEAD"], in: path)
        try await outputs.run("show-turn", ["show", "alt"], in: path)
        try await outputs.run("turn", ["show", firstID], in: path)
        for id in try FileManager.default.contentsOfDirectory(atPath: path + "/.omnistore/turns") {
            outputs.file("turn", path + "/.omnistore/turns/" + id)
        }
        try await outputs.run("diff", ["diff", "main", "alt"], in: path)
        try await outputs.run("diff", ["diff", "main", "alt", "--visual"], in: path)
        let shot1ID = try await SHA256Sum.hash(shot1)
        let shot3ID = try await SHA256Sum.hash(shot3)
        try await outputs.run("diff", ["diff", shot1ID, shot3ID, "--frames", ws.file("frames.png")], in: path)
        try await outputs.run("reflog", ["reflog"], in: path)
        try await outputs.run("reflog", ["reflog", "alt"], in: path)
        try await outputs.run("merge-base", ["merge-base", "main", "alt"], in: path)
        try await outputs.run("merge-base", ["merge-base", "--all", "main", "alt"], in: path)
        try await outputs.run("rev-parse", ["rev-parse", "HEAD", "main~1", "alt"], in: path)
        try await outputs.run("cost", ["cost"], in: path)
        try await outputs.run("cost", ["cost", "--all", "--by-branch"], in: path)

        // Frames.
        try await outputs.run("thumbnail", ["thumbnail", "HEAD", "--count", "3", "-o", ws.file("th.png")], in: path)
        try await outputs.run("thumbnail", ["thumbnail", "HEAD", "--count", "3", "-o", ws.file("th.png")], in: path)
        try await outputs.run(
            "thumbnail", ["thumbnail", imageID, "--format", "jpg", "-o", ws.file("still.jpg")], in: path)
        try await outputs.run("sheet", ["sheet", "HEAD", "-o", ws.file("sheet.png")], in: path)
        try await outputs.run(
            "sheet", ["sheet", "alt", "--grid", "3x1", "--exact", "-o", ws.file("sheet.jpg")], in: path)

        // Integrity.
        try await outputs.run("fsck", ["fsck"], in: path)
        try await outputs.run("fsck", ["fsck", "--fast"], in: path)
        try await outputs.run("gc", ["gc", "--dry-run", "--prune", "now"], in: path)
        try await outputs.run("gc", ["gc"], in: path)

        // Remotes: a folder remote, push, a full and a lazy clone, a pull.
        let remote = try await RemoteFixtures.make(.folder, in: dir)
        try await OmnistoreCLI.check(["remote", "add", "origin", remote.url], in: path)
        try await outputs.run("remote", ["remote"], in: path)
        try await outputs.run("push", ["push", "origin", "main", "alt"], in: path)
        try await outputs.run("push", ["push"], in: path)
        let full = dir.file("full")
        let lazy = dir.file("lazy")
        try await outputs.run("clone", ["clone", remote.url, full], in: dir.path)
        try await outputs.run("clone", ["clone", "--lazy", remote.url, lazy], in: dir.path)
        try await outputs.run("remote", ["remote"], in: lazy)
        try await outputs.run("fetch-objects", ["fetch-objects", "alt"], in: lazy)
        try await outputs.run("fetch-objects", ["fetch-objects", "--all"], in: lazy)
        try await OmnistoreCLI.check(["checkout", "main"], in: full)
        try await outputs.run("record", ["record", shot4, "-m", "a shorter cut"], in: full)
        try await outputs.run("push", ["push"], in: full)
        try await outputs.run("pull", ["pull"], in: path)
        try await outputs.run("pull", ["pull", "origin"], in: path)
        try await outputs.run("branch", ["branch", "-a"], in: path)
        try await outputs.run("fsck-rebuild-index", ["fsck", "--rebuild-index"], in: path)

        // fsck of a damaged store: a corrupt object is reported and quarantined (exit 1).
        let victim = StoreFiles(workspace: full).objectPath(shot1ID)
        chmod(victim, 0o644)
        var bytes = try #require(fileBytes(victim))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: victim))
        let damaged = try await outputs.run("fsck", ["fsck"], in: full, exitCode: 1) as? [String: Any]
        #expect((damaged?["problems"] as? [Any])?.isEmpty == false, "\(String(describing: damaged))")

        try await outputs.validate()
        #expect(outputs.names == JSONSchema.storeSchemas, "schemas not exercised or not expected: \(outputs.names)")
    }

    @Test("every --json output of generation (generate, edit, translate, dry runs, resume, cancel, attempts) is valid")
    func generationOutputs() async throws {
        let world = try await GenerationWorld.make("schema-generation")
        var outputs = try SchemaOutputs(in: world.ws.dir, environment: world.environment)
        let path = world.ws.path
        let base = ["--resolution", "360p", "--duration", "3"]
        try await outputs.run("generate-dry-run", ["generate", "a presenter says hello", "--dry-run"] + base, in: path)
        try await outputs.run("generate", ["generate", "a presenter says hello", "-b", "hello"] + base, in: path)
        try await outputs.run("edit-dry-run", ["edit", "make the light warm", "--dry-run"], in: path)
        try await outputs.run("edit", ["edit", "make the light warm"], in: path)
        try await outputs.run("translate-dry-run", ["translate", "German", "--dry-run"], in: path)
        try await outputs.run("translate", ["translate", "German"], in: path)
        try await outputs.run("cost", ["cost"], in: path)
        try await outputs.run("resume", ["resume"], in: path)

        // A lost network leaves a pending interaction; resume lands it.
        let polls: [String: Any] = ["kind": "close", "method": "GET", "path": "^/v1/interactions/", "count": 100]
        try await world.fake.fault(polls)
        #expect(try await world.run(["generate", "a harbor at night", "-b", "harbor"] + base).failedCleanly)
        try await world.fake.clearFaults()
        let pending = try await outputs.run("resume-list", ["resume", "--list"], in: path) as? [[String: Any]]
        #expect(pending?.count == 1, "\(String(describing: pending))")
        try await outputs.run("resume", ["resume"], in: path)

        // Another, cancelled instead.
        try await world.fake.fault(polls)
        #expect(try await world.run(["edit", "add drifting fog"]).failedCleanly)
        try await world.fake.clearFaults()
        let listed = try await outputs.run("resume-list", ["resume", "--list"], in: path) as? [[String: Any]]
        let interaction = try #require(listed?.first?["interaction"] as? String)
        try await outputs.run("cancel", ["cancel", interaction], in: path)

        // A blocked generation becomes an attempt.
        try await world.fake.outcome("safety")
        #expect(try await world.run(["generate", "something the filter blocks", "-b", "blocked"] + base).failedCleanly)
        try await outputs.run("log-attempts", ["log", "--all", "--attempts"], in: path)

        // A create killed before its reply: sent, no reply, until dismissed.
        try await world.fake.fault(["kind": "hold", "method": "POST", "path": "^/v1/interactions$"])
        let before = try await world.fake.requests().last?.seq ?? 0
        let process = try world.start(["generate", "a kite over dunes", "-b", "kite"] + base, timeout: 120)
        try await world.waitForRequests(timeout: 60) { $0.isCreate && $0.seq > before }
        process.send(SIGKILL)
        _ = await process.wait()
        try await world.fake.release()
        try await world.fake.clearFaults()
        try await outputs.run("fsck-rebuild-index", ["fsck", "--rebuild-index"], in: path)
        try await outputs.run("status", ["status"], in: path)
        try await outputs.run("resume-dismiss-unanswered", ["resume", "--dismiss-unanswered"], in: path)
        try await outputs.run("log-attempts", ["log", "--all", "--attempts"], in: path)
        try await outputs.run("cost", ["cost", "--all", "--by-branch"], in: path)
        try await outputs.run("log", ["log", "--all"], in: path)

        try await outputs.validate()
        #expect(
            outputs.names == JSONSchema.generationSchemas, "schemas not exercised or not expected: \(outputs.names)")
    }

    @Test("index.json, SchemaVersions.swift and every schema's $id name the same schemas at the same versions")
    func versionsAgree() throws {
        let files = try SchemaFiles.names()
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: SchemaFiles.index)))
                as? [String: Any])
        let indexVersions = index.mapValues { $0 as? Int ?? -1 }
        #expect(
            Set(indexVersions.keys) == Set(files), "index.json lists \(indexVersions.keys.sorted()), files \(files)")
        #expect(indexVersions.values.allSatisfy { $0 >= 1 }, "\(indexVersions)")

        let swift = try String(contentsOfFile: SchemaFiles.swiftVersions, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"\(name: "([a-z0-9-]+)", version: ([0-9]+)\)"#)
        let matches = pattern.matches(in: swift, range: NSRange(swift.startIndex..., in: swift))
        let swiftPairs = matches.compactMap { match -> (String, Int)? in
            guard let name = Range(match.range(at: 1), in: swift), let version = Range(match.range(at: 2), in: swift)
            else { return nil }
            return (String(swift[name]), Int(swift[version]) ?? -1)
        }
        #expect(swiftPairs.map(\.0) == swiftPairs.map(\.0).sorted(), "SchemaVersions.all is sorted by name")
        #expect(
            Dictionary(swiftPairs, uniquingKeysWith: { _, last in last }) == indexVersions,
            "SchemaVersions.swift \(swiftPairs) against index.json \(indexVersions)")
        #expect(swiftPairs.count == indexVersions.count, "no duplicates in SchemaVersions.all")

        for name in files {
            let schema = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: SchemaFiles.path(name))))
                    as? [String: Any])
            let version = indexVersions[name] ?? -1
            #expect(schema["$id"] as? String == "https://omnistore.dev/schemas/\(name)/\(version).json", "\(name)")
            #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema", "\(name)")
            #expect((schema["title"] as? String)?.isEmpty == false, "\(name) has a title")
            #expect((schema["description"] as? String)?.isEmpty == false, "\(name) has a description")
            // A $ref names another schema at the version index.json gives it.
            let text = try String(contentsOfFile: SchemaFiles.path(name), encoding: .utf8)
            let refPattern = try NSRegularExpression(
                pattern: #"https://omnistore\.dev/schemas/([a-z0-9-]+)/([0-9]+)\.json"#)
            for match in refPattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let target = Range(match.range(at: 1), in: text), let at = Range(match.range(at: 2), in: text)
                else { continue }
                #expect(
                    indexVersions[String(text[target])] == Int(text[at]),
                    "\(name) refers to \(text[target])/\(text[at])")
            }
        }
        #expect(
            JSONSchema.storeSchemas.union(JSONSchema.generationSchemas) == Set(files),
            "every schema is checked against a real output by one of the tests above")
    }

    @Test("the commands with a --json flag are exactly the commands the schemas cover")
    func everyJSONCommandHasASchema() async throws {
        let help = try await OmnistoreCLI.check(["--help"], in: FileManager.default.temporaryDirectory.path)
        var commands: [String] = []
        var inSubcommands = false
        for line in help.stdoutLines {
            if line.hasSuffix("SUBCOMMANDS:") {
                inSubcommands = true
                continue
            }
            if !line.hasPrefix(" ") { inSubcommands = false }
            guard inSubcommands, line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            if let name = line.split(separator: " ").first, name.allSatisfy({ $0.isLowercase || $0 == "-" }) {
                commands.append(String(name))
            }
        }
        #expect(commands.count >= 30, "parsed \(commands) from --help")
        var withJSON: Set<String> = []
        for command in commands {
            let usage = try await OmnistoreCLI.check(
                [command, "--help"], in: FileManager.default.temporaryDirectory.path)
            if usage.stdoutLines.contains(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--json") }) {
                withJSON.insert(command)
            }
        }
        // A schema NAME covers the command NAME, or COMMAND when NAME is COMMAND-VARIANT.
        let known = Set(commands)
        var covered: Set<String> = []
        var orphans: [String] = []
        for name in try SchemaFiles.names() where !JSONSchema.recordSchemas.contains(name) {
            let command =
                known.contains(name)
                ? name : known.filter { name.hasPrefix($0 + "-") }.max { $0.count < $1.count }
            if let command { covered.insert(command) } else { orphans.append(name) }
        }
        #expect(orphans.isEmpty, "schemas that name no command: \(orphans)")
        #expect(
            withJSON.subtracting(covered).isEmpty,
            "--json outputs with no schema: \(withJSON.subtracting(covered).sorted())")
        #expect(
            covered.subtracting(withJSON).isEmpty,
            "schemas for commands without --json: \(covered.subtracting(withJSON).sorted())")
    }

    /// Schemas of records, and of `--version --json`: not of a subcommand's output.
    static let recordSchemas: Set<String> = ["turn", "asset", "version"]

    /// What ``storeOutputs()`` validates.
    static let storeSchemas: Set<String> = [
        "add", "asset", "assets", "branch", "version", "branch-create", "checkout", "clone", "config", "cost", "diff",
        "dupes", "export",
        "fetch-objects", "fsck", "fsck-rebuild-index", "gc", "init", "log", "log-attempts", "log-count", "merge-base",
        "meta", "probe", "pull", "push", "record", "reflog", "remote", "rev-parse", "rm", "sheet", "show-asset",
        "show-turn",
        "status", "thumbnail", "turn",
    ]

    /// What ``generationOutputs()`` validates.
    static let generationSchemas: Set<String> = [
        "cancel", "cost", "edit", "edit-dry-run", "fsck-rebuild-index", "generate", "generate-dry-run", "log",
        "log-attempts", "resume", "resume-dismiss-unanswered", "resume-list", "status", "translate",
        "translate-dry-run",
    ]
}

/// The schema files, the validator and the Swift table of versions, from this file's path.
enum SchemaFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var directory: String { root.appendingPathComponent("Resources/schemas").path }
    static var index: String { directory + "/index.json" }
    static var validator: String { root.appendingPathComponent("Tests/JSONSchema/validate.py").path }
    static var swiftVersions: String { root.appendingPathComponent("Sources/OmniCLI/SchemaVersions.swift").path }
    static func path(_ name: String) -> String { directory + "/\(name).schema.json" }

    /// Every `NAME.schema.json`, by NAME, sorted.
    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".schema.json") }
            .map { String($0.dropLast(".schema.json".count)) }
            .sorted()
    }
}

/// Outputs collected for validation: each command's stdout saved to a file,
/// with the schema it must match.
struct SchemaOutputs {
    let folder: String
    let environment: [String: String]
    private(set) var pairs: [(schema: String, file: String)] = []
    var names: Set<String> { Set(pairs.map(\.schema)) }

    init(in dir: TemporaryDirectory, environment: [String: String] = [:]) throws {
        folder = try dir.makeDirectory("json-outputs")
        self.environment = environment
    }

    /// Runs `omnistore ARGS --json`, which must exit with `exitCode`, saves
    /// its stdout for ``validate()``, and returns it parsed.
    @discardableResult
    mutating func run(_ schema: String, _ arguments: [String], in directory: String, exitCode: Int32 = 0)
        async throws -> Any
    {
        let result = try await OmnistoreCLI.run(arguments + ["--json"], in: directory, environment: environment)
        guard result.exitCode == exitCode, !result.signaled, !result.timedOut else {
            throw TestSupportError("expected exit \(exitCode):\n\(result)")
        }
        let file = folder + String(format: "/%03d-", pairs.count) + schema + ".json"
        try result.stdoutData.write(to: URL(fileURLWithPath: file))
        pairs.append((schema, file))
        do {
            return try JSONText.parse(result.stdout)
        } catch {
            throw TestSupportError("\(arguments) --json printed no JSON:\n\(result)")
        }
    }

    /// A file that must match `schema`.
    mutating func file(_ schema: String, _ path: String) {
        pairs.append((schema, path))
    }

    /// Validates every output against its schema; throws with every error.
    func validate() async throws {
        let arguments = [SchemaFiles.validator, SchemaFiles.directory] + pairs.flatMap { [$0.schema, $0.file] }
        let result = try await Tool.check("python3", arguments)
        #expect(result.stdout.contains("ok"), "\(result)")
    }
}
