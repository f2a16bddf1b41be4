import Foundation

/// A throwaway git repository used as the oracle for graph semantics.
///
/// Commits are made with `git commit-tree` on the empty tree, so any DAG shape
/// (merges with two or more parents, branches off old commits) is one command
/// per commit, with author and committer dates fixed per commit. Nothing from
/// the developer's git configuration is read.
public final class GitScratchRepo: Sendable {
    public let path: String
    private let emptyTree: String

    /// The environment every git command runs with: no system or global
    /// configuration, a fixed identity.
    public static let baseEnvironment: [String: String] = [
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Graph Test",
        "GIT_AUTHOR_EMAIL": "graph@example.com",
        "GIT_COMMITTER_NAME": "Graph Test",
        "GIT_COMMITTER_EMAIL": "graph@example.com",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        "TZ": "UTC",
    ]

    private init(path: String, emptyTree: String) {
        self.path = path
        self.emptyTree = emptyTree
    }

    /// `git init -b main` in `path` (made if missing).
    public static func create(at path: String) async throws -> GitScratchRepo {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let initResult = try await RunningProcess.run(
            "git", ["init", "-q", "-b", "main", path], in: path, environment: baseEnvironment)
        guard initResult.succeeded else { throw TestSupportError("git init failed:\n\(initResult)") }
        // stdin is /dev/null, so mktree writes and prints the empty tree.
        let tree = try await RunningProcess.run("git", ["mktree"], in: path, environment: baseEnvironment)
        guard tree.succeeded else { throw TestSupportError("git mktree failed:\n\(tree)") }
        return GitScratchRepo(path: path, emptyTree: tree.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Runs git in the repository and returns what it did, success or not.
    public func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessResult {
        try await RunningProcess.run(
            "git", arguments, in: path, environment: GitScratchRepo.baseEnvironment.merging(environment) { $1 })
    }

    /// Runs git and returns its stdout without the final newline; throws unless it exits 0.
    @discardableResult
    public func check(_ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let result = try await run(arguments, environment: environment)
        guard result.succeeded else { throw TestSupportError("git failed:\n\(result)") }
        var text = result.stdout
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// The lines git prints, without empty ones.
    public func lines(_ arguments: [String]) async throws -> [String] {
        try await check(arguments).split(separator: "\n").map(String.init)
    }

    /// Makes a commit with the empty tree, these parents (in order) and this
    /// message, dated `unixSeconds` (author and committer), and returns its id.
    /// No ref moves.
    public func commit(message: String, parents: [String], unixSeconds: Int) async throws -> String {
        var arguments = ["commit-tree", emptyTree]
        for parent in parents { arguments += ["-p", parent] }
        arguments += ["-m", message]
        let date = "@\(unixSeconds) +0000"
        return try await check(arguments, environment: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date])
    }

    /// Points `refs/heads/NAME` at a commit.
    public func setBranch(_ name: String, to commit: String) async throws {
        try await check(["update-ref", "refs/heads/" + name, commit])
    }

    /// Makes HEAD follow a branch.
    public func setHead(branch: String) async throws {
        try await check(["symbolic-ref", "HEAD", "refs/heads/" + branch])
    }

    /// The commit a revision names, or nil when git cannot resolve it.
    public func revParse(_ revision: String) async throws -> String? {
        let result = try await run(["rev-parse", "--verify", "--quiet", revision + "^{commit}"])
        guard result.succeeded else { return nil }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `git merge-base --all A B`, in git's order (empty when unrelated).
    public func mergeBases(_ a: String, _ b: String) async throws -> [String] {
        let result = try await run(["merge-base", "--all", a, b])
        // Exit 1 with no output means "no common ancestor".
        if result.exitCode == 1 && result.stdout.isEmpty { return [] }
        guard result.succeeded else { throw TestSupportError("git merge-base failed:\n\(result)") }
        return result.stdoutLines
    }

    /// Subjects of `git log --format=%s ARGS`.
    public func logSubjects(_ arguments: [String]) async throws -> [String] {
        try await lines(["log", "--format=%s"] + arguments)
    }

    /// `git branch --format=%(refname:short)`: branch names in git's order.
    public func branchNames() async throws -> [String] {
        try await lines(["branch", "--format=%(refname:short)"])
    }

    /// The subject of one commit.
    public func subject(_ commit: String) async throws -> String {
        try await check(["log", "-1", "--format=%s", commit])
    }

    /// Whether `git check-ref-format --branch NAME` accepts the name.
    public static func acceptsBranchName(_ name: String, in directory: String) async throws -> Bool {
        try await RunningProcess.run(
            "git", ["check-ref-format", "--branch", name], in: directory, environment: baseEnvironment
        ).succeeded
    }
}
