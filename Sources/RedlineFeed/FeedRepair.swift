import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `redline check --repair`: makes a damaged feed whole again without renumbering anything.
///
/// journald moves a damaged file aside and starts a new one; Kafka truncates only past its recovery point.
/// Redline's feed promises more: every record a consumer may have seen keeps its seq. So the repair
/// - copies every damaged span (lines that fail their crc, are not records of this feed, or repeat a seq)
///   byte for byte into `quarantine/<segment>.<byte offset>.damaged`;
/// - keeps every intact record exactly as it was, at its seq;
/// - puts in place of each seq that no intact record holds any more (inside a damaged span, in a gap between
///   segments, or at the end, up to the highest seq ever reported) one `recovered` record with
///   `detail.lost = "true"` naming the quarantine file, so seqs stay contiguous and every consumer can see
///   exactly which seqs were lost;
/// - leaves a `repaired` marker, so the next writer's owner (the daemon) rebuilds its state and resyncs the
///   articles whose history passes through a lost seq (they get a full-text record again).
///
/// It needs the writer lock: it refuses while a daemon has the feed open.
public enum FeedRepair {
    /// Present after a repair until the daemon has resynced (see ``FeedRecovery/repaired``).
    static let markerName = "repaired"
    /// Where damaged bytes are kept.
    static let quarantineName = "quarantine"

    /// What a repair did.
    public struct Report: Sendable, Equatable {
        /// Seqs now held by `recovered` tombstones, as closed ranges in order.
        public var lost: [ClosedRange<UInt64>] = []
        /// Quarantine files written (paths).
        public var quarantined: [String] = []
        /// Segment files rewritten.
        public var rewritten: [String] = []

        /// Whether the feed was changed at all.
        public var changed: Bool { !lost.isEmpty || !quarantined.isEmpty || !rewritten.isEmpty }
    }

    /// Repairs the feed in `directory`.
    /// - Throws: ``FeedError`` `.locked` while a writer runs, `.corrupt` when not even the feed UUID can be
    ///   found, `.io` when a call fails.
    public static func run(directory: String, clock: () -> Date = { Date() }) throws(FeedError) -> Report {
        let dir = try FeedReader(directory: directory).directory
        let lockFD = try FeedWriter.lock(dir)
        defer { Glibc.close(lockFD) }
        var files = try FileIO.sealedSegments(dir).map { (path: $0.path, named: Optional($0.firstSeq)) }
        let active = dir + "/" + FileIO.activeName
        if FileIO.exists(active) { files.append((active, nil)) }
        guard let feedID = try feedID(dir, files.map(\.path)) else { return Report() }
        let reported = FeedLoader.reportedSeq(dir) ?? 0
        let time = rfc3339(millisecondsSince1970: Int64((clock().timeIntervalSince1970 * 1000).rounded(.down)))
        var report = Report()
        var expected: UInt64?
        var outputs: [(path: String, bytes: [UInt8], changed: Bool)] = []
        let encoder = LineEncoder()

        func tombstones(_ range: Range<UInt64>, in file: String, quarantine: String?, at offset: Int)
            throws(FeedError) -> [UInt8]
        {
            guard !range.isEmpty else { return [] }
            var out: [UInt8] = []
            for seq in range {
                var record = FeedRecord(
                    type: .recovered, root: dir, path: (file as NSString).lastPathComponent,
                    reason: "seq \(seq) was lost to damage in \((file as NSString).lastPathComponent) (byte \(offset))"
                        + (quarantine.map { "; the damaged bytes are kept in \($0)" } ?? "; no bytes of it remain"),
                    detail: ["lost": "true", "byte_offset": String(offset)].merging(
                        quarantine.map { ["quarantine": $0] } ?? [:]
                    ) { a, _ in a })
                record.feed = feedID
                record.seq = seq
                record.id = "\(feedID):\(seq)"
                record.time = time
                try encoder.append(record, to: &out)
            }
            if let last = report.lost.last, last.upperBound + 1 == range.lowerBound {
                report.lost[report.lost.count - 1] = last.lowerBound...(range.upperBound - 1)
            } else {
                report.lost.append(range.lowerBound...(range.upperBound - 1))
            }
            return out
        }

        func quarantine(_ bytes: ArraySlice<UInt8>, from file: String, at offset: Int) throws(FeedError) -> String {
            let qdir = dir + "/" + quarantineName
            try FileIO.makeDirectories(qdir)
            let name = "\(quarantineName)/\((file as NSString).lastPathComponent).\(offset).damaged"
            try FileIO.writeAtomically(dir + "/" + name, Array(bytes))
            report.quarantined.append(dir + "/" + name)
            return name
        }

        for (index, file) in files.enumerated() {
            var bytes: [UInt8]
            var changed = false
            if SegmentCompression.isCompressed(file.path) {
                // What inflates before the damage is kept; the rest is lost like any damaged span.
                let inflated = try SegmentCompression.inflateAll(file.path)
                bytes = inflated.bytes
                changed = inflated.damage != nil
            } else {
                bytes = try FileIO.readAll(file.path)
            }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            if expected == nil { expected = file.named }
            if let named = file.named, let want = expected, named > want, let previous = outputs.indices.last {
                // A gap between segments: the tombstones end the segment before.
                outputs[previous].bytes += try tombstones(want..<named, in: file.path, quarantine: nil, at: 0)
                outputs[previous].changed = true
                expected = named
            }
            var damagedFrom: Int?
            var offset = 0
            func closeDamage(before seq: UInt64?) throws(FeedError) {
                guard let from = damagedFrom else { return }
                let q = try quarantine(bytes[from..<offset], from: file.path, at: from)
                if let want = expected, let seq, seq > want {
                    out += try tombstones(want..<seq, in: file.path, quarantine: q, at: from)
                }
                damagedFrom = nil
                changed = true
            }
            while offset < bytes.count {
                let end = bytes[offset...].firstIndex(of: 0x0A) ?? bytes.count
                let seq: UInt64? = bytes.withUnsafeBufferPointer { b -> UInt64? in
                    guard end < bytes.count,
                        case .success(let envelope) = LineFormat.inspect(UnsafeBufferPointer(rebasing: b[offset..<end])),
                        envelope.v == FeedRecord.formatVersion,
                        Array(b[(offset + envelope.feedRange.lowerBound)..<(offset + envelope.feedRange.upperBound)])
                            == Array(feedID.utf8),
                        envelope.seq >= (expected ?? 1)
                    else { return nil }
                    return envelope.seq
                }
                if let seq {
                    if damagedFrom != nil {
                        try closeDamage(before: seq)
                    } else if let want = expected, seq > want {
                        out += try tombstones(want..<seq, in: file.path, quarantine: nil, at: offset)
                        changed = true
                    }
                    out += bytes[offset...min(end, bytes.count - 1)]
                    expected = seq + 1
                } else if damagedFrom == nil {
                    damagedFrom = offset
                }
                offset = min(end + 1, bytes.count)
            }
            let isLast = index == files.count - 1
            let nextNamed = isLast ? nil : files[index + 1].named
            let upTo: UInt64? = isLast ? (reported >= (expected ?? 1) ? reported + 1 : nil) : nextNamed
            if damagedFrom != nil {
                try closeDamage(before: upTo)
                if let upTo { expected = max(expected ?? upTo, upTo) }
            } else if isLast, let upTo, let want = expected, upTo > want {
                out += try tombstones(want..<upTo, in: file.path, quarantine: nil, at: bytes.count)
                expected = upTo
                changed = true
            }
            outputs.append((file.path, out, changed))
        }
        if !FileIO.exists(active), reported > 0, reported >= (expected ?? 1) {
            // The active segment itself is gone: the seqs it held up to the reported mark are lost.
            let want = expected ?? 1
            outputs.append((active, try tombstones(want..<(reported + 1), in: active, quarantine: nil, at: 0), true))
        }
        for output in outputs where output.changed {
            // A compressed segment is rewritten plain; the writer compresses it again.
            let compressed = SegmentCompression.isCompressed(output.path)
            let target = compressed ? String(output.path.dropLast(SegmentCompression.suffix.count)) : output.path
            try FileIO.writeAtomically(target, output.bytes)
            if compressed {
                _ = try syscall(
                    { unlink(output.path) }, orThrow: ioError("remove", output.path, fix: "check permissions"))
                try FileIO.syncDirectory(dir)
            }
            report.rewritten.append(target)
        }
        if report.changed {
            let ranges = report.lost.map { "\($0.lowerBound)..\($0.upperBound)" }.joined(separator: ",")
            try FileIO.writeAtomically(dir + "/" + markerName, Array("lost=\(ranges)\n".utf8))
        }
        return report
    }

    /// The feed UUID: `feed.id`, or the first valid record's.
    private static func feedID(_ dir: String, _ files: [String]) throws(FeedError) -> String? {
        if let id = try FeedReader(directory: dir).feedID() { return id }
        for file in files {
            let scan = try SegmentScan.edges(file, feedID: nil)
            if let id = scan.feedID, scan.first != nil || scan.last != nil { return id }
        }
        guard files.isEmpty else {
            throw FeedError(
                .corrupt, path: dir + "/" + FileIO.feedIDName,
                message: "\(dir) has no feed.id and no valid record to take the feed UUID from; "
                    + "restore the feed from a backup")
        }
        return nil
    }
}
