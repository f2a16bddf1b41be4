import Foundation
import GRDB
import OmniMedia

#if canImport(Glibc)
    import Glibc
#endif

/// An asset row as a remote describes it (or as probing the bytes finds it).
package struct AssetRow {
    let id: AssetID
    package let size: Int64
    let kind: String
    let mime: String
    let format: String
    let duration: Double?
    let bitRate: Int64?
    let width: Int64?
    let height: Int64?
    let fps: Double?
    let probe: String
    let addedAt: String
    /// From the probe, not the record: what the row shows is what the bytes say.
    let displayWidth: Int64?
    let displayHeight: Int64?
    /// When the footage was shot (`MediaInfo.capturedAt`).
    let takenAt: String?

    package init(id: AssetID, record value: JSONValue, remote: String) throws {
        func bad(_ what: String) -> StoreError {
            StoreError(
                .corrupt,
                "the record of asset \(id.short) on \(remote) is damaged (\(what)): push it again from a full store")
        }
        guard value["id"]?.stringValue == id.hex else { throw bad("wrong id") }
        guard let size = value["size"]?.doubleValue, size >= 0, let kind = value["kind"]?.stringValue,
            let mime = value["mime"]?.stringValue, let format = value["format"]?.stringValue,
            let probe = value["probe"]?.stringValue
        else { throw bad("missing fields") }
        guard let media = try? JSONDecoder().decode(MediaInfo.self, from: Data(probe.utf8)) else {
            throw bad("unreadable probe")
        }
        displayWidth = media.displaySize.map { Int64($0.width) }
        displayHeight = media.displaySize.map { Int64($0.height) }
        takenAt = media.capturedAt
        self.id = id
        self.size = Int64(size)
        self.kind = kind
        self.mime = mime
        self.format = format
        duration = value["duration"]?.doubleValue
        bitRate = value["bit_rate"]?.doubleValue.map { Int64($0) }
        width = value["width"]?.doubleValue.map { Int64($0) }
        height = value["height"]?.doubleValue.map { Int64($0) }
        fps = value["fps"]?.doubleValue
        self.probe = probe
        addedAt = value["added_at"]?.stringValue ?? Store.now()
    }

    /// Probes downloaded bytes, for remotes that hold no asset record.
    package init(probing path: String, id: AssetID) throws {
        let media: MediaInfo
        do {
            media = try MediaProbe.probe(path: path)
        } catch let error as MediaError {
            throw StoreError(.media, "cannot probe object \(id.short): \(error.message)")
        }
        var info = stat()
        _ = stat(path, &info)
        self.id = id
        size = Int64(info.st_size)
        kind = media.kind.rawValue
        mime = media.mime
        format = media.formatName
        duration = media.duration
        bitRate = media.bitRate.map { Int64($0) }
        width = media.primaryVideo?.width.map { Int64($0) }
        height = media.primaryVideo?.height.map { Int64($0) }
        fps = media.primaryVideo?.fps
        displayWidth = media.displaySize.map { Int64($0.width) }
        displayHeight = media.displaySize.map { Int64($0.height) }
        takenAt = media.capturedAt
        probe = (try? String(decoding: JSONEncoder().encode(media), as: UTF8.self)) ?? "{}"
        addedAt = Store.now()
    }

    /// Replaces what the index says of an existing asset with this probe's
    /// values when they differ in type, format or size.
    package func correct(_ db: Database) throws {
        guard
            let stored = try Row.fetchOne(
                db, sql: "SELECT size, kind, mime, format, width, height FROM asset WHERE id = ?", arguments: [id.hex])
        else { return }
        let same =
            (stored["size"] as Int64) == size && (stored["kind"] as String) == kind
            && (stored["mime"] as String) == mime
            && (stored["format"] as String) == format && (stored["width"] as Int64?) == width
            && (stored["height"] as Int64?) == height
        guard !same else { return }
        try db.execute(
            sql: """
                UPDATE asset SET size = ?, kind = ?, mime = ?, format = ?, duration = ?, bit_rate = ?, width = ?, height = ?,
                    fps = ?, probe = ?, display_width = ?, display_height = ?, taken_at = ? WHERE id = ?
                """,
            arguments: [
                size, kind, mime, format, duration, bitRate, width, height, fps, probe, displayWidth, displayHeight,
                takenAt, id.hex,
            ])
        let added =
            try String.fetchOne(db, sql: "SELECT added_at FROM asset WHERE id = ?", arguments: [id.hex]) ?? addedAt
        RecordStage.current?.stage(
            asset: StoreRecords.assetRecord(
                id: id, size: size, kind: kind, mime: mime, format: format, duration: duration, bitRate: bitRate,
                width: width, height: height, fps: fps, probe: probe, addedAt: added))
    }

    package func insert(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO asset
                    (id, size, kind, mime, format, duration, bit_rate, width, height, fps, probe, added_at,
                     display_width, display_height, taken_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id.hex, size, kind, mime, format, duration, bitRate, width, height, fps, probe, addedAt,
                displayWidth, displayHeight, takenAt,
            ])
        if db.changesCount > 0 {
            RecordStage.current?.stage(
                asset: StoreRecords.assetRecord(
                    id: id, size: size, kind: kind, mime: mime, format: format, duration: duration, bitRate: bitRate,
                    width: width, height: height, fps: fps, probe: probe, addedAt: addedAt))
        }
    }
}
