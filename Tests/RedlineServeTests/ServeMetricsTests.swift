import Foundation
import Testing

@testable import RedlineServe

/// `/metrics` carries the figures of every process of the data directory, not serve's alone.
@Suite struct ServeMetricsTests {
    @Test func metricsCarryTheDaemonsFiguresAndShipsLagButNoHalfWrittenFile() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("redline-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let metrics = data.appendingPathComponent("metrics")
        try FileManager.default.createDirectory(at: metrics, withIntermediateDirectories: true)
        try "redline_feed_last_seq 42\n".write(
            to: metrics.appendingPathComponent("redline.prom"), atomically: false, encoding: .utf8)
        try "redline_ship_lag_records{feed=\"F\"} 7\n".write(
            to: metrics.appendingPathComponent("redline-ship.prom"), atomically: false, encoding: .utf8)
        // A writer's temp file before its rename: never exposed.
        try "redline_ship_lag_records{feed=\"F\"} 99".write(
            to: metrics.appendingPathComponent("redline-ship.prom.tmp"), atomically: false, encoding: .utf8)
        let text = String(decoding: ServeMetrics(dataDir: data.path).render(head: 42), as: UTF8.self)
        #expect(text.contains("redline_feed_last_seq 42\n"))
        #expect(text.contains("redline_ship_lag_records{feed=\"F\"} 7\n"))
        #expect(!text.contains(" 99"))
        #expect(text.contains("redline_serve_feed_head_seq 42"))
    }
}
