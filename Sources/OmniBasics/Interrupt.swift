internal import CPosix

/// Ctrl-C, as a request to stop rather than a kill.
///
/// Long work (a generation, a resume) asks ``requested`` between steps and
/// at least every 50 ms while it waits, and stops where the store stays
/// consistent: a started interaction stays pending, an unanswered create is
/// kept as an attempt. A second Ctrl-C exits at once with status 130.
public enum Interrupt {
    /// Installs the SIGINT handler; until then Ctrl-C kills the process as usual.
    public static func catchSignal() { cposix_catch_interrupt() }

    /// Whether Ctrl-C came since ``catchSignal()``.
    public static var requested: Bool { cposix_interrupted() != 0 }

    /// Runs `operation` as a task that Ctrl-C cancels (checked every 50 ms),
    /// so an async API's own cancellation is what stops the work.
    public static func cancelling<Output: Sendable>(
        _ operation: @escaping @Sendable () async throws -> Output
    ) async throws -> Output {
        catchSignal()
        let work = Task { try await operation() }
        let watcher = Task {
            while !Task.isCancelled {
                if requested {
                    work.cancel()
                    return
                }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        defer { watcher.cancel() }
        return try await work.value
    }
}
