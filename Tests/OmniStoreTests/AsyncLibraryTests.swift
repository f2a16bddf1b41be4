import Foundation
import OmniStore
import TestSupport
import Testing

/// The async front door (issue 21): long operations run off the cooperative
/// pool, report progress as a stream, and stop when their task is cancelled.
@Suite struct AsyncLibrary {
    /// A store whose one turn names `count` reference clips, with a folder remote.
    static func storeWithObjects(_ label: String, count: Int) throws -> (TemporaryDirectory, Store, String) {
        let dir = try TemporaryDirectory(label)
        let (store, _) = try Store.create(at: try dir.makeDirectory("ws"))
        var request = RecordRequest(
            output: AssetSource(.file(try dir.write(WAV.data(seed: 9_999, sampleCount: 800), to: "out.wav"))),
            instruction: "many references")
        request.inputs = try (0..<count).map {
            AssetSource(.file(try dir.write(WAV.data(seed: $0, sampleCount: 400), to: "ref-\($0).wav")))
        }
        _ = try store.record(request)
        let remote = dir.file("remote")
        try store.addRemote("origin", url: remote)
        return (dir, store, remote)
    }

    static func objectFiles(under remote: String) -> Int {
        let objects = remote + "/objects"
        let enumerator = FileManager.default.enumerator(atPath: objects)
        var count = 0
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: objects + "/" + name, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                count += 1
            }
        }
        return count
    }

    @Test("a cancelled push stops between files with CancellationError; pushing again sends the rest")
    func cancelledPushResumes() async throws {
        let (dir, store, remote) = try Self.storeWithObjects("async-push-cancel", count: 300)
        let push = Task { try await store.push(to: "origin") }
        push.cancel()
        let outcome = await push.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        let sent = Self.objectFiles(under: remote)
        #expect(sent < 301, "the cancelled push still sent all \(sent) objects")

        // Again, to the end, with progress as a stream.
        var events = 0
        var result: SyncResult? = nil
        for try await step in store.pushing(to: "origin") {
            switch step {
            case .event: events += 1
            case .finished(let done): result = done
            }
        }
        #expect(result != nil && events > 0, "events \(events)")
        #expect(Self.objectFiles(under: remote) == 301)

        // What was pushed clones whole, and checks clean.
        let (clone, _) = try await Store.clone(from: remote, into: dir.file("clone"))
        let report = try await clone.fsck()
        #expect(report.isClean && report.objectsChecked == 301, "\(report.problems)")
    }

    @Test("fsck as a stream: progress that never goes back, then the same report as the awaited call")
    func fsckStream() async throws {
        let (dir, store, _) = try Self.storeWithObjects("async-fsck", count: 3)
        defer { _ = dir }  // the folder lives as long as the test
        let awaited = try await store.fsck()
        #expect(awaited.isClean && awaited.objectsChecked == 4, "\(awaited.problems)")
        var counts: [FsckProgressCount] = []
        var streamed: FsckReport? = nil
        for try await step in store.checking() {
            switch step {
            case .event(let count): counts.append(count)
            case .finished(let done): streamed = done
            }
        }
        #expect(streamed?.isClean == true && streamed?.objectsChecked == awaited.objectsChecked)
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0.done <= $1.done && $0.total == $1.total }, "\(counts)")
    }
}
