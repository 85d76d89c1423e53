import Foundation
import RedlineDiff

#if canImport(Glibc)
    import Glibc
#endif

/// Blocks until something changes in the feed directory, using inotify (never polling).
///
/// Watches the directory itself, so writes to the active file, its rename to a sealed segment and the
/// creation of the next active file all wake the waiter.
public final class FeedFollower {
    private let fd: Int32
    private let directory: String

    /// Starts watching `directory`; create it before reading so no change between the read and the wait is missed.
    public init(directory: String) throws(FeedError) {
        self.directory = directory
        fd = try syscall({ inotify_init1(Int32(IN_CLOEXEC)) }) { code in
            FeedError(
                .io, path: directory,
                message: "cannot start inotify to follow \(directory): raise fs.inotify.max_user_instances",
                errno: code)
        }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE)
        do throws(FeedError) {
            _ = try syscall({ inotify_add_watch(fd, directory, mask) }) { code in
                FeedError(
                    .io, path: directory,
                    message: "cannot watch \(directory) to follow it: check it exists; "
                        + "raise fs.inotify.max_user_watches if the limit is reached",
                    errno: code)
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Waits until at least one change is reported (or `timeoutMilliseconds` pass; -1 waits forever).
    /// - Returns: whether a change was reported.
    @discardableResult
    public func wait(timeoutMilliseconds: Int32 = -1) throws(FeedError) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let dir = directory
        let ready = try syscall({ poll(&p, 1, timeoutMilliseconds) }) { code in
            FeedError(.io, path: dir, message: "cannot wait for changes in \(dir)", errno: code)
        }
        guard ready > 0 else { return false }
        // Drain every queued event: one wake-up, one read pass.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let fd = self.fd
        _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return true
    }
}

/// Where a tail starts.
public enum TailStart: Sendable, Equatable {
    /// At this seq; an error if it was deleted by retention.
    case since(UInt64)
    /// At the oldest record still kept.
    case beginning
    /// After the last record written so far.
    case now
}

/// A consumer's position, stored in `--cursor-file` as `{"feed":"<uuid>","next_seq":N}`.
public struct TailCursor: Sendable, Equatable {
    /// The feed the position belongs to.
    public var feed: String
    /// The next seq to deliver.
    public var nextSeq: UInt64

    /// Creates a position.
    public init(feed: String, nextSeq: UInt64) {
        self.feed = feed
        self.nextSeq = nextSeq
    }

    /// Reads a cursor file; nil if it does not exist.
    /// - Throws: ``FeedError`` `.invalidArgument` if it is not a cursor file.
    public static func load(_ path: String) throws(FeedError) -> TailCursor? {
        guard FileIO.exists(path) else { return nil }
        let bytes = try FileIO.readAll(path)
        struct Stored: Decodable {
            var feed: String
            var next_seq: UInt64
        }
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(bytes)) else {
            throw FeedError(
                .invalidArgument, path: path,
                message: "cursor file \(path) is not a redline cursor ({\"feed\":...,\"next_seq\":...}); "
                    + "delete it to start over, or pass another --cursor-file")
        }
        return TailCursor(feed: stored.feed, nextSeq: stored.next_seq)
    }

    /// Replaces the cursor file atomically (temp file, rename); with `durable` also fsyncs file and directory.
    public func save(_ path: String, durable: Bool) throws(FeedError) {
        let bytes = Array("{\"feed\":\"\(feed)\",\"next_seq\":\(nextSeq)}\n".utf8)
        if durable {
            try FileIO.writeAtomically(path, bytes)
            return
        }
        let tmp = path + ".tmp.\(getpid())"
        let fd = try FileIO.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND)
        do throws(FeedError) {
            try FileIO.writeAll(fd, bytes, path: tmp)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        _ = try syscall({ rename(tmp, path) }, orThrow: ioError("replace cursor file", path, fix: "check permissions"))
    }
}

/// How a tail prints records.
public enum TailFormat: String, Sendable, CaseIterable {
    /// The stored line, unchanged (crc included), for tools.
    case json
    /// One readable line per record.
    case text
}

/// Buffered writes of whole lines to a file descriptor (stdout), flushed explicitly.
public final class LineOutput {
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Writes to `fd` (1 = stdout).
    public init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(1 << 18)
    }

    /// Queues bytes; flushes when the buffer is large.
    public func write(_ bytes: some Collection<UInt8>) throws(FeedError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 18 { try flush() }
    }

    /// Writes everything queued.
    public func flush() throws(FeedError) {
        guard !buffer.isEmpty else { return }
        try FileIO.writeAll(fd, buffer, path: "standard output")
        buffer.removeAll(keepingCapacity: true)
    }
}

/// `redline tail`: prints records from a start point, optionally following the feed forever.
public struct FeedTail {
    /// The feed directory.
    public var directory: String
    /// Where to start when there is no cursor file.
    public var start: TailStart = .now
    /// Keep waiting for new records.
    public var follow = false
    /// Which records to print.
    public var filter = RecordFilter()
    /// Output format.
    public var format: TailFormat = .json
    /// With `.text`, also print each labelled change.
    public var verbose = false
    /// Where to keep the consumer's position; it overrides `start` when it exists.
    public var cursorFile: String?

    /// A tail of the feed in `directory` with default options.
    public init(directory: String) {
        self.directory = directory
    }

    /// Runs until the feed is exhausted (or forever with `follow`).
    /// - Throws: ``FeedError``: `.retention` if the start was deleted, `.feedChanged` if the cursor file belongs to
    ///   another feed, `.corrupt` on a damaged record, `.io` if the output closes.
    public func run(output: LineOutput) throws(FeedError) {
        let reader = try FeedReader(directory: directory)
        // Watch before reading, so a record appended between the last read and the wait still wakes us.
        let follower = follow ? try FeedFollower(directory: reader.directory) : nil
        var feedID = try reader.feedID()
        var since: UInt64
        var strict = true
        if let path = cursorFile, let saved = try TailCursor.load(path) {
            if let feedID, feedID != saved.feed {
                throw FeedError(
                    .feedChanged, path: path,
                    message: "cursor file \(path) is for feed \(saved.feed) but \(reader.directory) is now feed "
                        + "\(feedID): the feed was recreated; resync from its start (delete the cursor file and "
                        + "use --from-beginning)")
            }
            since = saved.nextSeq
        } else {
            switch start {
            case .since(let seq): since = seq
            case .beginning:
                since = 1
                strict = false
            case .now: since = try reader.lastSeq() + 1
            }
        }
        let cursor = try reader.cursor(since: since, strict: strict)
        let decoder = JSONDecoder()
        var lastSaved = cursor.nextSeq
        while true {
            var printed = false
            while let raw = try cursor.next() {
                if feedID == nil { feedID = try reader.feedID() }
                if !filter.keepsEverything || format == .text {
                    let record: FeedRecord
                    do {
                        record = try decoder.decode(FeedRecord.self, from: Data(raw.bytes))
                    } catch {
                        throw FeedError(
                            .corrupt, path: raw.segment,
                            message: "\(raw.segment) line \(raw.line) (seq \(raw.seq)) is not a valid record: \(error)")
                    }
                    guard filter.matches(record) else { continue }
                    if format == .text {
                        try output.write(TextLine.render(record, verbose: verbose).utf8)
                    } else {
                        try output.write(raw.bytes)
                        try output.write(CollectionOfOne(UInt8(ascii: "\n")))
                    }
                } else {
                    try output.write(raw.bytes)
                    try output.write(CollectionOfOne(UInt8(ascii: "\n")))
                }
                printed = true
                if let path = cursorFile, let feedID {
                    // The record is out before the cursor moves past it: a kill in between repeats it, never loses it.
                    try output.flush()
                    try TailCursor(feed: feedID, nextSeq: cursor.nextSeq).save(path, durable: false)
                    lastSaved = cursor.nextSeq
                }
            }
            try output.flush()
            if let path = cursorFile, let feedID, printed || lastSaved != cursor.nextSeq || !FileIO.exists(path) {
                try TailCursor(feed: feedID, nextSeq: cursor.nextSeq).save(path, durable: true)
                lastSaved = cursor.nextSeq
            }
            guard let follower else { return }
            try follower.wait()
        }
    }
}

/// The `--format text` rendering of a record.
///
/// Paths, reasons and spans are printed through ``escaped(_:)``, so a record is always exactly one line
/// (plus, with `verbose`, one per change) whatever bytes a file name holds.
public enum TextLine {
    /// One line: time, type, path, significance and class counts; with `verbose`, one indented line per change.
    public static func render(_ record: FeedRecord, verbose: Bool) -> String {
        var parts = [record.time, "#\(record.seq)", record.type.rawValue]
        if let from = record.fromPath {
            parts.append("\(escaped(from)) -> \(escaped(record.path))")
        } else {
            parts.append(escaped(record.path))
        }
        if let significance = record.significance { parts.append(significance.rawValue) }
        if let changes = record.changes, !changes.isEmpty {
            var counts: [ChangeClass: Int] = [:]
            for change in changes { counts[change.class, default: 0] += 1 }
            parts.append(
                ChangeClass.allCases.compactMap { c in counts[c].map { "\(c.rawValue)=\($0)" } }.joined(separator: " "))
        }
        if let reason = record.reason { parts.append("(\(escaped(reason)))") }
        var text = parts.joined(separator: "  ") + "\n"
        if verbose, let changes = record.changes {
            for change in changes {
                var line = "    " + change.class.rawValue
                if let rule = change.rule { line += " [\(escaped(rule))]" }
                switch (change.oldText, change.newText) {
                case (let old?, let new?): line += ": \(quote(old)) -> \(quote(new))"
                case (nil, let new?): line += ": + \(quote(new))"
                case (let old?, nil): line += ": - \(quote(old))"
                case (nil, nil): break
                }
                text += line + "\n"
            }
        }
        return text
    }

    /// Quotes a span, showing line breaks and shortening long paragraphs.
    private static func quote(_ s: String) -> String {
        var t = escaped(s)
        if t.count > 120 { t = String(t.prefix(117)) + "..." }
        return "\"\(t)\""
    }

    /// `s` with every character that could break or repaint a terminal line shown as an escape.
    ///
    /// `\n`, `\r` and `\t` as those two characters; a backslash doubled, so escapes stay unambiguous;
    /// other C0 controls and DEL as `\xNN`; C1 controls and the Unicode line and paragraph separators
    /// as `\u{NNNN}`. Everything else, including right-to-left text, is unchanged.
    public static func escaped(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            guard needsEscape(scalar) else {
                out.append(scalar)
                continue
            }
            let escape: String
            switch scalar {
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\\": escape = "\\\\"
            default:
                let hex = String(scalar.value, radix: 16)
                escape = scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            }
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x5C, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }
}
