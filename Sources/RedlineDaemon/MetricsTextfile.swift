import Foundation
import Logging
import RedlineDiff
import RedlineFeed

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's figures in `DATA/metrics/redline.prom`, for `redline serve`'s `/metrics` (the daemon has no
/// network): node_exporter's textfile-collector convention, written whole to a temp file and renamed over the
/// old one, so a reader sees the previous figures or the new ones, never half.
///
/// Records by type and class are counted from the feed itself, as any reader sees it: a cursor reads what the
/// pipeline appended since the last turn (from the page cache, only durable records). The `fdatasync` latency
/// comes from the feed writer, which times its own syncs (``SyncLatency``); the loop hands a copy over. The
/// loop calls ``update(watches:watchLimitReached:feedLastSeq:syncLatency:now:)`` after each turn; the file is
/// rewritten only when a figure changed, at most every ``interval``, so an idle daemon is never woken for it:
/// the returned time is nil unless figures are waiting for their write (or records for their `fdatasync`).
final class MetricsTextfile {
    /// The fewest seconds between two writes.
    static let interval: Duration = .seconds(5)

    /// The file, `DATA/metrics/redline.prom`.
    let path: String
    private let feedDirectory: String
    private let logger: Logger
    private var cursor: FeedCursor?
    /// The last seq counted.
    private var counted: UInt64
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
        /// Seconds between the last record's time and when it was counted: how far the pipeline's output lags.
        var lagSeconds: Double = 0
        /// The feed writer's `fdatasync` latency since it was opened.
        var syncLatency = SyncLatency()
    }

    /// Counts records after `since` (the feed's last seq when the daemon starts).
    init(dataDirectory: String, feedDirectory: String, since: UInt64, logger: Logger) {
        path = dataDirectory + "/metrics/redline.prom"
        self.feedDirectory = feedDirectory
        self.logger = logger
        counted = since
        figures.lastSeq = since
        watchLimit = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_user_watches", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A queue overflow the watcher reported.
    func overflowed(_ count: Int) { figures.overflows += count }

    /// Counts the new records and writes the file if a figure changed and the last write is old enough.
    /// - Returns: when to call again (a write waiting for ``interval``, or records not durable yet); nil: only
    ///   after the next event.
    func update(
        watches: Int, watchLimitReached: Bool, feedLastSeq: UInt64, syncLatency: SyncLatency,
        now: ContinuousClock.Instant
    ) -> ContinuousClock.Instant? {
        figures.watches = watches
        figures.watchLimitReached = watchLimitReached
        figures.syncLatency = syncLatency
        if feedLastSeq > counted { count() }
        guard figures != written else { return feedLastSeq > counted ? now + .seconds(1) : nil }
        guard now >= nextWrite else { return nextWrite }
        write()
        nextWrite = now + Self.interval
        return feedLastSeq > counted ? now + .seconds(1) : nil
    }

    private func count() {
        do throws(FeedError) {
            if cursor == nil { cursor = try FeedReader(directory: feedDirectory).cursor(since: counted + 1) }
            while let raw = try cursor?.next() {
                let record = try raw.decode()
                figures.records[record.type, default: 0] += 1
                for change in record.changes ?? [] { figures.changes[change.class, default: 0] += 1 }
                figures.lastSeq = raw.seq
                if let time = FeedReplay.parseTime(record.time) {
                    figures.lagSeconds = max(0, Date().timeIntervalSince(time))
                }
                counted = raw.seq
            }
        } catch {
            // A figure is never worth stopping the daemon for: log once per failure and start over next turn.
            logger.warning("cannot count the feed's records for \(path): \(error)")
            cursor = nil
        }
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
            # HELP redline_pipeline_lag_seconds From the last record's time to when it was counted here.
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
        let directory = (path as NSString).deletingLastPathComponent
        let temp = path + ".tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Self.render(figures, watchLimit: watchLimit).write(toFile: temp, atomically: false, encoding: .utf8)
            guard rename(temp, path) == 0 else {
                throw DaemonError(.io, "rename \(temp) to \(path): errno \(errno)", path: path)
            }
            written = figures
        } catch {
            logger.warning("cannot write the metrics textfile \(path): \(error); /metrics lacks the daemon's figures")
            written = figures  // not retried until a figure changes: a failing disk is logged elsewhere too
        }
    }
}
