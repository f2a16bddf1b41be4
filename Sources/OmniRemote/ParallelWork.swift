import Foundation

/// Runs numbered jobs on a bounded set of threads.
///
/// Transfers block in libcurl or in disk I/O, so they run on their own
/// threads rather than Swift's cooperative pool. The first failure stops
/// further jobs from starting and is rethrown once running ones finish.
public enum ParallelWork {
    /// Calls `body(0..<count)` with at most `workers` calls running at once.
    public static func run(_ count: Int, workers: Int, _ body: @Sendable (Int) throws -> Void) throws {
        guard count > 0 else { return }
        let threads = max(1, min(workers, count))
        if threads == 1 {
            for index in 0..<count { try body(index) }
            return
        }
        let state = SharedState()
        withoutActuallyEscaping(body) { job in
            let group = DispatchGroup()
            for _ in 0..<threads {
                group.enter()
                let thread = Thread {
                    defer { group.leave() }
                    while let index = state.next(limit: count) {
                        do { try job(index) } catch { state.fail(error) }
                    }
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            // Every thread has returned before `job` goes out of scope.
            group.wait()
        }
        if let error = state.error { throw error }
    }

    private final class SharedState: @unchecked Sendable {
        // @unchecked: every field is only touched under `lock`.
        private let lock = NSLock()
        private var counter = 0
        private var firstError: (any Error)?

        func next(limit: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard firstError == nil, counter < limit else { return nil }
            counter += 1
            return counter - 1
        }

        func fail(_ error: any Error) {
            lock.lock()
            if firstError == nil { firstError = error }
            lock.unlock()
        }

        var error: (any Error)? {
            lock.lock()
            defer { lock.unlock() }
            return firstError
        }
    }
}
