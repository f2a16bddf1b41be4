import Foundation
import TestSupport
import Testing

@Suite struct GraphCanonicalCLI {
    /// Records the same three turns in a fresh store and returns their ids.
    static func recordChain(
        in dir: TemporaryDirectory, _ label: String, date: String, author: String = "ada", message: String = "first"
    ) async throws -> [String] {
        let workspace = try dir.makeDirectory(label)
        try await OmnistoreCLI.check(["init"], in: workspace)
        let env = ["OMNISTORE_DATE": date, "OMNISTORE_AUTHOR": author]
        var ids: [String] = []
        for (index, arguments) in [
            ["-m", message, "--set", "seed=7", "--set", "ratio=0.5", "--cost", "0.25"],
            ["-m", "second\nwith a body", "--model", "veo-3", "--set", "resolution=1280x720", "--set", "fast=true"],
            ["-m", "third", "--interaction", "int_9", "--ref", "ref.wav:style"],
        ].enumerated() {
            // Same bytes in each store, written to this store's own files.
            let clip = workspace + "/c\(index).wav"
            try WAV.data(seed: 300 + index).write(to: URL(fileURLWithPath: clip))
            try WAV.data(seed: 399).write(to: URL(fileURLWithPath: workspace + "/ref.wav"))
            let result = try await OmnistoreCLI.check(
                ["record", clip, "--json"] + arguments, in: workspace, environment: env)
            ids.append(try JSONText.object(result.stdout)["id"] as? String ?? "?")
        }
        return ids
    }

    @Test("the same turn fields, date and author give the same ids in two stores; any change gives another id")
    func stableAcrossStores() async throws {
        let dir = try TemporaryDirectory("graph-stable")
        let one = try await Self.recordChain(in: dir, "one", date: "@1700000000")
        let two = try await Self.recordChain(in: dir, "two", date: "@1700000000")
        #expect(one == two)
        #expect(Set(one).count == 3)
        // The same instant written as RFC 3339 with an offset.
        let offset = try await Self.recordChain(in: dir, "offset", date: "2023-11-14T23:13:20+01:00")
        #expect(offset == one)
        // One millisecond later, another author, another message: all different.
        let later = try await Self.recordChain(in: dir, "later", date: "2023-11-14T22:13:20.001Z")
        let author = try await Self.recordChain(in: dir, "author", date: "@1700000000", author: "bob")
        let message = try await Self.recordChain(in: dir, "message", date: "@1700000000", message: "first.")
        for other in [later, author, message] {
            #expect(Set(other).isDisjoint(with: one))
        }
        // created_at is the date as hashed: RFC 3339 UTC with milliseconds.
        let shown = try await OmnistoreCLI.check(["show", one[0], "--json"], in: dir.file("one"))
        #expect(try JSONText.object(shown.stdout)["created_at"] as? String == "2023-11-14T22:13:20.000Z")
    }

    @Test(
        "OMNISTORE_DATE keeps its milliseconds, given as @seconds.fraction or as RFC 3339",
        arguments: [
            ("@1700000000.001", "2023-11-14T22:13:20.001Z"), ("@1700000000.123", "2023-11-14T22:13:20.123Z"),
            ("@1700000000.5", "2023-11-14T22:13:20.500Z"), ("@1700000000", "2023-11-14T22:13:20.000Z"),
            ("2023-11-14T22:13:20.123Z", "2023-11-14T22:13:20.123Z"),
            ("2023-11-14T23:13:20.123+01:00", "2023-11-14T22:13:20.123Z"),
        ])
    func dateMilliseconds(_ date: String, _ expected: String) async throws {
        let dir = try TemporaryDirectory("graph-date")
        try await OmnistoreCLI.check(["init"], in: dir.path)
        let clip = try dir.write(WAV.data(seed: 340), to: "c.wav")
        let result = try await OmnistoreCLI.check(
            ["record", clip, "-m", "dated", "--json"], in: dir.path, environment: ["OMNISTORE_DATE": date])
        #expect(try JSONText.object(result.stdout)["created_at"] as? String == expected, "OMNISTORE_DATE=\(date)")
        // git reads the same @seconds.fraction form of GIT_COMMITTER_DATE to the second.
        let git = try await GitScratchRepo.create(at: dir.file("git"))
        let seconds = date.hasPrefix("@") ? String(date.dropFirst().prefix { $0 != "." }) : nil
        if let seconds {
            let commit = try await git.commit(message: "dated", parents: [], unixSeconds: Int(seconds)!)
            let gitDate = try await git.check(["log", "-1", "--format=%cd", "--date=iso-strict", commit])
            #expect(expected.hasPrefix(String(gitDate.prefix(19))), "git: \(gitDate)")
        }
    }

    @Test(
        "record --json and show --json both rebuild, with Python and the documented rule, to the id",
        arguments: [
            ["--set", "ratio=0.1234567", "--set", "neg=-2.50", "--set", "big=12345678901", "--cost", "0.034"],
            // Numbers that round to an integer at 6 decimals.
            ["--set", "almost_two=2.0000001", "--set", "tiny=0.0000004", "--cost", "1.0000004"],
            ["--set", "neg_almost_two=-2.0000001", "--set", "neg_tiny=-0.0000001"],
        ])
    func python(_ settings: [String]) async throws {
        let dir = try TemporaryDirectory("graph-python")
        let workspace = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: workspace)
        let clip = try dir.write(WAV.data(seed: 333), to: "c.wav")
        let message = "ünïcode \"quotes\" \\ back\tslash \u{1} and 😀"
        let recorded = try await OmnistoreCLI.check(
            ["record", clip, "-m", message, "--json", "--set", "label=x y", "--set", "on=false"] + settings,
            in: workspace,
            environment: ["OMNISTORE_DATE": "@1700000123.456", "OMNISTORE_AUTHOR": "Zoë"])
        let id = try JSONText.object(recorded.stdout)["id"] as? String ?? "?"
        let shown = try await OmnistoreCLI.run(["show", id, "--json"], in: workspace)
        // The recorded turn reads back (its stored record hashes to its id).
        for arguments in [["show", id, "--json"], ["log", "--json"], ["status"]] {
            let result = try await OmnistoreCLI.run(arguments, in: workspace)
            #expect(result.succeeded, "\(result)")
        }
        var outputs = [("record --json", recorded.stdoutData)]
        if shown.succeeded { outputs.append(("show --json", shown.stdoutData)) }
        for (label, output) in outputs {
            let (text, sha) = try await GraphCanonicalPython.canonical(of: output, scratch: dir.path)
            #expect(sha == id, "\(label) rebuilt to:\n\(text)")
        }
    }
}
