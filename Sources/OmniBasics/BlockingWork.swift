import Foundation

/// One step of long work seen from async code: a progress event, or the result.
public enum Progress<Event: Sendable, Output: Sendable>: Sendable {
    case event(Event)
    case finished(Output)
}

/// Runs blocking work (SQLite, FFmpeg, libcurl, file I/O) on a thread of its
/// own, so that it never occupies one of the few threads of Swift's
/// cooperative pool, and hands its result, and its progress, to async code.
public enum BlockingWork {
    /// Runs `body` on a new thread and waits for it without blocking the caller's thread.
    ///
    /// `body` is given a stop check that turns true once the awaiting task is
    /// cancelled; work that can stop at a safe point polls it.
    public static func run<Output: Sendable>(
        _ body: @escaping @Sendable (_ shouldStop: @escaping @Sendable () -> Bool) throws -> Output
    ) async throws -> Output {
        let stop = Locked(false)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
                start(stop: { stop.value }) { continuation.resume(with: Result { try body { stop.value } }) }
            }
        } onCancel: {
            stop.withValue { $0 = true }
        }
    }

    /// Runs `body` on a new thread; its events, then its result, arrive as a
    /// stream. When the consumer stops listening (its task is cancelled, or it
    /// breaks out of the loop), `body`'s stop check turns true.
    public static func stream<Event: Sendable, Output: Sendable>(
        _ body:
            @escaping @Sendable (
                _ emit: @escaping @Sendable (Event) -> Void, _ shouldStop: @escaping @Sendable () -> Bool
            ) throws -> Output
    ) -> AsyncThrowingStream<Progress<Event, Output>, any Error> {
        AsyncThrowingStream { continuation in
            let stop = Locked(false)
            continuation.onTermination = { _ in stop.withValue { $0 = true } }
            start(stop: { stop.value }) {
                do {
                    let output = try body({ continuation.yield(.event($0)) }, { stop.value })
                    continuation.yield(.finished(output))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// The stop check of the blocking work running on this thread (false
    /// outside one): how code far below the call, such as `ParallelWork`,
    /// learns that the awaiting task was cancelled.
    package static var currentStopCheck: @Sendable () -> Bool {
        guard let box = Thread.current.threadDictionary[stopKey] as? StopCheck else { return { false } }
        return box.check
    }

    private static let stopKey = "omnistore.BlockingWork.stop"

    private final class StopCheck: Sendable {
        let check: @Sendable () -> Bool
        init(_ check: @escaping @Sendable () -> Bool) { self.check = check }
    }

    private static func start(stop: @escaping @Sendable () -> Bool, _ work: @escaping @Sendable () -> Void) {
        let thread = Thread {
            Thread.current.threadDictionary[stopKey] = StopCheck(stop)
            work()
        }
        // Generations and transfers spend their time waiting; 8 MiB keeps
        // FFmpeg's and SQLite's deeper call chains safe on a non-main thread.
        thread.stackSize = 8 << 20
        thread.start()
    }
}
