import Logging
import RedlineFeed
import RedlineState

/// `redline replay --rebuild-state`: recreates the state store from the feed alone.
public enum StateRebuild {
    /// Rebuilds `dataDir/state/redline.sqlite` from `dataDir/feed`.
    ///
    /// Takes the feed's writer lock for the duration, so it refuses (naming the holder's pid)
    /// while a daemon runs on the same data directory.
    /// - Returns: how many live articles the store holds afterwards, and the feed's last seq.
    public static func run(dataDir: String, logger: Logger) throws(DaemonError) -> (articles: Int, lastSeq: UInt64) {
        let data = DataDirectory(dataDir)
        guard data.hasFeed else {
            throw DaemonError(
                .config, "no feed in \(dataDir)/feed: point --feed at the daemon's DATA/feed directory")
        }
        let feed: FeedWriter
        do {
            feed = try FeedWriter(directory: data.feed, options: FeedOptions(), logger: logger)
        } catch {
            throw DaemonError(error.code == .locked ? .unavailable : .io, feed: error)
        }
        let state = try Daemon.openState(data.stateStore, logger: logger)
        do {
            try rebuild(state: state, fromFeed: feed.directory, feedID: feed.feedID)
            let result = (try state.count(), feed.lastSeq)
            try feed.close()
            return result
        } catch let error as DaemonError {
            throw error
        } catch let error as FeedError {
            throw DaemonError(.io, feed: error)
        } catch let error as StateError {
            throw DaemonError(.io, state: error)
        } catch {
            throw DaemonError(.io, "cannot rebuild \(dataDir)/state from the feed: \(error)", path: dataDir)
        }
    }

    /// Rebuilds `state` from every record of the feed in `directory` (also `replay --rebuild-state`).
    static func rebuild(state: StateStore, fromFeed directory: String, feedID: String) throws {
        // After retention the fold starts at the snapshot that replaced the deleted segments.
        var (history, since) = try FeedSnapshot.start(directory: directory, feedID: feedID)
        var lastSeq: UInt64 = since - 1
        // Streamed one record at a time: a feed can be far larger than memory.
        let cursor = try FeedReader(directory: directory).cursor(since: since)
        while let raw = try cursor.next() {
            try history.apply(raw.decode())
            lastSeq = raw.seq
        }
        var old: [Pipeline.Key: ArticleState] = [:]
        if try state.position().feedID == feedID {
            for article in try state.articles() { old[Pipeline.Key(root: article.root, path: article.path)] = article }
        }
        var updates: [StateUpdate] = []
        for (key, version) in history.articles {
            let previous = old[Pipeline.Key(root: key.root, path: key.path)]
            let keep = previous?.sha256 == version.sha256
            updates.append(
                .upsert(
                    ArticleState(
                        root: key.root, path: key.path, inode: keep ? previous!.inode : 0,
                        size: Int64(version.text.utf8.count), mtimeNs: keep ? previous!.mtimeNs : 0,
                        ctimeNs: keep ? previous!.ctimeNs : 0, sha256: version.sha256, text: version.text,
                        lastSeq: version.seq)))
        }
        try state.reset()
        try state.apply(updates, feedID: feedID, lastSeq: lastSeq)
    }
}

extension Pipeline {
    /// Brings the state store up to the feed: rebuilds it from the feed when it is behind, from
    /// another feed, or ahead (a feed restored from backup). Stat data of unchanged articles is kept.
    func catchUpState() throws {
        _ = try settledState()
        try retryingStateWrites { try catchUpStateOnce() }
    }

    private func catchUpStateOnce() throws {
        let position = try state.position()
        // After a cut or a repair the feed's last seq may equal the store's and still name another record.
        let feedChanged = feed.recovery.cut != nil || feed.recovery.repaired
        if position.feedID == feed.feedID && position.lastSeq == feed.lastSeq && !feedChanged { return }
        if position.feedID == nil && position.lastSeq == 0 && feed.lastSeq == 0 {
            // A new feed and a new store: nothing to rebuild, just bind the store to this feed.
            return try state.apply([], feedID: feed.feedID, lastSeq: 0)
        }
        logger.notice(
            "rebuilding the state store from the feed",
            metadata: [
                "state.seq": "\(position.lastSeq)", "feed.seq": "\(feed.lastSeq)",
                "state.path": "\(state.path)",
            ])
        try StateRebuild.rebuild(state: state, fromFeed: feed.directory, feedID: feed.feedID)
        // Articles whose history passes through a lost seq are not in the rebuilt store, so reconciling
        // gives each of them a full-text record again.
        if feed.recovery.repaired { try feed.acknowledgeRepair() }
    }
}
