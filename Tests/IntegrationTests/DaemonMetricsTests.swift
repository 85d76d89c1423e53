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
        try h.write("000.txt", original.replacingOccurrences(of: "ویتکاوف", with: "ویتکاف"))
        #expect(h.waitForRecords(2))
        var text = ""
        #expect(
            eventually(seconds: 30) {
                text = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
                return text.contains("redline_feed_records_total{type=\"modified\"} 1")
            }, "\(text)")
        #expect(text.contains("redline_feed_records_total{type=\"created\"} 1"))
        #expect(text.contains("redline_feed_changes_total{class=\"spelling\"} 1"))
        #expect(text.contains("redline_inotify_watches 1"))
        #expect(text.contains("redline_feed_last_seq 2"))
        #expect(!text.contains("000.txt"), "an article is never a label")
        #expect(!FileManager.default.fileExists(atPath: textfile + ".tmp"), "written whole, then renamed")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let check = try runProcess(URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "metrics"], stdin: text)
            #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.stdout)\(check.stderr)")
        }
        let serve = try RunningServe(["--data-dir", h.data.path])
        let metrics = try serve.get("/metrics").body
        #expect(metrics.contains("redline_feed_records_total{type=\"modified\"} 1"), "\(metrics)")
        #expect(h.stop() == 0)
    }
}
