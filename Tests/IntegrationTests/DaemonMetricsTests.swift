import Foundation
import Testing

/// The daemon's figures in `DATA/metrics/redline.prom`, and serve exposing them on `/metrics`.
@Suite struct DaemonMetricsTests {
    @Test func theDaemonWritesItsFiguresAndServeExposesThem() throws {
        let h = try DaemonTests.Harness()
        try h.start()
        let textfile = h.data.appendingPathComponent("metrics/redline.prom").path
        let original = try String(contentsOf: RedlineBinary.corpusArticle, encoding: .utf8)
        try h.write("000.txt", original)
        #expect(h.waitForRecords(1))
        var text = ""
        #expect(
            eventually(seconds: 30) {
                text = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
                return text.contains("redline_feed_records_total{type=\"created\"} 1")
            }, "\(text)")
        // `fsync = "always"` (the default): every record written is behind at least one timed fdatasync.
        let synced = try #require(Self.histogram(text).count, "no fdatasync histogram: \(text)")
        #expect(synced >= 1, "\(text)")
        try h.write("000.txt", original.replacingOccurrences(of: "ویتکاوف", with: "ویتکاف"))
        #expect(h.waitForRecords(2))
        #expect(
            eventually(seconds: 30) {
                text = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
                return text.contains("redline_feed_records_total{type=\"modified\"} 1")
            }, "\(text)")
        #expect(text.contains("redline_feed_records_total{type=\"created\"} 1"))
        #expect(text.contains("redline_feed_changes_total{class=\"spelling\"} 1"))
        #expect(text.contains("redline_inotify_watches 1"))
        #expect(text.contains("redline_feed_last_seq 2"))
        let histogram = Self.histogram(text)
        #expect((histogram.count ?? 0) > synced, "the second record was synced too: \(text)")
        let counts = histogram.buckets.map(\.1)
        #expect(counts.count == 14 && histogram.buckets.last?.0 == "+Inf", "\(text)")
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 }, "buckets are cumulative: \(counts)")
        #expect(counts.last == histogram.count && (histogram.sum ?? 0) > 0, "\(text)")
        #expect(!text.contains("000.txt"), "an article is never a label")
        #expect(!FileManager.default.fileExists(atPath: textfile + ".tmp"), "written whole, then renamed")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let check = try runProcess(URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "metrics"], stdin: text)
            #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.stdout)\(check.stderr)")
        }
        let serve = try RunningServe(["--data-dir", h.data.path])
        let metrics = try serve.get("/metrics").body
        #expect(metrics.contains("redline_feed_records_total{type=\"modified\"} 1"), "\(metrics)")
        #expect(metrics.contains("redline_feed_fdatasync_seconds_count \(histogram.count ?? 0)"), "\(metrics)")
        #expect(h.stop() == 0)
    }

    /// The `redline_feed_fdatasync_seconds` lines of `text`: each bucket's `le` and count, the sum and the count.
    static func histogram(_ text: String) -> (buckets: [(String, UInt64)], sum: Double?, count: UInt64?) {
        let name = "redline_feed_fdatasync_seconds"
        var buckets: [(String, UInt64)] = []
        var sum: Double?
        var count: UInt64?
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
}
