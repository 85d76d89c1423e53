import RedlineDiff

/// The kind of event a feed record describes.
///
/// Consumers must ignore types they do not know: new types may be added without changing `v`.
public enum RecordType: String, Sendable, Codable, CaseIterable {
    /// A new article appeared; the record carries its full text in `content`.
    case created
    /// An article changed; the record carries a `patch` from `before` to `after`.
    case modified
    /// An article was renamed from `from_path` to `path` (with a `patch` if its text changed too).
    case moved
    /// An article was removed; `before` holds its last hash.
    case deleted
    /// A file could not be read or decoded; `reason` says why.
    case rejected
    /// The watcher lost events and rescanned the tree; `reason` says why.
    case rescan
    /// The writer cut a torn tail from the feed at start; `reason` and `detail` say what was cut.
    case recovered
}

/// Hash and size of one version of an article.
public struct VersionInfo: Sendable, Equatable, Codable {
    /// SHA-256 (lowercase hex) of the version's UTF-8 bytes.
    public var sha256: String
    /// Size of the version in bytes.
    public var size: Int

    /// Creates the hash and size of one version.
    public init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }

    /// The hash and size of `text` as the feed stores it (its UTF-8 bytes).
    public init(text: String) {
        self.init(sha256: Digest.sha256Hex(text.utf8), size: text.utf8.count)
    }
}

/// One feed record: one line of the JSON Lines feed.
///
/// The envelope fields `v`, `feed`, `seq`, `id` and `time` are filled by ``FeedWriter/append(_:)``;
/// the `crc` that ends every line is computed on write and checked on read, never stored here.
public struct FeedRecord: Sendable, Equatable {
    /// The current record format version.
    public static let formatVersion = 1

    /// Format version (``formatVersion``).
    public var v: Int
    /// UUID of the feed; a different one tells consumers the feed was recreated and they must resync.
    public var feed: String
    /// Position in the feed, contiguous from 1.
    public var seq: UInt64
    /// `"<feed>:<seq>"`, unique across feeds.
    public var id: String
    /// When the record was appended: RFC 3339 UTC with milliseconds, e.g. `2026-11-29T02:03:04.567Z`.
    public var time: String
    /// What happened.
    public var type: RecordType
    /// Absolute watch root.
    public var root: String
    /// Article path relative to `root` (for `recovered`: the segment file that was cut).
    public var path: String
    /// Previous path of a `moved` article (`from_path` in JSON).
    public var fromPath: String?
    /// The version before the change (modified, moved, deleted).
    public var before: VersionInfo?
    /// The version after the change (created, modified, moved).
    public var after: VersionInfo?
    /// The most significant class among `changes`.
    public var significance: Significance?
    /// Counts of the changes by class.
    public var summary: DiffSummary?
    /// The classified edits.
    public var changes: [Change]?
    /// Full text of a `created` article.
    public var content: String?
    /// Rebuilds `after` from `before` (modified, and moved when the text changed too).
    public var patch: Patch?
    /// Human-readable why, for rejected, rescan and recovered.
    public var reason: String?
    /// Small extra facts as strings, e.g. `byte_offset` and `cut_bytes` of a `recovered` record.
    public var detail: [String: String]?

    /// Builds a record to append; the envelope fields are set by ``FeedWriter/append(_:)``.
    public init(
        type: RecordType, root: String, path: String, fromPath: String? = nil, before: VersionInfo? = nil,
        after: VersionInfo? = nil, significance: Significance? = nil, summary: DiffSummary? = nil,
        changes: [Change]? = nil, content: String? = nil, patch: Patch? = nil, reason: String? = nil,
        detail: [String: String]? = nil
    ) {
        self.v = FeedRecord.formatVersion
        self.feed = ""
        self.seq = 0
        self.id = ""
        self.time = ""
        self.type = type
        self.root = root
        self.path = path
        self.fromPath = fromPath
        self.before = before
        self.after = after
        self.significance = significance
        self.summary = summary
        self.changes = changes
        self.content = content
        self.patch = patch
        self.reason = reason
        self.detail = detail
    }
}

extension FeedRecord: Decodable {
    /// A `JSONDecoder.userInfo` key: when `true`, `summary` and `changes` are left out (replay needs only the
    /// fields that rebuild texts, and the changes are most of the decoding work).
    public static let foldOnly = CodingUserInfoKey(rawValue: "redline.feed.foldOnly")!

    enum CodingKeys: String, CodingKey {
        case v, feed, seq, id, time, type, root, path
        case fromPath = "from_path"
        case before, after, significance, summary, changes, content, patch, reason, detail
    }

    /// Decodes a record from its JSON line (the `crc` key is ignored here; readers check it on the raw bytes).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        v = try c.decode(Int.self, forKey: .v)
        feed = try c.decode(String.self, forKey: .feed)
        seq = try c.decode(UInt64.self, forKey: .seq)
        id = try c.decode(String.self, forKey: .id)
        time = try c.decode(String.self, forKey: .time)
        type = try c.decode(RecordType.self, forKey: .type)
        root = try c.decode(String.self, forKey: .root)
        path = try c.decode(String.self, forKey: .path)
        fromPath = try c.decodeIfPresent(String.self, forKey: .fromPath)
        before = try c.decodeIfPresent(VersionInfo.self, forKey: .before)
        after = try c.decodeIfPresent(VersionInfo.self, forKey: .after)
        significance = try c.decodeIfPresent(Significance.self, forKey: .significance)
        // Rebuilding texts needs no classification: replay skips its largest part (see `foldOnly`).
        if decoder.userInfo[FeedRecord.foldOnly] as? Bool != true {
            summary = try c.decodeIfPresent(DiffSummary.self, forKey: .summary)
            changes = try c.decodeIfPresent([Change].self, forKey: .changes)
        }
        content = try c.decodeIfPresent(String.self, forKey: .content)
        patch = try c.decodeIfPresent(Patch.self, forKey: .patch)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        detail = try c.decodeIfPresent([String: String].self, forKey: .detail)
    }
}

extension FeedRecord {
    /// Sets the classified edit (significance, summary, changes, patch) from the diff engine's result, as a
    /// `modified` record, or a `moved` one whose text changed too, carries it.
    public mutating func attach(_ diff: TextDiff) {
        significance = diff.significance
        summary = diff.summary
        changes = diff.changes
        patch = diff.patch
    }
}
