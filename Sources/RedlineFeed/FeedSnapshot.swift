import Foundation
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// The folded article tree as of one seq, written before retention deletes the segments that held it.
///
/// Retention alone would make the feed unreplayable: a `modified` record carries a patch, and the version
/// it patches may live in a deleted segment. So, as PostgreSQL keeps a base backup beside its WAL, the
/// writer first folds the deleted records into `snapshot-<seq, 20 digits>.jsonl` (the previous snapshot
/// plus the segments about to go), makes it durable (temp file, fsync, rename, fsync of the directory),
/// and only then unlinks the segments and the older snapshot. A kill at any step leaves either the old
/// snapshot with its segments or the new one: a replay always has a start. Readers that fold history
/// (`replay`, the state rebuild) begin at the newest snapshot whenever the feed no longer starts at seq 1.
///
/// Format (schema/README.md, "Snapshots"): a header line, one line per live or broken article, an end line
/// with the count. Every text is verified against its sha256 on load, so a damaged snapshot is refused.
public enum FeedSnapshot {
    /// File name prefix; the rest is the seq it covers, 20 digits, and `.jsonl`.
    static let prefix = "snapshot-"

    struct Header: Codable {
        var format = "redline-snapshot"
        var version = 1
        var feed: String
        var seq: UInt64
        var articles: Int
        var pastLost: Bool

        enum CodingKeys: String, CodingKey {
            case format, version, feed, seq, articles
            case pastLost = "past_lost"
        }
    }

    struct Entry: Codable {
        var root: String
        var path: String
        var seq: UInt64?
        var sha256: String?
        var text: String?
        var broken: Bool?
    }

    struct End: Codable {
        var end: Int
    }

    /// The name of the snapshot that covers every record up to `seq`.
    static func name(seq: UInt64) -> String {
        prefix + String(repeating: "0", count: max(0, 20 - String(seq).count)) + String(seq) + ".jsonl"
    }

    /// Snapshots in `directory`, oldest first, by the seq they cover.
    static func list(_ directory: String) -> [(seq: UInt64, path: String)] {
        let names = ((try? POSIX.entries(of: directory)) ?? []).map(\.name)
        return names.compactMap { name -> (UInt64, String)? in
            guard name.hasPrefix(prefix), name.hasSuffix(".jsonl"), name.count == prefix.count + 20 + 6,
                let seq = UInt64(name.dropFirst(prefix.count).prefix(20))
            else { return nil }
            return (seq, directory + "/" + name)
        }.sorted { $0.0 < $1.0 }.map { (seq: $0.0, path: $0.1) }
    }

    /// Where a fold of the whole history begins: the newest snapshot's history and the seq after it, or an
    /// empty history and seq 1 when the feed still starts at seq 1.
    ///
    /// - Parameter until: the last seq the fold needs; a snapshot past it cannot serve (its history is too new).
    /// - Throws: ``FeedError`` `.retention` when retention deleted records that no usable snapshot covers,
    ///   `.corrupt` when the snapshot is damaged.
    public static func start(directory: String, feedID: String? = nil, until: UInt64? = nil) throws(FeedError)
        -> (history: ArticleHistory, since: UInt64)
    {
        let first = try firstAvailableSeq(directory)
        guard let first, first > 1 else { return (ArticleHistory(), 1) }
        let usable = list(directory).last { $0.seq + 1 >= first }
        guard let usable else {
            throw FeedError(
                .retention, path: directory,
                message: "records before seq \(first) of \(directory) were deleted by retention and no snapshot "
                    + "covers them, so the history cannot be folded; replay from a backup of the deleted segments")
        }
        if let until, until < usable.seq {
            throw FeedError(
                .retention, path: directory,
                message: "seq \(until) is older than what retention kept: history in \(directory) starts at its "
                    + "snapshot of seq \(usable.seq); ask for seq \(usable.seq) or later")
        }
        return (try load(usable.path, feedID: feedID), usable.seq + 1)
    }

    /// The seq of the oldest record still on disk, nil for an empty feed.
    static func firstAvailableSeq(_ directory: String) throws(FeedError) -> UInt64? {
        if let oldest = try FileIO.sealedSegments(directory).first { return oldest.firstSeq }
        return try FeedReader(directory: directory).cursor(since: 1, strict: false).next()?.seq
    }

    /// Reads and verifies one snapshot.
    /// - Throws: ``FeedError`` `.corrupt` naming the file when any line, count or sha256 is wrong.
    static func load(_ path: String, feedID: String? = nil) throws(FeedError) -> ArticleHistory {
        let bytes = try FileIO.readAll(path)
        let decoder = JSONDecoder()
        func damaged(_ why: String) -> FeedError {
            FeedError(
                .corrupt, path: path,
                message: "snapshot \(path) is damaged (\(why)); restore it from a backup, or restore the segments "
                    + "it replaced and delete it")
        }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)[...]
        if lines.last?.isEmpty == true { lines = lines.dropLast() }
        guard let headLine = lines.first, let head = try? decoder.decode(Header.self, from: Data(headLine)),
            head.format == "redline-snapshot", head.version == 1
        else { throw damaged("no valid header line") }
        if let feedID, head.feed != feedID { throw damaged("it belongs to feed \(head.feed), not \(feedID)") }
        guard let endLine = lines.last, let end = try? decoder.decode(End.self, from: Data(endLine)),
            end.end == head.articles, lines.count == head.articles + 2
        else { throw damaged("it is truncated: the end line or the article count is wrong") }
        var articles: [ArticleKey: ArticleVersion] = [:]
        var broken: Set<ArticleKey> = []
        for (index, line) in lines.dropFirst().dropLast().enumerated() {
            guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else {
                throw damaged("line \(index + 2) is not a valid entry")
            }
            let key = ArticleKey(root: entry.root, path: entry.path)
            if entry.broken == true {
                broken.insert(key)
                continue
            }
            guard let text = entry.text, let sha = entry.sha256, let seq = entry.seq,
                Digest.sha256Hex(text.utf8) == sha
            else { throw damaged("line \(index + 2) (\(entry.path)) does not match its sha256") }
            articles[key] = ArticleVersion(text: text, sha256: sha, seq: seq)
        }
        return ArticleHistory(restoring: articles, broken: broken, pastLostSeq: head.pastLost)
    }

    /// Writes the snapshot of `history` as of `seq` durably; returns its path.
    static func write(_ history: ArticleHistory, seq: UInt64, feedID: String, directory: String) throws(FeedError)
        -> String
    {
        let path = directory + "/" + name(seq: seq)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: [UInt8] = []
        func line<T: Encodable>(_ value: T) throws(FeedError) {
            do {
                out += try encoder.encode(value)
            } catch {
                throw FeedError(.io, path: path, message: "cannot encode snapshot \(path): \(error)")
            }
            out.append(UInt8(ascii: "\n"))
        }
        let total = history.articles.count + history.broken.count
        try line(Header(feed: feedID, seq: seq, articles: total, pastLost: history.pastLostSeq))
        for (key, version) in history.articles.sorted(by: { $0.key < $1.key }) {
            try line(
                Entry(root: key.root, path: key.path, seq: version.seq, sha256: version.sha256, text: version.text))
        }
        for key in history.broken.sorted() { try line(Entry(root: key.root, path: key.path, broken: true)) }
        try line(End(end: total))
        try FileIO.writeAtomically(path, out)
        return path
    }

    /// Folds the records after the newest snapshot up to `seq` into a new snapshot, before retention deletes
    /// the segments that hold them. Returns false (and writes nothing) for a feed whose history already
    /// starts past seq 1 without a snapshot (written by a redline without snapshots).
    static func advance(directory: String, feedID: String, to seq: UInt64) throws(FeedError) -> Bool {
        let begin: (history: ArticleHistory, since: UInt64)
        do {
            begin = try start(directory: directory, feedID: feedID)
        } catch let error where error.code == .retention {
            return false
        }
        var history = begin.history
        if begin.since <= seq {
            let cursor = try FeedReader(directory: directory).cursor(since: begin.since, strict: true)
            while let raw = try cursor.next(), raw.seq <= seq {
                try history.apply(raw.decode())
            }
        }
        _ = try write(history, seq: seq, feedID: feedID, directory: directory)
        return true
    }

    /// Deletes snapshots older than the newest one, and leftover temp files of interrupted writes.
    static func prune(_ directory: String) {
        let all = list(directory)
        // Best effort: a snapshot or temp file left behind is pruned at the next retention.
        var doomed = all.dropLast().map(\.path)
        for entry in (try? POSIX.entries(of: directory)) ?? []
        where entry.name.hasPrefix(prefix) && entry.name.contains(".jsonl.tmp.") {
            doomed.append(directory + "/" + entry.name)
        }
        for path in doomed { _ = try? POSIX.call("unlink", path: path) { unlink(path) } }
    }
}
