import Foundation
import RedlineDiff
import RedlineFeed

/// Reads, hashes and decodes the files a reconciliation will look at, a bounded window ahead on worker
/// threads (one per core, up to four), so the pipeline thread spends its time on records, the feed and the
/// state store: a cold start of a large tree uses both cores (issue 11).
///
/// What it hands over may be a moment older than the file by the time the pipeline records it; that is
/// the same race as reading it on the pipeline thread, and the watch reports any later change.
final class Prefetcher: @unchecked Sendable {
    /// One file as the pipeline would have read it.
    struct Item: Sendable {
        var read: ArticleRead
        /// SHA-256 of the bytes, when there are bytes.
        var sha256: String?
        /// The decoded text (or why the bytes are not UTF-8 text), when there are bytes.
        var text: Result<String, DecodeError>?

        /// The bytes it holds (read and decoded), for the read-ahead budget.
        var size: Int {
            guard case .bytes(let bytes, _) = read else { return 0 }
            return 2 * bytes.count
        }
    }

    // Every field below is guarded by `condition` (`@unchecked Sendable`: a Mutex has no condition variable).
    private let condition = NSCondition()
    private var ready: [Int: Item] = [:]
    private var consumed = 0
    /// The next index a worker takes.
    private var next = 0
    private var cancelled = false
    /// Bytes read and not yet taken.
    private var readyBytes = 0
    /// How many workers wait for room, and whether the pipeline waits for an item: each side wakes the other
    /// only then, and the workers only once half the window is free again, so a cold start of 100,000 files is
    /// not 200,000 wake-ups and context switches (they were a fifth of its CPU).
    private var workersWaiting = 0
    /// The index the pipeline waits for, if it waits.
    private var takerWaitsFor: Int?
    private static let window = 64
    /// At most this much read ahead (64 files of up to `max_file_bytes` each could otherwise be 640 MiB).
    private static let byteBudget = 32 << 20
    /// Workers for a long list: reading, hashing and decoding were the longest of a cold start's threads.
    private static let workers = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))

    /// Starts reading `paths` in order, at most 64 files and 32 MiB ahead of what was taken.
    init(paths: [String], maxBytes: Int) {
        for _ in 0..<(paths.count > Self.window ? Self.workers : 1) {
            let thread = Thread { [self] in self.work(paths, maxBytes: maxBytes) }
            thread.name = "redline-prefetch"
            thread.start()
        }
    }

    private var full: Bool { next - consumed >= Self.window || (readyBytes >= Self.byteBudget && !ready.isEmpty) }

    private func work(_ paths: [String], maxBytes: Int) {
        while true {
            condition.lock()
            while full && !cancelled {
                workersWaiting += 1
                condition.wait()
                workersWaiting -= 1
            }
            guard !cancelled, next < paths.count else {
                condition.unlock()
                return
            }
            let index = next
            next += 1
            condition.unlock()
            let read = ArticleFile.read(paths[index], maxBytes: maxBytes)
            var item = Item(read: read)
            if case .bytes(let bytes, _) = read {
                item.sha256 = Digest.sha256Hex(bytes)
                item.text = Result { () throws(DecodeError) -> String in try ArticleText.decode(bytes) }
            }
            condition.lock()
            ready[index] = item
            readyBytes += item.size
            if takerWaitsFor == index { condition.broadcast() }
            condition.unlock()
        }
    }

    /// The item for `paths[index]`, waiting for the worker if it is not read yet. Take them in order.
    func take(_ index: Int) -> Item {
        condition.lock()
        defer { condition.unlock() }
        while ready[index] == nil {
            takerWaitsFor = index
            condition.wait()
        }
        takerWaitsFor = nil
        consumed = index + 1
        let item = ready.removeValue(forKey: index)!
        readyBytes -= item.size
        if workersWaiting > 0
            && (next - consumed <= Self.window / 2 || readyBytes < Self.byteBudget / 2 || ready.isEmpty)
        {
            condition.broadcast()
        }
        return item
    }

    /// Stops the worker (a reconciliation that was interrupted).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    deinit { cancel() }
}
