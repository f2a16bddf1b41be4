import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Settings shared by the reliability suites (`Tests/CLITests/Reliability*.swift`).
///
/// `OMNISTORE_SOAK=1` raises the case counts (`scripts/soak` sets it);
/// `OMNISTORE_RELIABILITY_SEED` replays a run (every suite prints its seed);
/// `OMNISTORE_RELIABILITY_REPORT` names a file the summary tables are appended to.
public enum Reliability {
    public static var soak: Bool { ProcessInfo.processInfo.environment["OMNISTORE_SOAK"] == "1" }

    /// `ci` cases normally, `soak` with `OMNISTORE_SOAK=1`.
    public static func cases(ci: Int, soak soakCount: Int) -> Int { soak ? soakCount : ci }

    /// The seed for one suite: `OMNISTORE_RELIABILITY_SEED` when set, else fresh.
    public static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["OMNISTORE_RELIABILITY_SEED"], let value = UInt64(text) {
            return value
        }
        return UInt64.random(in: 1..<UInt64(1) << 48)
    }

    /// Where failing fuzz inputs are kept for replay (outside the per-test temp folder).
    public static var keepDirectory: String {
        ProcessInfo.processInfo.environment["OMNISTORE_RELIABILITY_KEEP"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("omnistore-reliability-failures").path
    }

    /// Markers of lock errors that must never reach a user.
    public static func mentionsLockError(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("database is locked") || lower.contains("busy") || lower.contains("sqlite_locked")
    }

    /// Whether the output of a sanitizer-built binary reports a memory error.
    public static func mentionsSanitizer(_ text: String) -> Bool {
        text.contains("AddressSanitizer") || text.contains("LeakSanitizer") || text.contains("runtime error:")
    }
}

/// SplitMix64: small, fast, seedable; every suite prints its seed.
public struct ReliabilityRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Counts for one part of the reliability suite, printed as a table at the end.
public final class ReliabilityTally: @unchecked Sendable {
    // @unchecked: every mutable field is only touched under `lock`.
    private let lock = NSLock()
    public let part: String
    public let seed: UInt64
    private let started = Date()
    private var tried = 0
    private var passed = 0
    private var lost = 0
    private var notes: [String] = []
    private var failures: [String] = []

    public init(_ part: String, seed: UInt64) {
        self.part = part
        self.seed = seed
    }

    /// One case: whether every check of it held, and how many acknowledged
    /// items (assets, turns, branches, bytes) it found missing or wrong.
    public func record(passed ok: Bool, lost missing: Int = 0, failure: @autoclosure () -> String = "") {
        lock.lock()
        defer { lock.unlock() }
        tried += 1
        if ok && missing == 0 { passed += 1 } else if failures.count < 20 { failures.append(failure()) }
        lost += missing
    }

    /// Extra data lost found outside a single case (such as a final sweep).
    public func addLost(_ count: Int, _ why: String) {
        guard count > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        lost += count
        failures.append(why)
    }

    public func note(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        notes.append(text)
    }

    public var counts: (tried: Int, passed: Int, lost: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (tried, passed, lost)
    }

    /// Prints the table (and appends it to `OMNISTORE_RELIABILITY_REPORT`).
    @discardableResult
    public func printSummary() -> String {
        let (t, p, l) = counts
        lock.lock()
        let noteLines = notes
        let failureLines = failures
        lock.unlock()
        let elapsed = String(format: "%.1f s", Date().timeIntervalSince(started))
        let mode = Reliability.soak ? "soak" : "ci"
        let header = ["part", "mode", "cases tried", "cases passed", "data lost", "time", "seed"]
        let row = [part, mode, "\(t)", "\(p)", "\(l)", elapsed, "\(seed)"]
        let widths = zip(header, row).map { max($0.count, $1.count) }
        func line(_ cells: [String]) -> String {
            "| " + zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: " | ")
                + " |"
        }
        var text =
            "\n" + line(header) + "\n" + "|"
            + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|\n"
        text += line(row) + "\n"
        for note in noteLines { text += "  note: \(note)\n" }
        for failure in failureLines.prefix(10) where !failure.isEmpty {
            text += "  failed: \(failure.replacingOccurrences(of: "\n", with: "\n          ").prefix(1500))\n"
        }
        print(text)
        if let path = ProcessInfo.processInfo.environment["OMNISTORE_RELIABILITY_REPORT"], !path.isEmpty {
            if let handle = FileHandle(forWritingAtPath: path)
                ?? {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                    return FileHandle(forWritingAtPath: path)
                }()
            {
                handle.seekToEndOfFile()
                handle.write(Data(text.utf8))
                try? handle.close()
            }
        }
        return text
    }
}

/// `omnistore fsck --json`, read.
public struct ReliabilityFsck: Sendable, CustomStringConvertible {
    public let result: ProcessResult
    public let clean: Bool
    public let problems: [(kind: String, subject: String, message: String)]
    public let quarantined: [String]
    public let cleanedTemporaries: [String]
    public let danglingObjects: [String]

    public init(_ result: ProcessResult) {
        self.result = result
        let object = (try? JSONText.object(result.stdout)) ?? [:]
        clean = object["clean"] as? Bool ?? false
        problems = (object["problems"] as? [[String: Any]] ?? []).map {
            ($0["kind"] as? String ?? "?", $0["subject"] as? String ?? "?", $0["message"] as? String ?? "?")
        }
        quarantined = object["quarantined"] as? [String] ?? []
        cleanedTemporaries = object["cleaned_temporaries"] as? [String] ?? []
        danglingObjects = object["dangling_objects"] as? [String] ?? []
    }

    /// Exit 0 and `"clean": true`.
    public var isClean: Bool { result.succeeded && clean && problems.isEmpty }

    public var description: String { result.description }

    /// Runs `omnistore fsck --json [--fast]` in `workspace`.
    public static func run(in workspace: String, fast: Bool = false, timeout: Double = 300) async throws
        -> ReliabilityFsck
    {
        ReliabilityFsck(
            try await OmnistoreCLI.run(["fsck", "--json"] + (fast ? ["--fast"] : []), in: workspace, timeout: timeout))
    }
}

/// Reading the state of a store through the CLI.
public enum ReliabilityStore {
    /// Ids listed by `log --all --json`.
    public static func turnIDs(in workspace: String) async throws -> Set<String> {
        let result = try await OmnistoreCLI.check(["log", "--all", "--json"], in: workspace)
        return Set(try JSONText.array(result.stdout).compactMap { ($0 as? [String: Any])?["id"] as? String })
    }

    /// Ids listed by `log REV --json` (first parents and merges alike), in order.
    public static func history(_ revision: String, in workspace: String) async throws -> [String] {
        let result = try await OmnistoreCLI.check(["log", revision, "--json"], in: workspace)
        return try JSONText.array(result.stdout).compactMap { ($0 as? [String: Any])?["id"] as? String }
    }

    /// Branch name to turn id, from `branch --json`.
    public static func branches(in workspace: String) async throws -> [String: String] {
        let result = try await OmnistoreCLI.check(["branch", "--json"], in: workspace)
        var out: [String: String] = [:]
        for case let item as [String: Any] in try JSONText.array(result.stdout) {
            if let name = item["name"] as? String, let turn = item["turn"] as? String { out[name] = turn }
        }
        return out
    }

    /// Asset ids whose object file is missing or does not hash to the id
    /// (checked with `sha256sum`, independently of omnistore).
    public static func badObjects(_ ids: [String], files: StoreFiles) async throws -> [String] {
        let present = ids.filter { fileExists(files.objectPath($0)) }
        let missing = ids.filter { !fileExists(files.objectPath($0)) }
        let digests = try await SHA256Sum.hashes(present.map(files.objectPath))
        return missing + zip(present, digests).filter { $0 != $1 }.map(\.0)
    }
}

/// Starts a WAV file whose header declares `dataBytes` of samples and makes the
/// file that long with `ftruncate`: a real, valid, distinct, large media file
/// that costs no disk blocks (the samples read as silence).
public func writeSparseWAV(_ path: String, dataBytes: Int, sampleRate: Int = 8000) throws {
    var header = WAV.data(samples: [], sampleRate: sampleRate)
    func put32(_ value: Int, at offset: Int) {
        withUnsafeBytes(of: UInt32(value).littleEndian) { header.replaceSubrange(offset..<offset + 4, with: $0) }
    }
    put32(36 + dataBytes, at: 4)
    put32(dataBytes, at: 40)
    _ = FileManager.default.createFile(atPath: path, contents: header)
    guard truncate(path, off_t(header.count + dataBytes)) == 0 else {
        throw TestSupportError("cannot extend \(path): \(String(cString: strerror(errno)))")
    }
}
