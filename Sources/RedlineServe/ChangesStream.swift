import Hummingbird
import Logging
import ServiceLifecycle

/// Writes one `/changes` answer: a batch (`normal`, `longpoll`) or a stream (`continuous`, `eventsource`).
///
/// The loop reads what the ``Subscription`` has, writes it, and when caught up waits on the ``ChangeHub`` for
/// the next durable record, the heartbeat or the timeout, whichever comes first. Time only decides when a
/// heartbeat or the end is due, never which records are sent.
struct ChangesStream: Sendable {
    let query: ChangesQuery
    let subscription: Subscription
    let hub: ChangeHub
    let metrics: ServeMetrics
    let logger: Logger

    /// Records per write: large enough for a burst, small enough to interleave subscribers.
    private static let batch = 512

    func write(to writer: inout any ResponseBodyWriter) async throws {
        // The server's graceful shutdown waits for open responses: stop the hub at its start, so that every
        // stream ends at once with its resume seq instead of holding the shutdown until it times out.
        try await withGracefulShutdownHandler {
            switch query.mode {
            case .normal, .longpoll: try await writeBatch(to: &writer)
            case .continuous, .eventsource: try await writeStream(to: &writer)
            }
        } onGracefulShutdown: { [hub] in
            hub.stop()
        }
    }

    private var deadline: ContinuousClock.Instant? {
        query.timeoutMilliseconds.map { ContinuousClock.now + .milliseconds($0) }
    }

    /// `{"results":[...],"last_seq":N}`; `longpoll` first waits for one matching record or the timeout.
    private func writeBatch(to writer: inout any ResponseBodyWriter) async throws {
        let end = deadline
        var remaining = query.limit ?? Int.max
        var first = true
        try await writer.write(ByteBuffer(bytes: ChangesFormat.resultsOpen))
        while remaining > 0 {
            let (entries, caughtUp): ([HubEntry], Bool)
            do {
                (entries, caughtUp) = try subscription.next(max: min(remaining, Self.batch))
            } catch {
                // A batch answer has no place for a cut: it ends at the position reached, which resumes exactly.
                logger.warning("/changes ended early: \(error)")
                break
            }
            if !entries.isEmpty {
                try await writer.write(ChangesFormat.resultRows(entries, first: first))
                first = false
                metrics.sent(records: entries.count)
                remaining -= entries.count
            }
            guard caughtUp else {
                // Scanned a budget's worth without catching up: let the other subscribers run first.
                await Task.yield()
                continue
            }
            // normal: done. longpoll: done once it has something, else wait for a record or the timeout.
            guard query.mode == .longpoll, first, let end, ContinuousClock.now < end, !hub.stopped else { break }
            await hub.wait(
                after: subscription.position, generation: subscription.generation, timeout: end - ContinuousClock.now)
            try Task.checkCancellation()
        }
        try await writer.write(
            ByteBuffer(bytes: ChangesFormat.resultsClose(lastSeq: subscription.position, first: first)))
    }

    /// NDJSON or server-sent events until the limit, the timeout, a cut or the client leaving.
    private func writeStream(to writer: inout any ResponseBodyWriter) async throws {
        let events = query.mode == .eventsource
        let end = deadline
        let heartbeat = query.heartbeatMilliseconds.map { Duration.milliseconds($0) }
        var remaining = query.limit ?? Int.max
        var lastWrite = ContinuousClock.now
        if events { try await writer.write(ByteBuffer(bytes: ChangesFormat.eventPreamble)) }
        while remaining > 0 {
            let (entries, caughtUp): ([HubEntry], Bool)
            do {
                (entries, caughtUp) = try subscription.next(max: min(remaining, Self.batch))
            } catch {
                try await writer.write(ByteBuffer(bytes: cut(error, events: events)))
                return
            }
            if !entries.isEmpty {
                // In pieces of at most 64 KiB: each write waits for the connection to take it, so what one
                // subscriber holds in flight is bounded by bytes, not by a batch of 512 events (1,000 subscribers
                // of a burst held ~0.5 GB of copies otherwise).
                var from = 0
                while from < entries.count {
                    let (piece, end) = ChangesFormat.joined(entries, from: from, events: events, maxBytes: 1 << 16)
                    try await writer.write(piece)
                    from = end
                }
                metrics.sent(records: entries.count)
                remaining -= entries.count
                lastWrite = ContinuousClock.now
            }
            guard caughtUp else {
                // Scanned a budget's worth without catching up: let the other subscribers run first.
                await Task.yield()
                continue
            }
            if hub.stopped {
                try await writer.write(ByteBuffer(bytes: stopping(events: events)))
                return
            }
            let now = ContinuousClock.now
            if let end, now >= end { break }
            if let heartbeat, now - lastWrite >= heartbeat {
                try await writer.write(
                    ByteBuffer(bytes: events ? ChangesFormat.eventHeartbeat : ChangesFormat.lineHeartbeat))
                lastWrite = now
            }
            var wait = heartbeat.map { lastWrite + $0 - now }
            if let end { wait = min(wait ?? (end - now), end - now) }
            await hub.wait(after: subscription.position, generation: subscription.generation, timeout: wait)
            try Task.checkCancellation()
        }
        let last = subscription.position
        try await writer.write(
            ByteBuffer(
                bytes: events
                    ? ChangesFormat.eventEnd("end", reason: "timeout or limit reached", lastSeq: last)
                    : ChangesFormat.lineEnd(lastSeq: last)))
    }

    /// The last bytes of a stream cut by serve's shutdown, with the seq to resume from.
    private func stopping(events: Bool) -> [UInt8] {
        let last = subscription.position
        let reason = "serve is stopping; reconnect and resume with since=\(last)"
        return events
            ? ChangesFormat.eventEnd("shutdown", reason: reason, lastSeq: last)
            : ChangesFormat.lineError("shutdown", reason: reason, lastSeq: last)
    }

    /// The last bytes of a stream that cannot go on, with the seq to resume from.
    private func cut(_ end: Subscription.End, events: Bool) -> [UInt8] {
        let last = subscription.position
        let (code, reason, feedID): (String, String, String?)
        switch end {
        case .slow:
            metrics.droppedSubscriber()
            logger.notice("dropped a slow /changes subscriber", metadata: ["feed.seq": "\(last)"])
            (code, reason, feedID) = (
                "slow_subscriber",
                "this client fell more than [serve] subscriber_buffer records behind; resume with since=\(last)", nil
            )
        case .feedChanged(let id):
            (code, reason, feedID) = (
                "feed_changed", "the feed was recreated; resync from since=0 with feed_id=\(id ?? "the new one")", id
            )
        case .failed(let error):
            (code, reason, feedID) = ("error", error.message, nil)
        }
        return events
            ? ChangesFormat.eventEnd(code, reason: reason, lastSeq: last, feedID: feedID)
            : ChangesFormat.lineError(code, reason: reason, lastSeq: last, feedID: feedID)
    }
}
