import Foundation
import OmniBasics

/// The one-line progress display on stderr: transfers redrawn at most ten
/// times a second, and statuses (a generation's polling) as they come.
///
/// It draws only when stderr is a terminal, so logs and pipes stay clean.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: the mutable state is only touched under `lock`.
    private let lock = NSLock()
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    let enabled: Bool

    init(enabled: Bool = Terminal.stderrIsTTY) {
        self.enabled = enabled
    }

    func update(done: Int64, total: Int64, label: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let percent = total > 0 ? Int(Double(done) * 100 / Double(total)) : 100
        let line =
            "\(label) \(percent)% \(Formatting.bytes(done))/\(Formatting.bytes(total)) \(Formatting.rate(Double(done) / elapsed))"
        draw(line)
    }

    /// Shows a status in place of the line (`v1_abc: in_progress 12s`), at once.
    func show(_ status: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        draw(status)
    }

    /// Called with `lock` held.
    private func draw(_ line: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + Terminal.shown(line)).utf8))
        drawn = true
    }

    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
