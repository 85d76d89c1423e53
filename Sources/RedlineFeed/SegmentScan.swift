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
        var reason: String
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
                    reason: nul
                        ? "NUL bytes instead of a record (a torn write after power loss)"
                        : "no newline at the end of the last line (a torn write)")
                return result
            }
            let length = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) - start
            let lineBytes = UnsafeBufferPointer(start: start, count: length)
            switch LineFormat.inspect(lineBytes) {
            case .failure(let why):
                result.damage = Damage(offset: offset, line: line, reason: why.description)
                return result
            case .success(let envelope):
                if envelope.v != FeedRecord.formatVersion {
                    result.damage = Damage(
                        offset: offset, line: line,
                        reason: "format version v=\(envelope.v) is not \(FeedRecord.formatVersion); "
                            + "use a redline that understands it")
                    return result
                }
                let feed = UnsafeBufferPointer(rebasing: lineBytes[envelope.feedRange])
                if let known = feedBytes {
                    if !known.elementsEqual(feed) {
                        result.damage = Damage(
                            offset: offset, line: line,
                            reason: "feed \(String(decoding: feed, as: UTF8.self)) differs from "
                                + "\(String(decoding: known, as: UTF8.self)) of the records before it")
                        return result
                    }
                } else {
                    feedBytes = Array(feed)
                    result.feedID = String(decoding: feed, as: UTF8.self)
                }
                if let want = expected, envelope.seq != want {
                    result.damage = Damage(
                        offset: offset, line: line, reason: "seq \(envelope.seq) where \(want) was expected")
                    return result
                }
                if envelope.seq == 0 {
                    result.damage = Damage(offset: offset, line: line, reason: "seq 0 (seqs start at 1)")
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
}
