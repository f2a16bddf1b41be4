import OmniBasics
import GRDB

extension Store {
    /// The settings a store keeps, with what each one does.
    public static let configKeys: [String: String] = [
        "workfile": "the working file's name in the workspace (default clip.<ext> from the container)",
        "author": "the name recorded on turns and reflog entries (default: $OMNISTORE_AUTHOR or the login name)",
        "model": "the default generation model",
        "retention_days": "days the API keeps interaction state before omnistore rehydrates from the store",
        "library_filter":
            "which library assets pull brings, chosen when the store was cloned, as JSON",
    ]

    /// A store setting, or nil when unset.
    ///
    /// - Throws: ``StoreError`` when the stored value is not one the setting
    ///   allows (written by hand, or by an older omnistore that did not check).
    public func config(_ key: String) throws -> String? {
        try Store.checkConfigKey(key)
        let value = try read("cannot read setting '\(key)'") { db in
            try String.fetchOne(db, sql: "SELECT value FROM config WHERE key = ?", arguments: [key])
        }
        if let value, let problem = Store.configProblem(key, value) {
            throw StoreError(
                .invalidArgument,
                "the setting \(key) holds \(problem.value) (\(problem.rule))",
                hint: Hint("set it again with {}", .setSetting(key)))
        }
        return value
    }

    /// What is wrong with `value` for `key`, or nil when it is allowed.
    static func configProblem(_ key: String, _ value: String) -> (value: String, rule: String)? {
        let quoted =
            "'\(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined().prefix(60))'"
        let hasControl = value.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }
        switch key {
        case "workfile":
            if value.isEmpty || value.contains("/") || value.hasPrefix(".") || hasControl {
                return (quoted, "the working file is a plain file name such as clip.mp4")
            }
        case "author":
            if value.trimmingCharacters(in: .whitespaces).isEmpty || hasControl || value.count > 200 {
                return (quoted, "an author is one line of at most 200 characters, such as 'Ada <ada@example.com>'")
            }
        case "model":
            if value.isEmpty || hasControl || value.contains(where: \.isWhitespace) || value.count > 100 {
                return (quoted, "a model is a name without spaces, such as gemini-omni-1.1-flash")
            }
        case "retention_days":
            // 0 means "never trust server state": every edit re-sends its source.
            guard let days = Int(value), (0...365).contains(days) else {
                return (quoted, "retention_days is a whole number of days from 0 to 365; the API keeps 55")
            }
        case "library_filter":
            if LibraryFilter(settingText: value) == nil {
                return (
                    quoted,
                    #"the filter is JSON such as {"max_size":10000000,"only_used":false,"tags":["launch"]}"#
                )
            }
        default:
            break
        }
        return nil
    }

    /// Sets a store setting; nil removes it.
    public func setConfig(_ key: String, _ value: String?) throws {
        try Store.checkConfigKey(key)
        if let value, let problem = Store.configProblem(key, value) {
            throw StoreError(.invalidArgument, "cannot set \(key) to \(problem.value): \(problem.rule)")
        }
        try write("cannot change setting '\(key)'") { db in
            if let value {
                try db.execute(
                    sql:
                        "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM config WHERE key = ?", arguments: [key])
            }
            RefJournal.config(key, value: value)
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
