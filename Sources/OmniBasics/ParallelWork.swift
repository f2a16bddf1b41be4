import Foundation

/// Runs numbered jobs on a bounded set of threads.
///
/// Transfers block in libcurl or in disk I/O, so they run on their own
/// threads rather than Swift's cooperative pool. The first failure stops
/// further jobs from starting and is rethrown once running ones finish.
/// Inside ``BlockingWork``, a cancelled task also stops further jobs from
/// starting, with `CancellationError`: a push, pull or clone stops between
/// files, and running it again does only what is left.
package enum ParallelWork {
    /// Calls `body(0..<count)` with at most `workers` calls running at once.
    package static func run(_ count: Int, workers: Int, _ body: @Sendable (Int) throws -> Void) throws {
        guard count > 0 else { return }
        let stop = BlockingWork.currentStopCheck
        let threads = max(1, min(workers, count))
        if threads == 1 {
            for index in 0..<count {
                if stop() { throw CancellationError() }
                try body(index)
            }
            return
        }
        try withoutActuallyEscaping(body) { job in
            let state = SharedState(job: job, count: count, stop: stop)
            let group = DispatchGroup()
            for _ in 0..<threads {
                group.enter()
                let thread = Thread {
                    while state.runNext() {}
                    group.leave()
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            group.wait()
            // Every call has returned; drop the last reference to `job`
            // before it goes out of scope.
            state.clear()
            if let error = state.error { throw error }
        }
    }

    private final class SharedState: @unchecked Sendable {
        // @unchecked: every field is only touched under `lock`; `job` is
        // called outside it, from one thread per call.
        private let lock = NSLock()
        private var job: (@Sendable (Int) throws -> Void)?
        private let count: Int
        private var counter = 0
        private var firstError: (any Error)?

        private let stop: @Sendable () -> Bool

        init(job: @escaping @Sendable (Int) throws -> Void, count: Int, stop: @escaping @Sendable () -> Bool) {
            self.job = job
            self.count = count
            self.stop = stop
        }

        /// Runs the next job; false when there is none left (or one failed).
        func runNext() -> Bool {
            lock.lock()
            guard firstError == nil, counter < count, let job else {
                lock.unlock()
                return false
            }
            if stop() {
                firstError = CancellationError()
                lock.unlock()
                return false
            }
            let index = counter
            counter += 1
            lock.unlock()
            do {
                try job(index)
            } catch {
                lock.lock()
                if firstError == nil { firstError = error }
                lock.unlock()
            }
            return true
        }

        func clear() {
            lock.lock()
            job = nil
            lock.unlock()
        }

        var error: (any Error)? {
            lock.lock()
            defer { lock.unlock() }
            return firstError
        }
    }
}
