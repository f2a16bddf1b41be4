import Foundation
@_exported import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished child process did.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public let command: [String]
    /// The exit status, or the signal number when `signaled` is true.
    public let exitCode: Int32
    /// Whether the process was ended by a signal rather than exiting.
    public let signaled: Bool
    /// Whether the helper killed it because it ran past its timeout.
    public let timedOut: Bool
    public let stdoutData: Data
    public let stderrData: Data

    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    /// Non-empty lines of stdout.
    public var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    /// Non-empty lines of stderr.
    public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    /// Exited by itself with status 0.
    public var succeeded: Bool { exitCode == 0 && !signaled && !timedOut }
    /// Exited by itself (no signal, no timeout) with a non-zero status.
    public var failedCleanly: Bool { exitCode != 0 && !signaled && !timedOut }

    public var description: String {
        let how = timedOut ? "timed out" : signaled ? "killed by signal \(exitCode)" : "exit \(exitCode)"
        return """
            $ \(command.joined(separator: " "))
            [\(how)]
            --- stdout ---
            \(stdout.count > 4000 ? String(stdout.prefix(4000)) + "…" : stdout)
            --- stderr ---
            \(stderr.count > 4000 ? String(stderr.prefix(4000)) + "…" : stderr)
            """
    }
}

/// A child process started with Foundation's `Process`, its stdout and stderr
/// captured in files (so nothing can block on a full pipe), and killed with
/// SIGKILL if it runs past its timeout.
public final class RunningProcess: @unchecked Sendable {
    // @unchecked: the mutable state is only touched under `lock`.
    public let command: [String]
    private let process: Process
    private let outputDirectory: URL
    private let lock = NSLock()
    private var result: ProcessResult?
    private var waiters: [CheckedContinuation<ProcessResult, Never>] = []
    private var timedOut = false

    /// Variables never passed down from the test runner's environment, so a
    /// developer's shell cannot change what the tests see.
    public static let scrubbedVariables = ["OMNISTORE_DIR", "OMNISTORE_AV_LOG"]

    /// Starts `executable` (an absolute path, or a name looked up on PATH).
    public init(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = [:], timeout: Double = 120
    ) throws {
        let executablePath = try executable.hasPrefix("/") ? executable : Tool.path(executable)
        command = [executablePath] + arguments
        outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "omnistore-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let outURL = outputDirectory.appendingPathComponent("stdout")
        let errURL = outputDirectory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }

        var env = ProcessInfo.processInfo.environment
        for name in RunningProcess.scrubbedVariables { env[name] = nil }
        env.merge(environment) { _, new in new }

        process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = arguments
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.terminationHandler = { [self] finished in self.finish(finished, outURL: outURL, errURL: errURL) }
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: outputDirectory)
            throw TestSupportError("cannot start \(command.joined(separator: " ")): \(error)")
        }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let running = self.result == nil
            if running { self.timedOut = true }
            self.lock.unlock()
            if running { kill(pid, SIGKILL) }
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// When the process was seen to end (on the thread that reaps it, not
    /// when a waiting task got to run): for timing a process on a busy machine.
    public var endedAt: Date? {
        lock.lock()
        defer { lock.unlock() }
        return ended
    }
    private var ended: Date?

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end, without blocking a thread.
    public func wait() async -> ProcessResult {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(returning: result)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }

    /// Whether it has ended.
    public var hasFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return result != nil
    }

    private func finish(_ finished: Process, outURL: URL, errURL: URL) {
        let endTime = Date()
        let out = (try? Data(contentsOf: outURL)) ?? Data()
        let err = (try? Data(contentsOf: errURL)) ?? Data()
        try? FileManager.default.removeItem(at: outputDirectory)
        lock.lock()
        let value = ProcessResult(
            command: command, exitCode: finished.terminationStatus,
            signaled: finished.terminationReason == .uncaughtSignal, timedOut: timedOut,
            stdoutData: out, stderrData: err)
        result = value
        ended = endTime
        let pending = waiters
        waiters = []
        lock.unlock()
        for waiter in pending { waiter.resume(returning: value) }
    }

    /// Runs a command to completion.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = [:], timeout: Double = 120
    ) async throws -> ProcessResult {
        try await RunningProcess(executable, arguments, in: directory, environment: environment, timeout: timeout)
            .wait()
    }
}

/// Finding external tools.
public enum Tool {
    /// The absolute path of `name` on PATH.
    public static func path(_ name: String) throws -> String {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in searchPath.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw TestSupportError("'\(name)' is not on PATH: install it (apt-get install ffmpeg coreutils)")
    }

    /// Runs a tool and throws, with its output, unless it exits 0.
    @discardableResult
    public static func check(
        _ name: String, _ arguments: [String], in directory: String? = nil, timeout: Double = 120
    ) async throws -> ProcessResult {
        let result = try await RunningProcess.run(name, arguments, in: directory, timeout: timeout)
        guard result.succeeded else { throw TestSupportError("tool failed:\n\(result)") }
        return result
    }
}

/// Runs blocking work on its own thread and awaits it, so synchronous library
/// calls do not tie up Swift's cooperative thread pool.
public func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}

extension Locked {
    /// The value now (the name these tests have always used for ``value``).
    package var current: Value { value }
}
