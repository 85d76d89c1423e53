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
