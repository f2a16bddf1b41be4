import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `Tests/HostileS3/hostile_s3.py`: a proxy in front of moto that answers
/// the GETs whose path matches a pattern with a body that never ends.
public final class HostileS3: @unchecked Sendable {
    // @unchecked: the process handle is only used to stop the proxy.
    public let endpoint: String
    private let process: RunningProcess
    private let directory: TemporaryDirectory

    static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HostileS3/hostile_s3.py").path

    /// Starts the proxy; GETs of paths matching `endless` never end.
    public init(endless: String) async throws {
        directory = try TemporaryDirectory("hostile-s3")
        let portFile = directory.file("port")
        process = try RunningProcess(
            "python3",
            [
                Self.scriptPath, "--upstream", try await RemoteServer.endpoint(), "--port-file", portFile, "--endless",
                endless,
            ],
            in: directory.path, environment: ["PYTHONDONTWRITEBYTECODE": "1"], timeout: 600)
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if let text = fileBytes(portFile).map({ String(decoding: $0, as: UTF8.self) }),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                endpoint = "http://127.0.0.1:\(port)"
                return
            }
            if process.hasFinished { throw TestSupportError("the hostile S3 proxy exited:\n\(await process.wait())") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        process.send(SIGKILL)
        throw TestSupportError("the hostile S3 proxy wrote no port file within 90 s")
    }

    deinit { process.send(SIGKILL) }
}
