import Foundation
import Logging
import PostgresNIO
import RedlineFeed

/// What `redline ship` ships, where to, and how.
public struct ShipOptions: Sendable {
    /// The local feed directory (the daemon's DATA/feed).
    public var feedDirectory: String
    /// The database.
    public var postgres: PostgresURL
    /// The host name recorded in `feeds.host`.
    public var host: String
    /// Records per transaction.
    public var batchSize = 1000
    /// The node_exporter textfile to keep the lag in (``ShipMetrics``); nil: none.
    public var metricsFile: String?
    /// Return once everything durable so far is shipped, instead of following the feed.
    public var exitWhenCaughtUp = false
    /// How long to wait for another shipper's hold on the feed to go (a killed shipper's session ends a moment
    /// after its process) before calling this one fenced out.
    public var lockWaitSeconds = 3
    /// How long the ship loop may go without progress (a statement PostgreSQL never answers) before its
    /// connection is closed and opened again.
    public var stallSeconds = 30

    /// Ship `feedDirectory` into `postgres`, recorded as `host`.
    public init(feedDirectory: String, postgres: PostgresURL, host: String) {
        self.feedDirectory = feedDirectory
        self.postgres = postgres
        self.host = host
    }
}

/// `redline ship`: every durable record of one local feed into PostgreSQL, exactly once.
///
/// The cursor is `feeds.shipped_seq`. Each batch is one transaction that advances it only from the batch's first
/// seq minus one (the fence), inserts the lines with `ON CONFLICT DO NOTHING`, checks that rows already there hold
/// the same bytes, and sends `NOTIFY redline_records` (a wake-up for followers, never the data). A shipper also
/// holds a session advisory lock on its feed, so a second one is refused at once rather than at its first batch.
/// PostgreSQL being down, restarting or slow is retried with jittered backoff, logged once per change of state;
/// what retrying cannot fix (fenced, a gap, a conflict) is thrown as a ``ShipError``.
public struct Shipper: Sendable {
    /// The NOTIFY channel followers LISTEN on; the payload is the feed UUID.
    public static let channel = "redline_records"

    private let options: ShipOptions
    private let logger: Logger

    /// A shipper with `options`, logging to `logger`.
    public init(options: ShipOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Ships until cancelled (or, with ``ShipOptions/exitWhenCaughtUp``, until caught up).
    /// - Throws: ``ShipError``: `.fenced`, `.gap`, `.conflict`, `.feed`, `.postgres`.
    public func run() async throws(ShipError) {
        var metrics = ShipMetrics(path: options.metricsFile)
        var reachability = Reachability(
            postgres: options.postgres, logger: logger,
            gone: "PostgreSQL is unavailable; retrying with backoff, the local feed keeps the records",
            back: "PostgreSQL is reachable again; catching up")
        var backoff = Backoff()
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let opened = try await PostgresConnection.connect(
                    configuration: options.postgres.configuration, id: 1, logger: logger)
                connection = opened
                // Under the watchdog too: a server that crashes while the migrations run can leave their await
                // pending for good, and a shipper stuck there would never ship, nor stop on SIGTERM.
                try await watched(opened, limit: .seconds(options.stallSeconds)) { _ in
                    try await Migrations.apply(on: opened, logger: logger)
                }
                reachability.reached()
                backoff.reset()
                metrics.up = true
                let start = metrics
                try await watched(opened, limit: .seconds(options.stallSeconds)) { heartbeat in
                    var metrics = start
                    try await ship(on: opened, metrics: &metrics, heartbeat: heartbeat)
                }
                try? await opened.close()
                return
            } catch {
                if let connection { try? await connection.close() }
                if let error = error as? ShipError { throw error }
                if isPermanent(error) {
                    throw ShipError(
                        .postgres,
                        message: "PostgreSQL \(options.postgres) refused ship: \(describe(error)); fix the database "
                            + "or the role's rights and start ship again")
                }
                if Task.isCancelled { return }
                reachability.failed(error)
                metrics.up = false
                metrics.write(logger: logger)
                await backoff.wait()
            }
        }
    }

    /// One connection's life: claim the feed, then ship batch after batch.
    private func ship(on connection: PostgresConnection, metrics: inout ShipMetrics, heartbeat: Heartbeat)
        async throws
    {
        let reader: FeedReader
        do throws(FeedError) {
            reader = try FeedReader(directory: options.feedDirectory)
        } catch {
            throw ShipError(.feed, message: error.message)
        }
        guard let feed = try await waitForFeedID(reader, heartbeat: heartbeat) else { return }
        metrics.feed = feed
        try await claim(feed, on: connection)
        var shipped = try await shippedSeq(feed, on: connection)
        let cursor = try await openCursor(reader, feed: feed, shipped: shipped, on: connection)
        let follower = try? FeedFollower(directory: reader.directory)
        while !Task.isCancelled {
            heartbeat.beat()
            var batch: [RawRecord] = []
            do throws(FeedError) {
                while batch.count < options.batchSize, let raw = try cursor.next() { batch.append(raw) }
            } catch {
                throw gapOrFeedError(error, feed: feed, expected: shipped + UInt64(batch.count) + 1)
            }
            for (index, raw) in batch.enumerated() where raw.seq != shipped + UInt64(index) + 1 {
                throw gap(feed: feed, seq: shipped + UInt64(index) + 1, directory: reader.directory)
            }
            let local = (try? reader.lastSeq()) ?? shipped
            metrics.update(shipped: shipped, local: max(local, shipped), oldestPending: batch.first)
            metrics.write(logger: logger)
            if batch.isEmpty {
                if options.exitWhenCaughtUp { return }
                _ = try? follower?.wait(timeoutMilliseconds: 250)
                if follower == nil { try? await Task.sleep(for: .milliseconds(250)) }
                continue
            }
            try await commit(batch, feed: feed, after: shipped, on: connection)
            shipped = batch[batch.count - 1].seq
            logger.debug("shipped", metadata: ["feed.id": "\(feed)", "feed.seq": "\(shipped)"])
        }
    }

    /// The feed's UUID; waits for the daemon to create the feed (nil if cancelled first).
    private func waitForFeedID(_ reader: FeedReader, heartbeat: Heartbeat) async throws -> String? {
        var logged = false
        while !Task.isCancelled {
            heartbeat.beat()
            do throws(FeedError) {
                if let feed = try reader.feedID() { return feed }
            } catch {
                throw ShipError(.feed, message: error.message)
            }
            if !logged {
                logger.notice("waiting for the daemon to create the feed", metadata: ["feed": "\(reader.directory)"])
                logged = true
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return nil
    }

    /// Registers the feed (a recreated feed, with a new UUID, is a new row) and takes its advisory lock.
    private func claim(_ feed: String, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO feeds (feed_uuid, host) VALUES (\(feed), \(options.host))
            ON CONFLICT (feed_uuid) DO UPDATE SET host = EXCLUDED.host, last_seen = now()
            """, logger: logger)
        try await connection.run(
            PostgresQuery(unsafeSQL: "SET lock_timeout = '\(max(1, options.lockWaitSeconds))s'"), logger: logger)
        do {
            try await connection.run("SELECT pg_advisory_lock(hashtextextended(\(feed), 0))", logger: logger)
        } catch let error where sqlState(error) == "55P03" {
            throw ShipError(
                .fenced,
                message: "feed \(feed) is being shipped by another redline ship (it holds the feed's lock in "
                    + "\(options.postgres)): fenced out; run one shipper per feed", feed: feed)
        }
        try await connection.run("SET lock_timeout = 0", logger: logger)
    }

    private func shippedSeq(_ feed: String, on connection: PostgresConnection) async throws -> UInt64 {
        for try await seq in try await connection.query(
            "SELECT shipped_seq FROM feeds WHERE feed_uuid = \(feed)", logger: logger
        ).decode(Int64.self) {
            return UInt64(seq)
        }
        return 0
    }

    /// A cursor at the first seq to ship, after checking that the last one shipped still holds the same bytes
    /// locally (a feed restored from a backup or rewritten under the same UUID is a conflict, never an overwrite).
    private func openCursor(
        _ reader: FeedReader, feed: String, shipped: UInt64, on connection: PostgresConnection
    ) async throws -> FeedCursor {
        if shipped > 0, let local = try? reader.cursor(since: shipped, strict: true), let raw = try? local.next(),
            raw.seq == shipped
        {
            var stored: String?
            for try await line in try await connection.query(
                "SELECT line FROM records WHERE feed_uuid = \(feed) AND seq = \(Int64(shipped))", logger: logger
            ).decode(String.self) {
                stored = line
            }
            if stored != String(decoding: raw.bytes, as: UTF8.self) {
                throw conflict(feed: feed, seq: shipped)
            }
        }
        do throws(FeedError) {
            return try reader.cursor(since: shipped + 1, strict: true)
        } catch {
            throw gapOrFeedError(error, feed: feed, expected: shipped + 1)
        }
    }

    /// One batch, one transaction: fence, insert, compare, notify.
    private func commit(_ batch: [RawRecord], feed: String, after shipped: UInt64, on connection: PostgresConnection)
        async throws
    {
        let first = Int64(batch[0].seq)
        let last = Int64(batch[batch.count - 1].seq)
        let seqs = batch.map { Int64($0.seq) }
        let lines = batch.map { String(decoding: $0.bytes, as: UTF8.self) }
        try await connection.run("BEGIN", logger: logger)
        do {
            // The fence: the row lock taken here also orders two shippers that got past the advisory lock (a
            // partitioned session whose backend has not noticed yet); the later one sees the moved seq.
            var fenced = true
            for try await _ in try await connection.query(
                """
                UPDATE feeds SET shipped_seq = \(last), last_seen = now()
                WHERE feed_uuid = \(feed) AND shipped_seq = \(Int64(shipped)) RETURNING 1
                """, logger: logger
            ) { fenced = false }
            if fenced {
                throw ShipError(
                    .fenced,
                    message: "feed \(feed): feeds.shipped_seq in \(options.postgres) is no longer \(shipped) "
                        + "(another shipper moved it): fenced out before shipping seq \(first); run one shipper "
                        + "per feed", feed: feed, seq: UInt64(first))
            }
            // OFFSET 0 keeps the planner from inlining `u.line::jsonb` into each of the nine uses of `j`: parsed
            // once per row instead of nine times, the insert takes 60% of the time (the ship bench). The CASE
            // skips the per-row subquery for records without changes (created, moved, deleted).
            try await connection.run(
                """
                INSERT INTO records (feed_uuid, seq, type, root, path, from_path, time, significance, classes, record,
                    line)
                SELECT \(feed), u.seq, j ->> 'type', j ->> 'root', j ->> 'path', j ->> 'from_path',
                    (j ->> 'time')::timestamptz, j ->> 'significance',
                    CASE WHEN jsonb_typeof(j -> 'changes') = 'array' THEN
                        ARRAY(SELECT DISTINCT c ->> 'class' FROM jsonb_array_elements(j -> 'changes') AS c
                            WHERE c ->> 'class' IS NOT NULL ORDER BY 1)
                    ELSE '{}' END,
                    j, u.line
                FROM unnest(\(seqs)::bigint[], \(lines)::text[]) AS u (seq, line)
                CROSS JOIN LATERAL (SELECT u.line::jsonb AS j OFFSET 0) AS parsed
                ON CONFLICT (feed_uuid, seq) DO NOTHING
                """, logger: logger)
            for try await seq in try await connection.query(
                """
                SELECT r.seq FROM records r JOIN unnest(\(seqs)::bigint[], \(lines)::text[]) AS u (seq, line)
                    ON r.feed_uuid = \(feed) AND r.seq = u.seq
                WHERE r.line <> u.line ORDER BY r.seq LIMIT 1
                """, logger: logger
            ).decode(Int64.self) {
                throw conflict(feed: feed, seq: UInt64(seq))
            }
            try await connection.run(
                """
                UPDATE feeds SET roots = ARRAY(
                    SELECT DISTINCT x FROM unnest(roots || ARRAY(
                        SELECT DISTINCT root FROM records WHERE feed_uuid = \(feed) AND seq BETWEEN \(first) AND \(last)
                    )) AS x ORDER BY 1)
                WHERE feed_uuid = \(feed)
                """, logger: logger)
            try await connection.run("SELECT pg_notify(\(Self.channel), \(feed))", logger: logger)
            try await connection.run("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    private func conflict(feed: String, seq: UInt64) -> ShipError {
        ShipError(
            .conflict,
            message: "feed \(feed) seq \(seq): PostgreSQL already holds different bytes for it than the local feed "
                + "(restored from a backup, or rewritten under the same UUID?); ship never overwrites: inspect "
                + "both, and give a rewritten feed a new UUID", feed: feed, seq: seq)
    }

    private func gap(feed: String, seq: UInt64, directory: String) -> ShipError {
        ShipError(
            .gap,
            message: "feed \(feed) seq \(seq) is missing from \(directory) (deleted by retention, or damaged) and "
                + "was never shipped: ship stops rather than skip it; restore the segment, or resync the feed",
            feed: feed, seq: seq)
    }

    private func gapOrFeedError(_ error: FeedError, feed: String, expected: UInt64) -> ShipError {
        switch error.code {
        case .retention, .corrupt, .mismatch:
            var gap = gap(feed: feed, seq: expected, directory: options.feedDirectory)
            gap.message += " (\(error.message))"
            return gap
        default:
            return ShipError(.feed, message: error.message, feed: feed)
        }
    }
}
