import Foundation
import GRDB
import RedlineDiff
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
        /// The watch root the article lives under.
        var root: String = ""
        /// The classified edits, as the record carries them (empty for created, deleted and the rest).
        var changes: [Change] = []
        /// Size in bytes of the version after the change, when it has text.
        var size: Int?
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
    /// The layout of the tables; an index of another layout is dropped and rebuilt from the feed (it is a cache).
    /// 2: versions carry their classified edits and size (the history page and Atom show the edits).
    static let schemaVersion = 2

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
                let layout = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                if layout != Self.schemaVersion {
                    try db.execute(
                        sql: "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS version; DROP TABLE IF EXISTS article")
                    try db.execute(sql: "PRAGMA user_version = \(Self.schemaVersion)")
                }
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                        CREATE TABLE IF NOT EXISTS version (
                            seq INTEGER PRIMARY KEY, path TEXT NOT NULL, root TEXT NOT NULL, time TEXT NOT NULL,
                            type TEXT NOT NULL, significance TEXT, classes TEXT NOT NULL, from_path TEXT,
                            changes TEXT NOT NULL, size INTEGER);
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
                let changes = "[" + (r.changes ?? []).map { $0.json() }.joined(separator: ",") + "]"
                try db.execute(
                    sql: "INSERT OR IGNORE INTO version VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        Int64(r.seq), r.path, r.root, r.time, r.type.rawValue, r.significance?.rawValue, classes,
                        r.fromPath, changes, r.after.map { Int64($0.size) },
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
                    SELECT a.path, a.root, \(Self.columns("v"))
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
                db, sql: "SELECT \(Self.columns()) FROM version WHERE path = ? ORDER BY seq", arguments: [path]
            ).map { Self.version($0, from: 0) }
        }
        return versions.isEmpty ? nil : versions
    }

    /// The records that rebuild version `seq` of `path`, oldest first, ending with that version: back to the
    /// `created` that began it, across moves (a `moved` record continues the history of its `from_path`).
    ///
    /// - Returns: nil when `path` has no version `seq` with text (unknown, or a `deleted` record); `complete`
    ///   is false when the chain reaches back past what the index holds (retention: a snapshot holds the start).
    func chain(path: String, seq: UInt64) throws -> (versions: [Version], complete: Bool)? {
        try queue.read { db in
            let target = try Row.fetchOne(
                db, sql: "SELECT \(Self.columns()) FROM version WHERE path = ? AND seq = ?",
                arguments: [path, Int64(seq)]
            ).map { Self.version($0, from: 0) }
            guard let target, ["created", "modified", "moved"].contains(target.type) else { return nil }
            var chain = [target]
            var current = target
            var at = path
            while current.type != "created" {
                if current.type == "moved", let from = current.fromPath { at = from }
                let previous = try Row.fetchOne(
                    db,
                    sql: "SELECT \(Self.columns()) FROM version WHERE path = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
                    arguments: [at, Int64(current.seq)]
                ).map { Self.version($0, from: 0) }
                guard let previous, ["created", "modified", "moved"].contains(previous.type) else {
                    return (chain.reversed(), false)
                }
                chain.append(previous)
                current = previous
            }
            return (chain.reversed(), true)
        }
    }

    /// The newest article changes (created, modified, moved, deleted), newest first, optionally only under
    /// `path`; records below `minSignificance` are left out, those without a significance are kept (as
    /// `/changes` does).
    func recent(path: String?, minSignificance: Significance?, limit: Int) throws -> [(path: String, Version)] {
        let allowed = Significance.allCases.filter { s in minSignificance.map { s >= $0 } ?? true }
        let placeholders = allowed.map { _ in "?" }.joined(separator: ",")
        var arguments: [any DatabaseValueConvertible] = allowed.map { $0.rawValue }
        var sql = """
            SELECT path, \(Self.columns()) FROM version
            WHERE type IN ('created', 'modified', 'moved', 'deleted')
            AND (significance IS NULL OR significance IN (\(placeholders)))
            """
        if let path {
            sql += " AND path = ?"
            arguments.append(path)
        }
        sql += " ORDER BY seq DESC LIMIT ?"
        arguments.append(limit)
        return try queue.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                (path: row[0], Self.version(row, from: 1))
            }
        }
    }

    /// The version columns ``version(_:from:)`` reads, in its order.
    private static func columns(_ table: String? = nil) -> String {
        let p = table.map { $0 + "." } ?? ""
        return ["seq", "time", "type", "significance", "classes", "from_path", "root", "changes", "size"]
            .map { p + $0 }.joined(separator: ", ")
    }

    private static let decoder = JSONDecoder()

    private static func version(_ row: Row, from i: Int) -> Version {
        let classes: String = row[i + 4]
        let changes: String = row[i + 7]
        let size: Int64? = row[i + 8]
        return Version(
            seq: UInt64(row[i] as Int64), time: row[i + 1], type: row[i + 2], significance: row[i + 3],
            classes: classes.isEmpty ? [] : classes.split(separator: ",").map(String.init), fromPath: row[i + 5],
            root: row[i + 6],
            changes: changes == "[]" ? [] : (try? decoder.decode([Change].self, from: Data(changes.utf8))) ?? [],
            size: size.map { Int($0) })
    }
}
