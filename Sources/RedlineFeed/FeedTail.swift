import Foundation

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

/// One record a tail delivers.
public struct TailItem: Sendable {
    /// The stored line, to pass on unchanged (crc included).
    public var raw: RawRecord
    /// The decoded record, when the tail decodes (``FeedTail/decode``) or its filter needed it; nil otherwise.
    public var record: FeedRecord?
}

/// `redline tail`'s reading side: records from a start point through a filter, optionally following the feed
/// forever, keeping the consumer's position in a cursor file. Printing is the caller's.
///
/// ``run(deliver:flush:)`` is the whole loop; ``open()`` gives a ``TailReader`` for a consumer that drives its
/// own loop.
public struct FeedTail {
    /// The feed directory.
    public var directory: String
    /// Where to start when there is no cursor file.
    public var start: TailStart = .now
    /// Keep waiting for new records.
    public var follow = false
    /// Which records to deliver.
    public var filter = RecordFilter()
    /// Decode every record delivered (``TailItem/record``), not only those the filter must look at.
    public var decode = false
    /// Where to keep the consumer's position; it overrides `start` when it exists.
    public var cursorFile: String?

    /// A tail of the feed in `directory` with default options.
    public init(directory: String) {
        self.directory = directory
    }

    /// Opens the feed at the start point: the cursor file's position when it exists, else `start`.
    /// - Throws: ``FeedError``: `.retention` if the start was deleted, `.feedChanged` if the cursor file belongs to
    ///   another feed.
    public func open() throws(FeedError) -> TailReader {
        let reader = try FeedReader(directory: directory)
        // Watch before reading, so a record appended between the last read and the wait still wakes us.
        let follower = follow ? try FeedFollower(directory: reader.directory) : nil
        let feedID = try reader.feedID()
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
        return TailReader(
            reader: reader, cursor: try reader.cursor(since: since, strict: strict), follower: follower,
            feedID: feedID, filter: filter, decode: decode)
    }

    /// Hands every matching record to `deliver`, until the feed is exhausted (or forever with `follow`).
    ///
    /// With a cursor file, `flush` runs before the cursor moves past a delivered record, so a kill in between
    /// repeats the record and never loses it; it also runs after each batch, before the wait for more.
    /// - Throws: ``FeedError``: `.retention` if the start was deleted, `.feedChanged` if the cursor file belongs to
    ///   another feed, `.corrupt` on a damaged record, and whatever `deliver` and `flush` throw.
    public func run(
        deliver: (TailItem) throws(FeedError) -> Void, flush: () throws(FeedError) -> Void
    ) throws(FeedError) {
        let reader = try open()
        var lastSaved = reader.nextSeq
        while true {
            var delivered = false
            while let item = try reader.next() {
                try deliver(item)
                delivered = true
                if let path = cursorFile, let position = reader.position {
                    try flush()
                    try position.save(path, durable: false)
                    lastSaved = position.nextSeq
                }
            }
            try flush()
            if let path = cursorFile, let position = reader.position,
                delivered || lastSaved != position.nextSeq || !FileIO.exists(path)
            {
                try position.save(path, durable: true)
                lastSaved = position.nextSeq
            }
            guard follow else { return }
            try reader.wait()
        }
    }
}

/// An open tail (``FeedTail/open()``): the matching records written so far, then more after each wait.
public final class TailReader {
    private let reader: FeedReader
    private let cursor: FeedCursor
    private let follower: FeedFollower?
    private let filter: RecordFilter
    private let decode: Bool
    private let decoder = JSONDecoder()

    /// The feed's UUID; nil until the feed has one (a writer creates it with the first segment).
    public private(set) var feedID: String?

    init(
        reader: FeedReader, cursor: FeedCursor, follower: FeedFollower?, feedID: String?, filter: RecordFilter,
        decode: Bool
    ) {
        self.reader = reader
        self.cursor = cursor
        self.follower = follower
        self.feedID = feedID
        self.filter = filter
        self.decode = decode
    }

    /// The feed directory.
    public var directory: String { reader.directory }

    /// The next seq to read (records the filter skipped are behind it too).
    public var nextSeq: UInt64 { cursor.nextSeq }

    /// The consumer's position after the records read so far; nil while the feed has no UUID.
    public var position: TailCursor? { feedID.map { TailCursor(feed: $0, nextSeq: cursor.nextSeq) } }

    /// The next matching record written so far, or nil when there is none yet.
    /// - Throws: ``FeedError`` `.corrupt` on a damaged record.
    public func next() throws(FeedError) -> TailItem? {
        while let raw = try cursor.next() {
            if feedID == nil { feedID = try reader.feedID() }
            guard decode || !filter.keepsEverything else { return TailItem(raw: raw, record: nil) }
            let record = try raw.decode(with: decoder)
            if filter.matches(record) { return TailItem(raw: raw, record: record) }
        }
        return nil
    }

    /// Blocks until the feed changes (or `timeoutMilliseconds` pass; -1 waits forever); returns at once, false,
    /// unless the tail follows.
    /// - Returns: whether a change was reported.
    @discardableResult
    public func wait(timeoutMilliseconds: Int32 = -1) throws(FeedError) -> Bool {
        guard let follower else { return false }
        return try follower.wait(timeoutMilliseconds: timeoutMilliseconds)
    }
}
