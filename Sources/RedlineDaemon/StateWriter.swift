import Foundation
import RedlineFeed

/// Applies the state store's batches on a thread of its own, in order, behind the feed.
///
/// The store is a cache of the feed, so nothing waits for it: once a batch is durable in the feed, the
/// pipeline hands its updates here and goes on to the next one, and deflating the texts and SQLite's
/// writes run on the second core (they were half of a cold start's pipeline thread, issue 11). The
/// pipeline answers its own questions about an article from the batches still in flight (see
/// `Pipeline.inflight`) until this thread has applied them; a lookup of the store itself waits only while a
/// batch is being applied (one SQLite connection, see `StateStore`).
///
/// At most `depth` batches wait; a full disk (the write retried by ``DiskSpaceWait``) thus stops the
/// pipeline after a few batches instead of queueing the whole feed in memory. A crash with batches in
/// flight loses nothing: the store's `last_seq` says how far it got, and the next start catches up from
/// the feed, as it does after any crash.
final class StateWriter: @unchecked Sendable {
    private let worker = WorkerThread(name: "redline-state")
    /// Every field below is guarded by `condition`.
    private let condition = NSCondition()
    private var submitted = 0
    private var applied = 0
    private var failure: Error?
    private let depth: Int

    /// A writer that keeps at most `depth` batches waiting.
    init(depth: Int = 4) {
        self.depth = depth
    }

    /// The number of the last batch applied; batches are numbered from 1 in the order submitted.
    var appliedBatch: Int { condition.withLock { applied } }

    /// Queues `write`, waiting while `depth` batches wait already.
    /// - Returns: the batch's number.
    /// - Throws: the error of an earlier batch that failed: the store is then behind the feed and stays so.
    func submit(_ write: @escaping @Sendable () throws -> Void) throws -> Int {
        let batch = try condition.withLock {
            while submitted - applied >= depth && failure == nil { condition.wait() }
            if let failure { throw failure }
            submitted += 1
            return submitted
        }
        worker.async { [self] in
            let skip = condition.withLock { failure != nil }
            var error: Error?
            if !skip {
                do { try write() } catch let caught { error = caught }
            }
            condition.withLock {
                if let error, failure == nil { failure = error }
                applied = batch
                condition.broadcast()
            }
        }
        return batch
    }

    /// Waits until every batch submitted so far is applied.
    /// - Throws: the error of a batch that failed.
    func drain() throws {
        try condition.withLock {
            while applied < submitted && failure == nil { condition.wait() }
            if let failure { throw failure }
        }
    }

    /// Ends the thread after the batches queued so far.
    func stop() {
        worker.stop()
    }
}
