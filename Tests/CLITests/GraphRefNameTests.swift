import Foundation
import TestSupport
import Testing

@Suite struct GraphRefNames {
    /// Names git refuses as branch names (the list and more), and
    /// some it accepts. Each verdict is taken from `git check-ref-format --branch`.
    static let names: [String] = [
        "a..b", "a b", "a\u{1}b", "-x", "x.lock", "a~b", "a^b", "a:b", "a@{b", "", "HEAD", "a/.b", "a//b", "a.", "a?b",
        "a*b", "a[b", "a\\b", "/a", "a/", "a\u{7F}b", "x.lock/y", ".hidden", "a\tb", "a\nb", "..", "~1",
        "feature/x", "ü", "a.lock.b", "v1.0", "a-b_c", "x/y/z", "a@b", "{a}", "Main", "a+b",
    ]

    static func visible(_ name: String) -> String {
        name.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F ? "\\x\(String($0.value, radix: 16))" : String($0)
        }
        .joined()
    }

    @Test("branch, checkout -b and branch -m accept exactly the names git check-ref-format --branch accepts")
    func names() async throws {
        let dir = try TemporaryDirectory("graph-refnames")
        try await OmnistoreCLI.check(["init"], in: dir.path)
        let clip = try dir.write(WAV.data(seed: 700), to: "c.wav")
        try await OmnistoreCLI.check(["record", clip, "-m", "first"], in: dir.path)
        var accepted = ["main"]
        var refused = 0
        for name in Self.names {
            let shown = Self.visible(name)
            let gitAccepts = try await GitScratchRepo.acceptsBranchName(name, in: dir.path)
            let created = try await OmnistoreCLI.run(["branch", "--", name], in: dir.path)
            if gitAccepts {
                #expect(created.succeeded, "git accepts '\(shown)':\n\(created)")
                if created.succeeded { accepted.append(name) }
                continue
            }
            refused += 1
            // A clear, one-line error naming the rule, and nothing created.
            #expect(created.exitCode == 1 && !created.signaled, "'\(shown)':\n\(created)")
            #expect(created.stdout.isEmpty, "'\(shown)'")
            #expect(created.stderrLines.count == 1, "'\(shown)':\n\(created)")
            #expect(
                created.stderr.hasPrefix("error: ") && created.stderr.contains("not a valid branch name"),
                "'\(shown)':\n\(created)")
            #expect(
                !created.stderr.dropLast().unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F },
                "control characters are shown escaped: \(created.stderr.debugDescription)")

            // checkout -b and branch -m refuse it too (checked for the first few, to stay quick).
            // ('-x' after -b is an option to the parser, so it is a usage error there.)
            if refused > 10 { continue }
            let checkout = try await OmnistoreCLI.run(["checkout", "-b", name, "HEAD"], in: dir.path)
            #expect(
                !checkout.succeeded && !checkout.signaled && !checkout.stderr.isEmpty,
                "checkout -b '\(shown)':\n\(checkout)")
            if !name.hasPrefix("-") {
                #expect(
                    checkout.exitCode == 1 && checkout.stderr.contains("not a valid branch name"),
                    "checkout -b '\(shown)':\n\(checkout)")
            }
            let rename = try await OmnistoreCLI.run(["branch", "-m", "main", "--", name], in: dir.path)
            #expect(
                rename.exitCode == 1 && rename.stderr.contains("not a valid branch name"),
                "branch -m main '\(shown)':\n\(rename)")
        }
        #expect(refused >= 20)
        let listed = try JSONText.parse(try await OmnistoreCLI.check(["branch", "--json"], in: dir.path).stdout)
        let names = (listed as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(names) == Set(accepted), "only the accepted names were created")
        let status = try JSONText.object(try await OmnistoreCLI.check(["status", "--json"], in: dir.path).stdout)
        #expect(status["branch"] as? String == "main", "HEAD stayed on main")
    }
}
