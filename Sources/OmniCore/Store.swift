import Foundation
import GRDB
import OmniMedia
import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

/// A local omnistore: content-addressed media objects and their SQLite index.
///
/// Open one with ``create(at:)`` for a new workspace, or ``discover(from:)`` to
/// find the store the way git finds a repository: in the folder or a parent.
/// Every method is synchronous and may block on disk or database I/O, so call
/// it from a thread that may block, not from Swift's cooperative pool.
/// A `Store` may be shared between threads, and several processes may use one
/// store at the same time.
///
/// ## Topics
/// - ``add(_:recursive:rehash:progress:)``
/// - ``asset(_:)``
/// - ``assets(kind:)``
/// - ``export(_:to:)``
public final class Store: Sendable {
    /// The on-disk format this version writes and reads.
    public static let formatVersion = 1

    /// Where the store's parts live.
    public let layout: StoreLayout
    /// Serves reads until the first write opens ``writer``.
    private let reader: any DatabaseReader
    /// The WAL connection pool, opened by the first write (or at once when
    /// the schema needs migrating); every read after that goes to it too.
    ///
    /// Opening a pool is not free for a command that only reads, such as
    /// `thumbnail` or `log`: GRDB writes (and syncs) a table into a missing
    /// `-wal` file so that its readers can open, and closing the pool runs a
    /// checkpoint with two more syncs and starts dispatch threads. A plain
    /// connection that only reads does none of that, and SQLite removes the
    /// `-wal` and `-shm` files it made when it closes.
    private let writer: Locked<(any DatabaseWriter)?>
    package let objects: ObjectStore
    package let lease: WriterLease
    /// Where this lazy clone's missing objects come from (see ``lazyObjectSource``).
    let lazySource = Locked<(any LazyObjectSource)?>(nil)
    /// Whether the store sits on a read-only filesystem: reads work, writes
    /// fail with a clear error.
    public let isReadOnly: Bool

    private init(layout: StoreLayout, reader: any DatabaseReader, writer: (any DatabaseWriter)?, isReadOnly: Bool) {
        self.isReadOnly = isReadOnly
        self.layout = layout
        self.reader = reader
        self.writer = Locked(writer)
        self.objects = ObjectStore(layout: layout)
        self.lease = WriterLease(layout: layout)
    }

    /// Creates a store in `directory` (made if missing), or opens the one
    /// already there: running it twice is harmless.
    ///
    /// - Returns: the store and whether it was newly created.
    @discardableResult
    public static func create(at directory: String) throws -> (store: Store, created: Bool) {
        let workspace = absolute(directory)
        let layout = StoreLayout(workspace: workspace)
        let fm = FileManager.default
        let existed = fm.fileExists(atPath: layout.formatPath)
        do {
            try fm.createDirectory(atPath: layout.objectsDirectory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create '\(layout.storeDirectory)': \(error.localizedDescription)")
        }
        if !existed {
            let file = try AtomicFile(destination: layout.formatPath)
            let text = Array("\(formatVersion)\n".utf8)
            try file.file.writeAll(text, count: text.count)
            try file.commit()
        }
        let store = try open(layout: layout, creating: !existed)
        return (store, !existed)
    }

    /// Finds the store in `directory` or the nearest parent that has one.
    ///
    /// - Throws: ``StoreError`` with code `.notAStore` when there is none.
    public static func discover(from directory: String) throws -> Store {
        try open(layout: StoreLayout(workspace: discoverWorkspace(from: directory)))
    }

    /// The workspace of the store in `directory` or its nearest parent, without opening it.
    public static func discoverWorkspace(from directory: String) throws -> String {
        var current = URL(fileURLWithPath: absolute(directory)).standardizedFileURL
        while true {
            let candidate = current.appendingPathComponent(StoreLayout.directoryName).path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return current.path
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        throw StoreError(
            .notAStore, "not an omnistore store (or any parent)", hint: Hint("run {}", .createStore(directory: nil)))
    }

    /// Opens the store named explicitly by `--store` or `OMNISTORE_DIR`: either
    /// a workspace holding `.omnistore/`, or the `.omnistore` folder itself.
    public static func open(at directory: String) throws -> Store {
        try open(layout: StoreLayout(workspace: workspace(at: directory)))
    }

    /// The workspace of the store named explicitly (a workspace or its
    /// `.omnistore` folder), without opening it.
    public static func workspace(at directory: String) throws -> String {
        let path = absolute(directory)
        let fm = FileManager.default
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent(StoreLayout.directoryName)) {
            return path
        }
        if (path as NSString).lastPathComponent == StoreLayout.directoryName,
            fm.fileExists(atPath: (path as NSString).appendingPathComponent("format"))
        {
            return (path as NSString).deletingLastPathComponent
        }
        throw StoreError(
            .notAStore, "not an omnistore store: '\(directory)'",
            hint: Hint("run {}", .createStore(directory: directory)))
    }

    private static func open(layout: StoreLayout, creating: Bool = false) throws -> Store {
        try checkFormat(layout)
        // Never make a new, empty index over a store whose index was lost:
        // every later command would say ok, and gc would delete what it held.
        if !creating, let problem = indexProblem(layout) { throw damagedIndex(problem) }
        let configuration = databaseConfiguration()
        if isReadOnlyFilesystem(layout.storeDirectory) {
            return try openReadOnly(layout: layout, configuration: configuration)
        }
        let store = try openWritable(layout: layout, configuration: configuration)
        try store.writeRecordsIfMissing()
        return store
    }

    private static func openWritable(layout: StoreLayout, configuration: Configuration) throws -> Store {
        let migrator = Schema.migrator
        if FileManager.default.fileExists(atPath: layout.databasePath) {
            // The usual case: an up-to-date store, read through one plain
            // connection until something is written.
            do {
                let queue = try DatabaseQueue(path: layout.databasePath, configuration: configuration)
                let (completed, superseded) = try queue.read { db in
                    (try migrator.hasCompletedMigrations(db), try migrator.hasBeenSuperseded(db))
                }
                if superseded {
                    throw Store.writtenByNewerVersion
                }
                if completed { return Store(layout: layout, reader: queue, writer: nil, isReadOnly: false) }
            } catch let error as DatabaseError {
                throw storeError(error, "cannot open the store database '\(layout.databasePath)'")
            }
        }
        // A new store, or one to migrate: the pool does it, and serves every
        // call from then on.
        let pool = try openPool(layout)
        do {
            if try pool.read({ db in try migrator.hasBeenSuperseded(db) }) {
                throw Store.writtenByNewerVersion
            }
            try migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw storeError(error, "cannot prepare the store database")
        }
        return Store(layout: layout, reader: pool, writer: pool, isReadOnly: false)
    }

    private static let writtenByNewerVersion = StoreError(
        .formatTooNew, "this store was written by a newer omnistore: upgrade omnistore")

    private static func databaseConfiguration() -> Configuration {
        var configuration = Configuration()
        // Other processes may hold the write lock; wait for them rather than
        // failing with "database is locked".
        configuration.busyMode = .timeout(120)
        configuration.label = "omnistore"
        configuration.prepareDatabase { db in
            // FULL makes each commit durable on its own, not just consistent.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    private static func openPool(_ layout: StoreLayout) throws -> DatabasePool {
        do {
            return try DatabasePool(path: layout.databasePath, configuration: databaseConfiguration())
        } catch let error as DatabaseError {
            throw storeError(error, "cannot open the store database '\(layout.databasePath)'")
        }
    }

    static func isReadOnlyFilesystem(_ path: String) -> Bool {
        var info = statvfs()
        if statvfs(path, &info) == 0, (info.f_flag & UInt(ST_RDONLY)) != 0 { return true }
        return access(path, W_OK) != 0 && errno == EROFS
    }

    /// Opens a store on read-only media. With no `-wal` file the database is
    /// complete on its own and is opened immutable (SQLite needs no lock
    /// files then); otherwise SQLite reads the existing `-wal` and `-shm`.
    private static func openReadOnly(layout: StoreLayout, configuration base: Configuration) throws -> Store {
        var configuration = base
        configuration.readonly = true
        let hasWAL = FileManager.default.fileExists(atPath: layout.databasePath + "-wal")
        let encoded =
            layout.databasePath.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? layout.databasePath
        let path = hasWAL ? layout.databasePath : "file:\(encoded)?immutable=1"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let migrator = Schema.migrator
            let current = try queue.read { db in try migrator.hasCompletedMigrations(db) }
            if !current {
                throw StoreError(
                    .readOnly,
                    "this read-only store needs an upgrade that cannot be written: open it once where it is writable")
            }
        } catch let error as DatabaseError {
            throw storeError(error, "cannot open the read-only store database '\(layout.databasePath)'")
        }
        return Store(layout: layout, reader: queue, writer: queue, isReadOnly: true)
    }

    static func checkFormat(_ layout: StoreLayout) throws {
        guard let text = try? String(contentsOfFile: layout.formatPath, encoding: .utf8) else {
            throw StoreError(
                .notAStore, "'\(layout.storeDirectory)' has no format file",
                hint: Hint("run {} to repair it", .createStore(directory: nil)))
        }
        guard let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw StoreError(.database, "'\(layout.formatPath)' is damaged: it should hold a version number")
        }
        if version > formatVersion {
            throw StoreError(
                .formatTooNew,
                "this store uses format \(version) but this omnistore reads up to \(formatVersion): upgrade omnistore")
        }
    }

    /// A user's destination path made absolute without touching `..` or
    /// symlinks, so it names exactly what the kernel will open.
    static func absoluteDestination(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        let cwd = FileManager.default.currentDirectoryPath
        return (cwd.hasSuffix("/") ? cwd : cwd + "/") + expanded
    }

    package static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(expanded).standardizedFileURL.path
    }

    /// Maps a database error to a message a user can act on.
    static func storeError(_ error: DatabaseError, _ what: String) -> StoreError {
        switch error.resultCode {
        case .SQLITE_READONLY:
            return StoreError(.readOnly, "\(what): the store is read-only")
        case .SQLITE_CANTOPEN:
            return StoreError(.io, "\(what): cannot open the database file; check the folder's permissions")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(.database, "\(what): another omnistore held the store too long; run the command again")
        case .SQLITE_FULL:
            return StoreError(.io, "\(what): no space left on device; free some space and run the command again")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return damagedIndex("\(what): the database is damaged")
        default:
            return StoreError(.database, "\(what): \(error.message ?? "SQLite error \(error.resultCode.rawValue)")")
        }
    }

    /// Runs a write transaction, mapping database errors to ``StoreError``.
    package func write<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        let pool = try writer.withValue { (open: inout (any DatabaseWriter)?) throws -> any DatabaseWriter in
            if let open { return open }
            let pool = try Store.openPool(layout)
            open = pool
            return pool
        }
        let storeLayout = layout
        let stage = RecordStage()
        do {
            // What the body stages is written to files before the transaction commits.
            return try pool.write { db in
                try Store.reconcileJournal(db, storeLayout)
                let result = try RecordStage.$current.withValue(stage) { try body(db) }
                try stage.flush(storeLayout)
                if let size = stage.journalSize {
                    try db.execute(sql: "UPDATE journal_state SET size = ? WHERE only = 1", arguments: [size])
                }
                return result
            }
        } catch let error as DatabaseError {
            stage.removeCreated()
            throw Store.storeError(error, what())
        } catch {
            stage.removeCreated()
            throw error
        }
    }

    /// Makes the ref journal end where the index's last commit left it.
    ///
    /// The journal is appended and synced before its transaction commits,
    /// and the commit records the journal's new size. Bytes past that size
    /// were written by a transaction that never committed (a kill, a full
    /// disk): they describe nothing that happened, and are cut off before
    /// the next append. Runs inside every write transaction, where no other
    /// writer can be between its append and its commit.
    ///
    /// - Returns: how many bytes were cut off.
    @discardableResult
    static func reconcileJournal(_ db: Database, _ layout: StoreLayout) throws -> Int64 {
        let journal = RefJournal(layout)
        let actual = journal.size()
        guard let recorded = try Int64.fetchOne(db, sql: "SELECT size FROM journal_state WHERE only = 1") else {
            return 0
        }
        if recorded < 0 {
            // Not known yet (a store from before this was kept, or a rebuilt
            // index): adopt the file, adding the settings, remotes and lazy
            // markers, which older versions kept only in the index. With no
            // file at all, the backfill of record files writes them
            // (``writeRecordsIfMissing()``), in the transaction that follows.
            guard FileManager.default.fileExists(atPath: journal.path) else {
                try db.execute(sql: "UPDATE journal_state SET size = 0 WHERE only = 1")
                return 0
            }
            let lines = try Store.settingsSnapshot(db).map(CanonicalJSON.text)
            let size = try journal.append(lines)
            try db.execute(sql: "UPDATE journal_state SET size = ? WHERE only = 1", arguments: [size])
            return 0
        }
        guard actual > recorded else { return 0 }
        try journal.truncate(to: recorded)
        return actual - recorded
    }

    /// Runs a read, mapping database errors to ``StoreError``.
    package func read<T>(_ what: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do {
            let connection: any DatabaseReader = writer.value ?? reader
            return try connection.read(body)
        } catch let error as DatabaseError {
            throw Store.storeError(error, what())
        }
    }
}
