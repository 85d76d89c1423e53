import Foundation
import Logging
import RedlineFeed
import RedlineState
import RedlineWatcher

/// The pipeline thread's loop: settle, handle, keep systemd informed. Made and run on that thread only.
final class Loop {
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
    private lazy var metrics = MetricsTextfile(
        dataDirectory: pipeline.config.dataDir, since: pipeline.feed.lastSeq, logger: logger)

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
        let holdFile = ProcessInfo.processInfo.environment["REDLINE_TEST_HOLD_PIPELINE"]
        pipeline.checkpoint = { [unowned self] in
            keepAlive()
            if let interruptAfter, pipeline.recordsWritten >= interruptAfter, !inbox.stopRequested {
                inbox.push(.stop)
            }
            return inbox.stopRequested
        }
        // The watcher walks every root while the state catches up with the feed, and the startup scan compares
        // each directory it lists with the store as it goes: the tree is read once, as `git status` reads it.
        let walks = pipeline.config.roots.map { ($0, watcher.beginRoot($0.path)) }
        try pipeline.catchUpState()
        // Before the scan writes anything: the archive's counts are those of the store as it is now.
        try pipeline.archive?.start(state: pipeline.state)
        // Counts from here: the records of the startup reconciliation too.
        pipeline.appended = { [metrics] in metrics.appended($0) }
        // Background work waits for the scan, which has both cores to itself (a cold start of a large tree): the
        // daemon opened the feed with compression held, and the archive counts after the scan if it must.
        var stopped = false
        for (root, walk) in walks {
            if !stopped { stopped = try pipeline.reconcile(root, walk: walk) }
            watched(root, walk.result)
        }
        try pipeline.archive?.scanned(state: pipeline.settledState())
        pipeline.feed.releaseCompression()
        if inbox.stopRequested {
            logger.notice("stopped during the startup reconciliation; the rest is compared at the next start")
        }
        // Ready means able to classify: a diff must never wait for the word lists once the daemon is ready
        // (from the compiled copy this takes milliseconds; the first start ever builds it from the lists).
        _ = pipeline.lexicon.value
        notifier.notify("READY=1\nSTATUS=\(status())")
        logger.info(
            "watching \(pipeline.config.roots.map(\.path).joined(separator: ", "))",
            metadata: ["feed.seq": "\(pipeline.feed.lastSeq)", "feed.dir": "\(pipeline.feed.directory)"])
        // STATUS= is refreshed at most every 5 s, and only after records were written: an idle daemon wakes
        // for nothing but the watchdog (and the rescan timer, if one is configured).
        var nextStatus: ContinuousClock.Instant?
        var statusRecords = pipeline.recordsWritten
        var nextRescan = rescanInterval.map { ContinuousClock.now + $0 }
        var nextMetrics = updateMetrics()
        while true {
            let watchdogDue = notifier.watchdogInterval.map { lastWatchdog + $0 }
            let deadline = [settler.nextDeadline, watchdogDue, nextStatus, nextRescan, nextMetrics].compactMap { $0 }
                .min()
            var stopping = false
            // A test hook: while this file exists the pipeline takes nothing, so a test can make it fall behind
            // the kernel at will instead of racing it.
            if let hold = holdFile { while FileManager.default.fileExists(atPath: hold) { usleep(20_000) } }
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
                try pipeline.finishStateWrites()
                pipeline.archive?.save(state: pipeline.state)
                try pipeline.feed.close()
                logger.info("stopped", metadata: ["feed.seq": "\(pipeline.feed.lastSeq)"])
                return
            }
            let due = settler.due(at: .now)
            metrics.overflowed(due.count { $0 == .overflow })
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
            nextMetrics = updateMetrics()
            if nextStatus == nil && pipeline.recordsWritten != statusRecords { nextStatus = now + .seconds(5) }
            if let due = nextStatus, now >= due {
                notifier.notify("STATUS=\(status())")
                statusRecords = pipeline.recordsWritten
                nextStatus = nil
            }
        }
    }

    /// Writes `DATA/metrics/redline.prom` if a figure changed; the time to look again, or nil (idle).
    private func updateMetrics() -> ContinuousClock.Instant? {
        metrics.update(
            watches: watcher.watchedDirectories, watchLimitReached: watcher.limitReached,
            durableSeq: pipeline.feed.durableSeq, syncLatency: pipeline.feed.syncLatency, now: .now)
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
        watched(root, Result { () throws(WatchError) -> Int in try watcher.addRoot(root.path) })
    }

    /// Takes in how watching `root` went: a root that is not there is awaited, a partly watched one rescanned.
    private func watched(_ root: RootConfig, _ result: Result<Int, WatchError>) {
        do {
            let count = try result.get()
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
