import Logging
import RedlineDiff
import RedlineFeed
import RedlineState
import RedlineWatcher

#if canImport(Glibc)
    import Glibc
#endif

/// The batch: records and state updates built up, then appended to the feed in one write and applied to the
/// state store in the same order.
extension Pipeline {
    func emit(_ record: FeedRecord, _ updates: [StateUpdate], _ key: Key?, _ next: ArticleState?) {
        pending.append((record, updates))
        if let key { overlay[key] = .some(next) }
    }

    /// Appends the batch to the feed, then applies it to the state store.
    func commit() throws {
        guard !pending.isEmpty || !touches.isEmpty else { return }
        let written = try feed.append(pending.map(\.record))
        var updates: [StateUpdate] = []
        for (index, entry) in pending.enumerated() {
            for update in entry.updates {
                if case .upsert(var article) = update {
                    article.lastSeq = written[index].seq
                    updates.append(.upsert(article))
                } else {
                    updates.append(update)
                }
            }
        }
        updates += touches
        recordsWritten += written.count
        appended(written)
        for record in written {
            logger.debug(
                "\(record.type.rawValue) \(record.path)",
                metadata: ["feed.seq": "\(record.seq)", "article.path": "\(record.root)/\(record.path)"])
        }
        pending.removeAll(keepingCapacity: true)
        touches.removeAll(keepingCapacity: true)
        archive?.changed(archiveChanges)
        archiveChanges.removeAll(keepingCapacity: true)
        // The records are durable in the feed already; a store that cannot take them yet waits (full disk)
        // and then takes exactly these updates, so it ends where the feed is.
        let (feedID, lastSeq) = (feed.feedID, feed.lastSeq)
        guard stateWritesBehind else {
            // Live edits: here, at once. Behind, each lookup of the next batch waited for the write on the one
            // SQLite connection anyway, so the hand-offs bought nothing (at 3,000 edits/s the bench saw no gain;
            // its run-to-run spread there is as large as the difference it measured).
            _ = try settledState()
            overlay.removeAll(keepingCapacity: true)
            rejectedOverlay.removeAll(keepingCapacity: true)
            return try retryingStateWrites { try self.state.apply(updates, feedID: feedID, lastSeq: lastSeq) }
        }
        // A scan: on the state writer's thread, while this one goes on; until then, `inflight` answers for the
        // articles of the batch.
        let (state, retrying, batchUpdates) = (state, retryingStateWrites, updates)
        let batch = try stateWrites.submit {
            try retrying { try state.apply(batchUpdates, feedID: feedID, lastSeq: lastSeq) }
        }
        var keys = Array(overlay.keys)
        for (key, article) in overlay { inflight[key] = (batch, article) }
        for (key, version) in rejectedOverlay {
            inflightRejected[key] = (batch, version)
            keys.append(key)
        }
        inflightBatches.append((batch, keys))
        overlay.removeAll(keepingCapacity: true)
        rejectedOverlay.removeAll(keepingCapacity: true)
        forgetApplied()
    }

    /// Drops from `inflight` what the state store has applied: the store answers for it now.
    func forgetApplied() {
        let applied = stateWrites.appliedBatch
        var done = 0
        for (batch, keys) in inflightBatches {
            guard batch <= applied else { break }
            for key in keys {
                if inflight[key]?.batch == batch { inflight[key] = nil }
                if inflightRejected[key]?.batch == batch { inflightRejected[key] = nil }
            }
            done += 1
        }
        inflightBatches.removeFirst(done)
    }

}
