import Foundation
import Logging
import RedlineFeed
import RedlinePOSIX

/// ship's lag as a node_exporter textfile (`DATA/metrics/redline-ship.prom` by convention), replaced atomically
/// (a temporary file, then rename) so the collector never reads half of it.
struct ShipMetrics {
    /// The file to write; nil writes nothing.
    let path: String?
    /// The feed being shipped, once known.
    var feed: String?
    /// Whether the last attempt to reach PostgreSQL succeeded.
    var up = false
    /// The last seq committed.
    var shipped: UInt64 = 0
    /// Durable local records not yet committed.
    var lagRecords: UInt64 = 0
    /// How long the oldest of them has waited, in seconds (0 when caught up).
    var lagSeconds = 0.0
    /// The last content written, so an unchanged state is not rewritten every wait.
    private var lastWritten = ""

    init(path: String?) {
        self.path = path
    }

    /// Takes the state after reading a batch: `oldestPending` is its first record (nil when caught up).
    mutating func update(shipped: UInt64, local: UInt64, oldestPending: RawRecord?) {
        self.shipped = shipped
        lagRecords = local - shipped
        guard let oldestPending, let time = Self.time(of: oldestPending.bytes) else {
            lagSeconds = 0
            return
        }
        lagSeconds = max(0, Date().timeIntervalSince(time))
    }

    /// The exposition text.
    var text: String {
        let label = "{feed=\"\(feed ?? "")\"}"
        return """
            # HELP redline_ship_up Whether redline ship reached PostgreSQL on its last attempt.
            # TYPE redline_ship_up gauge
            redline_ship_up\(label) \(up ? 1 : 0)
            # HELP redline_ship_shipped_seq The last feed seq committed to PostgreSQL.
            # TYPE redline_ship_shipped_seq gauge
            redline_ship_shipped_seq\(label) \(shipped)
            # HELP redline_ship_lag_records Durable local records not yet committed to PostgreSQL.
            # TYPE redline_ship_lag_records gauge
            redline_ship_lag_records\(label) \(lagRecords)
            # HELP redline_ship_lag_seconds Age of the oldest record not yet committed to PostgreSQL.
            # TYPE redline_ship_lag_seconds gauge
            redline_ship_lag_seconds\(label) \(String(format: "%.3f", lagSeconds))

            """
    }

    /// Writes the file if its content changed; a failure is logged, never fatal (metrics must not stop ship).
    mutating func write(logger: Logger) {
        guard let path else { return }
        let content = text
        // Lag seconds changes every call while behind; rewriting then is the point.
        guard content != lastWritten else { return }
        let tmp = path + ".tmp"
        do {
            try Data(content.utf8).write(to: URL(fileURLWithPath: tmp))
            _ = try POSIX.call("rename", path: path) { rename(tmp, path) }
            lastWritten = content
        } catch {
            logger.warning(
                "cannot write the metrics file; check its directory exists and is writable",
                metadata: ["file": "\(path)", "error": "\(error)"])
        }
    }

    /// The `time` field of a stored line, parsed (`"time":"2026-11-29T02:03:04.567Z"`).
    static func time(of line: [UInt8]) -> Date? {
        let tag = Array(#""time":""#.utf8)
        guard let start = line.firstRange(of: tag)?.upperBound,
            let end = line[start...].firstIndex(of: UInt8(ascii: "\""))
        else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: String(decoding: line[start..<end], as: UTF8.self))
    }
}
