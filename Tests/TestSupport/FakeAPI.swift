import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// One process of `Tests/FakeInteractions/fake_interactions.py`, a strict
/// loopback fake of the Gemini Interactions API, owned by one test.
///
/// The server is stopped (SIGKILL) when the value is dropped; it also stops
/// by itself after `--max-seconds`, so a crashed test run leaves nothing behind.
public final class FakeAPI: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init.
    public let port: Int
    public let apiKey: String
    public let stateDirectory: TemporaryDirectory
    private let process: RunningProcess

    /// `http://127.0.0.1:PORT`, what `GOOGLE_GEMINI_BASE_URL` should be.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The fake's script, beside this file's folder.
    public static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("FakeInteractions/fake_interactions.py").path

    /// A key no test output could contain by accident.
    public static func distinctiveKey() -> String {
        "AIzaFAKE-\(UUID().uuidString.lowercased())-k3y"
    }

    /// Starts a fake server and waits until it listens.
    ///
    /// - Parameter options: extra command-line options (`--polls-per-status 3`, …).
    public init(apiKey: String = FakeAPI.distinctiveKey(), options: [String] = [], maxSeconds: Int = 300) async throws {
        self.apiKey = apiKey
        stateDirectory = try TemporaryDirectory("fakeapi")
        let portFile = stateDirectory.file("port")
        let state = try stateDirectory.makeDirectory("state")
        process = try RunningProcess(
            "python3",
            [
                FakeAPI.scriptPath, "--port", "0", "--port-file", portFile, "--state-dir", state, "--api-key", apiKey,
                "--max-seconds", String(maxSeconds),
            ] + options,
            in: stateDirectory.path, environment: ["PYTHONDONTWRITEBYTECODE": "1"], timeout: Double(maxSeconds) + 30)
        // Generous: on two loaded cores, with dozens of suites starting fakes
        // at once, a Python start-up has been seen to take over 20 s.
        let deadline = Date().addingTimeInterval(90)
        var found: Int? = nil
        while Date() < deadline {
            if let text = fileBytes(portFile).map({ String(decoding: $0, as: UTF8.self) }), text.hasSuffix("\n"),
                let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                found = value
                break
            }
            if process.hasFinished {
                let result = await process.wait()
                throw TestSupportError("the fake API exited before listening:\n\(result)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        guard let found else {
            process.send(SIGKILL)
            throw TestSupportError("the fake API wrote no port file within 90 s")
        }
        port = found
    }

    // SIGKILL, not SIGTERM: the test runner starts children from threads that
    // block most signals, and the fake inherits that mask, so a SIGTERM would
    // wait until --max-seconds.
    deinit {
        process.send(SIGKILL)
    }

    /// Stops the server now and waits for it.
    public func stop() async {
        process.send(SIGKILL)
        _ = await process.wait()
    }

    /// The environment that points omnistore at this server with fast polling.
    /// Both key variables are set, so nothing from the test runner's shell leaks in.
    public func environment(pollInterval: Double = 0.05) -> [String: String] {
        [
            "GOOGLE_API_KEY": apiKey, "GEMINI_API_KEY": "", "GOOGLE_GEMINI_BASE_URL": baseURL,
            "GOOGLE_GENAI_API_VERSION": "", "OMNISTORE_POLL_INTERVAL": String(pollInterval), "OMNISTORE_PRICING": "",
        ]
    }

    // MARK: - Admin API

    /// One logged (non-admin) request.
    public struct Request: @unchecked Sendable, CustomStringConvertible {
        // @unchecked: `json` holds JSONSerialization values, never mutated.
        public let seq: Int
        public let time: Double
        public let method: String
        public let path: String
        public let query: [String: String]
        public let headers: [String: String]
        public let bodyBytes: Int
        /// The parsed JSON body, if it was JSON.
        public let json: Any?
        /// The HTTP status sent, nil when a `close` fault sent nothing.
        public let status: Int?
        public let fault: String?

        public var jsonObject: [String: Any] { json as? [String: Any] ?? [:] }

        /// A header by case-insensitive name.
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }

        /// Whether this is a create (`POST /{v}/interactions`).
        public var isCreate: Bool {
            method == "POST" && path.range(of: #"^/v1(beta)?/interactions$"#, options: .regularExpression) != nil
        }

        public var description: String {
            "#\(seq) \(method) \(path) \(query) -> \(status.map(String.init) ?? "none")\(fault.map { " [fault \($0)]" } ?? "")"
        }

        init(_ raw: [String: Any]) {
            seq = JSONNumbers.int(raw["seq"]) ?? -1
            time = JSONNumbers.double(raw["time"]) ?? 0
            method = raw["method"] as? String ?? ""
            path = raw["path"] as? String ?? ""
            query = (raw["query"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
            headers = (raw["headers"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
            bodyBytes = JSONNumbers.int(raw["body_bytes"]) ?? 0
            json = raw["json"]
            status = JSONNumbers.int(raw["status"])
            fault = raw["fault"] as? String
        }
    }

    /// Every logged request, oldest first.
    public func requests(since: Int = 0) async throws -> [Request] {
        let root = try await admin("GET", "/_admin/requests?since=\(since)")
        guard let items = root["requests"] as? [[String: Any]] else {
            throw TestSupportError("the fake's request log has no requests array")
        }
        return items.map(Request.init)
    }

    /// The creates (`POST /{v}/interactions`) that were logged, oldest first.
    public func creates() async throws -> [Request] {
        try await requests().filter(\.isCreate)
    }

    /// The fake's internal view of its interactions.
    public func interactions() async throws -> [[String: Any]] {
        let root = try await admin("GET", "/_admin/interactions")
        return root["interactions"] as? [[String: Any]] ?? []
    }

    /// Queues a fault (`kind`, `method`, `path` regex, `count`, …).
    public func fault(_ body: [String: Any]) async throws {
        _ = try await admin("POST", "/_admin/faults", body: body)
    }

    /// Lets every request held by a `hold` fault go on.
    public func release() async throws {
        _ = try await admin("POST", "/_admin/release")
    }

    /// Drops every queued fault.
    public func clearFaults() async throws {
        _ = try await admin("DELETE", "/_admin/faults")
    }

    /// Makes the next `count` creates end as `outcome` (safety, novideo, error, ok).
    public func outcome(_ outcome: String, count: Int = 1) async throws {
        _ = try await admin("POST", "/_admin/outcomes", body: ["outcome": outcome, "count": count])
    }

    /// Makes an interaction expire now.
    public func expire(interaction id: String) async throws {
        _ = try await admin("POST", "/_admin/interactions/\(id)/expire")
    }

    /// Changes the server's options (`polls_per_status`, …).
    @discardableResult
    public func configure(_ body: [String: Any]) async throws -> [String: Any] {
        try await admin("POST", "/_admin/config", body: body)
    }

    /// Clears the request log.
    public func clearRequests() async throws {
        _ = try await admin("DELETE", "/_admin/requests")
    }

    /// Calls the admin API and returns its JSON object.
    public func admin(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> [String: Any] {
        let (status, data) = try await call(
            method, path, body: body.map { try JSONSerialization.data(withJSONObject: $0) })
        guard (200..<300).contains(status) else {
            throw TestSupportError("admin \(method) \(path) gave \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// A call to the public API with the key (for oracles: reading an
    /// interaction or a file as the server has it). It is logged like any other.
    public func api(_ method: String, _ path: String) async throws -> (status: Int, body: Data) {
        try await call(method, path, body: nil, headers: ["x-goog-api-key": apiKey])
    }

    private func call(_ method: String, _ path: String, body: Data?, headers: [String: String] = [:]) async throws
        -> (Int, Data)
    {
        guard let url = URL(string: baseURL + path) else { throw TestSupportError("bad URL \(path)") }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 60)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = FakeAPI.session
        return try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: TestSupportError("\(method) \(path): \(error)"))
                    return
                }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                continuation.resume(returning: (status, data ?? Data()))
            }.resume()
        }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        configuration.urlCache = nil
        return URLSession(configuration: configuration)
    }()
}
