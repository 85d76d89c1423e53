import Foundation
import RedlineDiff
import RedlineFeed

/// Reads, hashes and decodes the files a reconciliation will look at, a bounded window ahead on a second
/// thread, so the pipeline thread spends its time on records, the feed and the state store: a cold start
/// of a large tree uses both cores (issue 11).
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
    /// Files read so far (the worker's next index).
    private var produced = 0
    private var cancelled = false
    /// Bytes read and not yet taken.
    private var readyBytes = 0
    /// Whether the worker waits for room, and the pipeline for an item: each side wakes the other only then,
    /// and the worker only once half the window is free again, so a cold start of 100,000 files is not
    /// 200,000 wake-ups and context switches (they were a fifth of its CPU).
    private var workerWaits = false
    private var takerWaits = false
    private static let window = 64
    /// At most this much read ahead (64 files of up to `max_file_bytes` each could otherwise be 640 MiB).
    private static let byteBudget = 32 << 20

    /// Starts reading `paths` in order, at most 64 files and 32 MiB ahead of what was taken.
    init(paths: [String], maxBytes: Int) {
        let thread = Thread { [self] in self.work(paths, maxBytes: maxBytes) }
        thread.name = "redline-prefetch"
        thread.start()
    }

    private var full: Bool { produced - consumed >= Self.window || (readyBytes >= Self.byteBudget && !ready.isEmpty) }

    private func work(_ paths: [String], maxBytes: Int) {
        for (index, path) in paths.enumerated() {
            condition.lock()
            while full && !cancelled {
                workerWaits = true
                condition.wait()
            }
            workerWaits = false
            let stop = cancelled
            condition.unlock()
            if stop { return }
            let read = ArticleFile.read(path, maxBytes: maxBytes)
            var item = Item(read: read)
            if case .bytes(let bytes, _) = read {
                item.sha256 = Digest.sha256Hex(bytes)
                item.text = Result { () throws(DecodeError) -> String in try ArticleText.decode(bytes) }
            }
            condition.lock()
            ready[index] = item
            produced = index + 1
            readyBytes += item.size
            if takerWaits { condition.broadcast() }
            condition.unlock()
        }
    }

    /// The item for `paths[index]`, waiting for the worker if it is not read yet. Take them in order.
    func take(_ index: Int) -> Item {
        condition.lock()
        defer { condition.unlock() }
        while ready[index] == nil {
            takerWaits = true
            condition.wait()
        }
        takerWaits = false
        consumed = index + 1
        let item = ready.removeValue(forKey: index)!
        readyBytes -= item.size
        if workerWaits && (produced - consumed <= Self.window / 2 || readyBytes < Self.byteBudget / 2 || ready.isEmpty)
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
