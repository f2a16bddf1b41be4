import OmniBasics
import Foundation
import GRDB

/// Paid work that has been sent and not yet recorded, as the core sees it.
///
/// The generation module writes the `pending` table and owns the plan's
/// meaning; fsck and gc only need what a pending interaction will record
/// from: the turn it continues and the assets it sends.
package struct PendingWork: Sendable {
    package let id: String
    package let parent: TurnID?
    package let assets: [AssetID]
}

extension Store {
    /// The pending interactions, oldest first.
    package func pendingWork() throws -> [PendingWork] {
        try read("cannot read pending interactions") { db in
            try Row.fetchAll(db, sql: "SELECT interaction_id, plan FROM pending ORDER BY created_at").map { row in
                let plan = try JSONParser.parse(row["plan"] as String)
                let assets = try (plan["media"]?.arrayValue ?? []).map { item in
                    guard let id = item["asset"]?.stringValue.flatMap(AssetID.init) else {
                        throw StoreError(
                            .database, "a pending interaction's plan lacks media asset", hint: Hint("run {}", .check))
                    }
                    return id
                }
                return PendingWork(
                    id: row["interaction_id"], parent: plan["parent"]?.stringValue.flatMap(TurnID.init), assets: assets)
            }
        }
    }
}
