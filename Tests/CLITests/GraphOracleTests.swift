import Foundation
import TestSupport
import Testing

/// How the dates of a scenario's steps are laid out. Ties and clock skew
/// change git's order of tips, so each shape is checked against git.
enum GraphDateShape: String, CaseIterable, Sendable, CustomStringConvertible {
    /// One minute apart, in step order.
    case increasing
    /// Every step at the same second.
    case allEqual
    /// Steps share a date in groups of three.
    case groupsOfThree
    /// Newest first: children older than their parents.
    case decreasing
    /// A fixed pseudo-random permutation of the dates (clock skew everywhere).
    case shuffled

    var description: String { rawValue }

    func date(_ index: Int) -> Int {
        let base = 1_700_000_000
        switch self {
        case .increasing: return base + index * 60
        case .allEqual: return base
        case .groupsOfThree: return base + (index / 3) * 60
        case .decreasing: return base + (1000 - index) * 60
        case .shuffled: return base + ((index * 37 + 11) % 101) * 60
        }
    }

    var scenario: GitGraphScenario {
        let shape = self
        return GitGraphScenario.standard.dated { shape.date($0) }
    }

    /// Whether no two steps share a date, so "newest first" orders are total.
    var datesAreDistinct: Bool { self == .increasing || self == .decreasing || self == .shuffled }
}

@Suite struct GraphGitOracleCLI {
    /// Revision starts compared between `git log --topo-order` and `omnistore log`.
    static let logStarts: [[String]] = [
        [], ["main"], ["old"], ["cx2"], ["style/Noir"],
        ["old", "cx2"], ["Zeta", "style/Noir", "main~3"], ["cx2", "cx1"], ["main~1^2", "main~1^3"], ["feat", "feat~2"],
    ]

    /// Ties in dates (all equal, or in groups) are also covered in-process by
    /// GraphLibraryOracle and GraphRandomDAGOracle.
    @Test(
        "log order, and log -n N, match git log --topo-order (HEAD, each branch, several starts, --all)",
        arguments: [GraphDateShape.increasing, .allEqual, .shuffled])
    func logOrder(_ shape: GraphDateShape) async throws {
        let dir = try TemporaryDirectory("graph-log-\(shape)")
        let build = try await shape.scenario.build(in: dir.path, salt: 1)

        let gitAll = try await build.git.logSubjects(["--topo-order", "--all"])
        #expect(Set(gitAll) == Set(build.order), "git sees every commit")
        #expect(try await build.logInstructions(["--all"]) == gitAll, "log --all, dates \(shape)")
        var full: [[String]: [String]] = [["--all"]: gitAll]
        for starts in Self.logStarts {
            let expected = try await build.git.logSubjects(["--topo-order"] + starts)
            let actual = try await build.logInstructions(starts)
            #expect(actual == expected, "log \(starts.joined(separator: " ")), dates \(shape)")
            full[starts] = expected
        }

        // -n N: the first N of the full order, which is also git's -n N.
        for starts in [["--all"], ["cx2", "cx1"]] {
            let order = full[starts] ?? []
            for n in [0, 1, 7, order.count + 5] {
                let limited = try await build.logInstructions(starts + ["-n", String(n)])
                #expect(limited == Array(order.prefix(n)), "log \(starts) -n \(n), dates \(shape)")
            }
        }
    }

    /// The graph part of a `log --graph` line: everything before the first
    /// letter or digit, trailing spaces removed.
    static func graphPart(_ line: String) -> String {
        var part = String(line.prefix { !$0.isLetter && !$0.isNumber })
        while part.hasSuffix(" ") { part.removeLast() }
        return part
    }

    static let simpleMerge = GitGraphScenario(steps: [
        .turn("A1", on: "main"), .turn("A2", on: "main"), .branch("feat", at: "A2"), .turn("F1", on: "feat"),
        .turn("A3", on: "main"), .turn("M1", on: "main", merging: ["F1"]), .turn("A4", on: "main"),
        .branch("old", at: "A1"), .turn("O1", on: "old"),
    ])

    @Test("log --graph draws exactly what git log --graph --topo-order draws, for a simple history")
    func graphSimple() async throws {
        let dir = try TemporaryDirectory("graph-drawing")
        let build = try await Self.simpleMerge.build(in: dir.path, salt: 7)
        for starts in [["--all"], ["main"], ["old"]] {
            let git = try await build.git.lines(["log", "--graph", "--topo-order", "--format=%s"] + starts)
            let drawn = try await build.omnistore(["log", "--graph"] + starts)
            #expect(drawn.succeeded, "\(drawn)")
            #expect(
                drawn.stdoutLines.map(Self.graphPart) == git.map(Self.graphPart),
                "log --graph \(starts.joined(separator: " ")):\n--- omnistore\n\(drawn.stdout)--- git\n\(git.joined(separator: "\n"))"
            )
            // The checker used on harder histories below accepts this drawing.
            let entries = try await build.omnistoreJSON(["log"] + starts) as? [[String: Any]] ?? []
            #expect(GraphDrawingCheck.problems(drawn.stdoutLines, entries: GraphDrawingCheck.entries(entries)) == [])
        }
    }

    @Test(
        "log --graph depicts the DAG: every line runs continuously from a turn to its parent (criss-cross and octopus history)"
    )
    func graphContinuity() async throws {
        let dir = try TemporaryDirectory("graph-drawing-lines")
        let build = try await GitGraphScenario.standard.build(in: dir.path, salt: 8)
        for starts in [["--all"], ["main"], ["cx2"], ["old"]] {
            let drawn = try await build.omnistore(["log", "--graph"] + starts)
            let entries = try await build.omnistoreJSON(["log"] + starts) as? [[String: Any]] ?? []
            #expect(drawn.succeeded, "\(drawn)")
            let problems = GraphDrawingCheck.problems(drawn.stdoutLines, entries: GraphDrawingCheck.entries(entries))
            // git's drawing of the same history: the checker accepts it when it uses only these glyphs.
            let git = try await build.git.lines(["log", "--graph", "--topo-order", "--format=%s"] + starts)
            if !git.contains(where: { $0.contains("_") || $0.contains("-.") }) {
                let gitProblems = GraphDrawingCheck.problems(git, entries: GraphDrawingCheck.entries(entries))
                #expect(gitProblems.isEmpty, "the checker rejects git's drawing: \(gitProblems)")
            }
            #expect(
                problems.isEmpty,
                "log --graph \(starts.joined(separator: " ")): \(problems.joined(separator: "; "))\n--- omnistore\n\(drawn.stdout)--- git\n\(git.joined(separator: "\n"))"
            )
        }
    }

    /// Revisions written with `{NAME}` for "the id of turn NAME" (a 10-digit
    /// prefix of the git commit id or of the turn id).
    /// (The library suite resolves many more through `store.resolve`.)
    static let revisions: [String] = [
        "HEAD", "@", "main", "style/Noir", "main~0", "main^0", "main~", "main~3", "main~6", "main~7", "main~99",
        "main^", "main^2", "main^^", "main~1^2", "main~1^3", "main~1^4", "main~1^3^2~2", "main~1^3^1^2", "main~3^2~1",
        "HEAD~1", "HEAD^2", "@~2", "cx1^2^2", "{A1}", "{A1}^", "{X}^2^1", "{M2}^3", "{M1}^2~2", "{Y}~2^2",
    ]

    static func substitute(_ revision: String, _ ids: [String: String]) -> String {
        var out = revision
        for (name, id) in ids { out = out.replacingOccurrences(of: "{\(name)}", with: String(id.prefix(10))) }
        return out
    }

    @Test(
        "REV~N and REV^N resolve to the turn git resolves them to, or fail when git fails; branch lists git's branches")
    func revisions() async throws {
        let dir = try TemporaryDirectory("graph-revs")
        let build = try await GraphDateShape.increasing.scenario.build(in: dir.path, salt: 3)
        var failures = 0
        for revision in Self.revisions {
            let gitRevision = Self.substitute(revision, build.commits)
            let storeRevision = Self.substitute(revision, build.turns)
            let expected = try await build.git.revParse(gitRevision).map { build.name(ofCommit: $0) ?? "?" }
            let result = try await build.omnistore(["show", storeRevision, "--json"])
            if let expected {
                #expect(result.succeeded, "\(revision) should resolve to \(expected):\n\(result)")
                guard result.succeeded else { continue }
                let json = try JSONText.object(result.stdout)
                let id = json["id"] as? String ?? ""
                #expect(build.name(ofTurn: id) == expected, "\(revision): git says \(expected)")
                #expect(json["instruction"] as? String == expected, "\(revision)")
            } else {
                failures += 1
                #expect(result.failedCleanly, "\(revision) does not resolve in git:\n\(result)")
                #expect(result.exitCode == 1, "\(revision): a revision error exits 1:\n\(result)")
                #expect(result.stdout.isEmpty, "\(revision)")
                #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("error: "), "\(revision):\n\(result)")
            }
        }
        // The list must exercise both outcomes.
        #expect(failures >= 5)

        // branch --json lists git's branches in git's order, with their tips and the current one.
        let gitNames = try await build.git.branchNames()
        guard let listed = try await build.omnistoreJSON(["branch"]) as? [[String: Any]] else {
            Issue.record("branch --json is not an array of objects")
            return
        }
        #expect(listed.map { $0["name"] as? String ?? "?" } == gitNames)
        for item in listed {
            guard let name = item["name"] as? String else { continue }
            let gitTip = try await build.git.revParse("refs/heads/" + name)
            #expect(
                build.name(ofTurn: item["turn"] as? String ?? "") == gitTip.flatMap(build.name(ofCommit:)), "\(name)")
        }
        let gitCurrent = try await build.git.check(["symbolic-ref", "--short", "HEAD"])
        #expect(listed.filter { $0["current"] as? Bool == true }.map { $0["name"] as? String } == [gitCurrent])

        // The human listing: the same names, '*' on the current one.
        let human = try await build.omnistore(["branch"])
        #expect(human.succeeded)
        #expect(human.stdoutLines == gitNames.map { ($0 == gitCurrent ? "* " : "  ") + $0 })
    }

    @Test("revisions git refuses are refused: no base before ~ or ^, signs, a trailing space")
    func refusedLikeGit() async throws {
        let dir = try TemporaryDirectory("graph-revs-refused")
        let build = try await GitGraphScenario(steps: [
            .turn("A", on: "main"), .turn("B", on: "main"), .turn("C", on: "main"),
        ]).build(in: dir.path, salt: 6)
        for revision in ["~1", "^", "~", "^2", "main~+1", "main~-1", "main ", " main", "main~1 "] {
            #expect(try await build.git.revParse(revision) == nil, "git refuses '\(revision)'")
            let result = try await build.omnistore(["show", revision, "--json"])
            #expect(
                result.exitCode == 1 && result.stdout.isEmpty,
                "'\(revision)' resolves in omnistore but not in git:\n\(result)")
        }
    }

    /// Pairs compared with `git merge-base --all` and `git log A..B`.
    static let diffPairs: [(String, String)] = [
        ("main", "feat"), ("feat", "main"), ("cx1", "cx2"), ("old", "feat"), ("Zeta", "style/Noir"),
        ("main~1^2", "main~1^3"), ("main", "main"), ("main~2", "main"), ("main", "main~2"), ("{X2}", "{Y}"),
        ("{A1}", "{F4}"), ("{P}", "{Q}"), ("{X}", "{Y}"), ("{N1}", "{O2}"),
    ]

    @Test("diff --json reports git's merge bases and the turns on each side, with their cost")
    func diff() async throws {
        let dir = try TemporaryDirectory("graph-diff")
        let build = try await GraphDateShape.increasing.scenario.build(in: dir.path, salt: 5)
        let costs: [String: Double] = Dictionary(
            uniqueKeysWithValues: GitGraphScenario.standard.steps.compactMap { step in
                if case .turn(let name, _, _, let cost?) = step { return (name, cost) }
                return nil
            })
        var sawTwoBases = false
        for (a, b) in Self.diffPairs {
            let (gitA, gitB) = (Self.substitute(a, build.commits), Self.substitute(b, build.commits))
            let (storeA, storeB) = (Self.substitute(a, build.turns), Self.substitute(b, build.turns))
            let bases = try await build.git.mergeBases(gitA, gitB).map { build.name(ofCommit: $0) ?? "?" }
            let onlyA = try await build.git.logSubjects(["\(gitB)..\(gitA)"])
            let onlyB = try await build.git.logSubjects(["\(gitA)..\(gitB)"])
            if bases.count > 1 { sawTwoBases = true }

            guard let json = try await build.omnistoreJSON(["diff", storeA, storeB]) as? [String: Any] else {
                Issue.record("diff \(a) \(b) --json is not an object")
                continue
            }
            let names = { (list: Any?) -> [String] in
                (list as? [Any] ?? []).map { item in
                    let id = (item as? [String: Any])?["id"] as? String ?? (item as? String) ?? ""
                    return build.name(ofTurn: id) ?? "?"
                }
            }
            #expect(Set(names(json["merge_bases"])) == Set(bases), "diff \(a) \(b): merge bases")
            #expect(names(json["merge_bases"]).count == bases.count, "diff \(a) \(b): merge bases")
            // The dates are distinct here, so "newest first" is git's order too.
            #expect(names(json["merge_bases"]) == bases, "diff \(a) \(b): merge base order")
            #expect(names([json["merge_base"] as Any]) == Array(bases.prefix(1)), "diff \(a) \(b): merge_base")
            #expect(Set(names(json["only_a"])) == Set(onlyA), "diff \(a) \(b): only in A")
            #expect(names(json["only_a"]).count == onlyA.count, "diff \(a) \(b): only in A")
            #expect(Set(names(json["only_b"])) == Set(onlyB), "diff \(a) \(b): only in B")
            #expect(names(json["only_b"]).count == onlyB.count, "diff \(a) \(b): only in B")
            let cost = json["cost"] as? [String: Any]
            let expectedA = onlyA.reduce(0) { $0 + (costs[$1] ?? 0) }
            let expectedB = onlyB.reduce(0) { $0 + (costs[$1] ?? 0) }
            #expect(abs(JSONNumbers.double(cost?["a"]).map { $0 - expectedA } ?? 1) < 1e-9, "diff \(a) \(b): cost a")
            #expect(abs(JSONNumbers.double(cost?["b"]).map { $0 - expectedB } ?? 1) < 1e-9, "diff \(a) \(b): cost b")
        }
        #expect(sawTwoBases, "the criss-cross pair must have two merge bases in git")
    }
}

/// Checks that a `log --graph` drawing is continuous and puts each turn on
/// a line leading to it, reading the glyphs the way git's are read: on a
/// turn's row `*` is the turn and `|` a line passing by; between rows `|`
/// goes straight down, `\` one column right and `/` one column left; right
/// after a merge's row a run of `\ \` fans its other parents out. Columns are
/// at even character positions. (Lines that cross share a column for a row,
/// so what a column leads to is kept as a set.) It accepts git's own
/// drawings that use only these glyphs.
enum GraphDrawingCheck {
    struct Entry {
        let id: String
        let parents: [String]
        let name: String
    }

    static func entries(_ log: [[String: Any]]) -> [Entry] {
        log.map {
            Entry(
                id: $0["id"] as? String ?? "", parents: $0["parents"] as? [String] ?? [],
                name: $0["instruction"] as? String ?? "?")
        }
    }

    /// Entries named by commit subject, for checking git's drawing.
    static func problems(_ lines: [String], entries: [Entry]) -> [String] {
        var problems: [String] = []
        let names = Dictionary(entries.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        func show(_ targets: Set<String>) -> String {
            targets.map { names[$0] ?? String($0.prefix(7)) }.sorted().joined(separator: ",")
        }
        let hasChild = Set(entries.flatMap(\.parents))
        // What each column's line leads to, at the bottom of the line above.
        var columns: [Int: Set<String>] = [:]
        var entryIndex = 0
        var fanFrom: (column: Int, parents: [String])? = nil
        for (number, line) in lines.enumerated() {
            let graph = Array(GraphGitOracleCLI.graphPart(line))
            let label = "line \(number + 1) '\(String(graph))'"
            var next: [Int: Set<String>] = [:]
            var top: Set<Int> = []
            func land(_ column: Int, _ targets: Set<String>) { next[column, default: []].formUnion(targets) }
            if let star = graph.firstIndex(of: "*") {
                guard entryIndex < entries.count else {
                    problems.append("\(label): more turns drawn than listed")
                    break
                }
                let entry = entries[entryIndex]
                entryIndex += 1
                let column = star / 2
                let text = String(line.dropFirst(graph.count)).trimmingCharacters(in: .whitespaces)
                let idShown = text.prefix(12).count == 12 && entry.id.hasPrefix(String(text.prefix(12)))
                if !idShown && text != entry.name {
                    problems.append("\(label): expected turn \(entry.name)")
                }
                for (position, glyph) in graph.enumerated() where glyph == "|" {
                    top.insert(position / 2)
                    land(position / 2, columns[position / 2] ?? [])
                }
                let incoming = columns[column] ?? []
                if hasChild.contains(entry.id) {
                    top.insert(column)
                    if !incoming.contains(entry.id) {
                        problems.append("\(label): \(entry.name) is drawn where the line leads to {\(show(incoming))}")
                    }
                } else if columns[column] != nil {
                    problems.append(
                        "\(label): \(entry.name) has no child but is drawn on a line to {\(show(incoming))}")
                }
                if !entry.parents.isEmpty { land(column, Set(entry.parents)) }
                fanFrom = entry.parents.count > 1 ? (column, entry.parents) : nil
            } else {
                var fanned: [String] = []
                for (position, glyph) in graph.enumerated() {
                    switch glyph {
                    case "|":
                        top.insert(position / 2)
                        land(position / 2, columns[position / 2] ?? [])
                    case "\\":
                        if let fan = fanFrom, position == 2 * fan.column + 1 + 2 * fanned.count,
                            fanned.count + 1 < fan.parents.count
                        {
                            top.insert(fan.column)
                            let parent = fan.parents[fanned.count + 1]
                            fanned.append(parent)
                            land((position + 1) / 2, [parent])
                        } else {
                            top.insert((position - 1) / 2)
                            land((position + 1) / 2, columns[(position - 1) / 2] ?? [])
                        }
                    case "/":
                        top.insert((position + 1) / 2)
                        land((position - 1) / 2, columns[(position + 1) / 2] ?? [])
                    case " ": break
                    default: problems.append("\(label): unexpected '\(glyph)'")
                    }
                }
                if let fan = fanFrom, !fanned.isEmpty {
                    next[fan.column] = next[fan.column]?.subtracting(fanned)
                }
                fanFrom = nil
            }
            if top != Set(columns.keys) {
                problems.append(
                    "\(label) starts at columns \(top.sorted()) but the line above ends at \(columns.keys.sorted())")
            }
            columns = next
        }
        if !columns.isEmpty { problems.append("the drawing ends with lines open in columns \(columns.keys.sorted())") }
        if entryIndex != entries.count { problems.append("\(entries.count - entryIndex) listed turns are not drawn") }
        return problems
    }
}
