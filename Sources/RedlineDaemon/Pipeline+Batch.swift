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
        for record in written {
            logger.debug(
                "\(record.type.rawValue) \(record.path)",
                metadata: ["feed.seq": "\(record.seq)", "article.path": "\(record.root)/\(record.path)"])
        }
        pending.removeAll(keepingCapacity: true)
        touches.removeAll(keepingCapacity: true)
        overlay.removeAll(keepingCapacity: true)
        rejectedOverlay.removeAll(keepingCapacity: true)
        // The records are durable in the feed already; a store that cannot take them yet waits (full disk)
        // and then takes exactly these updates, so it ends where the feed is.
        let (feedID, lastSeq) = (feed.feedID, feed.lastSeq)
        try retryingStateWrites { try state.apply(updates, feedID: feedID, lastSeq: lastSeq) }
    }

}
