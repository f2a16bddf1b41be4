import Foundation

/// A bounded queue of decoded luma planes from one decoding thread to the
/// thread comparing them, so decoding runs ahead by a few frames at most.
final class FrameChannel: @unchecked Sendable {
    // @unchecked: `items` and `closed` are only touched under `condition`.

    /// What a decoding thread sends.
    enum Item: Sendable {
        /// Facts about the clip, sent first.
        case opened(ClipFacts)
        case frame(LumaPlane)
        case end
        case failed(MediaError)
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Waits for room and appends; false once the reader has closed the channel.
    @discardableResult
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !closed { condition.wait() }
        if closed { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Waits for the next item.
    func take() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Tells the writer to stop: its pending and later puts return false.
    func close() {
        condition.lock()
        closed = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}

/// What the comparison needs to know about one clip.
struct ClipFacts: Sendable {
    var duration: Double?
    var frameRate: Double?
    var width: Int
    var height: Int
    /// When the first video frame is shown, in seconds from the file's start
    /// time; the planes' times count from it.
    var videoStart: Double = 0
}
