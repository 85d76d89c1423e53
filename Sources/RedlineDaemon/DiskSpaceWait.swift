import Foundation
import Logging
import RedlineState

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
