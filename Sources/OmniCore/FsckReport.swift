import OmniBasics

/// What `fsck` found.
public struct FsckReport: Sendable {
    /// One problem, in one line, with what to do about it.
    public struct Problem: Sendable, Equatable {
        /// `corrupt_object`, `missing_object`, `size_mismatch`, `bad_turn`, `missing_parent`,
        /// `missing_asset`, `dangling_ref`, `dangling_reflog`, `bad_pending`, `database`.
        public let kind: String
        /// The asset, turn, ref or interaction concerned.
        public let subject: String
        /// What is wrong, with no advice.
        public let reason: String
        /// What to do about it.
        public let hint: Hint?

        package init(kind: String, subject: String, reason: String, hint: Hint? = nil) {
            self.kind = kind
            self.subject = subject
            self.reason = reason
            self.hint = hint
        }

        /// The problem and its hint, with remedies named by library calls.
        public var message: String { Hint.join(reason, hint) { $0.libraryName } }

        /// The problem and its hint, each remedy named by `name`.
        public func text(naming name: (Remedy) -> String) -> String { Hint.join(reason, hint, naming: name) }
    }

    public var problems: [Problem] = []
    /// Temp files of killed writers that were removed.
    public var cleanedTemporaries: [String] = []
    /// Object files no asset row names (left by a crash between write and index); gc removes them.
    public var danglingObjects: [String] = []
    /// Turns whose missing record file was written again from the index.
    public var restoredRecords: [String] = []
    /// Turn record files with no row (a command killed before its commit); the rebuild indexes them.
    public var unindexedRecords: [String] = []
    /// Files in `.omnistore/tmp/` (a download or spilled reply of a killed generation); gc removes them.
    public var leftoverTemporaries: [String] = []
    /// Partial downloads abandoned for days; gc removes them, a pull resumes them.
    public var stalePartialDownloads: [String] = []
    /// Where corrupt objects were moved.
    public var quarantined: [String] = []
    public var objectsChecked = 0
    public var bytesChecked: Int64 = 0
    public var turnsChecked = 0
    public var refsChecked = 0

    public var isClean: Bool { problems.isEmpty }

    /// The report, with remedies named by library calls.
    public var json: JSONValue { json { $0.libraryName } }

    /// The report, each remedy in a problem's message named by `name`.
    public func json(naming name: (Remedy) -> String) -> JSONValue {
        .object([
            "clean": .bool(isClean),
            "problems": .array(
                problems.map {
                    .object([
                        "kind": .string($0.kind), "subject": .string($0.subject),
                        "message": .string($0.text(naming: name)),
                    ])
                }),
            "cleaned_temporaries": .array(cleanedTemporaries.map(JSONValue.string)),
            "dangling_objects": .array(danglingObjects.map(JSONValue.string)),
            "restored_records": .array(restoredRecords.map(JSONValue.string)),
            "unindexed_records": .array(unindexedRecords.map(JSONValue.string)),
            "leftover_temporaries": .array(leftoverTemporaries.map(JSONValue.string)),
            "stale_partial_downloads": .array(stalePartialDownloads.map(JSONValue.string)),
            "quarantined": .array(quarantined.map(JSONValue.string)),
            "objects_checked": .int(Int64(objectsChecked)),
            "bytes_checked": .int(bytesChecked),
            "turns_checked": .int(Int64(turnsChecked)),
            "refs_checked": .int(Int64(refsChecked)),
        ])
    }
}
