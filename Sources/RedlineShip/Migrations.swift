import Foundation
import Logging
import PostgresNIO

/// The schema's versioned migrations, embedded so the installed binary needs no data files.
///
/// The source of truth is `schema/postgres/NNN_*.sql`; `MigrationTests` fails when this copy differs from
/// those files. Add a migration as a new file and a new entry here; never edit one that was released.
enum Migrations {
    /// One migration: its version (the file's number), the file name and its SQL.
    struct Migration: Sendable {
        var version: Int
        var name: String
        var sql: String
    }

    /// Every migration in version order.
    static let all: [Migration] = [
        Migration(
            version: 1, name: "001_feeds_records.sql",
            sql: #"""
                -- Redline's PostgreSQL schema, version 1: one row per feed, one row per record, and two analyst views.
                -- `redline ship` applies this itself (schema_migrations records it); the file is embedded in the binary.

                CREATE TABLE feeds (
                    feed_uuid   text PRIMARY KEY,
                    host        text NOT NULL,
                    roots       text[] NOT NULL DEFAULT '{}',
                    -- The last seq committed for this feed: every seq from 1 to it is in records. The shipper's cursor,
                    -- and its fence: a batch advances it only from its first seq minus one.
                    shipped_seq bigint NOT NULL DEFAULT 0 CHECK (shipped_seq >= 0),
                    first_seen  timestamptz NOT NULL DEFAULT now(),
                    last_seen   timestamptz NOT NULL DEFAULT now()
                );

                CREATE TABLE records (
                    feed_uuid    text NOT NULL REFERENCES feeds (feed_uuid),
                    seq          bigint NOT NULL CHECK (seq >= 1),
                    type         text NOT NULL,
                    root         text NOT NULL,
                    path         text NOT NULL,
                    from_path    text,
                    time         timestamptz NOT NULL,
                    significance text,
                    classes      text[] NOT NULL DEFAULT '{}',
                    record       jsonb NOT NULL,
                    -- The line exactly as the feed stored it (crc included, no newline): replay and byte checks use it.
                    line         text NOT NULL,
                    PRIMARY KEY (feed_uuid, seq)
                );

                CREATE INDEX records_path ON records (feed_uuid, root, path);
                CREATE INDEX records_time ON records (time);

                -- The current version of every live article: its last created, modified or moved record, unless a later
                -- record deleted it or moved it away.
                CREATE VIEW article_versions AS
                SELECT latest.feed_uuid, f.host, latest.root, latest.path, latest.seq, latest.time,
                    latest.record -> 'after' ->> 'sha256' AS sha256,
                    (latest.record -> 'after' ->> 'size')::bigint AS size
                FROM (
                    SELECT DISTINCT ON (e.feed_uuid, e.root, e.path) e.feed_uuid, e.root, e.path, e.seq, e.time, e.live, e.record
                    FROM (
                        SELECT feed_uuid, seq, time, root, path, type <> 'deleted' AS live, record FROM records
                        WHERE type IN ('created', 'modified', 'moved', 'deleted')
                        UNION ALL
                        SELECT feed_uuid, seq, time, root, from_path, false, record FROM records
                        WHERE type = 'moved' AND from_path IS NOT NULL
                    ) AS e
                    ORDER BY e.feed_uuid, e.root, e.path, e.seq DESC
                ) AS latest
                JOIN feeds f USING (feed_uuid)
                WHERE latest.live;

                -- Edits by change class and UTC day, across every feed: one row per feed, day and class.
                CREATE VIEW edits_by_class_per_day AS
                SELECT r.feed_uuid, f.host, date_trunc('day', r.time AT TIME ZONE 'UTC')::date AS day, c.class,
                    count(*) AS edits
                FROM records r
                JOIN feeds f USING (feed_uuid)
                CROSS JOIN LATERAL unnest(r.classes) AS c (class)
                WHERE r.type IN ('modified', 'moved')
                GROUP BY r.feed_uuid, f.host, day, c.class;

                """#)
    ]

    /// Brings the schema up to the newest version, one transaction for all, under an advisory lock so that
    /// shippers starting together apply each migration once.
    static func apply(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("BEGIN", logger: logger)
        do {
            try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query(
                "SELECT version FROM schema_migrations", logger: logger
            ).decode(Int.self) {
                applied.insert(version)
            }
            for migration in all where !applied.contains(migration.version) {
                for statement in statements(migration.sql) {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                logger.notice(
                    "applied schema migration", metadata: ["migration.name": "\(migration.name)"])
            }
            try await connection.run("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The advisory lock that serializes migrations (an arbitrary constant: "redline" in ASCII).
    static let lockKey: Int64 = 0x7265_646C_696E_65

    /// The statements of a migration: split at each `;` that ends a line, comments dropped (the extended
    /// protocol runs one statement at a time; the files hold no function bodies).
    static func statements(_ sql: String) -> [String] {
        var result: [String] = []
        var current: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("--") { continue }
            current.append(line)
            if line.hasSuffix(";") {
                let statement = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                result.append(String(statement.dropLast()))
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { result.append(rest) }
        return result
    }
}
