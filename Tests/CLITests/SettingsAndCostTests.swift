import Foundation
import TestSupport
import Testing

/// Issue 19, sections 2-4: what is not a regular file is refused unread,
/// settings are checked, the missing-file hint keeps the branch, and
/// `cost --by-branch` counts each turn once in its total.
@Suite struct SettingsAndCost {
    @Test("add and record refuse a FIFO at once, with one line, instead of waiting for a writer")
    func fifoIsRefused() async throws {
        let ws = try await CLIWorkspace.make("cli-fifo")
        #expect(mkfifo(ws.file("pipe.mp4"), 0o644) == 0)
        for arguments in [["add", "pipe.mp4"], ["record", "pipe.mp4", "-m", "x"]] {
            let result = try await ws.run(arguments, environment: [:])
            #expect(result.failedCleanly && !result.timedOut, "\(result)")
            #expect(
                result.stderrLines == [
                    "error: cannot add 'pipe.mp4': it is a named pipe (FIFO); only regular files can be added"
                ])
        }
        #expect(try await ws.assetsJSON().isEmpty)
    }

    @Test(
        "a setting is checked when it is set, with one line saying what is allowed",
        arguments: [
            ("retention_days", "abc"), ("retention_days", "nan"), ("retention_days", "366"), ("retention_days", "2.5"),
            ("author", "Ada\nEvil"), ("author", "  "), ("model", "two words"), ("workfile", "../escape.mp4"),
        ])
    func badSettingsAreRefused(_ key: String, _ value: String) async throws {
        let ws = try await CLIWorkspace.make("cli-config-bad")
        let result = try await ws.run(["config", key, value])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("error: cannot set \(key) to "), "\(result)")
        let read = try await ws.run(["config", key])
        #expect(!read.stdout.contains(value), "nothing was stored: \(read)")
    }

    @Test("a bad value already in the database is reported when read, not used")
    func badStoredSettingIsReported() async throws {
        let ws = try await CLIWorkspace.make("cli-config-stored")
        #expect(try await ws.run(["config", "retention_days", "30"]).succeeded)
        let script =
            "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute(\"UPDATE config SET value='nan' WHERE key='retention_days'\"); db.commit()"
        try await Tool.check("python3", ["-c", script, ws.file(".omnistore/omnistore.db")])
        let read = try await ws.run(["config", "retention_days"])
        #expect(
            read.failedCleanly && read.stderr.contains("holds 'nan'")
                && read.stderr.contains("omnistore config retention_days"), "\(read)")
    }

    @Test("a missing working file: status names a checkout that restores it and keeps HEAD on its branch")
    func missingWorkfileHintKeepsBranch() async throws {
        let ws = try await CLIWorkspace.make("cli-status-missing")
        _ = try await Fixtures.copy(.mp4H264AAC, into: ws.path)
        #expect(try await ws.run(["record", Fixture.mp4H264AAC.fileName, "-m", "one"]).succeeded)
        #expect(try await ws.run(["checkout", "main"]).succeeded)
        let workfile = try #require(
            try JSONText.object(try await ws.run(["status", "--json"]).stdout)["workfile"] as? [String: Any])
        try FileManager.default.removeItem(atPath: try #require(workfile["path"] as? String))
        let status = try await ws.run(["status"])
        let hint = try #require(status.stdout.split(separator: "'").dropFirst().first.map(String.init), "\(status)")
        #expect(hint == "omnistore checkout main", "\(status)")
        #expect(try await ws.run(hint.split(separator: " ").dropFirst().map(String.init)).succeeded)
        let after = try JSONText.object(try await ws.run(["status", "--json"]).stdout)
        #expect(after["branch"] as? String == "main" && after["detached"] as? Bool == false, "\(after)")
        #expect((after["workfile"] as? [String: Any])?["state"] as? String == "matches HEAD", "\(after)")
    }

    @Test("cost --by-branch: per-branch figures, and a total over the union of their turns, each counted once")
    func costByBranchTotalsTheUnion() async throws {
        let ws = try await CLIWorkspace.make("cli-cost-union")
        _ = try await Fixtures.copy(.mp4H264AAC, into: ws.path)
        _ = try await Fixtures.copy(.wav, into: ws.path)
        for arguments in [
            ["record", Fixture.mp4H264AAC.fileName, "-m", "one", "--cost", "1"],
            ["record", Fixture.wav.fileName, "-m", "two", "--cost", "2"],
            ["branch", "side", "HEAD~1"], ["checkout", "side"],
            ["record", Fixture.wav.fileName, "-m", "three", "--cost", "4", "--parent", "HEAD"],
            ["checkout", "main"],
        ] {
            let result = try await ws.run(arguments)
            #expect(result.succeeded, "\(result)")
        }
        let text = try await ws.run(["cost", "--by-branch"])
        #expect(
            text.stdoutLines.contains { $0.hasPrefix("main") && $0.contains("2 turns") && $0.contains("$3.00") },
            "\(text)")
        #expect(
            text.stdoutLines.contains { $0.hasPrefix("side") && $0.contains("2 turns") && $0.contains("$5.00") },
            "\(text)")
        // one (1) + two (2) + three (4): the shared first turn once, not main's 3 + side's 5.
        #expect(text.stdoutLines.last == "total $7.00 over 3 turns on 2 branches", "\(text)")
        let plain = try await ws.run(["cost"])
        #expect(
            plain.stdoutLines.last == "total $3.00 over 2 turns", "without --by-branch it is HEAD's history: \(plain)")
    }
}
