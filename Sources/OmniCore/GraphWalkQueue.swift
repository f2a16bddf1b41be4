/// A max-heap of turns (by seq) by generation, then by insertion order.
///
/// It holds plain integers, so walks over many turns move no reference
/// counts around while they reorder it.
struct GraphWalkQueue {
    private struct Entry {
        let generation: Int64
        let order: Int
        let seq: Int64
    }

    private var heap: [Entry] = []
    private var counter = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ seq: Int64, generation: Int64) {
        heap.append(Entry(generation: generation, order: counter, seq: seq))
        counter += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int64? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count, precedes(heap[left], heap[best]) { best = left }
            if right < heap.count, precedes(heap[right], heap[best]) { best = right }
            if best == parent { break }
            heap.swapAt(parent, best)
            parent = best
        }
        return top.seq
    }

    var peekGeneration: Int64? { heap.first?.generation }

    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.generation != b.generation ? a.generation > b.generation : a.order < b.order
    }
}
