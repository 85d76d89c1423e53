import RedlineDiff

/// Identifies an article across the feed: its watch root and its path relative to it.
public struct ArticleKey: Sendable, Hashable, Comparable {
    /// Absolute watch root.
    public var root: String
    /// Path relative to `root`.
    public var path: String

    /// Creates a key.
    public init(root: String, path: String) {
        self.root = root
        self.path = path
    }

    /// Orders by root, then path.
    public static func < (lhs: ArticleKey, rhs: ArticleKey) -> Bool {
        (lhs.root, lhs.path) < (rhs.root, rhs.path)
    }
}

/// The text of one article as of some record.
public struct ArticleVersion: Sendable, Equatable {
    /// The full text.
    public var text: String
    /// SHA-256 hex of the text's UTF-8 bytes (verified against the record's `after.sha256`).
    public var sha256: String
    /// The seq of the record that produced this version.
    public var seq: UInt64

    /// Creates a version.
    public init(text: String, sha256: String, seq: UInt64) {
        self.text = text
        self.sha256 = sha256
        self.seq = seq
    }
}

/// Folds records into article texts: the logic behind `replay --to`, `replay --verify` and the state rebuild.
///
/// `created` sets the text from `content`; `modified` applies `patch` to the previous version (or takes
/// `content` if the writer sent full text); `moved` renames (and patches when the text changed too);
/// `deleted` forgets the article. Every version is checked against the record's `after.sha256`
/// (and `before.sha256` against the version it starts from), so a rebuild that succeeds is byte-exact.
public struct ArticleHistory: Sendable {
    /// Current text of every live article.
    public private(set) var articles: [ArticleKey: ArticleVersion] = [:]
    /// Number of versions rebuilt and verified so far.
    public private(set) var versionsVerified = 0
    /// Articles whose history passes through a seq that `redline check --repair` marked lost, and that no
    /// full-text record has re-established since: their text cannot be rebuilt.
    public private(set) var broken: Set<ArticleKey> = []
    /// Whether a lost seq has been folded: from then on, a record that does not fit its article's history
    /// marks that article broken instead of failing the whole fold.
    private(set) var pastLostSeq = false

    /// An empty history.
    public init() {}

    /// A history restored from a ``FeedSnapshot``.
    init(restoring articles: [ArticleKey: ArticleVersion], broken: Set<ArticleKey>, pastLostSeq: Bool) {
        self.articles = articles
        self.broken = broken
        self.pastLostSeq = pastLostSeq
    }

    /// Applies one record; types other than created/modified/moved/deleted are ignored.
    /// - Throws: ``FeedError`` `.mismatch` when a rebuilt version's hash differs from the record's, a patch
    ///   does not apply, or a record refers to an article the history has never seen.
    public mutating func apply(_ record: FeedRecord) throws(FeedError) {
        do {
            try fold(record)
        } catch let error where pastLostSeq && error.code == .mismatch && record.type != .created {
            // A lost seq may have held this article's previous version.
            let key = ArticleKey(root: record.root, path: record.path)
            articles[key] = nil
            broken.insert(key)
            if let from = record.fromPath {
                articles[ArticleKey(root: record.root, path: from)] = nil
                broken.insert(ArticleKey(root: record.root, path: from))
            }
        }
    }

    private mutating func fold(_ record: FeedRecord) throws(FeedError) {
        let key = ArticleKey(root: record.root, path: record.path)
        switch record.type {
        case .created:
            guard let content = record.content else { throw missing("content", record) }
            try store(content, at: key, record)
        case .modified:
            let base = try previous(key, record)
            try checkBefore(base, record)
            try store(try rebuild(from: base, record), at: key, record)
        case .moved:
            guard let from = record.fromPath else { throw missing("from_path", record) }
            let oldKey = ArticleKey(root: record.root, path: from)
            let base = try previous(oldKey, record)
            try checkBefore(base, record)
            let text = (record.patch != nil || record.content != nil) ? try rebuild(from: base, record) : base.text
            articles[oldKey] = nil
            try store(text, at: key, record)
        case .deleted:
            if let base = articles[key] { try checkBefore(base, record) }
            articles[key] = nil
            broken.remove(key)
        case .recovered:
            if record.detail?["lost"] == "true" { pastLostSeq = true }
        case .rejected, .rescan:
            break
        }
    }

    private func previous(_ key: ArticleKey, _ record: FeedRecord) throws(FeedError) -> ArticleVersion {
        guard let base = articles[key] else {
            throw FeedError(
                .mismatch, path: key.path,
                message: "seq \(record.seq) (\(record.type.rawValue) \(key.root)/\(key.path)) refers to an article "
                    + "with no earlier version in the feed; replay from the first record (or from before retention)")
        }
        return base
    }

    private func checkBefore(_ base: ArticleVersion, _ record: FeedRecord) throws(FeedError) {
        if let before = record.before, before.sha256 != base.sha256 {
            throw FeedError(
                .mismatch, path: record.path,
                message: "seq \(record.seq) (\(record.type.rawValue) \(record.path)) starts from sha256 "
                    + "\(before.sha256) but the rebuilt previous version (seq \(base.seq)) has \(base.sha256); "
                    + "the feed is missing or reordering records")
        }
    }

    private func rebuild(from base: ArticleVersion, _ record: FeedRecord) throws(FeedError) -> String {
        if let patch = record.patch {
            do {
                return try patch.apply(to: base.text)
            } catch {
                throw FeedError(
                    .mismatch, path: record.path,
                    message: "seq \(record.seq) (\(record.type.rawValue) \(record.path)): the patch does not apply to "
                        + "the version of seq \(base.seq): \(error)")
            }
        }
        if let content = record.content { return content }
        throw missing("patch", record)
    }

    private mutating func store(_ text: String, at key: ArticleKey, _ record: FeedRecord) throws(FeedError) {
        let sha = Digest.sha256Hex(text.utf8)
        if let after = record.after, after.sha256 != sha {
            throw FeedError(
                .mismatch, path: record.path,
                message: "seq \(record.seq) (\(record.type.rawValue) \(record.path)) rebuilds to sha256 \(sha), "
                    + "but the record says \(after.sha256); the feed or the patch is damaged")
        }
        articles[key] = ArticleVersion(text: text, sha256: sha, seq: record.seq)
        broken.remove(key)
        versionsVerified += 1
    }

    private func missing(_ field: String, _ record: FeedRecord) -> FeedError {
        FeedError(
            .mismatch, path: record.path,
            message: "seq \(record.seq) (\(record.type.rawValue) \(record.path)) has no \"\(field)\"; "
                + "the writer that produced it is broken")
    }
}
