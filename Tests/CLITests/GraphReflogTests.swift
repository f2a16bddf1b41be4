import Foundation
import TestSupport
import Testing

/// One reflog entry with ids replaced by turn names, so git's and omnistore's compare.
struct GraphReflogLine: Equatable, CustomStringConvertible {
    let old: String?
    let new: String?
    let reason: String
    var description: String { "\(old ?? "-") -> \(new ?? "-"): \(reason)" }
}

@Suite struct GraphReflog {
    /// Lowercases, says "record" for git's "commit", and replaces ids (full or
    /// short) by the name of the turn they start.
    static func normalize(_ reason: String, _ names: [String: String]) -> String {
        var text = reason.lowercased()
        if text.hasPrefix("commit") { text = "record" + text.dropFirst("commit".count) }
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            guard word.count >= 12, word.allSatisfy(\.isHexDigit) else { return String(word) }
            return names.first { $0.key.hasPrefix(word) }?.value ?? String(word)
        }
        return words.joined(separator: " ")
    }

    /// git's raw reflog file (`old new ident<TAB>message`, oldest first), newest first.
    static func gitReflog(_ git: GitScratchRepo, _ ref: String, names: [String: String]) throws -> [GraphReflogLine] {
        let text = try String(contentsOfFile: git.path + "/.git/logs/" + ref, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            let fields = parts[0].split(separator: " ")
            let name = { (sha: Substring) -> String? in sha.allSatisfy { $0 == "0" } ? nil : names[String(sha)] ?? "?" }
            return GraphReflogLine(
                old: name(fields[0]), new: name(fields[1]),
                reason: normalize(parts.count > 1 ? String(parts[1]) : "", names))
        }.reversed()
    }

    static func storeReflog(_ dir: String, _ ref: String, names: [String: String]) async throws -> [GraphReflogLine] {
        let result = try await OmnistoreCLI.check(["reflog", ref, "--json"], in: dir)
        return try JSONText.array(result.stdout).map { item in
            let entry = item as? [String: Any] ?? [:]
            let name = { (id: Any?) -> String? in (id as? String).map { names[$0] ?? "?" } }
            return GraphReflogLine(
                old: name(entry["old"]), new: name(entry["new"]),
                reason: normalize(entry["reason"] as? String ?? "", names))
        }
    }

    @Test("reflog old/new/reason for record, checkout (-b, detached) and branch create/rename match git's reflogs")
    func matchesGit() async throws {
        let dir = try TemporaryDirectory("graph-reflog")
        let ws = try dir.makeDirectory("ws")
        try await OmnistoreCLI.check(["init"], in: ws)
        let git = try await GitScratchRepo.create(at: dir.file("git"))
        var turnNames: [String: String] = [:]
        var commitNames: [String: String] = [:]
        var seed = 600

        func record(_ name: String) async throws {
            seed += 1
            let clip = try dir.write(WAV.data(seed: seed), to: "clips/\(name).wav")
            let result = try await OmnistoreCLI.check(["record", clip, "-m", name, "--json"], in: ws)
            turnNames[try JSONText.object(result.stdout)["id"] as? String ?? "?"] = name
            try await git.check(["commit", "-q", "--allow-empty", "-m", name])
            commitNames[try await git.check(["rev-parse", "HEAD"])] = name
        }
        func both(_ store: [String], _ gitArguments: [String]) async throws {
            try await OmnistoreCLI.check(store, in: ws)
            try await git.check(gitArguments)
        }
        func turnID(_ name: String) -> String { turnNames.first { $0.value == name }!.key }
        func commitID(_ name: String) -> String { commitNames.first { $0.value == name }!.key }

        try await record("A")
        try await record("B")
        try await both(["branch", "alt", "HEAD~1"], ["branch", "alt", "HEAD~1"])
        try await both(["checkout", "alt"], ["checkout", "-q", "alt"])
        try await record("C")
        try await both(["checkout", "HEAD", "-b", "feat"], ["checkout", "-q", "-b", "feat"])
        try await record("D")
        try await both(["checkout", turnID("A")], ["checkout", "-q", "--detach", commitID("A")])
        try await record("E")
        try await both(["checkout", "main"], ["checkout", "-q", "main"])
        try await both(["branch", "-m", "alt", "alt2"], ["branch", "-m", "alt", "alt2"])
        try await record("F")

        for (storeRef, gitRef) in [
            ("HEAD", "HEAD"), ("main", "refs/heads/main"), ("alt2", "refs/heads/alt2"), ("feat", "refs/heads/feat"),
        ] {
            let expected = try Self.gitReflog(git, gitRef, names: commitNames)
            let actual = try await Self.storeReflog(ws, storeRef, names: turnNames)
            #expect(actual == expected, "reflog \(storeRef)")
        }
        // The renamed branch's old name has no reflog of its own any more.
        #expect(try await Self.storeReflog(ws, "alt", names: turnNames).isEmpty)

        // Every entry has a date and the author.
        let raw = try JSONText.array(try await OmnistoreCLI.check(["reflog", "--json"], in: ws).stdout)
        for item in raw {
            let entry = item as? [String: Any] ?? [:]
            #expect((entry["at"] as? String)?.hasSuffix("Z") == true)
            #expect((entry["author"] as? String)?.isEmpty == false)
            #expect(entry["ref"] as? String == "HEAD")
        }
    }

    @Test("branch -D keeps the deleted branch's history in its reflog; -d refuses unmerged turns")
    func deletion() async throws {
        let dir = try TemporaryDirectory("graph-reflog-delete")
        try await OmnistoreCLI.check(["init"], in: dir.path)
        var ids: [String] = []
        for (index, message) in ["A", "B"].enumerated() {
            let clip = try dir.write(WAV.data(seed: 650 + index), to: "\(message).wav")
            let result = try await OmnistoreCLI.check(["record", clip, "-m", message, "--json"], in: dir.path)
            ids.append(try JSONText.object(result.stdout)["id"] as? String ?? "?")
        }
        try await OmnistoreCLI.check(["checkout", "HEAD~1", "-b", "side"], in: dir.path)
        let clip = try dir.write(WAV.data(seed: 660), to: "S.wav")
        let side =
            try JSONText.object(
                try await OmnistoreCLI.check(["record", clip, "-m", "S", "--json"], in: dir.path).stdout)["id"]
            as? String
        try await OmnistoreCLI.check(["checkout", "main"], in: dir.path)

        let refused = try await OmnistoreCLI.run(["branch", "-d", "side"], in: dir.path)
        #expect(refused.exitCode == 1 && refused.stderr.contains("-D"), "\(refused)")
        #expect(try await OmnistoreCLI.check(["branch", "-D", "side"], in: dir.path).succeeded)
        let log = try JSONText.array(try await OmnistoreCLI.check(["reflog", "side", "--json"], in: dir.path).stdout)
        let top = log.first as? [String: Any] ?? [:]
        #expect(
            top["old"] as? String == side && top["new"] is NSNull
                && (top["reason"] as? String)?.contains("deleted") == true)
        #expect(log.count == 3, "created, record S, deleted")
        // The turn is still in the store, reachable by id.
        let shown = try await OmnistoreCLI.run(["show", side ?? "?", "--json"], in: dir.path)
        #expect(shown.succeeded)
    }
}
