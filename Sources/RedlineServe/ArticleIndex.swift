import Foundation
import GRDB
import RedlineFeed

/// serve's own derived index of the feed: path → versions, in SQLite beside serve (never in the data
/// directory, which serve only reads).
///
/// It is a cache of the feed, as the daemon's state store is: built from the feed when missing, caught up
/// from its last seq at start (a restart reads only the records it has not seen), fed by the ``ChangeHub``
/// as records become durable, and wiped and rebuilt when the feed is recreated (another feed UUID).
/// A URL's article path is only ever a key looked up here: it never names a file.
final class ArticleIndex: Sendable {
    /// One version of an article, as `/articles/{path}/history` lists it.
    struct Version: Sendable, Equatable {
        var seq: UInt64
        var time: String
        var type: String
        var significance: String?
        var classes: [String]
        var fromPath: String?
    }

    /// One current article with its last change, as `/articles` lists it.
    struct Article: Sendable, Equatable {
        var path: String
        var root: String
        var last: Version
    }

    private let queue: DatabaseQueue
    /// The index file.
    let path: String

    /// Opens (creating) the index in `directory`; an index of another feed is emptied.
    /// - Throws: ``ServeError`` `.config` when it cannot be opened.
    init(directory: String, feedID: String?) throws(ServeError) {
        path = directory + "/articles.sqlite"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                // A cache of the feed: NORMAL is enough, a lost tail is caught up again from the feed.
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                        CREATE TABLE IF NOT EXISTS version (
                            seq INTEGER PRIMARY KEY, path TEXT NOT NULL, root TEXT NOT NULL, time TEXT NOT NULL,
                            type TEXT NOT NULL, significance TEXT, classes TEXT NOT NULL, from_path TEXT);
                        CREATE INDEX IF NOT EXISTS version_path ON version (path, seq);
                        CREATE TABLE IF NOT EXISTS article (
                            path TEXT PRIMARY KEY, root TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
                        """)
                let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'feed'")
                if let feedID, let stored, stored != feedID { try Self.wipe(db) }
            }
        } catch {
            throw ServeError(
                .config,
                "cannot open the article index \(directory)/articles.sqlite (\(error)); delete it "
                    + "(it is rebuilt from the feed) or pass another --index-dir")
        }
    }

    private static func wipe(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM version; DELETE FROM article; DELETE FROM meta")
    }

    /// The last seq folded in, 0 for an empty index.
    func lastSeq() -> UInt64 {
        (try? queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'last_seq'") })
            .flatMap { $0.flatMap { UInt64($0) } } ?? 0
    }

    /// Folds records in, in one transaction; records at or before ``lastSeq()`` are skipped.
    func apply(_ records: [FeedRecord], feedID: String?, reset: Bool = false) throws {
        guard !records.isEmpty || reset else { return }
        try queue.write { db in
            if reset { try Self.wipe(db) }
            for r in records {
                let classes = Array(Set((r.changes ?? []).map(\.class.rawValue))).sorted().joined(separator: ",")
                try db.execute(
                    sql: "INSERT OR IGNORE INTO version VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        Int64(r.seq), r.path, r.root, r.time, r.type.rawValue, r.significance?.rawValue, classes,
                        r.fromPath,
                    ])
                switch r.type {
                case .created, .modified:
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO article VALUES (?, ?, ?)",
                        arguments: [r.path, r.root, Int64(r.seq)])
                case .moved:
                    if let from = r.fromPath {
                        try db.execute(sql: "DELETE FROM article WHERE path = ?", arguments: [from])
                    }
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO article VALUES (?, ?, ?)",
                        arguments: [r.path, r.root, Int64(r.seq)])
                case .deleted:
                    try db.execute(sql: "DELETE FROM article WHERE path = ?", arguments: [r.path])
                default: break
                }
            }
            if let last = records.last?.seq {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO meta VALUES ('last_seq', ?)", arguments: [String(last)])
            }
            if let feedID { try db.execute(sql: "INSERT OR REPLACE INTO meta VALUES ('feed', ?)", arguments: [feedID]) }
        }
    }

    /// Current articles whose path starts with `prefix`, after `cursor` (the last path of the previous page).
    func articles(prefix: String, after cursor: String?, limit: Int) throws -> [Article] {
        try queue.read { db in
            // A range on the primary key, not LIKE: a prefix holding % or _ means itself.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.path, a.root, v.seq, v.time, v.type, v.significance, v.classes, v.from_path
                    FROM article a JOIN version v ON v.seq = a.seq
                    WHERE a.path >= ? AND a.path > ? AND substr(a.path, 1, ?) = ?
                    ORDER BY a.path LIMIT ?
                    """,
                arguments: [prefix, cursor ?? "", prefix.unicodeScalars.count, prefix, limit])
            return rows.map { row in Article(path: row[0], root: row[1], last: Self.version(row, from: 2)) }
        }
    }

    /// Every version recorded under `path`, oldest first; nil when the index has never seen it.
    func history(path: String) throws -> [Version]? {
        let versions = try queue.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT seq, time, type, significance, classes, from_path FROM version WHERE path = ? ORDER BY seq",
                arguments: [path]
            ).map { Self.version($0, from: 0) }
        }
        return versions.isEmpty ? nil : versions
    }

    private static func version(_ row: Row, from i: Int) -> Version {
        let classes: String = row[i + 4]
        return Version(
            seq: UInt64(row[i] as Int64), time: row[i + 1], type: row[i + 2], significance: row[i + 3],
            classes: classes.isEmpty ? [] : classes.split(separator: ",").map(String.init), fromPath: row[i + 5])
    }
}
