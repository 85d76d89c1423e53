import Foundation
import Logging
import RedlineDiff
import RedlineFeed
import Testing

@testable import RedlineDaemon

/// `DATA/metrics/redline.prom`: rewritten only when a figure changed, so an idle daemon never wakes for it.
@Suite struct MetricsTextfileTests {
    private func inode(_ path: String) -> UInt64? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? NSNumber)?.uint64Value
    }

    @Test func theFileIsRewrittenOnlyWhenAFigureChanged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("redline-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logger = Logger(label: "test")
        let feed = try FeedWriter(directory: dir.path + "/feed", options: FeedOptions(fsync: .always), logger: logger)
        defer { try? feed.close() }
        let metrics = MetricsTextfile(
            dataDirectory: dir.path, feedDirectory: dir.path + "/feed", since: 0, logger: logger)
        let start = ContinuousClock.now
        #expect(metrics.update(watches: 3, watchLimitReached: false, feedLastSeq: 0, now: start) == nil)
        let first = try #require(inode(metrics.path), "written at the first turn")
        #expect(try String(contentsOfFile: metrics.path, encoding: .utf8).contains("redline_inotify_watches 3"))
        // Nothing changed: no write, and nothing to wake up for.
        #expect(metrics.update(watches: 3, watchLimitReached: false, feedLastSeq: 0, now: start + .seconds(60)) == nil)
        #expect(inode(metrics.path) == first, "the same file: not rewritten")
        // A record: counted from the feed, written once the interval since the last write has passed.
        _ = try feed.append([FeedRecord(type: .created, root: "/r", path: "a.txt", content: "x")])
        let soon = start + .seconds(1)
        #expect(metrics.update(watches: 3, watchLimitReached: false, feedLastSeq: 1, now: soon) != nil, "due later")
        #expect(inode(metrics.path) == first)
        #expect(metrics.update(watches: 3, watchLimitReached: false, feedLastSeq: 1, now: start + .seconds(61)) == nil)
        #expect(inode(metrics.path) != first, "renamed over the old file")
        let text = try String(contentsOfFile: metrics.path, encoding: .utf8)
        #expect(text.contains("redline_feed_records_total{type=\"created\"} 1"), "\(text)")
        #expect(text.contains("redline_feed_last_seq 1"))
        metrics.overflowed(1)
        #expect(metrics.update(watches: 3, watchLimitReached: true, feedLastSeq: 1, now: start + .seconds(120)) == nil)
        let after = try String(contentsOfFile: metrics.path, encoding: .utf8)
        #expect(after.contains("redline_inotify_overflows_total 1") && after.contains("watch_limit_reached 1"))
    }
}
