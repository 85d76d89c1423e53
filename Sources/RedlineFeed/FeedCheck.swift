import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// What `redline check` found in a healthy feed.
public struct FeedCheckReport: Sendable, Equatable {
    /// Number of records.
    public var records: Int
    /// Number of segment files (sealed and active).
    public var segments: Int
    /// First seq kept (nil for an empty feed).
    public var firstSeq: UInt64?
    /// Last seq (nil for an empty feed).
    public var lastSeq: UInt64?
    /// Total bytes of all segments.
    public var bytes: Int
    /// The seq covered by the snapshot that replaced segments deleted by retention, verified; nil if none.
    public var snapshotSeq: UInt64? = nil

    /// A report of these counts.
    public init(
        records: Int, segments: Int, firstSeq: UInt64?, lastSeq: UInt64?, bytes: Int, snapshotSeq: UInt64? = nil
    ) {
        self.records = records
        self.segments = segments
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.bytes = bytes
        self.snapshotSeq = snapshotSeq
    }
}

/// Verifies a whole feed without decoding it: crc, envelope, format version, feed UUID and seq continuity
/// of every line of every segment, in order, and that each sealed segment's name matches its first seq.
///
/// Lines are checked on their raw bytes straight from a read-only mapping of each file, so this runs near
/// the speed of reading the files; the crc guards the JSON (a line whose crc matches is byte-for-byte what
/// the writer serialised).
public enum FeedCheck {
    /// The CRC-32 implementation in use: `isa-l` (libisal2), `zlib` or `portable`; all give the same values.
    public static var crcImplementation: String { CRC32.implementation }

    /// Checks the feed in `directory`.
    /// - Throws: ``FeedError`` `.corrupt` naming the first bad segment, line and reason; `.notFound` if there is
    ///   no feed there.
    public static func run(directory: String) throws(FeedError) -> FeedCheckReport {
        let reader = try FeedReader(directory: directory)
        let dir = reader.directory
        let feedID = try reader.feedID()
        var files = try FileIO.sealedSegments(dir).map { (path: $0.path, firstSeq: Optional($0.firstSeq)) }
        let active = dir + "/" + FileIO.activeName
        if FileIO.exists(active) { files.append((active, nil)) }
        guard feedID != nil || files.isEmpty else {
            throw FeedError(
                .corrupt, path: dir + "/" + FileIO.feedIDName,
                message: "\(dir)/\(FileIO.feedIDName) is missing but the feed has segments; restore it "
                    + "(it holds the \"feed\" UUID of the records), or start the writer once to recreate it")
        }
        var report = FeedCheckReport(records: 0, segments: files.count, firstSeq: nil, lastSeq: nil, bytes: 0)
        var expected: UInt64?
        for file in files {
            if let named = file.firstSeq, let want = expected, named != want {
                throw FeedError(
                    .corrupt, path: file.path,
                    message: "\(file.path): segment starts at seq \(named) but the previous one ended at "
                        + "\(want - 1); a segment is missing or misnamed")
            }
            // A running daemon may have gzipped this segment since it was listed: its .gz is in place before the
            // plain file goes, so read that.
            var file = file
            let gzipped = file.path + SegmentCompression.suffix
            if file.firstSeq != nil, !SegmentCompression.isCompressed(file.path), !FileIO.exists(file.path),
                FileIO.exists(gzipped)
            {
                file.path = gzipped
            }
            let scan = try SegmentScan.scanFile(file.path, feedID: feedID, expectedFirst: expected ?? file.firstSeq)
            report.bytes += scan.size
            if let damage = scan.result.damage,
                !(file.firstSeq == nil && damage.isUnterminatedTail && writerIsRunning(dir))
            {
                throw FeedError(
                    .corrupt, path: file.path,
                    message: "\(file.path) line \(damage.line) (byte \(damage.offset)): \(damage.reason)",
                    line: damage.line, offset: damage.offset)
            }
            if SegmentCompression.isCompressed(file.path), let header = SegmentCompression.header(file.path),
                header
                    != SegmentCompression.Header(
                        first: scan.result.firstSeq ?? 0, last: scan.result.lastSeq ?? 0, records: scan.result.records)
            {
                throw FeedError(
                    .corrupt, path: file.path,
                    message: "\(file.path): its gzip header says seqs \(header.first)..\(header.last) "
                        + "(\(header.records) records), but it holds \(scan.result.records) records "
                        + "\(scan.result.firstSeq ?? 0)..\(scan.result.lastSeq ?? 0); restore it from a backup")
            }
            if file.firstSeq != nil && scan.result.records == 0 {
                throw FeedError(.corrupt, path: file.path, message: "\(file.path): sealed segment is empty")
            }
            if report.firstSeq == nil { report.firstSeq = scan.result.firstSeq }
            if let last = scan.result.lastSeq {
                report.lastSeq = last
                expected = last + 1
            }
            report.records += scan.result.records
        }
        if let reported = FeedLoader.reportedSeq(dir), (report.lastSeq ?? 0) < reported {
            throw FeedError(
                .corrupt, path: dir,
                message: "\(dir): records \((report.lastSeq ?? 0) + 1)..\(reported) are missing, although the writer "
                    + "reported them durable; restore them from a backup, or run `redline check --repair --feed \(dir)` "
                    + "to mark them lost")
        }
        if let newest = FeedSnapshot.list(dir).last {
            _ = try FeedSnapshot.load(newest.path, feedID: feedID)
            if let first = report.firstSeq, newest.seq + 1 < first {
                throw FeedError(
                    .corrupt, path: newest.path,
                    message: "\(newest.path) covers seq \(newest.seq), but the oldest segment starts at seq \(first): "
                        + "records \(newest.seq + 1)..\(first - 1) are missing; restore them from a backup")
            }
            report.snapshotSeq = newest.seq
        }
        return report
    }

    /// Decodes every record in full (JSON syntax, field types, record types), after ``run(directory:)``
    /// has checked crc and continuity; slower, for when the writer itself is in doubt.
    /// - Throws: ``FeedError`` `.corrupt` naming the segment, line and what did not decode.
    public static func decodeAll(directory: String) throws(FeedError) {
        let cursor = try FeedReader(directory: directory).cursor(since: 1, strict: false)
        while let raw = try cursor.next() { _ = try raw.decode() }
    }

    /// Whether a writer holds the feed's lock (then a last line without `\n` is a record being written).
    static func writerIsRunning(_ directory: String) -> Bool {
        let path = directory + "/" + FileIO.lockName
        guard let fd = try? POSIX.call("open", path: path, { open(path, O_RDONLY | O_CLOEXEC) }) else { return false }
        defer { close(fd) }
        do {
            _ = try POSIX.call("flock", path: path) { flock(fd, LOCK_SH | LOCK_NB) }
            flock(fd, LOCK_UN)
            return false
        } catch {
            return error.errno == EWOULDBLOCK
        }
    }
}
