import Foundation
import Prometheus
import Synchronization

/// serve's own figures in the Prometheus text format, and the daemon's textfile beside them.
///
/// Names follow Prometheus' conventions: a `redline_serve_` prefix, `_total` on counters, bytes in bytes.
/// Labels are the route template and the status code only: never an article path, which would make one
/// series per article.
final class ServeMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let subscribers: Gauge
    private let dropped: Counter
    private let records: Counter
    private let bytes: Counter
    private let head: Gauge
    /// `DATA/metrics`: the daemon's `redline.prom` and ship's `redline-ship.prom` (node_exporter's textfile-collector
    /// convention: every `*.prom` in the directory).
    let textfileDirectory: String

    /// Metrics for the data directory `dataDir`.
    init(dataDir: String) {
        textfileDirectory = dataDir + "/metrics"
        subscribers = registry.makeGauge(
            descriptor: Self.name("subscribers", "", "Open /changes requests that wait or stream."))
        dropped = registry.makeCounter(
            descriptor: Self.name(
                "subscribers_dropped", "total", "Subscribers disconnected for falling more than their buffer behind."))
        records = registry.makeCounter(
            descriptor: Self.name("records_sent", "total", "Feed records sent to /changes clients."))
        bytes = registry.makeCounter(
            descriptor: Self.name("response", "bytes_total", "Bytes of response bodies sent."))
        head = registry.makeGauge(
            descriptor: Self.name("feed_head", "seq", "The last durable feed seq serve has read."))
    }

    /// Counts one answered request; `route` is the route template (`/changes`), never the request's path.
    func request(route: String, status: Int) {
        registry.makeCounter(
            descriptor: Self.name("requests", "total", "HTTP requests answered, by route template and status code."),
            labels: [("route", route), ("code", String(status))]
        ).increment()
    }

    /// `redline_serve_<metric>_<unit>`.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "redline", subsystem: "serve", metricName: metric, unitName: unit, helpText: help)
    }

    /// A subscriber started (+1) or ended (-1).
    func subscriber(_ delta: Int) {
        if delta > 0 { subscribers.increment(by: Double(delta)) } else { subscribers.decrement(by: Double(-delta)) }
    }

    /// A slow subscriber was dropped.
    func droppedSubscriber() { dropped.increment() }

    /// `count` records were sent.
    func sent(records count: Int) { records.increment(by: Int64(count)) }

    /// `count` body bytes were written.
    func sent(bytes count: Int) { bytes.increment(by: Int64(count)) }

    /// The text exposition: serve's figures, then each textfile of the data directory (the daemon's, ship's lag),
    /// in name order. A writer replaces its file by rename, so a file is read whole; temp files are skipped.
    func render(head seq: UInt64) -> [UInt8] {
        head.set(Double(seq))
        var out = registry.emitToBuffer()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: textfileDirectory)) ?? []
        for name in names.sorted() where name.hasSuffix(".prom") && !name.hasPrefix(".") {
            guard let text = FileManager.default.contents(atPath: textfileDirectory + "/" + name), !text.isEmpty
            else { continue }
            out += text
            if out.last != 0x0A { out.append(0x0A) }
        }
        return out
    }
}
