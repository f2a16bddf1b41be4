/// What `fsck` found.
public struct FsckReport: Sendable {
    /// One problem, in one line, with what to do about it.
    public struct Problem: Sendable, Equatable {
        /// `corrupt_object`, `missing_object`, `size_mismatch`, `bad_turn`, `missing_parent`,
        /// `missing_asset`, `dangling_ref`, `dangling_reflog`, `bad_pending`, `database`.
        public let kind: String
        /// The asset, turn, ref or interaction concerned.
        public let subject: String
        public let message: String
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

    public var json: JSONValue {
        .object([
            "clean": .bool(isClean),
            "problems": .array(
                problems.map { .object(["kind": .string($0.kind), "subject": .string($0.subject), "message": .string($0.message)]) }),
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
