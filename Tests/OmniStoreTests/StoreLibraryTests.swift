import Foundation
import OmniStore
import TestSupport
import Testing

/// The OmniStore library used the way an outside tool would: `import OmniStore` only.
@Suite struct StoreLibraryEndToEnd {
    @Test("create, add, list by kind, look up by prefix, export")
    func endToEnd() async throws {
        let dir = try TemporaryDirectory("lib-e2e")
        let workspace = try dir.makeDirectory("ws")
        let fixtures: [Fixture] = [.mp4H264AAC, .png, .wav, .gifAnimated, .gifStill, .mp3WithCoverArt]
        var paths: [String] = []
        for fixture in fixtures { paths.append(try await Fixtures.copy(fixture, into: dir.path)) }
        let hashes = try await SHA256Sum.hashes(paths)

        let (store, created) = try Store.create(at: workspace)
        #expect(created)
        let outcomes = store.add(paths)
        #expect(outcomes.count == fixtures.count)
        for (index, outcome) in outcomes.enumerated() {
            #expect(outcome.path == paths[index])
            guard case .added(let asset, _) = outcome else {
                Issue.record("\(paths[index]) was not added: \(outcome)")
                continue
            }
            #expect(asset.id.hex == hashes[index])
            #expect(asset.kind.rawValue == fixtures[index].expectedKind)
            #expect(fixtures[index].acceptableMimes.contains(asset.mime))
            #expect(asset.size == Int64(fileBytes(paths[index])?.count ?? -1))
            #expect(asset.paths == [paths[index]])
        }

        // Listing: everything, then by kind, against the specification's kinds.
        #expect(Set(try store.assets().map(\.id.hex)) == Set(hashes))
        for kind in ["image", "video", "audio"] {
            let expected = Set(zip(fixtures, hashes).filter { $0.0.expectedKind == kind }.map(\.1))
            let listed: [Asset]
            switch kind {
            case "image": listed = try store.assets(kind: .image)
            case "video": listed = try store.assets(kind: .video)
            default: listed = try store.assets(kind: .audio)
            }
            #expect(Set(listed.map(\.id.hex)) == expected, "kind \(kind)")
            #expect(listed.allSatisfy { $0.kind.rawValue == kind })
        }

        // Lookup by full id and by an 8-digit prefix; export is byte-identical.
        for (index, hex) in hashes.enumerated() {
            #expect(try store.asset(hex).id.hex == hex)
            #expect(try store.asset(String(hex.prefix(8))).id.hex == hex)
            #expect(try store.resolveAssetID(String(hex.prefix(10)).uppercased()).hex == hex)
            let target = dir.file("export-\(index)")
            try store.export(try store.resolveAssetID(hex), to: target)
            #expect(try await SHA256Sum.hash(target) == hex)
            #expect(fileBytes(target) == fileBytes(paths[index]))
        }
    }

    @Test("Asset.json carries the probe ffprobe reports for the added file", arguments: Fixture.allCases)
    func assetJSONMatchesFFprobe(_ fixture: Fixture) async throws {
        let dir = try TemporaryDirectory("lib-json")
        let path = try await Fixtures.copy(fixture, into: dir.path)
        let store = try Store.create(at: dir.file("ws")).store
        let (asset, isNew) = try store.add(file: path)
        #expect(isNew)
        let json = try JSONText.object(asset.json.compactText)
        let problems = probeMismatches(ProbedMedia(json: json), ffprobe: try await FFprobe.report(path))
        #expect(problems.isEmpty, "\(problems)")
        #expect(json["id"] as? String == (try await SHA256Sum.hash(path)))
    }

    @Test("the object is at objects/ab/cdef…, read-only, and byte-identical", arguments: [Fixture.mp4H264AAC, .png])
    func objectFile(_ fixture: Fixture) async throws {
        let dir = try TemporaryDirectory("lib-object")
        let path = try await Fixtures.copy(fixture, into: dir.path)
        let hex = try await SHA256Sum.hash(path)
        let workspace = dir.file("ws")
        let store = try Store.create(at: workspace).store
        let asset = try store.add(file: path).asset
        #expect(asset.id.hex == hex)
        let files = StoreFiles(workspace: workspace)
        let objectPath = files.objectPath(hex)
        #expect(files.objectIDs() == [hex])
        #expect(permissionBits(objectPath) == 0o444)
        #expect(fileBytes(objectPath) == fileBytes(path))
        #expect(try await SHA256Sum.hash(objectPath) == hex)
        #expect(files.temporaryFiles().isEmpty)
    }

    @Test("the same bytes at another path store nothing new and remember both paths")
    func dedup() async throws {
        let dir = try TemporaryDirectory("lib-dedup")
        let first = try await Fixtures.copy(.wav, into: dir.path, as: "a/tone.wav")
        let second = try await Fixtures.copy(.wav, into: dir.path, as: "b/same-tone.wav")
        let workspace = dir.file("ws")
        let store = try Store.create(at: workspace).store
        let files = StoreFiles(workspace: workspace)

        let one = try store.add(file: first)
        #expect(one.isNew)
        let objectsBefore = files.objectIDs()
        let two = try store.add(file: second)
        #expect(!two.isNew)
        #expect(two.asset.id == one.asset.id)
        #expect(two.asset.paths == [first, second])
        #expect(files.objectIDs() == objectsBefore)
        #expect(try store.assets().count == 1)

        // Adding a known path again does not list it twice.
        let again = store.add([first])
        guard case .alreadyStored(let asset, _)? = again.first else {
            Issue.record("re-adding \(first) gave \(again)")
            return
        }
        #expect(asset.paths == [first, second])
    }

    @Test("discover finds the store from a subfolder; open accepts the workspace or .omnistore")
    func discoverAndOpen() async throws {
        let dir = try TemporaryDirectory("lib-discover")
        let workspace = dir.file("ws")
        let store = try Store.create(at: workspace).store
        let nested = try dir.makeDirectory("ws/deep/er")
        let wav = try dir.write(WAV.data(seed: 1), to: "one.wav")
        let hex = try await SHA256Sum.hash(wav)
        _ = try store.add(file: wav)

        let found = try Store.discover(from: nested)
        #expect(found.layout.workspace == workspace)
        #expect(try found.asset(hex).id.hex == hex)
        #expect(try Store.open(at: workspace).asset(hex).id.hex == hex)
        #expect(try Store.open(at: workspace + "/.omnistore").asset(hex).id.hex == hex)

        let outside = try dir.makeDirectory("elsewhere")
        let error = try #require(throws: StoreError.self) { try Store.discover(from: outside) }
        #expect(error.code == .notAStore)
        // The library says what to do in its own terms; the CLI names the command.
        #expect(error.reason == "not an omnistore store (or any parent)")
        #expect(error.hint == Hint("run {}", .createStore(directory: nil)))
        #expect(error.message == "not an omnistore store (or any parent): run Store.create(at:)")
        #expect(throws: StoreError.self) { try Store.open(at: outside) }
    }

    @Test("create twice is harmless and keeps the assets")
    func createTwice() async throws {
        let dir = try TemporaryDirectory("lib-create")
        let workspace = dir.file("ws")
        let wav = try dir.write(WAV.data(seed: 7), to: "seven.wav")
        let hex = try await SHA256Sum.hash(wav)
        let first = try Store.create(at: workspace)
        #expect(first.created)
        _ = try first.store.add(file: wav)
        let second = try Store.create(at: workspace)
        #expect(!second.created)
        #expect(try second.store.assets().map(\.id.hex) == [hex])
        #expect(StoreFiles(workspace: workspace).objectIDs() == [hex])
    }
}

@Suite struct StoreLibraryConcurrencyAndProgress {
    @Test("one Store shared by two threads adding different files stores them all")
    func sharedStore() async throws {
        let dir = try TemporaryDirectory("lib-threads")
        var groups: [[String]] = [[], []]
        for seed in 0..<40 {
            groups[seed % 2].append(try dir.write(WAV.data(seed: 30_000 + seed), to: "in/\(seed).wav"))
        }
        let hashes = try await SHA256Sum.hashes(groups[0] + groups[1])
        let workspace = dir.file("ws")
        let store = try Store.create(at: workspace).store
        let (left, right) = (groups[0], groups[1])
        async let first = onThread { store.add(left) }
        async let second = onThread { store.add(right) }
        let outcomes = try await first + second
        for outcome in outcomes {
            guard case .added = outcome else {
                Issue.record("\(outcome.path): \(outcome)")
                continue
            }
        }
        #expect(Set(try store.assets().map(\.id.hex)) == Set(hashes))
        #expect(StoreFiles(workspace: workspace).objectIDs() == Set(hashes))
        #expect(StoreFiles(workspace: workspace).temporaryFiles().isEmpty)
    }

    @Test("progress reports every file up to its full size and the batch up to its total")
    func progress() async throws {
        let dir = try TemporaryDirectory("lib-progress")
        let paths = [
            try await Fixtures.copy(.mp4H264AAC, into: dir.path),
            try await Fixtures.copy(.png, into: dir.path),
            try await Fixtures.copy(.flac, into: dir.path),
        ]
        let sizes = paths.map { Int64(fileBytes($0)?.count ?? -1) }
        let store = try Store.create(at: dir.file("ws")).store
        let events = Locked<[AddProgress]>([])
        let outcomes = store.add(paths) { event in events.withValue { $0.append(event) } }
        #expect(outcomes.count == 3)
        let seen = events.current
        #expect(!seen.isEmpty)
        for (index, path) in paths.enumerated() {
            let mine = seen.filter { $0.fileIndex == index }
            #expect(mine.allSatisfy { $0.path == path && $0.fileCount == 3 && $0.fileBytesTotal == sizes[index] })
            #expect(mine.last?.fileBytesDone == sizes[index], "last progress of \(path)")
        }
        #expect(seen.allSatisfy { $0.batchBytesTotal == sizes.reduce(0, +) })
        #expect(seen.last?.batchBytesDone == sizes.reduce(0, +))
        #expect(
            zip(seen, seen.dropFirst()).allSatisfy { $0.batchBytesDone <= $1.batchBytesDone }, "progress went backwards"
        )
    }
}

@Suite struct StoreLibraryPrefixes {
    /// Writes distinct tiny WAVs until two of them share the first four hex
    /// digits of their SHA-256 (by sha256sum), and returns those two paths
    /// and digests, plus one more file whose digest starts differently.
    static func collidingPair(in dir: TemporaryDirectory) async throws
        -> (paths: [String], hashes: [String], other: (path: String, hash: String))
    {
        var byPrefix: [String: (String, String)] = [:]
        var batchStart = 0
        while batchStart < 8000 {
            var paths: [String] = []
            for seed in batchStart..<(batchStart + 400) {
                paths.append(try dir.write(WAV.data(seed: seed), to: "gen/\(seed).wav"))
            }
            let hashes = try await SHA256Sum.hashes(paths)
            for (path, hash) in zip(paths, hashes) {
                let prefix = String(hash.prefix(4))
                if let (firstPath, firstHash) = byPrefix[prefix] {
                    let other = byPrefix.values.first { !$0.1.hasPrefix(prefix) }!
                    return ([firstPath, path], [firstHash, hash], other)
                }
                byPrefix[prefix] = (path, hash)
            }
            batchStart += 400
        }
        throw TestSupportError("no 4-digit prefix collision among 8000 files")
    }

    @Test("a prefix shared by two assets is ambiguous and lists both; longer prefixes resolve")
    func ambiguous() async throws {
        let dir = try TemporaryDirectory("lib-prefix")
        let (paths, hashes, other) = try await Self.collidingPair(in: dir)
        let store = try Store.create(at: dir.file("ws")).store
        for outcome in store.add(paths + [other.path]) {
            guard case .added = outcome else {
                Issue.record("not added: \(outcome)")
                return
            }
        }
        let shared = String(hashes[0].prefix(4))
        let error = try #require(throws: StoreError.self) { try store.resolveAssetID(shared) }
        #expect(error.code == .ambiguous)
        for hash in hashes { #expect(error.message.contains(hash.prefix(12)), "\(error.message) lists \(hash)") }
        #expect(!error.message.contains(other.hash.prefix(12)))
        #expect(throws: StoreError.self) { try store.asset(shared) }

        // The shortest unique prefixes resolve to the right asset.
        let common = zip(hashes[0], hashes[1]).prefix { $0 == $1 }.count
        for hash in hashes {
            #expect(try store.resolveAssetID(String(hash.prefix(common + 1))).hex == hash)
            #expect(try store.asset(String(hash.prefix(common + 1))).id.hex == hash)
        }
        #expect(try store.resolveAssetID(String(other.hash.prefix(4))).hex == other.hash)
    }

    /// "3 digits" stands for the first three digits of the stored id.
    @Test("too short or non-hex prefixes are refused", arguments: ["3 digits", "", "zzzz", "12345g", "not-an-id"])
    func invalidPrefix(_ text: String) async throws {
        let dir = try TemporaryDirectory("lib-badprefix")
        let store = try Store.create(at: dir.file("ws")).store
        let wav = try dir.write(WAV.data(seed: 3), to: "x.wav")
        let hex = try await SHA256Sum.hash(wav)
        _ = try store.add(file: wav)
        // A 3-digit prefix of a real id is still too short.
        let candidate = text == "3 digits" ? String(hex.prefix(3)) : text
        let error = try #require(throws: StoreError.self) { try store.resolveAssetID(candidate) }
        #expect(error.code == .invalidArgument)
    }

    @Test("a well-formed prefix that matches nothing is not found")
    func unknownPrefix() async throws {
        let dir = try TemporaryDirectory("lib-noprefix")
        let store = try Store.create(at: dir.file("ws")).store
        let wav = try dir.write(WAV.data(seed: 4), to: "x.wav")
        let hex = try await SHA256Sum.hash(wav)
        _ = try store.add(file: wav)
        // Flip the first digit: a prefix no stored id has.
        let first = hex.first!
        let flipped = (first == "0" ? "1" : "0") + hex.dropFirst().prefix(5)
        let error = try #require(throws: StoreError.self) { try store.resolveAssetID(String(flipped)) }
        #expect(error.code == .notFound)
    }
}

@Suite struct StoreLibraryBadInput {
    @Test("failed files leave nothing behind while the rest of the batch goes in")
    func batch() async throws {
        let dir = try TemporaryDirectory("lib-bad")
        let good1 = try await Fixtures.copy(.png, into: dir.path)
        let good2 = try dir.write(WAV.data(seed: 11), to: "good.wav")
        let garbage = try dir.write(garbageBytes(count: 32 << 10, seed: 42), to: "noise.mp4")
        let empty = try dir.write(Data(), to: "empty.wav")
        let missing = dir.file("missing.mov")
        let folder = try dir.makeDirectory("folder")
        try dir.write(WAV.data(seed: 12), to: "folder/inside.wav")
        let goodHashes = try await SHA256Sum.hashes([good1, good2])
        let workspace = dir.file("ws")
        let store = try Store.create(at: workspace).store

        let order = [garbage, good1, empty, missing, folder, good2]
        let outcomes = store.add(order)
        #expect(outcomes.map(\.path) == order)
        for (path, outcome) in zip(order, outcomes) {
            let shouldFail = ![good1, good2].contains(path)
            switch outcome {
            case .failed(_, let error):
                #expect(shouldFail, "\(path) failed: \(error)")
                #expect(error.message.contains(path), "\(error.message) names \(path)")
                #expect(!error.message.contains("\n"))
            case .added, .alreadyStored:
                #expect(!shouldFail, "\(path) was stored")
            }
        }
        let files = StoreFiles(workspace: workspace)
        #expect(files.objectIDs() == Set(goodHashes))
        #expect(Set(try store.assets().map(\.id.hex)) == Set(goodHashes))
        #expect(files.temporaryFiles().isEmpty)
    }

    @Test("add(file:) throws for a file that is not media and stores nothing")
    func single() async throws {
        let dir = try TemporaryDirectory("lib-bad1")
        let text = try dir.write(String(repeating: "hello, not a video\n", count: 100), to: "notes.mp4")
        let workspace = dir.file("ws")
        let store = try Store.create(at: workspace).store
        let error = try #require(throws: StoreError.self) { try store.add(file: text) }
        #expect(error.code == .media)
        #expect(error.message.contains(text))
        #expect(try store.assets().isEmpty)
        #expect(StoreFiles(workspace: workspace).objectIDs().isEmpty)
        #expect(StoreFiles(workspace: workspace).temporaryFiles().isEmpty)
    }

    @Test("recursive add stores the files under a folder, skipping hidden ones")
    func recursive() async throws {
        let dir = try TemporaryDirectory("lib-recursive")
        let visible = [
            try dir.write(WAV.data(seed: 21), to: "media/a.wav"),
            try dir.write(WAV.data(seed: 22), to: "media/sub/b.wav"),
            try await Fixtures.copy(.png, into: dir.path, as: "media/sub/deeper/c.png"),
        ]
        let hidden = try dir.write(WAV.data(seed: 23), to: "media/.hidden.wav")
        let hiddenHash = try await SHA256Sum.hash(hidden)
        let hashes = try await SHA256Sum.hashes(visible)
        let store = try Store.create(at: dir.file("ws")).store
        let outcomes = store.add([dir.file("media")], recursive: true)
        #expect(outcomes.count == 3)
        #expect(Set(try store.assets().map(\.id.hex)) == Set(hashes))
        #expect(!(try store.assets().map(\.id.hex)).contains(hiddenHash))
        #expect(Set(try store.assets().flatMap(\.paths)) == Set(visible))
    }
}
