import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One test's world for generation: its own fake API server and its own
/// initialized workspace, with the environment that joins them.
struct GenerationWorld {
    let fake: FakeAPI
    let ws: CLIWorkspace
    let environment: [String: String]

    static func make(_ label: String, fakeOptions: [String] = [], apiKey: String = FakeAPI.distinctiveKey())
        async throws
        -> GenerationWorld
    {
        async let fake = FakeAPI(apiKey: apiKey, options: fakeOptions)
        async let ws = CLIWorkspace.make(label)
        let (server, workspace) = try await (fake, ws)
        return GenerationWorld(fake: server, ws: workspace, environment: server.environment())
    }

    /// Runs omnistore in the workspace with the fake's environment (plus `extra`).
    func run(_ arguments: [String], extra: [String: String] = [:]) async throws -> ProcessResult {
        try await OmnistoreCLI.run(arguments, in: ws.path, environment: environment.merging(extra) { _, new in new })
    }

    /// Runs a command that must succeed.
    @discardableResult
    func check(_ arguments: [String], extra: [String: String] = [:]) async throws -> ProcessResult {
        let result = try await run(arguments, extra: extra)
        guard result.succeeded else { throw TestSupportError("omnistore failed:\n\(result)") }
        return result
    }

    /// Runs a command with `--json` that must succeed and parses its stdout.
    func json(_ arguments: [String], extra: [String: String] = [:]) async throws -> Any {
        let result = try await check(arguments + ["--json"], extra: extra)
        do {
            return try JSONText.parse(result.stdout)
        } catch {
            throw TestSupportError("not JSON:\n\(result)")
        }
    }

    func object(_ arguments: [String], extra: [String: String] = [:]) async throws -> [String: Any] {
        guard let value = try await json(arguments, extra: extra) as? [String: Any] else {
            throw TestSupportError("\(arguments) --json did not print an object")
        }
        return value
    }

    func array(_ arguments: [String], extra: [String: String] = [:]) async throws -> [[String: Any]] {
        guard let value = try await json(arguments, extra: extra) as? [[String: Any]] else {
            throw TestSupportError("\(arguments) --json did not print an array of objects")
        }
        return value
    }

    /// Every turn in the store (`log --all --json`).
    func allTurns() async throws -> [[String: Any]] { try await array(["log", "--all"]) }

    /// `resume --list --json`.
    func pending() async throws -> [[String: Any]] { try await array(["resume", "--list"]) }

    /// `log --attempts --json`'s attempts.
    func attempts() async throws -> [[String: Any]] {
        try await object(["log", "--all", "--attempts"])["attempts"] as? [[String: Any]] ?? []
    }

    /// Starts omnistore without waiting, with SIGINT deliverable. The
    /// timeout only stops a hang: with dozens of suites on two cores, a
    /// command that polls has been seen to need over a minute.
    ///
    /// The test runner spawns children from threads that block most signals,
    /// and a blocked mask survives exec, so a CLI started directly would never
    /// see a Ctrl-C. A tiny exec wrapper clears the mask and restores the
    /// default SIGPIPE/SIGXFSZ dispositions first, as a shell would.
    func start(_ arguments: [String], extra: [String: String] = [:], timeout: Double = 300) throws -> RunningProcess {
        let wrapper = """
            import os, signal, sys
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            os.execv(sys.argv[1], sys.argv[1:])
            """
        return try RunningProcess(
            "python3", ["-c", wrapper, try OmnistoreCLI.binary()] + arguments, in: ws.path,
            environment: environment.merging(extra) { _, new in new }, timeout: timeout)
    }

    /// Waits until the fake's log holds a request matching `predicate`
    /// `count` times, and returns those requests.
    @discardableResult
    func waitForRequests(
        count: Int = 1, timeout: Double = 120, _ predicate: @escaping (FakeAPI.Request) -> Bool
    ) async throws -> [FakeAPI.Request] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let matching = try await fake.requests().filter(predicate)
            if matching.count >= count { return matching }
            if Date() > deadline {
                throw TestSupportError("the fake saw \(matching.count) of \(count) expected requests in \(timeout) s")
            }
            try await Task.sleep(nanoseconds: 30_000_000)
        }
    }
}

/// The interaction id in a turn's JSON.
func turnInteractionID(_ turn: [String: Any]) -> String? {
    (turn["interaction"] as? [String: Any])?["id"] as? String
}

/// The `previous_interaction_id` a create body carried (nil when absent).
func createPreviousID(_ create: FakeAPI.Request) -> String? {
    create.jsonObject["previous_interaction_id"] as? String
}

/// The input parts of a create body (a list of Content).
func createInputParts(_ create: FakeAPI.Request) -> [[String: Any]] {
    create.jsonObject["input"] as? [[String: Any]] ?? []
}

/// The lines of stderr that are error messages.
func errorLinesOf(_ result: ProcessResult) -> [String] {
    result.stderrLines.filter { $0.hasPrefix("error:") }
}

/// Checks that an object file is a real MP4 (ffprobe) with an H.264 picture
/// of the given size and about `seconds` long, and that its sha256 is its id.
func expectRealMP4(
    _ ws: CLIWorkspace, asset id: String, width: Int, height: Int, seconds: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let path = ws.files.objectPath(id)
    #expect(fileExists(path), "no object for \(id)", sourceLocation: sourceLocation)
    guard fileExists(path) else { return }
    #expect(
        try await SHA256Sum.hash(path) == id, "object \(id) does not hash to its id", sourceLocation: sourceLocation)
    let report = try await FFprobe.report(path)
    #expect(report.formatName.contains("mp4"), "format \(report.formatName)", sourceLocation: sourceLocation)
    let video = report.primaryVideo
    #expect(video?.codecName == "h264", sourceLocation: sourceLocation)
    #expect(
        video?.width == width && video?.height == height, "\(String(describing: video))", sourceLocation: sourceLocation
    )
    #expect(
        abs((report.duration ?? 0) - seconds) < 0.25, "duration \(String(describing: report.duration))",
        sourceLocation: sourceLocation)
}

/// sha256sum of bytes (written to a temp file first).
func sha256Digest(of data: Data) async throws -> String {
    let dir = try TemporaryDirectory("sha")
    let path = try dir.write(data, to: "blob")
    return try await SHA256Sum.hash(path)
}

/// The repository's `Resources/NAME`, parsed.
func repoResourceJSON(_ name: String) throws -> [String: Any] {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path
    guard let data = fileBytes(path), let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TestSupportError("cannot read \(path)")
    }
    return object
}

/// The repository's `Resources/NAME`, raw.
func repoResourceBytes(_ name: String) throws -> Data {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path
    guard let data = fileBytes(path) else { throw TestSupportError("cannot read \(path)") }
    return data
}

/// The rates of the default model from `Resources/pricing.json`.
struct PricingOracle {
    let perSecond: [String: Double]
    let estimated: Set<String>
    let perMillionOutput: Double
    let perMillionInput: Double

    init(model: String = "gemini-omni-1.1-flash") throws {
        let table = try repoResourceJSON("pricing.json")
        guard let entry = table[model] as? [String: Any] else { throw TestSupportError("no \(model) in pricing.json") }
        perSecond = (entry["usd_per_second"] as? [String: Any] ?? [:]).compactMapValues { JSONNumbers.double($0) }
        estimated = Set(entry["estimated_resolutions"] as? [String] ?? [])
        perMillionOutput = JSONNumbers.double(entry["usd_per_million_output_tokens"]) ?? .nan
        perMillionInput = JSONNumbers.double(entry["usd_per_million_input_tokens"]) ?? .nan
    }

    /// USD for a usage object, rounded to 6 decimals as turns record it.
    func usd(usage: [String: Any]) -> Double {
        let output = JSONNumbers.double(usage["total_output_tokens"]) ?? 0
        let input = JSONNumbers.double(usage["total_input_tokens"]) ?? 0
        let raw = output * perMillionOutput / 1_000_000 + input * perMillionInput / 1_000_000
        return (raw * 1_000_000).rounded() / 1_000_000
    }

    func estimate(_ resolution: String, seconds: Int) -> Double {
        ((perSecond[resolution] ?? .nan) * Double(seconds) * 1_000_000).rounded() / 1_000_000
    }
}

/// Makes a small test clip with ffmpeg (a lavfi source, H.264, no audio unless asked).
@discardableResult
func makeTestClip(_ path: String, seconds: Double, size: String = "64x48", rate: Int = 10, tone: Double? = nil)
    async throws
    -> String
{
    var arguments = ["-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)"]
    if let tone { arguments += ["-f", "lavfi", "-i", "sine=frequency=\(tone):sample_rate=48000"] }
    arguments += ["-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if tone != nil { arguments += ["-c:a", "aac", "-shortest"] }
    try await Tool.check("ffmpeg", arguments + [path])
    return path
}

/// Whether `haystack` contains the UTF-8 bytes of `needle`.
func dataContains(_ haystack: Data, _ needle: String) -> Bool {
    haystack.range(of: Data(needle.utf8)) != nil
}

/// A 2 s lossless-noise clip just over the model's inline part limit, so that
/// a request must upload it through the Files API.
func makeClipOverInlineLimit(_ path: String) async throws -> String {
    let limits = try repoResourceJSON("model-limits.json")["gemini-omni-1.1-flash"] as? [String: Any] ?? [:]
    let inlineLimit = try #require(JSONNumbers.int64(limits["inline_part_max_bytes"]))
    try await Tool.check(
        "ffmpeg",
        [
            "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=24,noise=alls=100:allf=t",
            "-t", "2", "-c:v", "libx264", "-crf", "0", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path,
        ])
    let size = Int64(try #require(fileStatus(path)).st_size)
    try #require(size > inlineLimit, "the clip is only \(size) bytes")
    return path
}
