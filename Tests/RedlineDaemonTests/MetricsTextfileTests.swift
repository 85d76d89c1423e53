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
        let metrics = MetricsTextfile(dataDirectory: dir.path, since: 0, logger: logger)
        let start = ContinuousClock.now
        #expect(
            metrics.update(
                watches: 3, watchLimitReached: false, durableSeq: 0, syncLatency: feed.syncLatency, now: start) == nil)
        let first = try #require(inode(metrics.path), "written at the first turn")
        #expect(try String(contentsOfFile: metrics.path, encoding: .utf8).contains("redline_inotify_watches 3"))
        // Nothing changed: no write, and nothing to wake up for.
        #expect(
            metrics.update(
                watches: 3, watchLimitReached: false, durableSeq: 0, syncLatency: feed.syncLatency,
                now: start + .seconds(60)) == nil)
        #expect(inode(metrics.path) == first, "the same file: not rewritten")
        // A record: counted as the pipeline appended it, written once the interval since the last write has passed.
        metrics.appended(try feed.append([FeedRecord(type: .created, root: "/r", path: "a.txt", content: "x")]))
        let soon = start + .seconds(1)
        #expect(
            metrics.update(
                watches: 3, watchLimitReached: false, durableSeq: 1, syncLatency: feed.syncLatency, now: soon) != nil,
            "due later")
        #expect(inode(metrics.path) == first)
        #expect(
            metrics.update(
                watches: 3, watchLimitReached: false, durableSeq: 1, syncLatency: feed.syncLatency,
                now: start + .seconds(61)) == nil)
        #expect(inode(metrics.path) != first, "renamed over the old file")
        let text = try String(contentsOfFile: metrics.path, encoding: .utf8)
        #expect(text.contains("redline_feed_records_total{type=\"created\"} 1"), "\(text)")
        #expect(text.contains("redline_feed_last_seq 1"))
        metrics.overflowed(1)
        #expect(
            metrics.update(
                watches: 3, watchLimitReached: true, durableSeq: 1, syncLatency: feed.syncLatency,
                now: start + .seconds(120)) == nil)
        let after = try String(contentsOfFile: metrics.path, encoding: .utf8)
        #expect(after.contains("redline_inotify_overflows_total 1") && after.contains("watch_limit_reached 1"))
    }

    /// A record appended but not yet durable is not counted: readers of the feed cannot see it either.
    @Test func recordsAreCountedOnlyOnceDurable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("redline-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let metrics = MetricsTextfile(dataDirectory: dir.path, since: 7, logger: Logger(label: "test"))
        var modified = FeedRecord(type: .modified, root: "/r", path: "a.txt")
        modified.seq = 8
        modified.changes = [Change(class: .spelling), Change(class: .spelling), Change(class: .number)]
        var deleted = FeedRecord(type: .deleted, root: "/r", path: "b.txt")
        deleted.seq = 9
        metrics.appended([modified, deleted])
        var now = ContinuousClock.now
        func turn(durable: UInt64) throws -> (again: ContinuousClock.Instant?, text: String) {
            now += .seconds(60)
            let again = metrics.update(
                watches: 1, watchLimitReached: false, durableSeq: durable, syncLatency: SyncLatency(), now: now)
            return (again, try String(contentsOfFile: metrics.path, encoding: .utf8))
        }
        let none = try turn(durable: 7)
        #expect(none.text.contains("redline_feed_records_total{type=\"modified\"} 0"), "\(none.text)")
        #expect(none.text.contains("redline_feed_last_seq 7"))
        #expect(none.again != nil, "records wait for their fdatasync: look again")
        let one = try turn(durable: 8)
        #expect(one.text.contains("redline_feed_records_total{type=\"modified\"} 1"), "\(one.text)")
        #expect(one.text.contains("redline_feed_changes_total{class=\"spelling\"} 2"))
        #expect(one.text.contains("redline_feed_changes_total{class=\"number\"} 1"))
        #expect(one.text.contains("redline_feed_records_total{type=\"deleted\"} 0"))
        #expect(one.text.contains("redline_feed_last_seq 8"))
        let both = try turn(durable: 9)
        #expect(both.text.contains("redline_feed_records_total{type=\"deleted\"} 1"), "\(both.text)")
        #expect(both.text.contains("redline_feed_last_seq 9"))
        #expect(both.again == nil, "everything counted: nothing to wake up for")
    }

    /// The `redline_feed_fdatasync_seconds` lines of `text`: each bucket's `le` and count, the sum and the count.
    static func histogram(_ text: String) -> (buckets: [(String, UInt64)], sum: Double?, count: UInt64?) {
        var buckets: [(String, UInt64)] = []
        var sum: Double?
        var count: UInt64?
        let name = "redline_feed_fdatasync_seconds"
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            if parts[0].hasPrefix(name + "_bucket{le=\""), let n = UInt64(parts[1]) {
                buckets.append((String(parts[0].dropFirst(name.count + 12).dropLast(2)), n))
            } else if parts[0] == name + "_sum" {
                sum = Double(parts[1])
            } else if parts[0] == name + "_count" {
                count = UInt64(parts[1])
            }
        }
        return (buckets, sum, count)
    }

    @Test func theFdatasyncHistogramCountsEverySyncOfTheFeed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("redline-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logger = Logger(label: "test")
        let feed = try FeedWriter(directory: dir.path + "/feed", options: FeedOptions(fsync: .always), logger: logger)
        defer { try? feed.close() }
        let metrics = MetricsTextfile(dataDirectory: dir.path, since: 0, logger: logger)
        var now = ContinuousClock.now
        func turn() throws -> String {
            now += .seconds(60)
            _ = metrics.update(
                watches: 1, watchLimitReached: false, durableSeq: feed.durableSeq, syncLatency: feed.syncLatency,
                now: now)
            return try String(contentsOfFile: metrics.path, encoding: .utf8)
        }
        let before = Self.histogram(try turn())
        #expect(before.count == 0 && before.buckets.last?.1 == 0, "nothing synced yet")
        // Under `fsync = always` every append is one group commit, so one fdatasync.
        for i in 0..<5 {
            metrics.appended(try feed.append([FeedRecord(type: .created, root: "/r", path: "\(i).txt", content: "x")]))
        }
        metrics.appended(
            try feed.append((5..<10).map { FeedRecord(type: .created, root: "/r", path: "\($0).txt", content: "x") }))
        let text = try turn()
        let after = Self.histogram(text)
        #expect(after.count == 6, "five single appends and one batch of five: six syncs\n\(text)")
        #expect(after.buckets.map(\.0) == SyncLatency.bounds.map { "\($0)" } + ["+Inf"], "\(text)")
        let counts = after.buckets.map(\.1)
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 }, "buckets are cumulative: \(counts)")
        #expect(counts.last == after.count, "+Inf holds every sync")
        #expect((after.sum ?? 0) > 0, "an fdatasync takes some time")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
            check.arguments = ["check", "metrics"]
            let input = Pipe()
            let output = Pipe()
            check.standardInput = input
            check.standardOutput = output
            check.standardError = output
            try check.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            #expect(check.terminationStatus == 0 && said.isEmpty, "promtool: \(said)")
        }
    }
}
