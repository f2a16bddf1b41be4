import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An S3-compatible server on 127.0.0.1 for tests: moto in server mode,
/// started once per test process and killed when it exits.
///
/// moto answers `PreconditionFailed` to a wrong `If-Match` and to a second
/// `If-None-Match: *`, so compare-and-swap is exercised for real. S3 applies
/// those conditions atomically; moto checks and then writes without a lock, so
/// two racing writers could both win there. Its writes (PUT, POST, DELETE) are
/// therefore served one at a time, which gives the tests S3's semantics. It
/// does not check signatures; the signer is checked against the AWS test
/// vectors.
public enum RemoteServer {
    /// The endpoint, such as `http://127.0.0.1:41234`.
    public static func endpoint() async throws -> String {
        try await MotoProcess.shared.endpoint()
    }

    /// Creates a fresh bucket and returns its name.
    public static func makeBucket(_ label: String = "t") async throws -> String {
        let base = try await endpoint()
        let name =
            "omni-\(label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20))-\(UUID().uuidString.prefix(8).lowercased())"
        let script = "import urllib.request as u; print(u.urlopen(u.Request('\(base)/\(name)', method='PUT')).status)"
        let result = try await RunningProcess.run("python3", ["-c", script], timeout: 30)
        guard result.stdout.hasPrefix("200") else {
            throw TestSupportError("cannot create bucket \(name) on moto:\n\(result)")
        }
        return name
    }

    /// The environment an omnistore process needs to reach the server.
    /// The secret is a marker tests look for in output and files.
    public static func environment() async throws -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": "AKIDOMNISTORETEST",
            "AWS_SECRET_ACCESS_KEY": secretMarker,
            "AWS_SESSION_TOKEN": tokenMarker,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": try await endpoint(),
        ]
    }

    /// The secret key tests use; it must never appear in output or files.
    public static let secretMarker = "sEcReT-never-print-me-4f1e"
    /// The session token tests use; it must never appear in output or files.
    public static let tokenMarker = "ToKeN-never-print-me-9c2a"

    /// Flips one byte in the middle of an object on the server, through
    /// boto3 (which moto brings along).
    public static func corrupt(bucket: String, key: String) async throws {
        let environment = try await self.environment()
        let script = """
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                              aws_access_key_id="AKIDOMNISTORETEST", aws_secret_access_key=sys.argv[2])
            body = bytearray(s3.get_object(Bucket=sys.argv[3], Key=sys.argv[4])["Body"].read())
            body[len(body) // 2] ^= 0xFF
            s3.put_object(Bucket=sys.argv[3], Key=sys.argv[4], Body=bytes(body))
            """
        let result = try await RunningProcess.run(
            "python3", ["-c", script, environment["AWS_ENDPOINT_URL"] ?? "", secretMarker, bucket, key], timeout: 60)
        guard result.succeeded else { throw TestSupportError("cannot corrupt \(key):\n\(result)") }
    }
}

extension RemoteServer {
    /// Appends `count` bytes to an object on the server, so that it is longer
    /// than the records that name it say.
    public static func lengthen(bucket: String, key: String, by count: Int) async throws {
        let environment = try await self.environment()
        let script = """
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                              aws_access_key_id="AKIDOMNISTORETEST", aws_secret_access_key=sys.argv[2])
            body = s3.get_object(Bucket=sys.argv[3], Key=sys.argv[4])["Body"].read()
            s3.put_object(Bucket=sys.argv[3], Key=sys.argv[4], Body=body + b"\\0" * int(sys.argv[5]))
            """
        let result = try await RunningProcess.run(
            "python3", ["-c", script, environment["AWS_ENDPOINT_URL"] ?? "", secretMarker, bucket, key, String(count)],
            timeout: 60)
        guard result.succeeded else { throw TestSupportError("cannot lengthen \(key):\n\(result)") }
    }
}

actor MotoProcess {
    static let shared = MotoProcess()
    private var started: Task<String, any Error>?
    nonisolated(unsafe) static var pid: Int32 = 0

    func endpoint() async throws -> String {
        if let started { return try await started.value }
        let task = Task.detached { () async throws -> String in try await MotoProcess.start() }
        started = task
        return try await task.value
    }

    private static func start() async throws -> String {
        let check = try await RunningProcess.run("python3", ["-c", "import moto.server"], timeout: 60)
        if !check.succeeded {
            // CI installs it; a developer machine may not have it yet.
            let install = try await RunningProcess.run(
                "python3", ["-m", "pip", "install", "-q", "moto[server]"], timeout: 600)
            guard install.succeeded else {
                throw TestSupportError(
                    "moto is not installed and pip could not install it: run 'python3 -m pip install \"moto[server]\"'\n\(install)"
                )
            }
        }
        let port = try freePort()
        // moto, plus a watchdog thread that ends it when the test process is
        // gone, even if that process was killed before its atexit ran.
        let script = """
            import os, threading, time
            parent = os.getppid()
            def watch():
                while os.getppid() == parent:
                    time.sleep(0.5)
                os._exit(0)
            threading.Thread(target=watch, daemon=True).start()
            os.environ.setdefault("MOTO_PORT", "\(port)")
            from moto.server import DomainDispatcherApplication, create_backend_app
            from werkzeug.serving import run_simple
            app = DomainDispatcherApplication(create_backend_app)
            writes = threading.Lock()
            def one_write_at_a_time(environ, start_response):
                if environ["REQUEST_METHOD"] in ("PUT", "POST", "DELETE"):
                    with writes:
                        return list(app(environ, start_response))
                return app(environ, start_response)
            run_simple("127.0.0.1", \(port), one_write_at_a_time, threaded=True)
            """
        let process = try RunningProcess("python3", ["-c", script], timeout: 3600)
        pid = process.pid
        atexit { if MotoProcess.pid > 0 { kill(MotoProcess.pid, SIGKILL) } }
        let endpoint = "http://127.0.0.1:\(port)"
        for _ in 0..<200 {
            if process.hasFinished { throw TestSupportError("moto exited at once:\n\(await process.wait())") }
            if canConnect(port) { return endpoint }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw TestSupportError("moto did not start listening on \(endpoint) within 10 s")
    }

    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("cannot find a free port") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func canConnect(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
