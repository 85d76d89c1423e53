import Foundation
import Logging
import RedlineDiff
import RedlineFeed
import RedlinePOSIX

/// The daemon's figures in `DATA/metrics/redline.prom`, for `redline serve`'s `/metrics` (the daemon has no
/// network): node_exporter's textfile-collector convention, written whole to a temp file and renamed over the
/// old one, so a reader sees the previous figures or the new ones, never half.
///
/// Records by type and class are counted from the records the pipeline appended (``appended(_:at:)``), and
/// only once the feed says they are durable, the rule every reader of the feed follows. They used to be read
/// back from the feed and decoded again, which took a third of the daemon's CPU at 3,000 edits/s (issue 11).
/// The `fdatasync` latency comes from the feed writer, which times its own syncs (``SyncLatency``); the loop
/// hands a copy over. The loop calls ``update(watches:watchLimitReached:durableSeq:syncLatency:now:)`` after
/// each turn; the file is rewritten only when a figure changed, at most every ``interval``, so an idle daemon
/// is never woken for it: the returned time is nil unless figures are waiting for their write (or records for
/// their `fdatasync`).
final class MetricsTextfile {
    /// The fewest seconds between two writes.
    static let interval: Duration = .seconds(5)

    /// The file, `DATA/metrics/redline.prom`.
    let path: String
    private let logger: Logger
    /// Records appended but not yet durable, oldest first: counted once the feed's durable seq reaches them.
    private var waiting: [Appended] = []
    private var figures = Figures()
    private var written: Figures?
    private var nextWrite = ContinuousClock.now
    private let watchLimit: Int?

    /// Every figure the file holds; equal figures are not written again.
    struct Figures: Equatable {
        var watches = 0
        var watchLimitReached = false
        var overflows = 0
        var records: [RecordType: Int] = [:]
        var changes: [ChangeClass: Int] = [:]
        var lastSeq: UInt64 = 0
        /// Seconds from the last record's append to when it was counted durable: how far the output lags.
        var lagSeconds: Double = 0
        /// The feed writer's `fdatasync` latency since it was opened.
        var syncLatency = SyncLatency()
    }

    /// What one appended record adds to the figures.
    private struct Appended {
        var seq: UInt64
        var type: RecordType
        var classes: [ChangeClass]
        var at: Date
    }

    /// Counts the records appended from now on; `since` is the feed's last seq when the daemon starts.
    init(dataDirectory: String, since: UInt64, logger: Logger) {
        path = dataDirectory + "/metrics/redline.prom"
        self.logger = logger
        figures.lastSeq = since
        watchLimit = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_user_watches", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A queue overflow the watcher reported.
    func overflowed(_ count: Int) { figures.overflows += count }

    /// Records the pipeline appended (with their seqs), to count once they are durable.
    func appended(_ records: [FeedRecord], at time: Date = Date()) {
        for record in records {
            waiting.append(
                Appended(seq: record.seq, type: record.type, classes: record.changes?.map(\.class) ?? [], at: time))
        }
    }

    /// Counts the records durable by now and writes the file if a figure changed and the last write is old enough.
    /// - Parameter durableSeq: the feed's last durable seq (``FeedWriter/durableSeq``).
    /// - Returns: when to call again (a write waiting for ``interval``, or records not durable yet); nil: only
    ///   after the next event.
    func update(
        watches: Int, watchLimitReached: Bool, durableSeq: UInt64, syncLatency: SyncLatency,
        now: ContinuousClock.Instant
    ) -> ContinuousClock.Instant? {
        figures.watches = watches
        figures.watchLimitReached = watchLimitReached
        figures.syncLatency = syncLatency
        count(through: durableSeq)
        let again = waiting.isEmpty ? nil : now + .seconds(1)
        guard figures != written else { return again }
        guard now >= nextWrite else { return min(nextWrite, again ?? nextWrite) }
        write()
        nextWrite = now + Self.interval
        return again
    }

    private func count(through durableSeq: UInt64) {
        let durable = waiting.prefix { $0.seq <= durableSeq }
        guard let last = durable.last else { return }
        for record in durable {
            figures.records[record.type, default: 0] += 1
            for change in record.classes { figures.changes[change, default: 0] += 1 }
        }
        figures.lastSeq = last.seq
        figures.lagSeconds = max(0, Date().timeIntervalSince(last.at))
        waiting.removeFirst(durable.count)
    }

    /// The text exposition format of `figures`.
    static func render(_ f: Figures, watchLimit: Int?) -> String {
        var out = """
            # HELP redline_inotify_watches Directories the daemon watches with inotify.
            # TYPE redline_inotify_watches gauge
            redline_inotify_watches \(f.watches)

            """
        if let watchLimit {
            out += """
                # HELP redline_inotify_watches_limit The kernel's fs.inotify.max_user_watches.
                # TYPE redline_inotify_watches_limit gauge
                redline_inotify_watches_limit \(watchLimit)

                """
        }
        out += """
            # HELP redline_inotify_watch_limit_reached 1 while some directory is unwatched for the watch limit.
            # TYPE redline_inotify_watch_limit_reached gauge
            redline_inotify_watch_limit_reached \(f.watchLimitReached ? 1 : 0)
            # HELP redline_inotify_overflows_total Kernel event queue overflows since the daemon started.
            # TYPE redline_inotify_overflows_total counter
            redline_inotify_overflows_total \(f.overflows)
            # HELP redline_rescans_total Rescans of the trees (rescan records) since the daemon started.
            # TYPE redline_rescans_total counter
            redline_rescans_total \(f.records[.rescan] ?? 0)
            # HELP redline_rejected_files_total Files refused (rejected records) since the daemon started.
            # TYPE redline_rejected_files_total counter
            redline_rejected_files_total \(f.records[.rejected] ?? 0)
            # HELP redline_feed_records_total Records appended to the feed since the daemon started, by type.
            # TYPE redline_feed_records_total counter

            """
        for type in RecordType.allCases {
            out += "redline_feed_records_total{type=\"\(type.rawValue)\"} \(f.records[type] ?? 0)\n"
        }
        out += """
            # HELP redline_feed_changes_total Classified edits in the records since the daemon started, by class.
            # TYPE redline_feed_changes_total counter

            """
        for c in ChangeClass.allCases {
            out += "redline_feed_changes_total{class=\"\(c.rawValue)\"} \(f.changes[c] ?? 0)\n"
        }
        out += """
            # HELP redline_feed_last_seq The seq of the last durable record counted.
            # TYPE redline_feed_last_seq gauge
            redline_feed_last_seq \(f.lastSeq)
            # HELP redline_pipeline_lag_seconds From the last record's append to when the daemon counted it durable.
            # TYPE redline_pipeline_lag_seconds gauge
            redline_pipeline_lag_seconds \(String(format: "%.3f", f.lagSeconds))
            # HELP redline_feed_fdatasync_seconds How long the feed's fdatasync calls took (one per group commit).
            # TYPE redline_feed_fdatasync_seconds histogram

            """
        let latency = f.syncLatency
        for (bound, count) in zip(SyncLatency.bounds.map { "\($0)" } + ["+Inf"], latency.cumulative) {
            out += "redline_feed_fdatasync_seconds_bucket{le=\"\(bound)\"} \(count)\n"
        }
        out += "redline_feed_fdatasync_seconds_sum \(String(format: "%.6f", latency.sumSeconds))\n"
        out += "redline_feed_fdatasync_seconds_count \(latency.count)\n"
        return out
    }

    /// Temp file, then rename: node_exporter's rule, so a reader never sees a half-written file.
    private func write() {
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try POSIX.replaceFile(path, with: Array(Self.render(figures, watchLimit: watchLimit).utf8))
        } catch {
            logger.warning("cannot write the metrics textfile \(path): \(error); /metrics lacks the daemon's figures")
        }
        written = figures  // a failure is not retried until a figure changes: a failing disk is logged elsewhere too
    }
}
