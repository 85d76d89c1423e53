import Foundation
import Logging
import PostgresNIO
import RedlineFeed

/// A follower's position in the merged history: the last seq delivered of every feed, stored in `--cursor-file`
/// as `{"postgres":{"<feed uuid>":<last seq>,...}}`.
///
/// Per-feed seqs, not one global counter: rows of different feeds commit out of order, so a follower that kept
/// "the highest row id seen" would skip a row committed late below it. A feed's rows commit in seq order, with
/// `feeds.shipped_seq`, so "every seq up to shipped_seq after mine" is complete.
public struct PostgresCursor: Sendable, Equatable {
    /// The last seq delivered, per feed UUID; a feed missing here has delivered nothing.
    public var delivered: [String: UInt64]

    /// A position.
    public init(delivered: [String: UInt64] = [:]) {
        self.delivered = delivered
    }

    /// Reads a cursor file; nil if it does not exist.
    /// - Throws: ``ShipError`` `.invalidArgument` if it is not a PostgreSQL cursor file.
    public static func load(_ path: String) throws(ShipError) -> PostgresCursor? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        struct Stored: Decodable {
            var postgres: [String: UInt64]
        }
        guard let data = FileManager.default.contents(atPath: path),
            let stored = try? JSONDecoder().decode(Stored.self, from: data)
        else {
            throw ShipError(
                .invalidArgument,
                message: "cursor file \(path) is not a redline PostgreSQL cursor ({\"postgres\":{FEED:SEQ,...}}); "
                    + "delete it to start over, or pass another --cursor-file")
        }
        return PostgresCursor(delivered: stored.postgres)
    }

    /// Replaces the cursor file atomically (a temporary file, then rename).
    public func save(_ path: String) throws(ShipError) {
        let body = delivered.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        do {
            try Data("{\"postgres\":{\(body)}}\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ShipError(
                .invalidArgument, message: "cannot write cursor file \(path): \(error); check its directory")
        }
    }
}

/// Reads the merged history back from PostgreSQL: `tail --postgres` and `replay --postgres`.
public struct PostgresHistory: Sendable {
    /// One record as a follower gets it.
    public struct Item: Sendable {
        /// Its feed's UUID.
        public var feed: String
        /// Its seq in that feed.
        public var seq: UInt64
        /// The line exactly as the feed stored it.
        public var line: String
        /// The decoded record, when the filter needed it or `decode` asked for it.
        public var record: FeedRecord?
    }

    private let url: PostgresURL
    private let logger: Logger
    /// How long one statement may go unanswered before a follower closes its connection and opens another.
    public var stallSeconds = 30

    /// A reader of the database at `url`.
    public init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// Delivers every matching record committed after `cursor`, of every feed or of `feed` alone, feed by feed in
    /// seq order; with `follow`, waits for more (NOTIFY, and a poll every second since NOTIFY is only a hint).
    ///
    /// With `cursorFile`, `flush` runs and the position is saved after each round, so a kill repeats records and
    /// never loses one. Without a cursor file, `fromBeginning` false starts after what is committed now (feeds that
    /// appear later are followed from their first record).
    ///
    /// A follower outlives PostgreSQL going away: it reconnects with the shipper's backoff, logs once when the
    /// database goes and once when it is back, and resumes every feed after the last seq it delivered (the position
    /// is kept in memory across connections), so a restart neither skips nor repeats a record. A statement left
    /// unanswered for ``stallSeconds`` counts as the database going away. Without `follow`, losing the database
    /// is an error.
    /// - Throws: ``ShipError``, and what `deliver` and `flush` throw.
    public func tail(
        feed: String?, filter: RecordFilter, decode: Bool, follow: Bool, fromBeginning: Bool, cursorFile: String?,
        deliver: (Item) throws -> Void, flush: () throws -> Void
    ) async throws {
        var position: PostgresCursor?
        if let cursorFile { position = try PostgresCursor.load(cursorFile) }
        if position == nil && fromBeginning { position = PostgresCursor() }
        let (wakeups, bell) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var helpers: [Task<Void, Never>] = []
        defer { for task in helpers { task.cancel() } }
        if follow {
            helpers.append(Task { [url, logger] in await Self.listen(url: url, logger: logger, bell: bell) })
            helpers.append(
                Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        bell.yield()
                    }
                })
        }
        var wakeup = wakeups.makeAsyncIterator()
        var reachability = Reachability(
            postgres: url, logger: logger,
            gone: "PostgreSQL is unavailable; retrying with backoff, then resuming every feed after its last seq",
            back: "PostgreSQL is reachable again; resuming every feed after its last seq printed")
        var backoff = Backoff()
        while true {
            var connection: PostgresConnection?
            do {
                let opened = try await PostgresConnection.connect(
                    configuration: url.configuration, id: 1, logger: logger)
                connection = opened
                reachability.reached()
                backoff.reset()
                try await rounds(
                    on: opened, position: &position, feed: feed, filter: filter, decode: decode, follow: follow,
                    cursorFile: cursorFile, wakeup: &wakeup, deliver: deliver, flush: flush)
                Task { try? await opened.close() }
                return
            } catch {
                // Not awaited: a connection the server dropped may never answer its close.
                if let connection { Task { try? await connection.close() } }
                if let failure = error as? DeliveryFailed { throw failure.error }
                if error is ShipError { throw error }
                if Task.isCancelled { return }
                guard follow, !isPermanent(error) else {
                    let what = connection == nil ? "cannot connect to" : "lost the connection to"
                    throw ShipError(.postgres, message: "\(what) \(url): \(describe(error)); is PostgreSQL up?")
                }
                reachability.failed(error)
                await backoff.wait()
            }
        }
    }

    /// What `deliver` or `flush` threw: the caller's own failure, passed through rather than retried.
    private struct DeliveryFailed: Error {
        var error: any Error
    }

    /// One connection's rounds: every feed's records after `position`, then (following) a wait for a wake-up.
    ///
    /// `position` only moves past rows already delivered, and every statement's rows arrive whole before the
    /// first is delivered, so a connection lost at any point leaves `position` at a row boundary to resume from.
    private func rounds(
        on connection: PostgresConnection, position saved: inout PostgresCursor?, feed: String?,
        filter: RecordFilter, decode: Bool, follow: Bool, cursorFile: String?,
        wakeup: inout AsyncStream<Void>.Iterator, deliver: (Item) throws -> Void, flush: () throws -> Void
    ) async throws {
        if saved == nil {
            var start = PostgresCursor()
            for (uuid, shipped) in try await shippedSeqs(feed: feed, on: connection) {
                start.delivered[uuid] = shipped
            }
            saved = start
        }
        let decoder = JSONDecoder()
        while true {
            var progressed = false
            for (uuid, shipped) in try await shippedSeqs(feed: feed, on: connection) {
                var last = saved?.delivered[uuid] ?? 0
                while last < shipped {
                    let rows = try await page(of: uuid, after: last, through: shipped, on: connection)
                    guard !rows.isEmpty else { break }
                    for (seq, line) in rows {
                        guard UInt64(seq) == last + 1 else {
                            throw ShipError(
                                .gap,
                                message: "feed \(uuid) seq \(last + 1) is missing from \(url) although shipped_seq "
                                    + "is \(shipped): rows were deleted by hand; reship the feed", feed: uuid,
                                seq: last + 1)
                        }
                        last = UInt64(seq)
                        var record: FeedRecord?
                        if decode || !filter.keepsEverything {
                            do {
                                record = try decoder.decode(FeedRecord.self, from: Data(line.utf8))
                            } catch {
                                throw ShipError(
                                    .feed, message: "feed \(uuid) seq \(seq) in \(url) is not a valid record: \(error)",
                                    feed: uuid, seq: UInt64(seq))
                            }
                        }
                        if let record, !filter.matches(record) { continue }
                        do {
                            try deliver(Item(feed: uuid, seq: UInt64(seq), line: line, record: record))
                        } catch {
                            throw DeliveryFailed(error: error)
                        }
                    }
                    saved?.delivered[uuid] = last
                    progressed = true
                }
            }
            if progressed || cursorFile.map({ !FileManager.default.fileExists(atPath: $0) }) == true {
                do {
                    try flush()
                } catch {
                    throw DeliveryFailed(error: error)
                }
                if let cursorFile, let saved { try saved.save(cursorFile) }
            }
            guard follow else { return }
            if !progressed { _ = await wakeup.next() }
            if Task.isCancelled { return }
        }
    }

    /// Up to 2000 rows of `feed` after seq `last`, up to `shipped`, in seq order; under the stall watchdog.
    private func page(of feed: String, after last: UInt64, through shipped: UInt64, on connection: PostgresConnection)
        async throws -> [(Int64, String)]
    {
        try await watched(connection, limit: .seconds(stallSeconds)) { [logger] _ in
            var rows: [(Int64, String)] = []
            for try await row in try await connection.query(
                """
                SELECT seq, line FROM records
                WHERE feed_uuid = \(feed) AND seq > \(Int64(last)) AND seq <= \(Int64(shipped))
                ORDER BY seq LIMIT 2000
                """, logger: logger
            ).decode((Int64, String).self) {
                rows.append(row)
            }
            return rows
        }
    }

    /// Rebuilds `feed`'s tree from its rows alone into `target`, through the same fold as the local replay.
    /// - Throws: ``ShipError`` `.invalidArgument` if the feed is unknown; ``FeedError`` from the fold and the writer.
    public func replay(feed: String, to target: String, pathGlob: String?) async throws -> FeedReplay.Report {
        let connection = try await connect()
        defer { Task { [connection] in try? await connection.close() } }
        guard let shipped = try await shippedSeqs(feed: feed, on: connection).first?.1 else {
            throw ShipError(
                .invalidArgument,
                message: "feed \(feed) is not in \(url): list the feeds with SELECT feed_uuid, host FROM feeds",
                feed: feed)
        }
        var fold = LineFold(source: "feed \(feed) in \(url)")
        fold.pathGlob = pathGlob
        var last: UInt64 = 0
        while last < shipped {
            var count = 0
            for try await (seq, line) in try await connection.query(
                """
                SELECT seq, line FROM records WHERE feed_uuid = \(feed) AND seq > \(Int64(last))
                    AND seq <= \(Int64(shipped)) ORDER BY seq LIMIT 5000
                """, logger: logger
            ).decode((Int64, String).self) {
                try fold.apply(line: Array(line.utf8))
                last = UInt64(seq)
                count += 1
            }
            if count == 0 { break }
        }
        return try fold.write(to: target)
    }

    private func connect() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: url.configuration, id: 1, logger: logger)
        } catch {
            throw ShipError(.postgres, message: "cannot connect to \(url): \(describe(error)); is PostgreSQL up?")
        }
    }

    /// Every feed (or `feed` alone) with its committed seq, in UUID order.
    private func shippedSeqs(feed: String?, on connection: PostgresConnection) async throws -> [(String, UInt64)] {
        let query: PostgresQuery =
            if let feed {
                "SELECT feed_uuid, shipped_seq FROM feeds WHERE feed_uuid = \(feed)"
            } else {
                "SELECT feed_uuid, shipped_seq FROM feeds ORDER BY feed_uuid"
            }
        return try await watched(connection, limit: .seconds(stallSeconds)) { [logger] _ in
            var result: [(String, UInt64)] = []
            do {
                for try await (uuid, shipped) in try await connection.query(query, logger: logger).decode(
                    (String, Int64).self)
                {
                    result.append((uuid, UInt64(shipped)))
                }
            } catch let error where sqlState(error) == "42P01" {
                // No shipper has created the schema yet: nothing is shipped so far.
                return []
            }
            return result
        }
    }

    /// Rings `bell` on every NOTIFY of ship's channel, reconnecting when the connection drops; polling covers
    /// the gaps, since a notification sent while nobody listened is gone.
    private static func listen(url: PostgresURL, logger: Logger, bell: AsyncStream<Void>.Continuation) async {
        var backoff = Backoff()
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let opened = try await PostgresConnection.connect(
                    configuration: url.configuration, id: 2, logger: logger)
                connection = opened
                backoff.reset()
                // Rows committed while nobody listened rang no bell: look once now.
                bell.yield()
                try await opened.listen(on: Shipper.channel) { notifications in
                    for try await _ in notifications { bell.yield() }
                }
            } catch {
                // The main connection logs PostgreSQL going away; this one only retries quietly.
            }
            // A connection the server dropped must still be closed (postgres-nio asserts it), but not waited on.
            if let connection { Task { try? await connection.close() } }
            await backoff.wait()
        }
    }
}
