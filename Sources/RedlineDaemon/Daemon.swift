import Foundation
import Logging
import RedlineFeed
import RedlineState
import RedlineWatcher

/// `redline run`: the watcher, the pipeline and systemd's notify protocol.
///
/// Threads, and no others: libinotifytools runs on the watcher's own thread; the pipeline (settle, read, diff,
/// feed append, state update) runs on the caller's; signals are taken by one thread in `sigwaitinfo`; the feed
/// gzips sealed segments on one of its own. Events, SIGHUP and shutdown reach the pipeline through an `Inbox`.
///
/// The daemon uses neither Swift concurrency nor libdispatch queues, unlike the rest of the command (and
/// swift-service-lifecycle, whose graceful shutdown this reproduces): on Linux the first worker either of them
/// starts arms libdispatch's one-second workqueue monitor for the life of the process, and an idle daemon must
/// not wake at all (issue 11).
public final class Daemon: Sendable {
    private let config: DaemonConfig
    private let reload: @Sendable () throws(DaemonError) -> DaemonConfig
    private let setLogLevel: @Sendable (String) -> Void
    private let logger: Logger
    private let notifier = SystemdNotifier()

    /// Creates the daemon.
    /// - Parameters:
    ///   - config: the configuration to start with.
    ///   - reload: reads the configuration again on SIGHUP (the file plus command-line overrides).
    ///   - setLogLevel: applies a reloaded `log_level` to the process's log handler.
    ///   - logger: where the daemon logs.
    public init(
        config: DaemonConfig, reload: @escaping @Sendable () throws(DaemonError) -> DaemonConfig,
        setLogLevel: @escaping @Sendable (String) -> Void = { _ in }, logger: Logger
    ) {
        self.config = config
        self.reload = reload
        self.setLogLevel = setLogLevel
        self.logger = logger
    }

    /// Opens the feed and state, reconciles, reports ready, and runs on the calling thread until SIGTERM or SIGINT
    /// (a graceful stop: the batch is committed, the feed closed cleanly) or a fatal error.
    ///
    /// Call it before any other thread of the process is started: it blocks SIGTERM, SIGINT and SIGHUP in the
    /// calling thread, so every thread started after inherits the mask and only the signal thread takes them.
    /// SIGHUP reloads the configuration. A stop that takes longer than `shutdownBudget` (below the unit's
    /// `TimeoutStopSec`) exits the process with status 1 instead of waiting for systemd's SIGKILL.
    ///
    /// - Throws: `DaemonError` (`.unavailable` when another process holds the feed, `.io` when a
    ///   write or `fdatasync` fails: the process must exit non-zero so systemd restarts it).
    public func run(shutdownBudget: Duration = .seconds(20)) throws {
        let inbox = Inbox(capacity: config.eventQueueCapacity, logger: logger)
        SignalThread.start(inbox: inbox, shutdownBudget: shutdownBudget, logger: logger)
        try runPipeline(inbox: inbox)
    }

    /// The pipeline thread's work: open the feed, the watcher and the state store, then run the loop until
    /// shutdown.
    private func runPipeline(inbox: Inbox) throws {
        // On a new data directory a missing root is a mistake in the config; once the feed has a history, it
        // is a root that vanished (or is not mounted yet) and is waited for, as a root lost while running.
        let data = DataDirectory(config.dataDir)
        if !data.hasFeed { try config.checkRoots() }
        let feed: FeedWriter
        do {
            feed = try FeedWriter(directory: data.feed, options: config.feed, logger: logger, holdingCompression: true)
        } catch {
            let code: DaemonError.Code =
                switch error.code {
                case .locked: .unavailable
                case .corrupt: .damaged
                default: .io
                }
            throw DaemonError(code, feed: error)
        }
        let watcher: InotifyWatcher
        do {
            // Events go straight from the inotify thread into the bounded inbox; those that arrive while we
            // reconcile wait there and are settled afterwards.
            watcher = try InotifyWatcher(logger: logger, onEvent: { inbox.push(.event($0)) })
        } catch {
            throw DaemonError(.io, watch: error)
        }
        defer { watcher.stop() }
        let space = DiskSpaceWait(inbox: inbox, notifier: notifier, logger: logger)
        do {
            // On a full disk the open waits for space, and SIGTERM still ends the wait.
            // quick_check reads the whole store: only worth it when the last stop was not clean.
            let state = try Self.openState(
                data.stateStore, logger: logger, space: space,
                verify: !feed.recovery.cleanShutdown)
            let pipeline = Pipeline(config: config, feed: feed, state: state, logger: logger)
            pipeline.retryingStateWrites = space.retrying
            try Loop(
                pipeline: pipeline, watcher: watcher, inbox: inbox, notifier: notifier, reload: reload,
                setLogLevel: setLogLevel, logger: logger
            ).run()
        } catch let error as DaemonError where error.code == .stopped {
            // Every record is in the feed; the state store is behind it and is rebuilt from it at the next start.
            notifier.notify("STOPPING=1")
            try feed.close()
            logger.notice(
                "\(error.message); the state store catches up from the feed at the next start",
                metadata: ["feed.seq": "\(feed.lastSeq)"])
        }
    }

    /// Opens the state store; a corrupt one is moved aside and rebuilt from the feed.
    ///
    /// A full disk is not corruption: with `space`, the open waits for space (the store is kept);
    /// without, it fails with the state store's message.
    static func openState(_ path: String, logger: Logger, space: DiskSpaceWait? = nil, verify: Bool = true)
        throws(DaemonError)
        -> StateStore
    {
        var opened: StateStore?
        let attempt = { () throws in
            do throws(StateError) {
                opened = try StateStore(path: path, verify: verify)
            } catch let error where error.code == .diskFull {
                throw error
            } catch {
                logger.warning("\(error); moving it aside and rebuilding it from the feed")
                let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
                for suffix in ["", "-wal", "-shm"] { rename(path + suffix, aside + suffix) }
                opened = try StateStore(path: path)
            }
        }
        do {
            if let space { try space.retrying(attempt) } else { try attempt() }
        } catch let error as DaemonError {
            throw error
        } catch let error as StateError {
            throw DaemonError(.io, state: error)
        } catch {
            throw DaemonError(.io, "state store \(path): \(error)", path: path)
        }
        guard let opened else { throw DaemonError(.io, "state store \(path): cannot open") }
        return opened
    }
}
