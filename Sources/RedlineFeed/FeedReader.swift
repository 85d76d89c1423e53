import Foundation
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// One complete, checked line of the feed (crc, format version, feed UUID and seq continuity verified).
public struct RawRecord: Sendable {
    /// The record's seq.
    public let seq: UInt64
    /// The line's bytes without its `\n`, exactly as stored (crc included).
    public let bytes: [UInt8]
    /// The segment file it came from.
    public let segment: String
    /// Its 1-based line number in that segment.
    public let line: Int

    /// Decodes the full record.
    /// - Throws: ``FeedError`` `.corrupt` if the JSON does not match the record format.
    public func decode() throws(FeedError) -> FeedRecord {
        do throws(FeedError) {
            return try decode(with: RawRecord.decoder)
        } catch {
            var error = error
            error.message += "; run `redline check` on the feed and use a redline that matches its writer"
            throw error
        }
    }

    /// Decodes the full record with `decoder`.
    /// - Throws: ``FeedError`` `.corrupt`, naming the segment, line and seq.
    func decode(with decoder: JSONDecoder) throws(FeedError) -> FeedRecord {
        do {
            return try decoder.decode(FeedRecord.self, from: Data(bytes))
        } catch {
            throw FeedError(
                .corrupt, path: segment,
                message: "\(segment) line \(line) (seq \(seq)) is not a valid record: \(error)")
        }
    }

    private static let decoder = JSONDecoder()
}

/// Reads records in order across the sealed segments and the active file.
public struct FeedReader: Sendable {
    /// The feed directory.
    public let directory: String

    /// A reader of the feed in `directory`.
    /// - Throws: ``FeedError`` `.notFound` if the directory does not exist.
    public init(directory: String) throws(FeedError) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var st = stat()
        guard stat(self.directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw FeedError(
                .notFound, path: directory,
                message: "feed directory \(directory) does not exist: pass the daemon's feed directory "
                    + "(DATA/feed) with --feed")
        }
    }

    /// The feed UUID, or nil if nothing was ever written.
    public func feedID() throws(FeedError) -> String? {
        let path = directory + "/" + FileIO.feedIDName
        guard FileIO.exists(path) else { return nil }
        return String(decoding: try FileIO.readAll(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The seq of the last record readers may see (complete, and at or before the durable mark), or 0.
    public func lastSeq() throws(FeedError) -> UInt64 {
        let written = try lastWrittenSeq()
        switch DurableMark.read(directory: directory) {
        case .seq(let mark): return min(written, mark)
        case .unreadable: return 0
        case .absent: return written
        }
    }

    /// The seq of the last complete record, durable or not, or 0 for an empty feed.
    func lastWrittenSeq() throws(FeedError) -> UInt64 {
        let active = directory + "/" + FileIO.activeName
        var candidates: [String] = []
        if FileIO.exists(active) { candidates.append(active) }
        candidates += try FileIO.sealedSegments(directory).reversed().map(\.path)
        for candidate in candidates {
            let (fd, path) = try FileIO.openSegment(candidate)
            defer { Glibc.close(fd) }
            if SegmentCompression.isCompressed(path) {
                if let last = try SegmentScan.edges(path, feedID: nil).last { return last }
                continue
            }
            let size = try FileIO.fileSize(fd, path: path)
            // A torn last line (no `\n` yet) is skipped: lastLine only returns complete lines.
            if let line = try FileIO.lastLine(fd, size: size, path: path),
                case .success(let envelope) = line.withUnsafeBufferPointer({ LineFormat.inspect($0) })
            {
                return envelope.seq
            }
        }
        return 0
    }

    /// Every record with seq >= `since`, in order, each crc-checked and decoded.
    ///
    /// Loads them all into memory; for large feeds iterate a ``cursor(since:strict:)`` instead.
    /// - Throws: ``FeedError`` `.retention` if records at or after `since` were deleted, `.corrupt` on damage.
    public func records(since: UInt64) throws(FeedError) -> [FeedRecord] {
        let cursor = try self.cursor(since: since, strict: true)
        var result: [FeedRecord] = []
        while let raw = try cursor.next() { result.append(try raw.decode()) }
        return result
    }

    /// A cursor positioned at `since` (seq 1 or 0 = the beginning).
    /// - Parameter strict: throw if records at or after `since` were deleted by retention; when false, start at
    ///   the oldest record still kept (`tail --from-beginning`).
    public func cursor(since: UInt64, strict: Bool = true) throws(FeedError) -> FeedCursor {
        try FeedCursor(directory: directory, since: max(since, 1), strict: strict)
    }
}

/// Walks the feed forward from a seq, one checked line at a time, across rotation.
///
/// ``next()`` returns nil when it has read every complete line written so far; call it again after the feed
/// grows (``FeedFollower`` waits on inotify for that). A line is never returned before its `\n` is on disk,
/// and a rotation (the active file renamed to a sealed segment) is followed without loss or duplicates:
/// the renamed file is drained through the open descriptor before the next segment is opened.
/// Not thread-safe: use one cursor per thread.
public final class FeedCursor {
    /// The feed directory.
    public let directory: String
    /// The seq of the next record ``next()`` will return.
    public private(set) var nextSeq: UInt64
    private var expected: UInt64?
    private var feedBytes: [UInt8]?
    private var fd: Int32 = -1
    /// Inflates the current segment when it is compressed.
    private var gzip: GzipReader?
    private var path = ""
    private var sealed = false
    private var lineNumber = 0
    private var buffer: [UInt8] = []
    /// Where ``fill()`` reads to before appending to `buffer`.
    private var scratch: [UInt8] = []
    private var start = 0
    private var searched = 0
    /// Bytes read from the current file so far (the descriptor's position).
    private var fileOffset = 0
    /// File offset of a bad line already re-read once (see ``nextLine()``).
    private var rereadAt: Int?
    /// The durable mark's file, once it exists; records past the mark are not returned yet.
    private var markFD: Int32 = -1
    /// The last durable seq read from the mark; nil while the feed has no mark (an older feed: no limit).
    private var mark: UInt64?
    /// Set when the next line is complete but past the mark.
    private var held = false

    private var activePath: String { directory + "/" + FileIO.activeName }

    init(directory: String, since: UInt64, strict: Bool) throws(FeedError) {
        self.directory = directory
        self.nextSeq = since
        let idPath = directory + "/" + FileIO.feedIDName
        if FileIO.exists(idPath) {
            feedBytes = Array(
                String(decoding: try FileIO.readAll(idPath), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        }
        for _ in 0..<8 {
            let sealedList = try FileIO.sealedSegments(directory)
            if let oldest = sealedList.first, since < oldest.firstSeq {
                if strict && !(since <= 1 && oldest.firstSeq == 1) {
                    throw FeedError(
                        .retention, path: directory,
                        message: "records before seq \(oldest.firstSeq) of \(directory) were deleted by retention, "
                            + "so reading from seq \(since) would skip records; start at --since \(oldest.firstSeq) "
                            + "or later (or --from-beginning) and resync what was lost")
                }
                nextSeq = max(since, oldest.firstSeq)
                try open(oldest.path, sealed: true)
                return
            }
            if let segment = sealedList.last(where: { $0.firstSeq <= since }),
                segment.firstSeq != sealedList.last?.firstSeq || !activeStartsAtOrBefore(since)
            {
                try open(segment.path, sealed: true)
                return
            }
            guard FileIO.exists(activePath) || sealedList.isEmpty else { continue }
            if !FileIO.exists(activePath) {
                // Nothing written yet; start empty and pick up the active file when it appears.
                return
            }
            try open(activePath, sealed: false)
            // The active file may have been sealed between listing and opening; then list again.
            if try FileIO.sealedSegments(directory).count == sealedList.count { break }
            closeFile()
        }
        if strict, fd >= 0, let first = try peekFirstSeq(), since < first, !(since <= 1 && first == 1) {
            throw FeedError(
                .retention, path: directory,
                message: "records before seq \(first) of \(directory) were deleted by retention, so reading from "
                    + "seq \(since) would skip records; start at --since \(first) or later and resync what was lost")
        }
    }

    deinit {
        closeFile()
        if markFD >= 0 { Glibc.close(markFD) }
    }

    /// Whether `seq` is at or before the durable mark (reading the mark again when it is not, yet).
    private func visible(_ seq: UInt64) -> Bool {
        if let mark, seq <= mark { return true }
        refreshMark()
        guard let mark else { return true }
        return seq <= mark
    }

    private func refreshMark() {
        if markFD < 0 {
            let path = directory + "/" + DurableMark.name
            guard let fd = try? POSIX.call("open", path: path, { Glibc.open(path, O_RDONLY | O_CLOEXEC) }) else {
                return
            }
            markFD = fd
        }
        switch DurableMark.read(fd: markFD) {
        case .seq(let s): mark = max(mark ?? 0, s)
        // A mark file without a mark (its bytes lost to a power cut): show nothing new until a writer
        // publishes again, since what lies past the old mark may be cut.
        case .unreadable, .absent: mark = mark ?? 0
        }
    }

    /// Whether the active file's first record is at or before `seq` (so it, not a sealed segment, holds `seq`).
    private func activeStartsAtOrBefore(_ seq: UInt64) -> Bool {
        guard let bytes = try? FileIO.readPrefix(activePath, 512),
            case .success(let envelope) = bytes.withUnsafeBufferPointer({ LineFormat.parsePrefix($0) })
        else { return false }
        return envelope.seq <= seq
    }

    private func peekFirstSeq() throws(FeedError) -> UInt64? {
        guard let bytes = try? FileIO.readPrefix(path, 512),
            case .success(let envelope) = bytes.withUnsafeBufferPointer({ LineFormat.parsePrefix($0) })
        else { return nil }
        return envelope.seq
    }

    private func open(_ path: String, sealed: Bool) throws(FeedError) {
        closeFile()
        if sealed {
            (fd, self.path) = try FileIO.openSegment(path)
            if SegmentCompression.isCompressed(self.path) {
                gzip = try GzipReader(fd: fd, path: self.path, checksCRC: false)
            }
        } else {
            fd = try FileIO.open(path, O_RDONLY)
            self.path = path
        }
        self.sealed = sealed
        lineNumber = 0
        buffer.removeAll(keepingCapacity: true)
        start = 0
        searched = 0
        fileOffset = 0
    }

    private func closeFile() {
        gzip = nil
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// The next complete record at or after ``nextSeq``, or nil when every complete line has been read.
    /// - Throws: ``FeedError`` `.corrupt` on a damaged line, `.retention` if the next segment was deleted
    ///   before this cursor reached it.
    public func next() throws(FeedError) -> RawRecord? {
        guard let (seq, range) = try advance() else { return nil }
        return RawRecord(seq: seq, bytes: Array(buffer[range]), segment: path, line: lineNumber)
    }

    /// ``next()`` without copying the line: `body` gets the record's seq and its stored bytes (without the
    /// `\n`), which are valid only during the call. For readers that copy many records into one buffer.
    /// - Returns: false when every complete line has been read (`body` was not called).
    public func next(borrowing body: (_ seq: UInt64, _ line: UnsafeBufferPointer<UInt8>) -> Void) throws(FeedError)
        -> Bool
    {
        guard let (seq, range) = try advance() else { return false }
        buffer.withUnsafeBufferPointer { body(seq, UnsafeBufferPointer(rebasing: $0[range])) }
        return true
    }

    /// Moves to the next complete record at or after ``nextSeq``: its seq and where its line is in `buffer`.
    private func advance() throws(FeedError) -> (UInt64, Range<Int>)? {
        while true {
            if fd < 0 {
                guard try openNextSegment() else { return nil }
                continue
            }
            if let (seq, range) = try nextLine() {
                if seq < nextSeq { continue }
                nextSeq = seq + 1
                return (seq, range)
            }
            if held {
                // Complete but not yet durable: the writer publishes the mark after its sync.
                held = false
                return nil
            }
            // No complete line buffered: read more.
            if try fill() > 0 { continue }
            if sealed {
                if start < buffer.count {
                    throw FeedError(
                        .corrupt, path: path,
                        message: "\(path) line \(lineNumber + 1) has no newline at the end of a sealed segment; "
                            + "run `redline check --feed \(directory)` and restore the segment from a backup")
                }
                closeFile()
                continue
            }
            // At the end of the active file. A restarted writer may have cut a torn tail we had partly
            // buffered (never returned: it had no newline); drop it and read again from the cut.
            if try FileIO.fileSize(fd, path: path) < fileOffset {
                let lineStart = fileOffset - (buffer.count - start)
                buffer.removeSubrange(start...)
                searched = start
                fileOffset = lineStart
                _ = try? POSIX.call("lseek") { lseek(fd, off_t(lineStart), SEEK_SET) }
                continue
            }
            // Has it been sealed (renamed) meanwhile?
            let ours = try FileIO.inode(fd, path: path)
            guard let current = FileIO.inode(path: activePath) else { return nil }
            if current == ours { return nil }
            sealed = true  // drain it through our descriptor, then move on
        }
    }

    /// Opens the segment that continues at `expected`; false if it does not exist yet.
    private func openNextSegment() throws(FeedError) -> Bool {
        for _ in 0..<8 {
            let sealedList = try FileIO.sealedSegments(directory)
            if let want = expected {
                if let segment = sealedList.first(where: { $0.firstSeq == want }) {
                    try open(segment.path, sealed: true)
                    return true
                }
                if let later = sealedList.first(where: { $0.firstSeq > want }) {
                    throw FeedError(
                        .retention, path: directory,
                        message: "records \(want)..\(later.firstSeq - 1) of \(directory) were deleted by retention "
                            + "before this reader got to them; resume at --since \(later.firstSeq) and resync")
                }
            }
            guard FileIO.exists(activePath) else { return false }
            try open(activePath, sealed: false)
            let after = try FileIO.sealedSegments(directory)
            if let want = expected, after.contains(where: { $0.firstSeq == want }) {
                closeFile()
                continue
            }
            return true
        }
        return false
    }

    /// Reads up to 1 MiB more of the current file into the buffer.
    private func fill() throws(FeedError) -> Int {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            searched = 0
            start = 0
        } else if start > (1 << 20) {
            buffer.removeFirst(start)
            searched -= start
            start = 0
        }
        // Read into a scratch buffer and append only what arrived: growing `buffer` by a whole chunk
        // and trimming it afterwards costs a 1 MiB fill per call, which a follower pays per record.
        let chunk = 1 << 20
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: chunk) }
        let fd = self.fd
        let path = self.path
        let gzip = self.gzip
        let directory = self.directory
        let result = scratch.withUnsafeMutableBytes { raw in
            Result { () throws(FeedError) -> Int in
                if let gzip { return try gzip.read(into: raw, feed: directory) }
                return try syscall({ Glibc.read(fd, raw.baseAddress!, chunk) }) { code in
                    ioError("read", path, fix: "check the disk and the file's permissions")(code)
                }
            }
        }
        let n = try result.get()
        if n > 0 { scratch.withUnsafeBufferPointer { buffer.append(contentsOf: $0[0..<n]) } }
        fileOffset += n
        return n
    }

    /// Takes the next complete line from the buffer and checks it: its seq and where it is in `buffer`.
    private func nextLine() throws(FeedError) -> (UInt64, Range<Int>)? {
        guard searched < buffer.count else { return nil }
        let from = searched
        let found: Int? = buffer.withUnsafeBufferPointer { b -> Int? in
            guard let p = memchr(b.baseAddress! + from, 0x0A, b.count - from) else { return nil }
            return UnsafePointer(p.assumingMemoryBound(to: UInt8.self)) - b.baseAddress!
        }
        guard let nl = found else {
            searched = buffer.count
            return nil
        }
        lineNumber += 1
        let lineStart = start
        start = nl + 1
        searched = start
        let check: Result<LineFormat.Envelope, LineDamage> = buffer.withUnsafeBufferPointer {
            LineFormat.inspect(UnsafeBufferPointer(rebasing: $0[lineStart..<nl]))
        }
        let envelope: LineFormat.Envelope
        switch check {
        case .failure(let damage):
            // In the active file, bytes we buffered before a writer restart may belong to a torn line it has
            // since cut and overwritten: read once more from this line's start before calling it damage.
            let lineOffset = fileOffset - (buffer.count - lineStart)
            if !sealed && rereadAt != lineOffset {
                rereadAt = lineOffset
                buffer.removeSubrange(lineStart...)
                start = lineStart
                searched = lineStart
                lineNumber -= 1
                fileOffset = lineOffset
                _ = try? POSIX.call("lseek") { lseek(fd, off_t(lineOffset), SEEK_SET) }
                return nil
            }
            throw corrupt(damage.description)
        case .success(let e): envelope = e
        }
        guard visible(envelope.seq) else {
            // Leave the line in the buffer for when the mark reaches it.
            start = lineStart
            searched = lineStart
            lineNumber -= 1
            held = true
            return nil
        }
        guard envelope.v == FeedRecord.formatVersion else {
            throw corrupt("format version v=\(envelope.v) is not \(FeedRecord.formatVersion)")
        }
        let feedRange = (lineStart + envelope.feedRange.lowerBound)..<(lineStart + envelope.feedRange.upperBound)
        if let known = feedBytes {
            // Compared in place: this runs once per record, and an Array per record is most of a fast reader's cost.
            let same = known.withUnsafeBufferPointer { k in
                buffer.withUnsafeBufferPointer { b in
                    k.count == feedRange.count
                        && (k.isEmpty || memcmp(k.baseAddress!, b.baseAddress! + feedRange.lowerBound, k.count) == 0)
                }
            }
            guard same else {
                let feed = String(decoding: buffer[feedRange], as: UTF8.self)
                throw FeedError(
                    .feedChanged, path: path,
                    message: "\(path) line \(lineNumber) belongs to feed \(feed), "
                        + "not \(String(decoding: known, as: UTF8.self)): the feed was recreated; resync from the start"
                )
            }
        } else {
            feedBytes = Array(buffer[feedRange])
        }
        if let want = expected, envelope.seq != want {
            throw corrupt("seq \(envelope.seq) where \(want) was expected")
        }
        expected = envelope.seq + 1
        return (envelope.seq, lineStart..<nl)
    }

    private func corrupt(_ reason: String) -> FeedError {
        FeedError(
            .corrupt, path: path,
            message: "\(path) line \(lineNumber): \(reason); run `redline check --feed \(directory)`")
    }
}

extension FileIO {
    /// Up to `count` bytes from the start of a file, inflated if it is a compressed segment.
    static func readPrefix(_ path: String, _ count: Int) throws(FeedError) -> [UInt8] {
        guard SegmentCompression.isCompressed(path) else { return try readPrefix(raw: path, count) }
        let fd = try open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        let reader = try GzipReader(fd: fd, path: path)
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes {
                reader.inflate(into: UnsafeMutableRawBufferPointer(rebasing: $0[done...]))
            }
            if n == 0 { break }
            done += n
        }
        bytes.removeLast(count - done)
        return bytes
    }

    /// Up to `count` bytes from the start of a file, as stored.
    static func readPrefix(raw path: String, _ count: Int) throws(FeedError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        return try read(fd, count: count, at: 0, path: path)
    }
}
