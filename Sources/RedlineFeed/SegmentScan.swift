import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The result of checking every line of one segment's bytes: what is good, and where the first damage is.
///
/// Shared by the writer's recovery (which cuts at ``damage``), `check` (which reports it) and the readers.
struct SegmentScan {
    /// Number of valid records before any damage.
    var records = 0
    /// Seq of the first valid record.
    var firstSeq: UInt64?
    /// Seq of the last valid record.
    var lastSeq: UInt64?
    /// Feed UUID read from the first valid record.
    var feedID: String?
    /// Bytes up to and including the last valid line's `\n`.
    var validBytes = 0
    /// The first damaged line, if any.
    var damage: Damage?

    /// Where and why a segment stops being valid.
    struct Damage: Equatable {
        /// Byte offset of the start of the bad line.
        var offset: Int
        /// 1-based line number of the bad line.
        var line: Int
        /// Why it is bad.
        var reason: DamageReason

        /// Whether this is only a last line still missing its `\n` (no newline anywhere after `offset`).
        var isUnterminatedTail: Bool { reason == .unterminated }
        /// Whether the line is zero bytes: blocks a power loss left unwritten.
        var isNULRun: Bool { reason == .nulBytes }
    }

    /// Why a line of a segment is not a valid record: a value, so recovery decides on the kind, never on
    /// the wording of a message.
    enum DamageReason: Equatable, CustomStringConvertible {
        /// NUL bytes where the line would start: blocks a power loss left unwritten.
        case nulBytes
        /// The last line has no `\n`: a torn write.
        case unterminated
        /// The line itself is not a record (bad crc, not JSON, no envelope).
        case line(LineDamage)
        /// A record of another format version.
        case formatVersion(found: Int)
        /// A record of another feed UUID than the records before it.
        case otherFeed(found: String, expected: String)
        /// A seq out of order.
        case seq(found: UInt64, expected: UInt64)
        /// Seq 0.
        case seqZero

        var description: String {
            switch self {
            case .nulBytes: "NUL bytes instead of a record (a torn write after power loss)"
            case .unterminated: "no newline at the end of the last line (a torn write)"
            case .line(let why): why.description
            case .formatVersion(let found):
                "format version v=\(found) is not \(FeedRecord.formatVersion); use a redline that understands it"
            case .otherFeed(let found, let expected): "feed \(found) differs from \(expected) of the records before it"
            case .seq(let found, let expected): "seq \(found) where \(expected) was expected"
            case .seqZero: "seq 0 (seqs start at 1)"
            }
        }
    }

    /// ``scan(_:feedID:expectedFirst:)`` on two halves at once (split at a line boundary), for big segments.
    ///
    /// The result is the same as scanning in one pass: the second half's first seq must follow the first
    /// half's last, and its damage is reported at its offset and line in the whole buffer.
    static func scanInParallel(_ bytes: UnsafeBufferPointer<UInt8>, feedID: String?, expectedFirst: UInt64?)
        -> SegmentScan
    {
        guard bytes.count >= 8 << 20, let base = bytes.baseAddress,
            let nl = memchr(base + bytes.count / 2, 0x0A, bytes.count - bytes.count / 2)
        else { return scan(bytes, feedID: feedID, expectedFirst: expectedFirst) }
        let split = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) - base + 1
        guard split < bytes.count else { return scan(bytes, feedID: feedID, expectedFirst: expectedFirst) }
        final class Halves: @unchecked Sendable {
            var scans: [SegmentScan] = [SegmentScan(), SegmentScan()]
            let parts: [UnsafeBufferPointer<UInt8>]
            init(_ parts: [UnsafeBufferPointer<UInt8>]) { self.parts = parts }
        }
        let halves = Halves([
            UnsafeBufferPointer(rebasing: bytes[0..<split]), UnsafeBufferPointer(rebasing: bytes[split...]),
        ])
        // A plain thread for the second half: the cooperative pool may not give us a second worker.
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = scan(halves.parts[1], feedID: feedID, expectedFirst: nil)
            halves.scans[1] = result
            done.signal()
        }
        thread.start()
        halves.scans[0] = scan(halves.parts[0], feedID: feedID, expectedFirst: expectedFirst)
        done.wait()
        var first = halves.scans[0]
        let second = halves.scans[1]
        if first.damage != nil { return first }
        let want = (first.lastSeq ?? 0) + 1
        if let start = second.firstSeq, start != want {
            first.damage = Damage(
                offset: split, line: first.records + 1, reason: .seq(found: start, expected: want))
            return first
        }
        if second.records > 0 {
            first.records += second.records
            first.lastSeq = second.lastSeq
            first.validBytes = split + second.validBytes
        }
        if var damage = second.damage {
            damage.offset += split
            damage.line += first.records - second.records
            first.damage = damage
        }
        return first
    }

    /// Checks `bytes` line by line: crc, envelope, format version, feed UUID and seq continuity.
    ///
    /// - Parameters:
    ///   - feedID: the UUID every record must carry; nil adopts the first record's.
    ///   - expectedFirst: the seq the first record must have; nil accepts any.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, feedID: String?, expectedFirst: UInt64?) -> SegmentScan {
        var result = SegmentScan()
        result.feedID = feedID
        var feedBytes: [UInt8]? = feedID.map { Array($0.utf8) }
        var expected = expectedFirst
        guard let base = bytes.baseAddress else { return result }
        let end = bytes.count
        var offset = 0
        var line = 0
        while offset < end {
            line += 1
            let start = base + offset
            guard let nl = memchr(start, 0x0A, end - offset) else {
                let nul = start.pointee == 0
                result.damage = Damage(
                    offset: offset, line: line,
                    reason: nul ? .nulBytes : .unterminated)
                return result
            }
            let length = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) - start
            let lineBytes = UnsafeBufferPointer(start: start, count: length)
            switch LineFormat.inspect(lineBytes) {
            case .failure(let why):
                result.damage = Damage(offset: offset, line: line, reason: .line(why))
                return result
            case .success(let envelope):
                if envelope.v != FeedRecord.formatVersion {
                    result.damage = Damage(
                        offset: offset, line: line,
                        reason: .formatVersion(found: Int(envelope.v)))
                    return result
                }
                let feed = UnsafeBufferPointer(rebasing: lineBytes[envelope.feedRange])
                if let known = feedBytes {
                    let same =
                        known.count == feed.count
                        && known.withUnsafeBufferPointer { memcmp($0.baseAddress!, feed.baseAddress!, feed.count) == 0 }
                    if !same {
                        result.damage = Damage(
                            offset: offset, line: line,
                            reason: .otherFeed(
                                found: String(decoding: feed, as: UTF8.self),
                                expected: String(decoding: known, as: UTF8.self)))
                        return result
                    }
                } else {
                    feedBytes = Array(feed)
                    result.feedID = String(decoding: feed, as: UTF8.self)
                }
                if let want = expected, envelope.seq != want {
                    result.damage = Damage(
                        offset: offset, line: line, reason: .seq(found: envelope.seq, expected: want))
                    return result
                }
                if envelope.seq == 0 {
                    result.damage = Damage(offset: offset, line: line, reason: .seqZero)
                    return result
                }
                if result.firstSeq == nil { result.firstSeq = envelope.seq }
                result.lastSeq = envelope.seq
                expected = envelope.seq &+ 1
                result.records += 1
            }
            offset += length + 1
            result.validBytes = offset
        }
        return result
    }

    /// The first and last record of a segment file, each crc-checked (nil where that line is not a whole,
    /// valid record of this feed), without reading what lies between.
    ///
    /// For a compressed segment the last seq is the one its gzip header records (``SegmentCompression``),
    /// written from the checked plain segment; one gzipped by hand is inflated and scanned whole.
    static func edges(_ path: String, feedID: String?) throws(FeedError)
        -> (first: UInt64?, last: UInt64?, feedID: String?)
    {
        if SegmentCompression.isCompressed(path) { return try compressedEdges(path, feedID: feedID) }
        let fd = try FileIO.open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        return try edges(fd: fd, size: try FileIO.fileSize(fd, path: path), path: path, feedID: feedID)
    }

    /// ``edges(_:feedID:)`` on an open descriptor of a file of `size` bytes.
    static func edges(fd: Int32, size: Int, path: String, feedID: String?) throws(FeedError)
        -> (first: UInt64?, last: UInt64?, feedID: String?)
    {
        guard size > 0 else { return (nil, nil, feedID) }
        var chunk = 64 * 1024
        var firstLine: [UInt8]?
        while firstLine == nil {
            let bytes = try FileIO.read(fd, count: min(size, chunk), at: 0, path: path)
            if let nl = bytes.firstIndex(of: 0x0A) {
                firstLine = Array(bytes[..<nl]) + [0x0A]
            } else if bytes.count >= size {
                break
            }
            chunk *= 4
        }
        var lastLine = try FileIO.lastLine(fd, size: size, path: path)
        lastLine?.append(0x0A)
        func check(_ line: [UInt8]?, _ id: String?) -> SegmentScan? {
            guard let line else { return nil }
            let scan = line.withUnsafeBufferPointer { SegmentScan.scan($0, feedID: id, expectedFirst: nil) }
            return scan.damage == nil && scan.records == 1 ? scan : nil
        }
        let first = check(firstLine, feedID)
        let last = check(lastLine, first?.feedID ?? feedID)
        return (first?.firstSeq, last?.lastSeq, first?.feedID ?? last?.feedID ?? feedID)
    }

    private static func compressedEdges(_ path: String, feedID: String?) throws(FeedError)
        -> (first: UInt64?, last: UInt64?, feedID: String?)
    {
        guard let header = SegmentCompression.header(path) else {
            let scan = try scanFile(path, feedID: feedID, expectedFirst: nil).result
            guard scan.damage == nil else { return (nil, nil, scan.feedID ?? feedID) }
            return (scan.firstSeq, scan.lastSeq, scan.feedID ?? feedID)
        }
        var count = 64 * 1024
        while true {
            let prefix = try FileIO.readPrefix(path, count)
            if let nl = prefix.firstIndex(of: 0x0A) {
                let scan = prefix[...nl].withUnsafeBufferPointer {
                    SegmentScan.scan($0, feedID: feedID, expectedFirst: nil)
                }
                guard scan.damage == nil, scan.records == 1, scan.firstSeq == header.first else {
                    return (nil, nil, feedID)
                }
                return (header.first, header.last, scan.feedID ?? feedID)
            }
            if prefix.count < count { return (nil, nil, feedID) }
            count *= 4
        }
    }

    /// Scans a whole segment file through a read-only mapping (``scanInParallel(_:feedID:expectedFirst:)``);
    /// a compressed one is inflated into memory first, and damage to its gzip stream throws.
    static func scanFile(_ path: String, feedID: String?, expectedFirst: UInt64?) throws(FeedError)
        -> (result: SegmentScan, size: Int)
    {
        if SegmentCompression.isCompressed(path) {
            let bytes = try FileIO.segmentContents(path)
            let scan = bytes.withUnsafeBufferPointer {
                SegmentScan.scanInParallel($0, feedID: feedID, expectedFirst: expectedFirst)
            }
            return (scan, bytes.count)
        }
        let fd = try FileIO.open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        let size = try FileIO.fileSize(fd, path: path)
        guard size > 0 else { return (SegmentScan(), 0) }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), map != MAP_FAILED else {
            // Fall back to reading (e.g. a file system without mmap).
            let bytes = try FileIO.read(fd, count: size, at: 0, path: path)
            let scan = bytes.withUnsafeBufferPointer {
                SegmentScan.scan($0, feedID: feedID, expectedFirst: expectedFirst)
            }
            return (scan, size)
        }
        defer { munmap(map, size) }
        _ = madvise(map, size, MADV_SEQUENTIAL)
        let buffer = UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: size)
        return (SegmentScan.scanInParallel(buffer, feedID: feedID, expectedFirst: expectedFirst), size)
    }

    /// Whether any whole line after the one starting at `offset` is a valid record (crc and envelope): then
    /// the damage at `offset` is in the middle of the segment, not a torn end.
    static func validLineFollows(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Bool {
        guard let base = bytes.baseAddress, offset < bytes.count,
            let first = memchr(base + offset, 0x0A, bytes.count - offset)
        else { return false }
        var start = UnsafePointer(first.assumingMemoryBound(to: UInt8.self)) - base + 1
        while start < bytes.count, let nl = memchr(base + start, 0x0A, bytes.count - start) {
            let end = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) - base
            if case .success = LineFormat.inspect(UnsafeBufferPointer(rebasing: bytes[start..<end])) { return true }
            start = end + 1
        }
        return false
    }
}
