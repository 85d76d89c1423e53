import Foundation

/// Replay's fold over lines that come from somewhere other than a feed directory (PostgreSQL, for
/// `replay --postgres`): the same crc check, decoding and ``ArticleHistory``, and the same tree writer as
/// ``FeedReplay/rebuild(to:)``, so both rebuild byte for byte the same tree.
///
/// Lines must come in seq order from seq 1 of one feed; a line that is damaged, of another feed or out of
/// order is an error, never skipped.
public struct LineFold {
    /// The history folded so far.
    public private(set) var history = ArticleHistory()
    /// What the fold went through.
    public private(set) var report = FeedReplay.Report()
    /// Only write articles whose path matches this ``Glob``.
    public var pathGlob: String?
    private let source: String
    private let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.userInfo[FeedRecord.foldOnly] = true
        return decoder
    }()

    /// An empty fold; `source` names where the lines come from, for errors.
    public init(source: String) {
        self.source = source
    }

    /// Checks the crc of one stored line (without `\n`) and folds its record.
    /// - Throws: ``FeedError`` `.corrupt` for a damaged or out-of-order line, `.mismatch` when a version does not
    ///   rebuild to its sha256.
    public mutating func apply(line: [UInt8]) throws(FeedError) {
        let expected = report.lastSeq + 1
        let inspected = line.withUnsafeBufferPointer { LineFormat.inspect($0) }
        guard case .success(let envelope) = inspected else {
            throw FeedError(
                .corrupt, path: source, message: "\(source): the line of seq \(expected) fails its crc check")
        }
        guard envelope.seq == expected else {
            throw FeedError(
                .corrupt, path: source,
                message: "\(source): seq \(expected) is missing (the next line is seq \(envelope.seq))")
        }
        let record: FeedRecord
        if let parsed = line.withUnsafeBufferPointer({ FoldParser.parse($0) }) {
            record = parsed
        } else {
            do {
                record = try decoder.decode(FeedRecord.self, from: Data(line))
            } catch {
                throw FeedError(
                    .corrupt, path: source, message: "\(source): seq \(expected) is not a valid record: \(error)")
            }
        }
        try history.apply(record)
        report.records += 1
        report.lastSeq = record.seq
    }

    /// Writes the folded tree into `target` (new or empty), as ``FeedReplay/rebuild(to:)`` does.
    public func write(to target: String) throws(FeedError) -> FeedReplay.Report {
        try FeedReplay.requireEmpty(target)
        var replay = FeedReplay(directory: source)
        replay.pathGlob = pathGlob
        let articles = replay.selected(history)
        try FeedReplay.write(articles, to: target)
        var report = report
        report.versions = history.versionsVerified
        report.articles = articles.count
        return report
    }
}
