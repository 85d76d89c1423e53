import Logging
import RedlineFeed

/// `redline replay --rebuild-state`: recreates the state store from the feed alone.
public enum StateRebuild {
    /// Rebuilds `dataDir/state/redline.sqlite` from `dataDir/feed`.
    ///
    /// Takes the feed's writer lock for the duration, so it refuses (naming the holder's pid)
    /// while a daemon runs on the same data directory.
    /// - Returns: how many live articles the store holds afterwards, and the feed's last seq.
    public static func run(dataDir: String, logger: Logger) throws(DaemonError) -> (articles: Int, lastSeq: UInt64) {
        guard ArticleFile.stat(dataDir + "/feed/feed.id") != nil else {
            throw DaemonError(
                .config, "no feed in \(dataDir)/feed: point --feed at the daemon's DATA/feed directory")
        }
        let feed: FeedWriter
        do {
            feed = try FeedWriter(directory: dataDir + "/feed", options: FeedOptions(), logger: logger)
        } catch {
            throw DaemonError(error.code == .locked ? .unavailable : .io, error.description, errno: error.errno)
        }
        let state = try Daemon.openState(dataDir + "/state/redline.sqlite", logger: logger)
        do {
            try Pipeline.rebuild(state: state, fromFeed: feed.directory, feedID: feed.feedID)
            let result = (try state.count(), feed.lastSeq)
            try feed.close()
            return result
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(.io, "cannot rebuild \(dataDir)/state from the feed: \(error)")
        }
    }
}
