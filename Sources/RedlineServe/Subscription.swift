import Hummingbird
import RedlineFeed

/// One client's position in the feed, and the records after it that match its filter.
///
/// Recent records come from the shared ``ChangeHub`` ring; older ones (a client catching up from `since`)
/// from a ``FeedCursor`` of its own, which is dropped once it has caught up. Once a subscriber has been
/// served from the ring it is live, and its buffer is the ring's records between its position and the head:
/// when that exceeds `buffer` it is dropped (``SubscriptionEnd/slow``) with its position, the seq to resume
/// from, instead of holding memory or the others back.
///
/// Used by one request's task at a time.
final class Subscription: @unchecked Sendable {
    /// The feed generation the subscriber started on.
    let generation: Int
    /// The feed UUID when it started.
    let feedID: String?
    /// The last seq examined: every record up to it was delivered or filtered out. `since` for a resume.
    private(set) var position: UInt64
    private let hub: ChangeHub
    private let filter: RecordFilter
    private let buffer: Int
    private var disk: FeedCursor?
    private var live = false

    /// Starts after `start`.
    /// - Throws: ``ServeError`` `.gone` if `since` is older than retention kept, `.feedChanged` if `feedID` is not
    ///   the feed's, `.badRequest` if `since` is past the feed's last durable record.
    init(hub: ChangeHub, start: ChangesStart, filter: RecordFilter, buffer: Int, feedID: String?) throws(ServeError) {
        self.hub = hub
        self.filter = filter
        self.buffer = buffer
        generation = hub.generation
        self.feedID = hub.feedID
        if let wanted = feedID, wanted != self.feedID {
            throw ServeError(
                .feedChanged,
                "feed_id \(ChangesQuery.clip(wanted)) is not this feed (\(self.feedID ?? "none yet")): the feed was "
                    + "recreated; resync from since=0 with the new feed_id")
        }
        switch start {
        case .now: position = hub.head
        case .after(let seq):
            position = seq
            let last: UInt64
            do {
                last = try FeedReader(directory: hub.directory).lastSeq()
            } catch {
                throw ServeError(error)
            }
            if seq > max(last, hub.head) {
                throw ServeError(
                    .badRequest,
                    "since: \(seq) is past the feed's last seq \(last) (was the feed restored from a backup?); "
                        + "resume from since=\(last) or resync from since=0")
            }
            if case .behind = hub.read(after: seq, generation: generation, max: 1) {
                // Open now, so retention is a 410 before any byte of the answer is sent.
                disk = try open(after: seq)
            }
        }
    }

    private func open(after seq: UInt64) throws(ServeError) -> FeedCursor {
        do {
            // since=0 means everything kept; a later since must not skip what retention deleted.
            return try FeedReader(directory: hub.directory).cursor(since: seq + 1, strict: seq > 0)
        } catch {
            throw ServeError(error)
        }
    }

    /// Appends up to `max` records from `cursor`, copied once into one buffer that their entries share: the
    /// unfiltered catch-up (`since=0` of a whole feed) costs one copy per byte and no allocation per record.
    /// - Returns: false when the cursor had no more complete records.
    private func readAll(from cursor: FeedCursor, max: Int, into out: inout [HubEntry]) throws(FeedError) -> Bool {
        var lines = ByteBuffer()
        lines.reserveCapacity(min(1 << 20, max * 1024))
        var ends: [(seq: UInt64, end: Int)] = []
        ends.reserveCapacity(min(max, Self.scanBudget))
        var more = true
        var failure: FeedError?
        while ends.count < min(max, Self.scanBudget) && lines.writerIndex < (1 << 20) {
            do {
                let got = try cursor.next { seq, line in
                    lines.writeBytes(line)
                    lines.writeInteger(UInt8(0x0A))
                    ends.append((seq, lines.writerIndex))
                }
                if !got {
                    more = false
                    break
                }
            } catch {
                // The lines before the damage are whole and checked: they are delivered, then the error.
                failure = error
                break
            }
        }
        var from = 0
        for (seq, end) in ends {
            out.append(HubEntry(seq: seq, line: lines.getSlice(at: from, length: end - from)!))
            from = end
        }
        if let last = ends.last { position = last.seq }
        if let failure { throw failure }
        return more
    }

    /// Records one ``next(max:)`` examines at most. The disk reads are synchronous, and the cooperative pool has
    /// as many threads as cores (two here): a client catching up with a selective filter must hand its thread
    /// back often, so that live subscribers are not held up behind it.
    static let scanBudget = 2_048

    /// Why a subscription cannot go on.
    enum End: Error {
        /// It fell more than its buffer behind the head; resume from ``Subscription/position``.
        case slow
        /// The feed was recreated (the new UUID, if known).
        case feedChanged(String?)
        /// The feed cannot be read.
        case failed(ServeError)
    }

    /// The next matching records written so far, at most `max`; empty with `caughtUp` when there are no more yet.
    ///
    /// Scans at most a bounded number of records per call, so a selective filter over a long feed cannot hold
    /// the task forever: an empty answer without `caughtUp` means "call again".
    func next(max: Int) throws(End) -> (entries: [HubEntry], caughtUp: Bool) {
        if let end = deferredEnd {
            deferredEnd = nil
            throw end
        }
        var out: [HubEntry] = []
        do {
            let caughtUp = try collect(max: max, into: &out)
            return (out, caughtUp)
        } catch {
            // What was read before the end is delivered first, and the end comes with the next call: ``position``
            // is already past those records, so dropping them here would lose them for a client resuming from it.
            guard !out.isEmpty else { throw error }
            deferredEnd = error
            return (out, false)
        }
    }

    /// Why the subscription ends, held back while the records read before it are delivered.
    private var deferredEnd: End?

    /// ``next(max:)``'s scan: appends to `out`; returns whether it caught up.
    private func collect(max: Int, into out: inout [HubEntry]) throws(End) -> Bool {
        var scanned = 0
        while out.count < max && scanned < Self.scanBudget {
            if let cursor = disk, filter.keepsEverything {
                do throws(FeedError) {
                    if try !readAll(from: cursor, max: max - out.count, into: &out) {
                        disk = nil
                        if case .behind = hub.read(after: position, generation: generation, max: 1) {
                            return true  // the hub has not read this far yet
                        }
                    }
                    scanned += Self.scanBudget
                } catch {
                    if error.code == .feedChanged { throw .feedChanged(hub.feedID) }
                    throw .failed(ServeError(error))
                }
                continue
            }
            if let cursor = disk {
                do throws(FeedError) {
                    guard let raw = try cursor.next() else {
                        disk = nil
                        if case .behind = hub.read(after: position, generation: generation, max: 1) {
                            return true  // the hub has not read this far yet
                        }
                        continue
                    }
                    scanned += 1
                    // Decoded before the position moves: a record that cannot be decoded is not skipped.
                    let matches = filter.matches(try raw.decode())
                    position = raw.seq
                    if matches { out.append(HubEntry(seq: raw.seq, bytes: raw.bytes, facts: nil)) }
                } catch {
                    if error.code == .feedChanged { throw .feedChanged(hub.feedID) }
                    throw .failed(ServeError(error))
                }
                continue
            }
            switch hub.read(after: position, generation: generation, max: 512) {
            case .feedChanged(let id): throw .feedChanged(id)
            case .caughtUp: return true
            case .behind:
                if live { throw .slow }
                do {
                    disk = try open(after: position)
                } catch {
                    throw .failed(error)
                }
            case .entries(let entries):
                if live && hub.head > position + UInt64(buffer) { throw .slow }
                live = true
                for entry in entries where out.count < max {
                    scanned += 1
                    position = entry.seq
                    if filter.keepsEverything || (entry.facts.map(filter.matches) ?? true) { out.append(entry) }
                }
            }
        }
        return false
    }
}
