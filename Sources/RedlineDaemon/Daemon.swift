import Foundation
import Logging
import RedlineFeed
import RedlineState
import RedlineWatcher
import ServiceLifecycle
import UnixSignals

/// `redline run`: the watcher, the pipeline and systemd's notify protocol, as one `Service`.
///
/// Threads: libinotifytools runs on the watcher's own thread; the pipeline (settle, read, diff,
/// feed append, state update) runs on one dedicated thread because it blocks on disk I/O and
/// `fdatasync`, which must not stall Swift's cooperative pool. Events, SIGHUP and shutdown reach
/// the pipeline through an `Inbox`.
public final class Daemon: Service, Sendable {
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

    /// Opens the feed and state, reconciles, reports ready, and runs until graceful shutdown or cancellation.
    ///
    /// Only awaits: the pipeline thread opens the feed (recovery, `fdatasync`), the watcher (which may spin
    /// for its library) and the state store (`quick_check`), so no blocking work runs on Swift's cooperative
    /// pool. SIGHUP is read by a child task of this one and ends with it. A full disk under the state store
    /// is waited out in-process (``DiskSpaceWait``), not thrown.
    ///
    /// - Throws: `DaemonError` (`.unavailable` when another process holds the feed, `.io` when a
    ///   write or `fdatasync` fails: the process must exit non-zero so systemd restarts it).
    public func run() async throws {
        let inbox = Inbox(capacity: config.eventQueueCapacity, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { inbox.push(.reload) }
            }
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                        let thread = Thread {
                            do {
                                try self.runPipeline(inbox: inbox)
                                continuation.resume()
                            } catch {
                                continuation.resume(throwing: error)
                            }
                        }
                        thread.name = "redline-pipeline"
                        thread.start()
                    }
                } onGracefulShutdown: {
                    inbox.push(.stop)
                }
            } onCancel: {
                inbox.push(.stop)
            }
            group.cancelAll()
        }
    }

    /// The pipeline thread's work: open the feed, the watcher and the state store, then run the loop until
    /// shutdown.
    private func runPipeline(inbox: Inbox) throws {
        // On a new data directory a missing root is a mistake in the config; once the feed has a history, it
        // is a root that vanished (or is not mounted yet) and is waited for, as a root lost while running.
        if !FileManager.default.fileExists(atPath: config.dataDir + "/feed/" + "feed.id") { try config.checkRoots() }
        let feed: FeedWriter
        do {
            feed = try FeedWriter(directory: config.dataDir + "/feed", options: config.feed, logger: logger)
        } catch {
            let code: DaemonError.Code =
                switch error.code {
                case .locked: .unavailable
                case .corrupt: .damaged
                default: .io
                }
            throw DaemonError(code, error.description, errno: error.errno)
        }
        let watcher: InotifyWatcher
        do {
            // Events go straight from the inotify thread into the bounded inbox; those that arrive while we
            // reconcile wait there and are settled afterwards.
            watcher = try InotifyWatcher(logger: logger, onEvent: { inbox.push(.event($0)) })
        } catch {
            throw DaemonError(.io, error.description, errno: error.errno)
        }
        defer { watcher.stop() }
        let space = DiskSpaceWait(inbox: inbox, notifier: notifier, logger: logger)
        do {
            // On a full disk the open waits for space, and SIGTERM still ends the wait.
            let state = try Self.openState(config.dataDir + "/state/redline.sqlite", logger: logger, space: space)
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
    static func openState(_ path: String, logger: Logger, space: DiskSpaceWait? = nil) throws(DaemonError)
        -> StateStore
    {
        var opened: StateStore?
        let attempt = { () throws in
            do throws(StateError) {
                opened = try StateStore(path: path)
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
        } catch {
            throw DaemonError(.io, "\(error)")
        }
        guard let opened else { throw DaemonError(.io, "state store \(path): cannot open") }
        return opened
    }
}

/// How the daemon waits while the state store's disk is full, instead of exiting into a restart loop.
///
/// The feed is the source of truth and already holds every record the store missed, so waiting loses
/// nothing: the failed write is retried with backoff (1 s doubling to 15 s) until it succeeds, and
/// changes that arrive meanwhile stay queued and are recorded afterwards. One log line starts the wait,
/// then at most one a minute; the watchdog keeps being pinged; a shutdown request ends the wait with
/// `DaemonError` `.stopped`.
final class DiskSpaceWait: Sendable {
    private let inbox: Inbox
    private let notifier: SystemdNotifier
    private let logger: Logger
    private static let longestDelay = Duration.seconds(15)
    private static let logInterval = Duration.seconds(60)

    init(inbox: Inbox, notifier: SystemdNotifier, logger: Logger) {
        self.inbox = inbox
        self.notifier = notifier
        self.logger = logger
    }

    /// Runs `write` until it does not fail for a full disk; other errors pass through.
    /// - Throws: `DaemonError` `.stopped` when shutdown is requested while waiting.
    func retrying(_ write: () throws -> Void) throws {
        var delay = Duration.seconds(1)
        var started: ContinuousClock.Instant?
        var lastLine = ContinuousClock.now
        while true {
            do {
                try write()
                if let started {
                    let waited = started.duration(to: .now).components.seconds
                    logger.notice("disk space is back after \(waited) s; recording what changed meanwhile")
                    notifier.notify("STATUS=disk space is back")
                }
                return
            } catch let error as StateError where error.code == .diskFull {
                let now = ContinuousClock.now
                let line =
                    "state store \(error.path): the disk is full; free disk space on its file system. Redline waits "
                    + "and retries, and records every change once there is room"
                if started == nil {
                    started = now
                    lastLine = now
                    logger.error("\(line)", metadata: ["state.path": "\(error.path)"])
                    notifier.notify("STATUS=waiting for disk space: \(error.path)")
                } else if lastLine.duration(to: now) >= Self.logInterval {
                    lastLine = now
                    let waited = started.map { $0.duration(to: now).components.seconds } ?? 0
                    logger.error("still waiting after \(waited) s: \(line)", metadata: ["state.path": "\(error.path)"])
                }
                if pause(delay) {
                    throw DaemonError(.stopped, "stopped while waiting for disk space for \(error.path)")
                }
                delay = min(delay * 2, Self.longestDelay)
            }
        }
    }

    /// Sleeps for `delay`, pinging the watchdog; true when shutdown was requested.
    private func pause(_ delay: Duration) -> Bool {
        let end = ContinuousClock.now + delay
        while true {
            var until = end
            if let watchdog = notifier.watchdogInterval { until = min(end, .now + watchdog / 2) }
            if inbox.waitForStop(until: until) { return true }
            if notifier.watchdogInterval != nil { notifier.notify("WATCHDOG=1") }
            if ContinuousClock.now >= end { return false }
        }
    }
}

/// What the pipeline thread is told.
enum Input: Sendable {
    case event(WatchEvent)
    case reload
    case stop
}

/// A blocking, bounded mailbox for the pipeline thread.
///
/// At most `capacity` watch events wait in it. When the pipeline is that far behind, newer events are
/// dropped and the next ``take(until:)`` ends with one synthetic `.overflow`: the pipeline rescans every
/// root, as after a kernel queue overflow, so memory stays bounded and nothing is lost (the kernel's
/// own queue, `fs.inotify.max_queued_events`, is handled the same way). Reloads and stops are never dropped.
final class Inbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Input] = []
    private var events = 0
    private var dropped = 0
    private var stopping = false
    private let capacity: Int
    private let logger: Logger

    init(capacity: Int = 100_000, logger: Logger = Logger(label: "redline.inbox")) {
        self.capacity = capacity
        self.logger = logger
    }

    /// Whether `.stop` was pushed (a long reconciliation checks this between files).
    var stopRequested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Adds an input and wakes the pipeline; a watch event past the capacity is dropped (and rescanned for).
    func push(_ input: Input) {
        condition.lock()
        defer { condition.unlock() }
        switch input {
        case .stop: stopping = true
        case .event:
            guard events < capacity else {
                if dropped == 0 {
                    logger.warning(
                        """
                        the pipeline is \(capacity) events behind (event_queue); dropping newer events and \
                        rescanning every root once it catches up
                        """)
                }
                dropped += 1
                return
            }
            events += 1
        case .reload: break
        }
        items.append(input)
        condition.signal()
    }

    /// Waits until `.stop` is pushed or `deadline` passes, leaving whatever else arrives queued.
    /// - Returns: whether shutdown was requested.
    func waitForStop(until deadline: ContinuousClock.Instant) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !stopping {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { break }
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) * 1e-18
            _ = condition.wait(until: Date().addingTimeInterval(seconds))
        }
        return stopping
    }

    /// Everything queued, waiting until something arrives or `deadline` passes.
    func take(until deadline: ContinuousClock.Instant?) -> [Input] {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty {
            guard let deadline else {
                condition.wait()
                continue
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { break }
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) * 1e-18
            if !condition.wait(until: Date().addingTimeInterval(seconds)) { break }
        }
        var taken = items
        items.removeAll(keepingCapacity: true)
        events = 0
        if dropped > 0 {
            // After every event that was kept: the rescan sees the tree as it is by then.
            taken.append(.event(WatchEvent(kind: .overflow, path: "", isDirectory: false)))
            dropped = 0
        }
        return taken
    }
}

/// The pipeline thread's loop: settle, handle, keep systemd informed.
final class Loop: @unchecked Sendable {
    private let pipeline: Pipeline
    private let watcher: InotifyWatcher
    private let inbox: Inbox
    private let notifier: SystemdNotifier
    private let reload: @Sendable () throws(DaemonError) -> DaemonConfig
    private let setLogLevel: @Sendable (String) -> Void
    private let logger: Logger
    private var settler: Settler
    /// Roots whose watches are incomplete (watch limit): rescanned periodically.
    private var partiallyWatched: Set<String> = []
    private var lastWatchdog = ContinuousClock.now
    private var recentRecords: [(ContinuousClock.Instant, Int)] = []

    init(
        pipeline: Pipeline, watcher: InotifyWatcher, inbox: Inbox, notifier: SystemdNotifier,
        reload: @escaping @Sendable () throws(DaemonError) -> DaemonConfig,
        setLogLevel: @escaping @Sendable (String) -> Void, logger: Logger
    ) {
        self.pipeline = pipeline
        self.watcher = watcher
        self.inbox = inbox
        self.notifier = notifier
        self.reload = reload
        self.setLogLevel = setLogLevel
        self.logger = logger
        settler = Settler(settle: .milliseconds(pipeline.config.settleMilliseconds))
    }

    private var rescanInterval: Duration? {
        let seconds = pipeline.config.rescanIntervalSeconds
        if seconds > 0 { return .seconds(seconds) }
        // The watch limit was hit at start (partiallyWatched) or later for a new directory.
        return partiallyWatched.isEmpty && !watcher.limitReached
            ? nil : .seconds(pipeline.config.limitRescanIntervalSeconds)
    }

    func run() throws {
        // A test hook: a stop request once this many records are written during the startup scan, so the
        // interrupted-start test interrupts at a checkpoint instead of racing a signal against a big tree.
        let interruptAfter = ProcessInfo.processInfo.environment["REDLINE_TEST_INTERRUPT_STARTUP_AFTER"].flatMap {
            Int($0)
        }
        pipeline.checkpoint = { [unowned self] in
            keepAlive()
            if let interruptAfter, pipeline.recordsWritten >= interruptAfter, !inbox.stopRequested {
                inbox.push(.stop)
            }
            return inbox.stopRequested
        }
        try pipeline.catchUpState()
        for root in pipeline.config.roots { watch(root) }
        try pipeline.reconcile(pipeline.config.roots, reason: nil)
        if inbox.stopRequested {
            logger.notice("stopped during the startup reconciliation; the rest is compared at the next start")
        }
        notifier.notify("READY=1\nSTATUS=\(status())")
        logger.info(
            "watching \(pipeline.config.roots.map(\.path).joined(separator: ", "))",
            metadata: ["feed.seq": "\(pipeline.feed.lastSeq)", "feed.dir": "\(pipeline.feed.directory)"])
        var nextStatus = ContinuousClock.now + .seconds(5)
        var nextRescan = rescanInterval.map { ContinuousClock.now + $0 }
        while true {
            let watchdogDue = notifier.watchdogInterval.map { lastWatchdog + $0 }
            let deadline = [settler.nextDeadline, watchdogDue, nextStatus, nextRescan].compactMap { $0 }.min()
            var stopping = false
            for input in inbox.take(until: deadline) {
                switch input {
                case .event(let event): settler.observe(event, at: .now)
                case .reload: try reloadConfig()
                case .stop: stopping = true
                }
            }
            if stopping {
                notifier.notify("STOPPING=1")
                // Settle nothing further: what the kernel told us so far is handled before we go.
                try pipeline.handle(settler.due(at: .now + .seconds(86_400)))
                try pipeline.feed.close()
                logger.info("stopped", metadata: ["feed.seq": "\(pipeline.feed.lastSeq)"])
                return
            }
            let due = settler.due(at: .now)
            if !due.isEmpty { try pipeline.handle(due) }
            let now = ContinuousClock.now
            if nextRescan == nil, let interval = rescanInterval { nextRescan = now + interval }
            if let nextDue = nextRescan, now >= nextDue {
                try pipeline.reconcile(
                    pipeline.config.roots,
                    reason: partiallyWatched.isEmpty && !watcher.limitReached
                        ? "periodic rescan (rescan_interval_s)" : "periodic rescan: the inotify watch limit is reached")
                nextRescan = rescanInterval.map { ContinuousClock.now + $0 }
            }
            keepAlive()
            if now >= nextStatus {
                notifier.notify("STATUS=\(status())")
                nextStatus = now + .seconds(5)
            }
        }
    }

    /// Pings systemd's watchdog from the pipeline's own loop, so a stuck pipeline gets restarted.
    private func keepAlive() {
        guard let interval = notifier.watchdogInterval else { return }
        if lastWatchdog.duration(to: .now) >= interval {
            notifier.notify("WATCHDOG=1")
            lastWatchdog = .now
        }
    }

    private func watch(_ root: RootConfig) {
        do {
            let count = try watcher.addRoot(root.path)
            logger.debug("watching \(count) directories", metadata: ["root": "\(root.path)"])
            partiallyWatched.remove(root.path)
        } catch  where error.code == .notFound || error.code == .notADirectory {
            // A root that vanished while the daemon was down is a lost root, not a reason to stop recording
            // the others: its articles get `deleted` records, and it is watched again when it comes back.
            logger.error(
                """
                watched root \(root.path) is not a directory now; its articles are recorded as deleted, and it is \
                watched again as soon as a directory is at \(root.path) again
                """, metadata: ["root": "\(root.path)"])
            watcher.awaitRoot(root.path)
        } catch {
            logger.error(
                "\(error); rescanning \(root.path) every \(pipeline.config.limitRescanIntervalSeconds) s instead")
            partiallyWatched.insert(root.path)
        }
    }

    private func reloadConfig() throws {
        let next: DaemonConfig
        do {
            next = try reload()
        } catch {
            logger.error("reload refused, the running configuration stays in force: \(error)")
            return
        }
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds())")
        let old = pipeline.config
        if next.dataDir != old.dataDir {
            logger.warning(
                "data_dir changes take effect at the next restart", metadata: ["data_dir": "\(next.dataDir)"])
        }
        if next.feed != old.feed {
            try pipeline.reopenFeed(options: next.feed)
            logger.info("feed options applied", metadata: ["feed.fsync": "\(next.feed.fsync)"])
        }
        setLogLevel(next.logLevel)
        var applied = next
        applied.dataDir = old.dataDir
        let oldPaths = Set(old.roots.map(\.path))
        let newPaths = Set(next.roots.map(\.path))
        for root in old.roots where !newPaths.contains(root.path) {
            watcher.removeRoot(root.path)
            partiallyWatched.remove(root.path)
            logger.info("no longer watching \(root.path)")
        }
        pipeline.apply(config: applied)
        settler = Settler(settle: .milliseconds(applied.settleMilliseconds))
        let added = applied.roots.filter { !oldPaths.contains($0.path) }
        for root in added {
            guard ArticleFile.stat(root.path)?.isDirectory == true else {
                logger.error("cannot watch \(root.path): no such directory; create it, then reload again")
                continue
            }
            watch(root)
            logger.info("now watching \(root.path)")
        }
        // Globs may have changed for kept roots too: reconcile everything that is watched.
        try pipeline.reconcile(applied.roots.filter { ArticleFile.stat($0.path)?.isDirectory == true }, reason: nil)
        notifier.notify("READY=1\nSTATUS=\(status())")
    }

    private func status() -> String {
        let now = ContinuousClock.now
        recentRecords.append((now, pipeline.recordsWritten))
        recentRecords.removeAll { $0.0.duration(to: now) > .seconds(60) }
        let perMinute = pipeline.recordsWritten - (recentRecords.first?.1 ?? pipeline.recordsWritten)
        let articles = (try? pipeline.state.count()) ?? 0
        return "watching \(articles) articles, last seq \(pipeline.feed.lastSeq), \(perMinute) records/min"
    }

    private func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}
