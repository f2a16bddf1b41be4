import Foundation
@testable import OmniStore
import TestSupport
import Testing

/// fsck checks the chain index against the turns' parents and rebuilds it
/// when it is damaged, since every ancestry answer is built on it.
@Suite struct FsckChainIndex {
    @Test(
        "a damaged chain index is reported by fsck, rebuilt from the parents, and answers right again",
        arguments: [
            "UPDATE turn SET chain_pos = chain_pos + 100 WHERE chain_pos = 2",
            "UPDATE turn SET chain = NULL, chain_pos = NULL WHERE chain_pos = 1",
            "UPDATE turn SET chain = seq + 1000 WHERE chain_pos = 0",
        ])
    func rebuilt(damage: String) throws {
        let dir = try TemporaryDirectory("fsck-chains")
        let (store, ids) = try GraphChainIndex.recordShape(in: dir)
        #expect(try store.fsck(fast: true).isClean)

        try store.write("test") { db in try db.execute(sql: damage) }
        #expect(try !store.read("test") { db in try ChainIndex.problems(db) }.isEmpty, "the damage went unseen")

        let report = try store.fsck(fast: true)
        let chainProblems = report.problems.filter { $0.kind == "bad_chain_index" }
        #expect(!chainProblems.isEmpty, "\(report.problems)")
        #expect(chainProblems.allSatisfy { $0.message.contains("rebuilt the chain index") }, "\(chainProblems)")
        #expect(report.problems.count == chainProblems.count, "\(report.problems)")

        #expect(try store.fsck(fast: true).isClean)
        try GraphChainIndex.expectPlaced(store, ids, "rebuilt")
        try GraphChainIndex.expectAnswers(store, ids, "rebuilt")
    }
}
