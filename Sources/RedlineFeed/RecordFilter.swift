import RedlineDiff
import RedlinePOSIX

/// Which records a reader wants (`tail --type/--class/--path/--min-significance`, `replay --path`).
///
/// Every non-empty criterion must hold. Records that are not edits (created, deleted, rejected, ...) carry
/// no classes or significance: `classes` excludes them, `minSignificance` lets them through.
public struct RecordFilter: Sendable, Equatable {
    /// Record types to keep; empty keeps all.
    public var types: Set<RecordType>
    /// Keep records with at least one change of these classes; empty keeps all.
    public var classes: Set<ChangeClass>
    /// A ``Glob`` (the config's dialect: `*` stays within a segment, `**` spans directories, a pattern
    /// without `/` matches the file name at any depth) matched against `path` (or `from_path`).
    public var pathGlob: String?
    /// Keep edits at least this significant.
    public var minSignificance: Significance?

    /// Creates a filter; the defaults keep everything.
    public init(
        types: Set<RecordType> = [], classes: Set<ChangeClass> = [], pathGlob: String? = nil,
        minSignificance: Significance? = nil
    ) {
        self.types = types
        self.classes = classes
        self.pathGlob = pathGlob
        self.minSignificance = minSignificance
    }

    /// Whether the filter keeps everything (so readers can skip decoding).
    public var keepsEverything: Bool {
        types.isEmpty && classes.isEmpty && pathGlob == nil && minSignificance == nil
    }

    /// Whether `record` passes.
    public func matches(_ record: FeedRecord) -> Bool {
        if !types.isEmpty && !types.contains(record.type) { return false }
        if !classes.isEmpty && !(record.changes ?? []).contains(where: { classes.contains($0.class) }) { return false }
        if let glob = pathGlob, !RecordFilter.glob(glob, record.path),
            !(record.fromPath.map { RecordFilter.glob(glob, $0) } ?? false)
        {
            return false
        }
        if let min = minSignificance, let significance = record.significance, significance < min { return false }
        return true
    }

    /// Whether `path` matches the ``Glob`` `pattern`.
    public static func glob(_ pattern: String, _ path: String) -> Bool {
        Glob(pattern).matches(path: path)
    }
}
