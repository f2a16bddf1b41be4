import Foundation

/// Where each part of a store lives on disk.
///
/// ```
/// <workspace>/            the folder the user works in (the working file lives here)
///   .omnistore/
///     format              the on-disk format version
///     omnistore.db        SQLite, WAL mode: an index, rebuilt from the files below
///     turns/<id>          each turn's canonical record
///     assets/<sha256>     asset records and paths, one pack per write
///     meta/<sha256>       metadata records: library membership, tags, notes, ratings
///     refs.journal        every change of a ref, HEAD and the reflog
///     objects/ab/cdef…    asset bytes, read-only, named by SHA-256
///     objects/tmp_obj_*   in-flight writes; never visible under an object path
/// ```
public struct StoreLayout: Sendable, Equatable {
    /// The name of the store folder inside a workspace.
    public static let directoryName = ".omnistore"

    /// The workspace: the folder that holds `.omnistore/`.
    public let workspace: String
    /// The `.omnistore` folder itself.
    public let storeDirectory: String

    init(workspace: String) {
        self.workspace = workspace
        self.storeDirectory = (workspace as NSString).appendingPathComponent(StoreLayout.directoryName)
    }

    package var objectsDirectory: String { storeDirectory + "/objects" }
    /// Turn records, `turns/<id>`, as on a folder remote (see ``RecordStage``).
    var turnsDirectory: String { storeDirectory + "/turns" }
    /// Asset packs, `assets/<sha256>`, as on a folder remote.
    var assetPacksDirectory: String { storeDirectory + "/assets" }
    /// Metadata records, `meta/<sha256>`, as on a remote (see ``MetaRecord``).
    var metaRecordsDirectory: String { storeDirectory + "/meta" }
    var refJournalPath: String { storeDirectory + "/refs.journal" }

    /// A validated id only, so the path stays inside `turns/`.
    func turnRecordPath(_ id: TurnID) -> String { turnsDirectory + "/" + id.hex }
    var databasePath: String { storeDirectory + "/omnistore.db" }
    var formatPath: String { storeDirectory + "/format" }

    /// The read-only file holding an object's bytes. Only validated ids reach
    /// here, so the path can never escape `objects/`.
    package func objectPath(_ id: AssetID) -> String {
        let hex = id.hex
        return "\(objectsDirectory)/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    package func fanoutDirectory(_ id: AssetID) -> String {
        "\(objectsDirectory)/\(id.hex.prefix(2))"
    }
}
