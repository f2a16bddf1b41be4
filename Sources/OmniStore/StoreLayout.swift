import Foundation

/// Where each part of a store lives on disk.
///
/// ```
/// <workspace>/            the folder the user works in (the working file lives here)
///   .omnistore/
///     format              the on-disk format version
///     omnistore.db        SQLite, WAL mode
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

    var objectsDirectory: String { storeDirectory + "/objects" }
    var databasePath: String { storeDirectory + "/omnistore.db" }
    var formatPath: String { storeDirectory + "/format" }

    /// The read-only file holding an object's bytes. Only validated ids reach
    /// here, so the path can never escape `objects/`.
    func objectPath(_ id: AssetID) -> String {
        let hex = id.hex
        return "\(objectsDirectory)/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    func fanoutDirectory(_ id: AssetID) -> String {
        "\(objectsDirectory)/\(id.hex.prefix(2))"
    }
}
