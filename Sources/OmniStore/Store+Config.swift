import GRDB

extension Store {
    /// The settings a store keeps, with what each one does.
    public static let configKeys: [String: String] = [
        "workfile": "the working file's name in the workspace (default clip.<ext> from the container)",
        "author": "the name recorded on turns and reflog entries (default: $OMNISTORE_AUTHOR or the login name)",
        "model": "the default generation model",
        "retention_days": "days the API keeps interaction state before omnistore rehydrates from the store",
    ]

    /// A store setting, or nil when unset.
    public func config(_ key: String) throws -> String? {
        try Store.checkConfigKey(key)
        return try read("cannot read setting '\(key)'") { db in
            try String.fetchOne(db, sql: "SELECT value FROM config WHERE key = ?", arguments: [key])
        }
    }

    /// Sets a store setting; nil removes it.
    public func setConfig(_ key: String, _ value: String?) throws {
        try Store.checkConfigKey(key)
        if key == "workfile", let value {
            if value.isEmpty || value.contains("/") || value.hasPrefix(".") || value.contains("\0") {
                throw StoreError(.invalidArgument, "the working file must be a plain file name such as clip.mp4, not '\(value)'")
            }
        }
        try write("cannot change setting '\(key)'") { db in
            if let value {
                try db.execute(
                    sql: "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM config WHERE key = ?", arguments: [key])
            }
        }
    }

    /// Every setting that is set.
    public func allConfig() throws -> [String: String] {
        try read("cannot read settings") { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM config").map {
                    ($0["key"] as String, $0["value"] as String)
                })
        }
    }

    static func checkConfigKey(_ key: String) throws {
        guard configKeys[key] != nil else {
            let known = configKeys.keys.sorted().joined(separator: ", ")
            throw StoreError(.invalidArgument, "unknown setting '\(key)': the settings are \(known)")
        }
    }
}
