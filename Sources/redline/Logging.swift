import Foundation
import Logging

/// Prints one line to stderr, `redline[ command]: message`: how every subcommand reports bad input.
///
/// A plain `write(2)`, so `redline diff` can report and exit without touching Foundation's streams.
func printError(_ message: String, command: String? = nil) {
    let line = Array("redline\(command.map { " " + $0 } ?? ""): \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// The process-wide log level, which a configuration reload may change.
final class LogLevel: @unchecked Sendable {
    /// The one instance every handler reads.
    static let shared = LogLevel()
    private let lock = NSLock()
    private var level = Logger.Level.info

    /// The current level.
    var current: Logger.Level { lock.withLock { level } }

    /// Sets the level from its config name (`info`, `debug`, ...); unknown names are ignored.
    func set(_ name: String) {
        guard let new = Logger.Level(rawValue: name) else { return }
        lock.withLock { level = new }
    }
}

/// Creates the process's logger: journald-friendly under systemd, timestamped on a terminal.
func makeLogger(label: String, level: String) -> Logger {
    let underSystemd = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
    LogLevel.shared.set(level)
    LoggingSystem.bootstrap { label in StderrLogHandler(label: label, journald: underSystemd) }
    return Logger(label: label)
}

/// Writes `level message key=value...` lines to stderr.
///
/// Under systemd (`$JOURNAL_STREAM` set) lines carry sd-daemon(3) `<N>` priority prefixes and no
/// timestamp (journald adds its own); elsewhere they start with an RFC 3339 timestamp.
struct StderrLogHandler: LogHandler {
    let label: String
    let journald: Bool
    /// Read from `LogLevel.shared`, so a reload changes it for every logger at once.
    var logLevel: Logger.Level {
        get { LogLevel.shared.current }
        set { LogLevel.shared.set(newValue.rawValue) }
    }
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { key, value in
            let text = "\(value)"
            return text.contains(" ") || text.contains("\"")
                ? "\(key)=\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"" : "\(key)=\(text)"
        }
        let body = ([event.level.rawValue, "\(event.message)"] + fields).joined(separator: " ")
        let line: String
        if journald {
            line = "<\(Self.priority(event.level))>\(body)\n"
        } else {
            line = "\(Date().formatted(.iso8601)) \(body)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// syslog priorities as sd-daemon(3) expects them.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
