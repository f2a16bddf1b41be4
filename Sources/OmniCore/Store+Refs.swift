import OmniBasics
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// Where HEAD points now.
    public func head() throws -> Head {
        try read("cannot read HEAD") { db in try Store.head(db) }
    }

    static func head(_ db: Database) throws -> Head {
        guard let row = try Row.fetchOne(db, sql: "SELECT symbolic, detached FROM head WHERE only = 1") else {
            return .branch(BranchName(trusted: "main"), turn: nil)
        }
        if let detached: String = row["detached"] {
            return .detached(TurnID(validatedHex: detached))
        }
        let symbolic: String = row["symbolic"]
        let branch = BranchName(ref: symbolic) ?? BranchName(trusted: "main")
        return .branch(branch, turn: try refTarget(db, branch.ref))
    }

    package static func refTarget(_ db: Database, _ ref: String) throws -> TurnID? {
        try String.fetchOne(db, sql: "SELECT target FROM ref WHERE name = ?", arguments: [ref])
            .map(TurnID.init(validatedHex:))
    }

    /// Every branch and the turn it points at, sorted by name.
    public func branches() throws -> [(name: BranchName, turn: TurnID)] {
        try read("cannot list branches") { db in
            try Row.fetchAll(db, sql: "SELECT name, target FROM ref WHERE name LIKE 'refs/heads/%'")
                .compactMap { row -> (BranchName, TurnID)? in
                    guard let name = BranchName(ref: row["name"]) else { return nil }
                    return (name, TurnID(validatedHex: row["target"]))
                }
                .sorted { $0.0 < $1.0 }
        }
    }

    /// Creates a branch at a revision (HEAD by default).
    ///
    /// - Throws: ``StoreError`` if the name is invalid or already taken.
    @discardableResult
    public func createBranch(_ name: String, at revision: String = "HEAD") throws -> TurnID {
        let branch = try BranchName(name)
        let target = try resolve(revision)
        let author = try self.author()
        try write("cannot create branch '\(name)'") { db in
            if try Store.refTarget(db, branch.ref) != nil {
                throw StoreError(
                    .conflict, "a branch named '\(name)' already exists",
                    hint: Hint("pick another name or delete it with {}", .deleteBranch(name, force: false)))
            }
            try Store.updateRef(
                db, branch.ref, expected: nil, to: target, reason: "branch: created from \(revision)", author: author)
        }
        return target
    }

    /// Deletes a branch. Without `force`, a branch whose turns are not all
    /// reachable from HEAD is kept, as `git branch -d` does.
    ///
    /// - Returns: the turn the branch pointed at, so it can be restored.
    @discardableResult
    public func deleteBranch(_ name: String, force: Bool = false) throws -> TurnID {
        let branch: BranchName
        do {
            branch = try BranchName(name)
        } catch {
            // A branch an older version took from a remote under an invalid
            // name can still be deleted, so that fsck's advice works.
            guard try read("cannot read branch", { db in try Store.refTarget(db, "refs/heads/" + name) }) != nil else {
                throw error
            }
            branch = BranchName(trusted: name)
        }
        let head = try self.head()
        if head.branch == branch {
            throw StoreError(
                .conflict, "cannot delete branch '\(name)': it is checked out; check out another branch first")
        }
        guard let target = try read("cannot read branch", { db in try Store.refTarget(db, branch.ref) }) else {
            throw StoreError(.notFound, "no branch named '\(name)'", hint: Hint("run {} to list them", .listBranches))
        }
        if !force, let headTurn = head.turn, try !isAncestor(target, of: headTurn) {
            throw StoreError(
                .conflict,
                "branch '\(name)' has turns that HEAD does not contain",
                hint: Hint("use {} to delete it anyway", .deleteBranch(name, force: true)))
        }
        let author = try self.author()
        try write("cannot delete branch '\(name)'") { db in
            try Store.updateRef(db, branch.ref, expected: target, to: nil, reason: "branch: deleted", author: author)
        }
        return target
    }

    /// Renames a branch, keeping its reflog and moving HEAD with it.
    public func renameBranch(_ old: String, to new: String) throws {
        let from = try BranchName(old)
        let to = try BranchName(new)
        let author = try self.author()
        try write("cannot rename branch '\(old)'") { db in
            guard let target = try Store.refTarget(db, from.ref) else {
                throw StoreError(
                    .notFound, "no branch named '\(old)'", hint: Hint("run {} to list them", .listBranches))
            }
            if try Store.refTarget(db, to.ref) != nil {
                throw StoreError(.conflict, "a branch named '\(new)' already exists")
            }
            try db.execute(sql: "UPDATE ref SET name = ? WHERE name = ?", arguments: [to.ref, from.ref])
            RefJournal.rename(from: from.ref, to: to.ref)
            try db.execute(sql: "UPDATE reflog SET ref = ? WHERE ref = ?", arguments: [to.ref, from.ref])
            try Store.appendReflog(
                db, ref: to.ref, old: target, new: target, reason: "branch: renamed \(from.ref) to \(to.ref)",
                author: author)
            try db.execute(sql: "UPDATE head SET symbolic = ? WHERE symbolic = ?", arguments: [to.ref, from.ref])
        }
    }

    /// The moves of a ref, newest first: `HEAD` (the default) or a branch name.
    public func reflog(_ ref: String = "HEAD", limit: Int? = nil) throws -> [ReflogEntry] {
        let full: String
        if ref == "HEAD" || ref.hasPrefix("refs/") {
            full = ref
        } else {
            full = try BranchName(ref).ref
        }
        return try read("cannot read the reflog") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM reflog WHERE ref = ? ORDER BY seq DESC LIMIT ?",
                arguments: [full, limit ?? -1]
            ).map { row in
                ReflogEntry(
                    ref: row["ref"], old: (row["old"] as String?).map(TurnID.init(validatedHex:)),
                    new: (row["new"] as String?).map(TurnID.init(validatedHex:)), at: row["at"], author: row["author"],
                    reason: row["reason"])
            }
        }
    }

    /// Moves `ref` from `expected` to `new` (nil deletes it) if it still points
    /// at `expected`: a compare-and-swap inside the caller's transaction.
    /// Moving the branch HEAD is on also logs a HEAD entry, as git does.
    package static func updateRef(
        _ db: Database, _ ref: String, expected: TurnID?, to new: TurnID?, reason: String, author: String
    ) throws {
        let current = try refTarget(db, ref)
        guard current == expected else {
            throw StoreError(
                .conflict,
                "\(ref) moved to \(current?.short ?? "nothing") while this command expected \(expected?.short ?? "nothing"): run it again"
            )
        }
        if let new {
            try db.execute(
                sql:
                    "INSERT INTO ref (name, target) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET target = excluded.target",
                arguments: [ref, new.hex])
        } else {
            try db.execute(sql: "DELETE FROM ref WHERE name = ?", arguments: [ref])
        }
        RefJournal.ref(ref, target: new)
        try appendReflog(db, ref: ref, old: expected, new: new, reason: reason, author: author)
        if new != nil, case .branch(let branch, _) = try head(db), branch.ref == ref {
            try appendReflog(db, ref: "HEAD", old: expected, new: new, reason: reason, author: author)
        }
    }

    /// Points HEAD at a branch or detaches it at a turn, logging the move.
    package static func setHead(_ db: Database, to target: Head, reason: String, author: String) throws {
        let before = try head(db)
        switch target {
        case .branch(let branch, _):
            try db.execute(sql: "UPDATE head SET symbolic = ?, detached = NULL WHERE only = 1", arguments: [branch.ref])
        case .detached(let turn):
            try db.execute(sql: "UPDATE head SET symbolic = NULL, detached = ? WHERE only = 1", arguments: [turn.hex])
        }
        let after = try head(db)
        RefJournal.head(after)
        try appendReflog(db, ref: "HEAD", old: before.turn, new: after.turn, reason: reason, author: author)
    }

    static func appendReflog(
        _ db: Database, ref: String, old: TurnID?, new: TurnID?, reason: String, author: String
    ) throws {
        let at = Store.now()
        try db.execute(
            sql: "INSERT INTO reflog (ref, old, new, at, author, reason) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [ref, old?.hex, new?.hex, at, author, reason])
        RefJournal.reflog(ref: ref, old: old, new: new, at: at, author: author, reason: reason)
    }

    /// The time to stamp on new records: now, or `OMNISTORE_DATE` when set
    /// (RFC 3339, or `@` followed by Unix seconds), as git honours GIT_COMMITTER_DATE.
    package static func now() -> String {
        if let override = ProcessInfo.processInfo.environment["OMNISTORE_DATE"], !override.isEmpty {
            if override.hasPrefix("@"), let seconds = Double(override.dropFirst()) {
                return Timestamp.format(Date(timeIntervalSince1970: seconds))
            }
            if let date = Timestamp.parse(override) ?? (try? Date.ISO8601FormatStyle().parse(override)) {
                return Timestamp.format(date)
            }
        }
        return Timestamp.format(Date())
    }

    /// Who is recording: `OMNISTORE_AUTHOR`, else the `author` setting, else the login name.
    public func author() throws -> String {
        if let env = ProcessInfo.processInfo.environment["OMNISTORE_AUTHOR"], !env.isEmpty { return env }
        if let configured = try config("author") { return configured }
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "unknown"
    }
}
