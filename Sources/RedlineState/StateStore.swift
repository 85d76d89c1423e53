import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// An article's stat columns: what the startup fast path compares with `lstat` (no text, no hash).
public struct ArticleStat: Sendable, Equatable {
    /// Path relative to the root.
    public var path: String
    /// Inode number, or 0 when unknown.
    public var inode: UInt64
    /// Size in bytes.
    public var size: Int64
    /// Modification time, nanoseconds since the epoch (0 when unknown).
    public var mtimeNs: Int64
    /// Status-change time, nanoseconds since the epoch (0 when unknown).
    public var ctimeNs: Int64

    /// Creates a stat row.
    public init(path: String, inode: UInt64, size: Int64, mtimeNs: Int64, ctimeNs: Int64) {
        self.path = path
        self.inode = inode
        self.size = size
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
    }
}

/// What Redline remembers about one article: where it is, what the file looked like, and its text.
///
/// The text is kept so the next version can be diffed without reading the feed; the file
/// metadata (inode, size, mtime, ctime) lets a startup reconciliation skip hashing unchanged files.
public struct ArticleState: Sendable, Equatable {
    /// Absolute watch root the article lives under.
    public var root: String
    /// Path relative to `root`.
    public var path: String
    /// Inode number, or 0 when unknown (e.g. rebuilt from the feed).
    public var inode: UInt64
    /// Size in bytes.
    public var size: Int64
    /// Modification time, nanoseconds since the epoch (0 when unknown).
    public var mtimeNs: Int64
    /// Status-change time, nanoseconds since the epoch (0 when unknown).
    public var ctimeNs: Int64
    /// SHA-256 of the content, lowercase hex.
    public var sha256: String
    /// The current text.
    public var text: String
    /// Sequence number of the feed record that produced this version.
    public var lastSeq: UInt64

    /// Creates an article state.
    public init(
        root: String, path: String, inode: UInt64 = 0, size: Int64, mtimeNs: Int64 = 0, ctimeNs: Int64 = 0,
        sha256: String, text: String, lastSeq: UInt64
    ) {
        self.root = root
        self.path = path
        self.inode = inode
        self.size = size
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
        self.sha256 = sha256
        self.text = text
        self.lastSeq = lastSeq
    }
}

/// One change to the store, applied in order inside a single transaction.
public enum StateUpdate: Sendable, Equatable {
    /// Inserts or replaces an article.
    case upsert(ArticleState)
    /// Forgets an article.
    case delete(root: String, path: String)
    /// Renames an article (then `upsert` the new state if the content changed too).
    case move(root: String, from: String, to: String)
    /// Refreshes only the file metadata of an article whose content did not change.
    case touch(root: String, path: String, inode: UInt64, size: Int64, mtimeNs: Int64, ctimeNs: Int64)
    /// Remembers which version of a file was last rejected (nil forgets), so it is reported once.
    case rejected(root: String, path: String, version: String?)
}

/// The error shape of the state store: what failed, on which file, and what to do.
public struct StateError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, which decides what the daemon does about it.
    public enum Code: Sendable, Equatable {
        /// The file cannot be opened or is not a Redline store: move it aside and rebuild it from the feed.
        case unusable
        /// The file system holding the store is full (`SQLITE_FULL`, `ENOSPC`): the store is fine, space must
        /// be freed; the feed keeps what the store missed, so it catches up afterwards.
        case diskFull
        /// Any other database failure.
        case database
    }

    /// The kind of failure.
    public var code: Code
    /// The database file.
    public var path: String
    /// What went wrong and how to fix it.
    public var message: String
    /// The underlying error, as text.
    public var underlying: String?

    /// Creates an error; `message` says what to do.
    public init(_ code: Code, path: String, message: String, underlying: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.underlying = underlying
    }

    /// A one-line description naming the file.
    public var description: String {
        "state store \(path): \(message)" + (underlying.map { " (\($0))" } ?? "")
    }

    /// The error for `error` thrown while using the store at `path`; a full disk gets its own code and fix.
    static func from(_ error: Error, path: String, otherwise code: Code, message: String) -> StateError {
        guard isDiskFull(error, path: path) else {
            return StateError(code, path: path, message: message, underlying: "\(error)")
        }
        return StateError(
            .diskFull, path: path,
            message: "the disk is full; free disk space on its file system (the store catches up from the feed)",
            underlying: "\(error)")
    }

    /// `SQLITE_FULL` (SQLite's name for `ENOSPC`), `ENOSPC` itself, or an SQLite I/O error on a file system
    /// with no free block left (SQLite reports growing its `-shm` file as `SQLITE_IOERR_SHMSIZE`).
    private static func isDiskFull(_ error: Error, path: String) -> Bool {
        if let database = error as? DatabaseError {
            if database.resultCode == .SQLITE_FULL { return true }
            guard database.resultCode == .SQLITE_IOERR || database.resultCode == .SQLITE_CANTOPEN else { return false }
            var info = statvfs()
            let directory = (path as NSString).deletingLastPathComponent
            return statvfs(directory, &info) == 0 && info.f_bavail == 0
        }
        if let posix = error as? POSIXError { return posix.code == .ENOSPC }
        if let cocoa = error as? CocoaError { return cocoa.code == .fileWriteOutOfSpace }
        return false
    }
}

/// The derived cache of the feed: the current state of every article, in SQLite (WAL mode).
///
/// It is only ever moved forward after the feed record it reflects is durable, and it can be
/// deleted at any time: the daemon rebuilds it from the feed. `lastSeq` says how far it got.
public final class StateStore: Sendable {
    /// The database file.
    public let path: String
    /// One connection for the writer's thread and the pipeline's lookups. A pool of WAL readers would not wait
    /// for a batch being applied, but each reader's page cache is dropped whenever another connection commits,
    /// so every lookup read its B-tree from the file again: at 3,000 edits/s that halved the throughput. A
    /// lookup waits at most for one batch, and the startup scan does not look new paths up at all.
    private let queue: DatabaseQueue
    /// Whether the rejected table may hold a row. It is empty unless a file that is not UTF-8 text was seen,
    /// so ``rejectedVersion(root:path:)`` answers without a query for every file event while it is false.
    private let mayHoldRejected = Mutex(true)
    /// How the texts are compressed: against the dictionaries kept in the store's `text_dictionary` table.
    private let codec: BodyCodec

    /// Opens (creating if needed) the store at `path`.
    ///
    /// - Throws: `StateError`: `.unusable` when the file cannot be opened or is not a Redline store
    ///   (the caller may then delete it and rebuild from the feed), `.diskFull` when its disk is full.
    /// - Parameter verify: run `PRAGMA quick_check`, which reads every page: after an unclean stop. After a
    ///   clean one the file is whole, and corruption found later is reported by the read that meets it.
    public init(path: String, verify: Bool = true) throws(StateError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                // The feed is the source of truth, so NORMAL (no fsync per commit in WAL) is enough.
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
            codec = BodyCodec(
                dictionaries: try queue.read { db in
                    try Row.fetchAll(db, sql: "SELECT id, content FROM text_dictionary").map {
                        BodyCodec.Dictionary(id: UInt32(truncatingIfNeeded: $0[0] as Int64), content: $0[1])
                    }
                })
            if verify { _ = try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA quick_check") } }
            let any = try queue.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM rejected)") }
            mayHoldRejected.withLock { $0 = any ?? true }
        } catch {
            throw StateError.from(
                error, path: path, otherwise: .unusable,
                message: "cannot open; delete it and Redline rebuilds it from the feed")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE article (
                        root TEXT NOT NULL, path TEXT NOT NULL,
                        inode INTEGER NOT NULL, size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
                        sha256 TEXT NOT NULL, text TEXT NOT NULL, last_seq INTEGER NOT NULL,
                        PRIMARY KEY (root, path)
                    ) WITHOUT ROWID;
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-rejected") { db in
            try db.execute(
                sql: "CREATE TABLE rejected (root TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL, "
                    + "PRIMARY KEY (root, path)) WITHOUT ROWID")
        }
        // The text moves to a table of its own: the startup fast path reads every article's stat columns,
        // and with the text inline that scan read every page of every article's text.
        migrator.registerMigration("v3-split-text") { db in
            try db.execute(
                sql: """
                    CREATE TABLE article_text (
                        root TEXT NOT NULL, path TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (root, path)
                    ) WITHOUT ROWID;
                    INSERT INTO article_text (root, path, text) SELECT root, path, text FROM article;
                    ALTER TABLE article DROP COLUMN text;
                    """)
        }
        // The text is kept deflated: it is read once per change, and was a full copy of the tree.
        migrator.registerMigration("v4-deflate-text") { db in
            try db.execute(
                sql: """
                    CREATE TABLE article_body (
                        root TEXT NOT NULL, path TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (root, path)
                    ) WITHOUT ROWID
                    """)
            let rows = try Row.fetchCursor(db, sql: "SELECT root, path, text FROM article_text")
            let insert = try db.makeStatement(sql: "INSERT INTO article_body (root, path, body) VALUES (?, ?, ?)")
            let codec = BodyCodec()
            while let row = try rows.next() {
                let text: String = row[2]
                try insert.execute(arguments: [row[0] as String, row[1] as String, codec.encode(text)])
            }
            try db.execute(sql: "DROP TABLE article_text")
        }
        // The texts are compressed against dictionaries made from the store's own texts (BodyCodec).
        migrator.registerMigration("v5-text-dictionary") { db in
            try db.execute(sql: "CREATE TABLE text_dictionary (id INTEGER PRIMARY KEY, content BLOB NOT NULL)")
        }
        return migrator
    }

    /// Feed UUID and last applied seq, as one consistent pair.
    public func position() throws(StateError) -> (feedID: String?, lastSeq: UInt64) {
        try wrap {
            try queue.read { db in
                let feed = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'feed'")
                let seq = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'last_seq'")
                return (feed, seq.flatMap(UInt64.init) ?? 0)
            }
        }
    }

    /// The article at `root`/`path`, if known.
    public func article(root: String, path: String) throws(StateError) -> ArticleState? {
        try wrap {
            // Called for every file event: a cached statement outside a transaction (one SELECT is
            // atomic by itself) avoids re-parsing and a BEGIN/COMMIT per lookup.
            try queue.inDatabase { db in
                let statement = try db.cachedStatement(sql: Self.selectWithText + " WHERE a.root = ? AND a.path = ?")
                return try Row.fetchOne(statement, arguments: [root, path]).map { try decode($0) }
            }
        }
    }

    /// Every article under `root` (all roots when nil), ordered by root and path.
    public func articles(root: String? = nil) throws(StateError) -> [ArticleState] {
        try wrap {
            try queue.read { db in
                if let root {
                    return try Row.fetchAll(
                        db, sql: Self.selectWithText + " WHERE a.root = ? ORDER BY a.path", arguments: [root]
                    ).map { try decode($0) }
                }
                return try Row.fetchAll(db, sql: Self.selectWithText + " ORDER BY a.root, a.path").map {
                    try decode($0)
                }
            }
        }
    }

    /// Named columns, read by index in ``decode(_:)``: a lookup by name lower-cases the name for every row.
    private static let selectWithText = """
        SELECT a.root, a.path, a.inode, a.size, a.mtime_ns, a.ctime_ns, a.sha256, a.last_seq, b.body
        FROM article a JOIN article_body b USING (root, path)
        """

    /// What the startup fast path compares with `lstat`, for every article under `root`, without the text:
    /// a few dozen bytes per article, read from the stat table alone.
    public func stats(root: String) throws(StateError) -> [ArticleStat] {
        try wrap {
            try queue.read { db in
                // Stepped by hand: GRDB's rows copy and decode each column through generic code, which at
                // 100,000 articles cost more than the scan itself (the startup fast path waits for this).
                let statement = try db.makeStatement(
                    sql: "SELECT path, inode, size, mtime_ns, ctime_ns FROM article WHERE root = ? ORDER BY path")
                try statement.setArguments([root])
                let handle = statement.sqliteStatement
                var result: [ArticleStat] = []
                while true {
                    let code = sqlite3_step(handle)
                    guard code == SQLITE_ROW else {
                        if code == SQLITE_DONE { break }
                        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
                    }
                    let length = Int(sqlite3_column_bytes(handle, 0))
                    let path = sqlite3_column_text(handle, 0).map {
                        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                    }
                    result.append(
                        ArticleStat(
                            path: path ?? "", inode: UInt64(bitPattern: sqlite3_column_int64(handle, 1)),
                            size: sqlite3_column_int64(handle, 2), mtimeNs: sqlite3_column_int64(handle, 3),
                            ctimeNs: sqlite3_column_int64(handle, 4)))
                }
                return result
            }
        }
    }

    /// The version of `root`/`path` last reported as rejected, if any.
    public func rejectedVersion(root: String, path: String) throws(StateError) -> String? {
        guard mayHoldRejected.withLock({ $0 }) else { return nil }
        return try wrap {
            try queue.inDatabase { db in
                let statement = try db.cachedStatement(sql: "SELECT version FROM rejected WHERE root = ? AND path = ?")
                return try String.fetchOne(statement, arguments: [root, path])
            }
        }
    }

    /// Calls `body` with every article's text, as the store held them when `snapshotTaken` was called: a second,
    /// read-only connection reads a WAL snapshot, so writes made on the store's own connection meanwhile (from
    /// another thread, once `snapshotTaken` has run) are not in it and never wait for it.
    ///
    /// The connection is SQLite's own C API, not a GRDB queue: a GRDB queue opened and released here started
    /// libdispatch's worker pool, whose monitor then woke an idle daemon every second.
    /// - Throws: `StateError` when the store cannot be read or a stored text does not inflate.
    public func forEachText(snapshotTaken: () -> Void, _ body: (String) -> Void) throws(StateError) {
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        let fail = { (what: String) -> StateError in
            StateError(
                .database, path: self.path,
                message: "cannot read the stored texts; delete the file to rebuild it from the feed",
                underlying: what + ": " + String(cString: sqlite3_errmsg(connection)))
        }
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let db = connection else {
            throw fail("open")
        }
        // The transaction's first read takes the snapshot.
        guard sqlite3_exec(db, "BEGIN; SELECT COUNT(*) FROM meta", nil, nil, nil) == SQLITE_OK else {
            throw fail("begin")
        }
        snapshotTaken()
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_prepare_v2(db, "SELECT path, body FROM article_body", -1, &statement, nil) == SQLITE_OK else {
            throw fail("prepare")
        }
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw fail("step") }
            let count = Int(sqlite3_column_bytes(statement, 1))
            let stored = sqlite3_column_blob(statement, 1).map { Data(bytes: $0, count: count) } ?? Data()
            guard let text = codec.decode(stored) else {
                let name = sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "?"
                throw StateError(
                    .database, path: path, message: "delete the file to rebuild it from the feed",
                    underlying: DamagedText(path: name).description)
            }
            body(text)
        }
        sqlite3_exec(db, "COMMIT", nil, nil, nil)
    }

    /// How many articles the store knows.
    public func count() throws(StateError) -> Int {
        try wrap { try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM article") ?? 0 } }
    }

    /// Applies `updates` in order and records the feed position they reach, atomically.
    public func apply(_ updates: [StateUpdate], feedID: String, lastSeq: UInt64) throws(StateError) {
        try wrap {
            let texts = updates.compactMap { update -> String? in
                if case .upsert(let article) = update { return article.text }
                return nil
            }
            // Stored and committed before any text is compressed with it; then it reads after any restart.
            if let dictionary = codec.dictionary(learningFrom: texts) {
                try queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO text_dictionary (id, content) VALUES (?, ?)",
                        arguments: [Int64(dictionary.id), dictionary.content])
                }
                codec.install(dictionary)
            }
            try queue.write { db in
                for update in updates {
                    switch update {
                    case .upsert(let a):
                        try db.cachedStatement(
                            sql: """
                                INSERT OR REPLACE INTO article
                                (root, path, inode, size, mtime_ns, ctime_ns, sha256, last_seq)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                                """
                        ).execute(
                            arguments: [
                                a.root, a.path, Int64(bitPattern: a.inode), a.size, a.mtimeNs, a.ctimeNs, a.sha256,
                                Int64(a.lastSeq),
                            ])
                        try db.cachedStatement(
                            sql: "INSERT OR REPLACE INTO article_body (root, path, body) VALUES (?, ?, ?)"
                        ).execute(arguments: [a.root, a.path, codec.encode(a.text)])
                    // Cached statements throughout: at thousands of records a second, preparing each
                    // statement again was a tenth of the pipeline's time (issue 11).
                    case .delete(let root, let path):
                        for table in ["article", "article_body"] {
                            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE root = ? AND path = ?")
                                .execute(arguments: [root, path])
                        }
                    case .move(let root, let from, let to):
                        for table in ["article", "article_body"] {
                            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE root = ? AND path = ?")
                                .execute(arguments: [root, to])
                            try db.cachedStatement(sql: "UPDATE \(table) SET path = ? WHERE root = ? AND path = ?")
                                .execute(arguments: [to, root, from])
                        }
                    case .touch(let root, let path, let inode, let size, let mtime, let ctime):
                        try db.cachedStatement(
                            sql: """
                                UPDATE article SET inode = ?, size = ?, mtime_ns = ?, ctime_ns = ?
                                WHERE root = ? AND path = ?
                                """
                        ).execute(arguments: [Int64(bitPattern: inode), size, mtime, ctime, root, path])
                    case .rejected(let root, let path, let version?):
                        mayHoldRejected.withLock { $0 = true }
                        try db.cachedStatement(
                            sql: "INSERT OR REPLACE INTO rejected (root, path, version) VALUES (?, ?, ?)"
                        ).execute(arguments: [root, path, version])
                    case .rejected(let root, let path, nil):
                        try db.cachedStatement(sql: "DELETE FROM rejected WHERE root = ? AND path = ?")
                            .execute(arguments: [root, path])
                    }
                }
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('feed', ?), ('last_seq', ?)"
                ).execute(arguments: [feedID, String(lastSeq)])
            }
        }
    }

    /// Forgets everything (before a rebuild from the feed).
    public func reset() throws(StateError) {
        try wrap {
            try queue.write { db in
                try db.execute(
                    sql: "DELETE FROM article; DELETE FROM article_body; DELETE FROM meta; DELETE FROM rejected")
            }
        }
    }

    /// The article of a row of `selectWithText`.
    /// - Throws: ``DamagedText`` when the stored text does not inflate (the store is then rebuilt from the feed).
    private func decode(_ row: Row) throws -> ArticleState {
        let body: Data = row[8]
        guard let text = codec.decode(body) else { throw DamagedText(path: row[1]) }
        return ArticleState(
            root: row[0], path: row[1], inode: UInt64(bitPattern: row[2]), size: row[3], mtimeNs: row[4],
            ctimeNs: row[5], sha256: row[6], text: text, lastSeq: UInt64(row[7] as Int64))
    }

    /// A stored text that does not inflate.
    struct DamagedText: Error, CustomStringConvertible {
        var path: String
        var description: String { "the stored text of \(path) is damaged" }
    }

    private func wrap<T>(_ body: () throws -> T) throws(StateError) -> T {
        do {
            return try body()
        } catch {
            throw StateError.from(
                error, path: path, otherwise: .database,
                message: "database error; delete the file to rebuild it from the feed")
        }
    }
}
