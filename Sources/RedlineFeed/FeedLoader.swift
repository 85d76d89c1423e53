import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What opening a feed found, and what it did about it.
public struct FeedRecovery: Sendable, Equatable {
    /// Whether the last writer closed the feed cleanly (its `clean-shutdown` marker was there).
    public var cleanShutdown: Bool
    /// The torn tail cut from the active segment, if there was one.
    public var cut: Cut?
    /// Whether `redline check --repair` changed the feed since the last writer: lost seqs were marked, so the
    /// articles they touched must be resynced (the daemon rebuilds its state and reconciles).
    public var repaired: Bool

    /// A torn tail: bytes after the durable mark that do not form whole records.
    public struct Cut: Sendable, Equatable {
        /// Byte offset in `changes.jsonl` where the cut starts.
        public var offset: Int
        /// Number of bytes removed.
        public var bytes: Int
        /// 1-based line number of the first line cut.
        public var line: Int
        /// Why that line is not a record.
        public var reason: String
    }
}

/// Opens a feed directory for its writer: finds the feed UUID, the last seq and the active segment, and cuts
/// what a crash can leave, and nothing else.
///
/// Kafka's `LogLoader` sits beside `Log` in the same way. Its rules:
/// - The feed's *reported* high point is the larger of the durable mark (``DurableMark``) and the
///   clean-shutdown marker's `last_seq`. Every record up to it may have been read by a consumer, so it is
///   never cut, renumbered or given away.
/// - A crash can only tear what lies past the durable mark of an unclean shutdown: the lines written since
///   the last `fdatasync`. Only there is damage cut, and the cut is reported by a `recovered` record.
/// - Damage anywhere else (a bad line inside the durable part, any damage after a clean shutdown, a sealed
///   segment that does not start or end right, a gap between segments, records missing from the end) stops
///   the writer with the segment, line and byte, and the fix: restore from a backup, or
///   `redline check --repair`, which quarantines the damaged lines and marks their seqs lost.
/// - A feed written before durable marks existed has no mark; then a damaged line is a torn tail only if no
///   valid record follows it.
struct FeedLoader {
    /// The feed directory.
    let directory: String
    let logger: Logger

    /// The open feed: everything the writer needs to go on appending.
    struct Loaded {
        var feedID: String
        var lastSeq: UInt64
        var activeFirstSeq: UInt64
        var activeFD: Int32
        var activeSize: Int
        var recovery: FeedRecovery
        /// The directory still has to be synced before the first record is appended (``FeedWriter`` does it).
        var directorySyncPending = false
    }

    /// The `last_seq` written by a clean ``FeedWriter/close()``, or nil if the marker is absent.
    static func cleanSeq(_ directory: String) -> UInt64? {
        guard let bytes = try? FileIO.readAll(directory + "/" + FileIO.cleanName) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("last_seq=") else { return 0 }
        return UInt64(text.dropFirst(9)) ?? 0
    }

    /// The highest seq the feed has ever reported durable (mark or clean marker), or nil if neither says.
    static func reportedSeq(_ directory: String) -> UInt64? {
        var reported: UInt64?
        if case .seq(let s) = DurableMark.read(directory: directory) { reported = s }
        if let clean = cleanSeq(directory) { reported = max(reported ?? 0, clean) }
        return reported
    }

    /// Loads the feed; the caller holds the writer lock.
    /// - Throws: ``FeedError`` `.corrupt` for damage a crash cannot explain, `.io` when a call fails.
    func load() throws(FeedError) -> Loaded {
        let idPath = directory + "/" + FileIO.feedIDName
        var feedID = try readFeedID(idPath)
        let cleanSeq = Self.cleanSeq(directory)
        let clean = cleanSeq != nil
        let mark = DurableMark.read(directory: directory)
        var markSeq: UInt64?
        if case .seq(let s) = mark { markSeq = s }
        let reported = max(markSeq ?? 0, cleanSeq ?? 0)
        let repaired = FileIO.exists(directory + "/" + FeedRepair.markerName)

        let sealedLast = try checkSealed(feedID: &feedID)
        let activePath = directory + "/" + FileIO.activeName
        let existed = FileIO.exists(activePath)
        if !existed, reported > (sealedLast ?? 0) {
            throw damaged(
                activePath,
                "is missing, but records up to seq \(reported) were reported (the last sealed segment ends at "
                    + "\(sealedLast ?? 0))")
        }
        let fd = try FileIO.open(activePath, O_RDWR | O_CREAT | O_APPEND)
        do throws(FeedError) {
            var loaded = Loaded(
                feedID: "", lastSeq: sealedLast ?? 0, activeFirstSeq: (sealedLast ?? 0) + 1, activeFD: fd,
                activeSize: 0, recovery: FeedRecovery(cleanShutdown: clean, cut: nil, repaired: repaired))
            let size = try FileIO.fileSize(fd, path: activePath)
            // The active segment is always scanned whole (its size is bounded by segment_bytes, and crc runs
            // near memory speed): a clean shutdown says nothing about a byte flipped since.
            // Mapped, not copied to the heap: a 16 MiB segment costs page cache, not resident memory.
            let (scanned, validLineFollows) = try FileIO.withContents(fd, size: size, path: activePath) { bytes in
                let scan = SegmentScan.scanInParallel(bytes, feedID: feedID, expectedFirst: sealedLast.map { $0 + 1 })
                return (scan, scan.damage.map { SegmentScan.validLineFollows(bytes, from: $0.offset) } ?? false)
            }
            var scan = scanned
            if let damage = scan.damage {
                let lost = (scan.lastSeq ?? sealedLast ?? 0) + 1
                let torn: Bool
                if clean {
                    torn = false
                } else if let markSeq {
                    torn = lost > markSeq
                } else {
                    // No readable mark (a feed from before marks, or a power cut took the mark's own
                    // unsynced bytes): zeros are the signature of blocks never written, so nothing past
                    // them was ever synced; other damage is a tear only if no valid record follows.
                    torn = damage.isNULRun || !validLineFollows
                }
                guard torn else {
                    throw damaged(
                        activePath,
                        "line \(damage.line) (byte \(damage.offset)): \(damage.reason); records up to seq "
                            + "\(max(reported, scan.lastSeq ?? 0)) were reported to readers, so this is not a torn "
                            + "write Redline may cut", at: damage)
                }
                try cut(fd, at: damage.offset, size: size, path: activePath)
                loaded.recovery.cut = FeedRecovery.Cut(
                    offset: damage.offset, bytes: size - damage.offset, line: damage.line,
                    reason: damage.reason.description)
                scan.validBytes = damage.offset
                logger.warning(
                    "feed tail cut after an unclean shutdown",
                    metadata: [
                        "feed.path": "\(activePath)", "feed.offset": "\(damage.offset)",
                        "feed.cut_bytes": "\(size - damage.offset)", "feed.line": "\(damage.line)",
                        "feed.reason": "\(damage.reason)",
                    ])
            }
            if feedID == nil { feedID = scan.feedID }
            if let last = scan.lastSeq { loaded.lastSeq = last }
            if let first = scan.firstSeq { loaded.activeFirstSeq = first }
            loaded.activeSize = scan.validBytes
            if loaded.lastSeq < reported {
                throw damaged(
                    activePath,
                    "ends at seq \(loaded.lastSeq), but records up to seq \(reported) were reported; "
                        + "records \(loaded.lastSeq + 1)..\(reported) are missing")
            }
            if !clean {
                // Records written before the crash but never synced are on disk only now; make them durable
                // before the mark lets anyone read them.
                _ = try syscall({ fdatasync(fd) }) { code in
                    ioError("sync", activePath, fix: "check the disk (dmesg)")(code)
                }
            }
            if !FileIO.exists(idPath) {
                let id = feedID ?? UUID().uuidString.lowercased()
                try FileIO.writeAtomically(idPath, Array((id + "\n").utf8))
                feedID = id
            }
            loaded.feedID = feedID!
            if clean {
                let cleanPath = directory + "/" + FileIO.cleanName
                _ = try syscall({ unlink(cleanPath) }, orThrow: ioError("remove", cleanPath, fix: "check permissions"))
                // The marker's removal must be durable before anything is appended after it (a marker that came
                // back after a power cut would vouch for a tail it never saw), but not sooner: until then the
                // tail is the one it vouched for. So a warm start does not wait for a directory fsync here;
                // the writer syncs the directory before its first append.
                loaded.directorySyncPending = true
            } else {
                // After a crash, renames and creations the dead writer never synced must be durable before the
                // mark lets anyone read what they hold.
                try FileIO.syncDirectory(directory)
            }
            return loaded
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    private func readFeedID(_ idPath: String) throws(FeedError) -> String? {
        guard FileIO.exists(idPath) else { return nil }
        let text = String(decoding: try FileIO.readAll(idPath), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard UUID(uuidString: text) != nil else {
            throw FeedError(
                .corrupt, path: idPath,
                message: "\(idPath) does not hold a UUID; restore it from a backup or from the \"feed\" field "
                    + "of any record")
        }
        return text
    }

    /// Checks that every sealed segment starts at the seq its name says, ends with a whole valid record, and
    /// continues the one before; returns the last seq of the last one. Reads two lines per segment; a full
    /// scan only runs to name the damage.
    private func checkSealed(feedID: inout String?) throws(FeedError) -> UInt64? {
        var previousLast: UInt64?
        for segment in try FileIO.sealedSegments(directory) {
            let edges = try SegmentScan.edges(segment.path, feedID: feedID)
            if feedID == nil { feedID = edges.feedID }
            guard let first = edges.first, let last = edges.last, first == segment.firstSeq, last >= first else {
                let full = try SegmentScan.scanFile(
                    segment.path, feedID: feedID, expectedFirst: segment.firstSeq)
                if let damage = full.result.damage {
                    throw damaged(
                        segment.path, "line \(damage.line) (byte \(damage.offset)): \(damage.reason)", at: damage)
                }
                throw damaged(segment.path, "is empty or does not start at seq \(segment.firstSeq) as its name says")
            }
            if let previousLast, first != previousLast + 1 {
                throw damaged(
                    segment.path,
                    "starts at seq \(first), but the segment before it ends at seq \(previousLast): "
                        + "records \(previousLast + 1)..\(first - 1) are missing")
            }
            previousLast = last
        }
        return previousLast
    }

    private func cut(_ fd: Int32, at offset: Int, size: Int, path: String) throws(FeedError) {
        _ = try syscall({ ftruncate(fd, off_t(offset)) }) { code in
            ioError("truncate the torn tail of", path, fix: "check permissions and the disk")(code)
        }
        _ = try syscall({ fdatasync(fd) }) { code in ioError("sync", path, fix: "check the disk (dmesg)")(code) }
    }

    /// Damage the writer will not cut: names the file and both fixes.
    private func damaged(_ path: String, _ what: String, at damage: SegmentScan.Damage? = nil) -> FeedError {
        FeedError(
            .corrupt, path: path,
            message: "feed damaged: \(path) \(what); restore it from a backup, or run "
                + "`redline check --repair --feed \(directory)` to quarantine the damage and mark the lost seqs",
            line: damage?.line, offset: damage?.offset)
    }
}
