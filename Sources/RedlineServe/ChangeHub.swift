import Foundation
import Hummingbird
import Logging
import RedlineFeed
import ServiceLifecycle
import Synchronization

/// One durable record as the hub keeps it for its subscribers.
///
/// Its bytes are kept once, framed as the server-sent event `id: SEQ\ndata: LINE\n\n`: every subscriber
/// writes that same buffer (or a slice of it), so 1,000 subscribers cost 1,000 references to one frame, not
/// 1,000 encodings and copies of it.
struct HubEntry: Sendable {
    /// The record's seq.
    let seq: UInt64
    /// The `eventsource` frame of the record, or (``framed`` false) the stored line and its `\n` alone.
    private let storage: ByteBuffer
    /// Where the stored line starts in `storage`.
    private let lineStart: Int
    /// Whether `storage` is the whole event frame.
    private let framed: Bool
    /// The fields filters look at (type, path, significance, classes); the text and patch are dropped.
    var facts: FeedRecord? { box?.record }
    /// ``facts`` behind one reference: an entry is copied per subscriber and per row, and a record's dozen
    /// fields cost a retain and release each per copy (a catch-up's rows spent 7% of the CPU destroying them).
    private let box: Facts?

    private final class Facts: Sendable {
        let record: FeedRecord
        init(_ record: FeedRecord) { self.record = record }
    }

    /// The entry of the stored line `bytes` (without its `\n`, crc included: passed on unchanged), framed once
    /// as an event: what the hub's ring keeps, written to every subscriber.
    init(seq: UInt64, bytes: [UInt8], facts: FeedRecord?) {
        self.seq = seq
        (storage, lineStart) = ChangesFormat.eventFrame(seq: seq, bytes)
        framed = true
        box = facts.map(Facts.init)
    }

    /// The entry of `line`, a stored line and its `\n` (typically a slice of one buffer holding many lines read
    /// from disk for one catching-up subscriber), framed as an event only if an event stream asks for it.
    init(seq: UInt64, line: ByteBuffer) {
        self.seq = seq
        storage = line
        lineStart = 0
        framed = false
        box = nil
    }

    /// The `eventsource` frame: `id: SEQ\ndata: LINE\n\n`.
    var event: ByteBuffer {
        if framed { return storage }
        var frame = ByteBuffer()
        frame.reserveCapacity(eventBytes)
        writeEvent(into: &frame)
        return frame
    }

    /// The size of ``event``, without building it.
    var eventBytes: Int { framed ? storage.readableBytes : lineBytes + 1 + Self.headBytes(seq) }

    /// Appends ``event`` to `out`.
    func writeEvent(into out: inout ByteBuffer) {
        if framed {
            out.writeImmutableBuffer(storage)
        } else {
            out.writeString("id: \(seq)\ndata: ")
            out.writeImmutableBuffer(storage)
            out.writeInteger(UInt8(0x0A))
        }
    }

    /// The stored line without its `\n`.
    var bytes: ByteBuffer {
        storage.getSlice(at: storage.readerIndex + lineStart, length: storage.readableBytes - lineStart - tail - 1)!
    }
    /// The stored line with its `\n` (`continuous`).
    var line: ByteBuffer {
        storage.getSlice(at: storage.readerIndex + lineStart, length: storage.readableBytes - lineStart - tail)!
    }

    /// Calls `body` with the stored line's bytes without its `\n` (``bytes`` without making a slice of the buffer).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.withUnsafeReadableBytes {
            body(UnsafeRawBufferPointer(rebasing: $0[lineStart..<(lineStart + lineBytes - 1)]))
        }
    }

    /// The size of ``line``.
    var lineBytes: Int { storage.readableBytes - lineStart - tail }

    /// Bytes after the line's `\n`: the frame's closing `\n`.
    private var tail: Int { framed ? 1 : 0 }

    /// `id: SEQ\ndata: ` in bytes.
    private static func headBytes(_ seq: UInt64) -> Int {
        var digits = 1
        var rest = seq / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return 11 + digits
    }
}

/// The single watcher of the feed that every `/changes` subscriber shares.
///
/// One thread follows the feed with one ``FeedCursor`` (so only durable records, as `tail`) and one inotify
/// ``FeedFollower``, decodes each new record once and keeps the last `capacity` of them in a ring. Subscribers
/// read the ring at their own position and await a wake-up; the hub never waits for a subscriber, so a slow
/// one cannot slow the others, and 1,000 subscribers cost one inotify instance and one read per record,
/// not 1,000. Records older than the ring are read from disk by the subscriber itself (``Subscription``).
final class ChangeHub: Service, Sendable {
    /// What ``read(after:generation:max:)`` found.
    enum Read {
        /// The next entries after the seq (contiguous), at most `max`.
        case entries([HubEntry])
        /// The seq is older than the ring: read it from disk.
        case behind
        /// Nothing after the seq yet.
        case caughtUp
        /// The feed was recreated since the subscriber started (another feed UUID).
        case feedChanged(String?)
    }

    private struct State {
        var ring: [HubEntry] = []
        /// Index of the oldest entry in `ring` (a circular buffer once full).
        var oldest = 0
        /// The seq the ring starts at (the next one the hub reads when it is empty).
        var first: UInt64
        /// The last durable seq the hub has read.
        var head: UInt64
        var feedID: String?
        /// Bumped when the feed is recreated.
        var generation = 0
        var waiters: [Int: Waiter] = [:]
        /// Waits cancelled before they registered.
        var cancelled: Set<Int> = []
        var nextWaiter = 0
        var stopped = false
    }

    private struct Waiter {
        var after: UInt64
        var generation: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    /// The feed directory.
    let directory: String
    /// Records kept in memory for subscribers.
    let capacity: Int
    /// The article index the hub keeps caught up, if serve has one.
    let index: ArticleIndex?
    private let indexReady = Mutex(false)
    private let state: Mutex<State>
    private let logger: Logger

    /// Opens the feed in `directory`; the hub starts after its last durable record.
    /// - Throws: ``ServeError`` `.config` if there is no feed directory.
    init(directory: String, capacity: Int, index: ArticleIndex?, logger: Logger) throws(ServeError) {
        let reader: FeedReader
        let head: UInt64
        let feedID: String?
        do {
            reader = try FeedReader(directory: directory)
            head = try reader.lastSeq()
            feedID = try reader.feedID()
        } catch {
            throw ServeError(
                .config,
                "no feed at \(directory): start `redline run` on this data directory first, or pass the daemon's "
                    + "--data-dir (serve reads DATA/feed)")
        }
        self.directory = reader.directory
        self.capacity = max(capacity, 1)
        self.index = index
        self.logger = logger
        var initial = State(first: head + 1, head: head)
        initial.feedID = feedID
        state = Mutex(initial)
    }

    /// The feed UUID, nil until the first record is written.
    var feedID: String? { state.withLock { $0.feedID } }
    /// Bumped each time the feed is recreated.
    var generation: Int { state.withLock { $0.generation } }
    /// The last durable seq the hub has read.
    var head: UInt64 { state.withLock { $0.head } }
    /// Whether the article index has caught up with the feed (it answers only then).
    var indexIsReady: Bool { indexReady.withLock { $0 } }

    /// Entries after `seq`, at most `max`, if the ring still holds them.
    func read(after seq: UInt64, generation: Int, max: Int) -> Read {
        state.withLock { s in
            guard s.generation == generation else { return .feedChanged(s.feedID) }
            guard seq < s.head else { return .caughtUp }
            guard seq + 1 >= s.first else { return .behind }
            let skip = Int(seq + 1 - s.first)
            let count = min(max, s.ring.count - skip)
            var out: [HubEntry] = []
            out.reserveCapacity(count)
            for i in 0..<count { out.append(s.ring[(s.oldest + skip + i) % s.ring.count]) }
            return .entries(out)
        }
    }

    /// Returns when a record after `seq` is durable, the feed is recreated, the hub stops, the task is cancelled,
    /// or `timeout` passes.
    func wait(after seq: UInt64, generation: Int, timeout: Duration?) async {
        guard let timeout else { return await wait(after: seq, generation: generation) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(after: seq, generation: generation) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func wait(after seq: UInt64, generation: Int) async {
        let id = state.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.cancelled.contains(id) || s.stopped || s.head > seq || s.generation != generation {
                        return true
                    }
                    s.waiters[id] = Waiter(after: seq, generation: generation, continuation: continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                guard let waiter = s.waiters.removeValue(forKey: id) else {
                    s.cancelled.insert(id)
                    return Waiter?.none
                }
                return waiter
            }
            waiter?.continuation.resume()
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }

    /// Follows the feed on its own thread until graceful shutdown.
    func run() async throws {
        let thread = Thread { [self] in follow() }
        thread.name = "redline-serve-hub"
        thread.start()
        try? await gracefulShutdown()
        stop()
    }

    /// Stops following and wakes every waiter for good: streams then end with their resume seq, so open
    /// connections never hold a graceful shutdown past the unit's stop timeout.
    func stop() {
        let waiters = state.withLock { s in
            s.stopped = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Whether ``stop()`` was called (serve is shutting down).
    var stopped: Bool { state.withLock { $0.stopped } }

    /// The hub's loop: read what is durable, publish it, wait on inotify (with a short timeout, to notice
    /// shutdown and a feed recreated under a new directory inode).
    private func follow() {
        var cursor: FeedCursor?
        var follower: FeedFollower?
        if let index { catchUp(index) }
        while !stopped {
            do throws(FeedError) {
                if follower == nil { follower = try FeedFollower(directory: directory) }
                let reader = try FeedReader(directory: directory)
                let known = feedID
                if let current = try reader.feedID(), let known, current != known {
                    throw FeedError(.feedChanged, path: directory, message: "feed \(known) became \(current)")
                }
                if cursor == nil { cursor = try reader.cursor(since: head + 1, strict: false) }
                var batch: [HubEntry] = []
                while let raw = try cursor?.next() {
                    batch.append(try entry(raw))
                    if batch.count == 1024 {
                        publish(batch, feedID: try reader.feedID())
                        batch = []
                    }
                }
                if !batch.isEmpty { publish(batch, feedID: try reader.feedID()) }
                _ = try follower?.wait(timeoutMilliseconds: 500)
            } catch  where error.code == .feedChanged {
                logger.warning(
                    "the feed was recreated; streams end with feed_changed",
                    metadata: ["feed.directory": "\(directory)"])
                cursor = nil
                follower = nil
                recreated()
            } catch {
                logger.error(
                    "cannot follow the feed: \(error.description)", metadata: ["feed.directory": "\(directory)"])
                cursor = nil
                follower = nil
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// Folds what the index has not seen, up to the hub's start, into it: a restart reads only the records
    /// written since the index's last seq, never the whole feed again (unless the feed was recreated).
    private func catchUp(_ index: ArticleIndex) {
        let start = head
        let feedID = self.feedID
        var from = index.lastSeq()
        do {
            if from > start {
                // An index ahead of the feed (a feed restored from a backup): rebuild it.
                try index.apply([], feedID: feedID, reset: true)
                from = 0
            }
            let cursor = try FeedReader(directory: directory).cursor(since: from + 1, strict: false)
            var batch: [FeedRecord] = []
            while !stopped, let raw = try cursor.next(), raw.seq <= start {
                batch.append(try raw.decode())
                if batch.count == 1000 {
                    try index.apply(batch, feedID: feedID)
                    batch = []
                }
            }
            try index.apply(batch, feedID: feedID)
            indexReady.withLock { $0 = true }
            logger.info("article index caught up", metadata: ["feed.seq": "\(start)", "index.from": "\(from)"])
        } catch {
            logger.error("cannot build the article index \(index.path): \(error); /articles answers 503")
        }
    }

    private func entry(_ raw: RawRecord) throws(FeedError) -> HubEntry {
        var facts = try raw.decode()
        facts.content = nil
        facts.patch = nil
        return HubEntry(seq: raw.seq, bytes: raw.bytes, facts: facts)
    }

    private func publish(_ batch: [HubEntry], feedID: String?) {
        let ready = state.withLock { s -> [Waiter] in
            for entry in batch {
                if s.ring.count < capacity {
                    s.ring.append(entry)
                } else {
                    s.ring[s.oldest] = entry
                    s.oldest = (s.oldest + 1) % capacity
                    s.first += 1
                }
            }
            if s.ring.count < capacity, let firstSeq = s.ring.first?.seq { s.first = firstSeq }
            s.head = batch.last?.seq ?? s.head
            if s.feedID == nil { s.feedID = feedID }
            return takeReady(&s)
        }
        for waiter in ready { waiter.continuation.resume() }
        if let index, indexIsReady {
            do {
                try index.apply(batch.compactMap(\.facts), feedID: feedID)
            } catch {
                indexReady.withLock { $0 = false }
                logger.error("cannot update the article index \(index.path): \(error); /articles answers 503")
            }
        }
    }

    /// A new feed in the same directory: forget the old one's records and wake everyone to see the change.
    private func recreated() {
        let feedID = (try? FeedReader(directory: directory).feedID()) ?? nil
        let ready = state.withLock { s -> [Waiter] in
            s.ring = []
            s.oldest = 0
            s.first = 1
            s.head = 0
            s.feedID = feedID
            s.generation += 1
            return takeReady(&s)
        }
        for waiter in ready { waiter.continuation.resume() }
        if let index {
            do {
                try index.apply([], feedID: feedID, reset: true)
                indexReady.withLock { $0 = true }
            } catch {
                indexReady.withLock { $0 = false }
                logger.error("cannot reset the article index \(index.path): \(error); /articles answers 503")
            }
        }
    }

    private func takeReady(_ s: inout State) -> [Waiter] {
        var ready: [Waiter] = []
        for (id, waiter) in s.waiters where waiter.after < s.head || waiter.generation != s.generation {
            ready.append(waiter)
            s.waiters.removeValue(forKey: id)
        }
        return ready
    }
}
