import Foundation
import GRDB
import OmniBasics
import OmniCore

/// The `look` table's rows: how a ``Look`` is packed, and reading and writing them.
///
/// The cache is derived from the objects alone: a row that is missing, or
/// was made by another ``version`` of the hashing, is computed again.
enum LookCache {
    /// Bumped when looks would come out differently, so old rows are recomputed, not compared.
    static let version = 1
    /// Bytes per frame: 32 of hash, 1 of quality, 4 of milliseconds.
    static let frameSize = 37

    static func pack(_ frames: [LookFrame]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frames.count * frameSize)
        for frame in frames {
            bytes += frame.hash.bytes
            bytes.append(UInt8(clamping: frame.quality))
            let millis = UInt32(clamping: Int((frame.time * 1000).rounded()))
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: millis >> shift)) }
        }
        return bytes
    }

    /// Nil when the blob is not whole frames (a damaged row, recomputed).
    static func unpack(_ bytes: [UInt8]) -> [LookFrame]? {
        guard bytes.count % frameSize == 0 else { return nil }
        var frames: [LookFrame] = []
        for start in stride(from: 0, to: bytes.count, by: frameSize) {
            guard let hash = PDQHash(bytes: bytes[start..<start + 32]) else { return nil }
            var millis: UInt32 = 0
            for offset in 0..<4 { millis |= UInt32(bytes[start + 33 + offset]) << (8 * offset) }
            frames.append(LookFrame(hash: hash, quality: Int(bytes[start + 32]), time: Double(millis) / 1000))
        }
        return frames
    }

    /// The cached looks of `ids` made by this version; the rest are missing.
    static func read(_ ids: [AssetID], _ db: Database) throws -> [AssetID: Look] {
        var found: [AssetID: Look] = [:]
        let wanted = Set(ids.map(\.hex))
        // A few assets by key; many by one scan, which beats a query each
        // (the table has a row per picture asset at most).
        let rows: RowCursor
        if wanted.count <= 100 {
            let marks = Array(repeating: "?", count: wanted.count).joined(separator: ", ")
            rows = try Row.fetchCursor(
                db, sql: "SELECT asset, frames, duration FROM look WHERE version = ? AND asset IN (\(marks))",
                arguments: StatementArguments([version as any DatabaseValueConvertible] + wanted.sorted()))
        } else {
            rows = try Row.fetchCursor(
                db, sql: "SELECT asset, frames, duration FROM look WHERE version = ?", arguments: [version])
        }
        while let row = try rows.next() {
            let hex: String = row["asset"]
            guard wanted.contains(hex) else { continue }
            let blob: Data = row["frames"]
            guard let frames = unpack([UInt8](blob)) else { continue }
            found[AssetID(validatedHex: hex)] = Look(frames: frames, duration: row["duration"])
        }
        return found
    }

    /// Stores freshly made looks; what an older look of the same asset found
    /// is forgotten with it.
    static func write(_ looks: [(AssetID, Look)], at now: String, _ db: Database) throws {
        for (id, look) in looks {
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO look (asset, frames, quality, duration, version, computed_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id.hex, Data(pack(look.frames)), look.frames.map(\.quality).max() ?? 0, look.duration, version, now,
                ])
            try db.execute(sql: "DELETE FROM look_search WHERE asset = ?", arguments: [id.hex])
            try db.execute(sql: "DELETE FROM look_pair WHERE a = ? OR b = ?", arguments: [id.hex, id.hex])
        }
    }
}
