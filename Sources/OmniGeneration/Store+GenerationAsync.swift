import OmniBasics
import OmniCore
import OmniInteractions

/// One step of a generation seen from async code: its progress, then the stored turn.
public typealias GenerationProgress = Progress<GenerationEvent, GenerationResult>

extension Store {
    /// Generates, edits or translates (as `generate(_:client:events:shouldStop:)`),
    /// as a stream of progress events that ends with the stored turn.
    ///
    /// The work runs on a thread of its own, off Swift's cooperative pool.
    /// Cancelling the consuming task (or leaving the loop) stops it within a
    /// second, also in the middle of an HTTP transfer, at a point where the
    /// store stays consistent; the stream then throws `GenerationInterrupted`,
    /// which says what became of the request: pending (finish it with
    /// `resume(_:client:)`), or kept as an attempt that may be billed.
    ///
    /// ```swift
    /// for try await step in store.generation(options, client: client) {
    ///     switch step {
    ///     case .event(.polling(_, let status, let elapsed)): print(status, elapsed)
    ///     case .event: break
    ///     case .finished(let result): print("stored", result.record.turn.id.short)
    ///     }
    /// }
    /// ```
    public func generation(_ options: GenerationOptions, client: InteractionsClient)
        -> AsyncThrowingStream<GenerationProgress, any Error>
    {
        BlockingWork.stream { emit, shouldStop in
            try self.generate(
                options, client: client.stopping(when: shouldStop), events: emit, shouldStop: shouldStop)
        }
    }

    /// Generates, edits or translates, awaiting the stored turn; `progress`
    /// is called with each event, on the generation's own thread.
    /// Cancelling the task stops the work as `generation(_:client:)` says.
    public func generate(
        _ options: GenerationOptions, client: InteractionsClient,
        progress: @escaping @Sendable (GenerationEvent) -> Void = { _ in }
    ) async throws -> GenerationResult {
        try await BlockingWork.run { shouldStop in
            try self.generate(
                options, client: client.stopping(when: shouldStop), events: progress, shouldStop: shouldStop)
        }
    }

    /// Finishes pending interactions (one, or all), as
    /// `resume(_:client:events:shouldStop:)`, awaiting their turns.
    public func resume(
        _ id: String? = nil, client: InteractionsClient,
        progress: @escaping @Sendable (GenerationEvent) -> Void = { _ in }
    ) async throws -> [Result<GenerationResult, any Error>] {
        try await BlockingWork.run { shouldStop in
            try self.resume(id, client: client.stopping(when: shouldStop), events: progress, shouldStop: shouldStop)
        }
    }

    /// Cancels a running interaction on the server and marks it cancelled here.
    public func cancel(_ id: String, client: InteractionsClient) async throws {
        try await BlockingWork.run { _ in try self.cancel(id, client: client) }
    }
}
