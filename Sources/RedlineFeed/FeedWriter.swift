import Foundation
import Logging
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// When appended records are forced to disk.
public enum FsyncPolicy: Sendable, Equatable {
    /// `fdatasync` before ``FeedWriter/append(_:)`` returns; records appended together share one (group commit).
    case always
    /// `fdatasync` at most every N milliseconds (on append, and by a timer when appends stop).
    case interval(milliseconds: Int)
    /// Never sync explicitly; the kernel writes back when it likes. A crash may lose recent records.
    case never
}

/// How a feed is written.
public struct FeedOptions: Sendable, Equatable {
    /// When records are forced to disk.
    public var fsync: FsyncPolicy
    /// Size past which the active segment is sealed and a new one started.
    public var segmentBytes: Int
    /// How many sealed segments to keep (oldest are deleted whole); nil keeps all.
    public var retainSegments: Int?
    /// Whether sealed segments are gzipped in the background (``SegmentCompression``).
    public var compressSealed: Bool

    /// Creates options; the defaults are `fsync = always`, 16 MiB segments, keep everything, gzip sealed
    /// segments.
    public init(
        fsync: FsyncPolicy = .always, segmentBytes: Int = 16 << 20, retainSegments: Int? = nil,
        compressSealed: Bool = true
    ) {
        self.fsync = fsync
        self.segmentBytes = segmentBytes
        self.retainSegments = retainSegments
        self.compressSealed = compressSealed
    }
}

/// The only writer of a feed directory.
///
/// It holds an exclusive `flock` on `writer.lock` (a second writer fails with ``FeedError/Code-swift.enum/locked``
/// naming the holder's pid), recovers a torn tail at open, appends whole lines with one `write` per batch
/// and syncs per ``FsyncPolicy``. All methods are serialised by an internal lock, so one writer may be
/// shared across tasks and threads.
///
/// Directory layout: `changes.jsonl` (active segment), `changes-<firstSeq, 20 digits>.jsonl` (sealed
/// segments, never modified; gzipped in the background to `.jsonl.gz`, see ``SegmentCompression``), `feed.id` (the feed UUID), `durable` (the last synced seq, which readers stop
/// at: see ``DurableMark``), `writer.lock`, and `clean-shutdown` (present only while no writer has the feed
/// open after a clean ``close()``).
public final class FeedWriter: @unchecked Sendable {
    /// The feed directory.
    public let directory: String
    /// The feed UUID stamped on every record.
    public let feedID: String
    /// What opening the feed found: a clean shutdown or not, a torn tail cut, a repair since the last writer.
    public let recovery: FeedRecovery
    private let options: FeedOptions
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let encoder = LineEncoder()
    private let mutex = NSLock()
    private var activeFD: Int32 = -1
    private var lockFD: Int32 = -1
    private var markFD: Int32 = -1
    /// The last seq published in the durable mark.
    private var published: UInt64 = 0
    private var activeSize = 0
    private var activeFirstSeq: UInt64 = 1
    private var seq: UInt64 = 0
    private var unsynced = false
    /// Set at open after a clean shutdown: the directory is synced before the first append (``FeedLoader``).
    private var directorySyncPending = false
    private var lastSync = ContinuousClock.now
    /// Every `fdatasync` of the active segment, timed; read through ``syncLatency``.
    private var latency = SyncLatency()
    /// Runs the `interval` policy's one-shot fsync timer; nil under the other policies.
    private var timer: WorkerThread?
    private var timerArmed = false
    private var closed = false
    private var failure: FeedError?
    /// Compresses sealed segments one at a time, off the append path.
    private let compressor = WorkerThread(name: "redline-gzip", background: true)
    /// Set by ``close()``: compression in progress gives up at its next chunk.
    private var stopping = false
    /// Sealed segments waiting for ``releaseCompression()``; nil while compression is not held. Its own lock:
    /// segments are sealed under `mutex`.
    private let held = NSLock()
    private var heldSegments: [(path: String, firstSeq: UInt64)]?

    private var activePath: String { directory + "/" + FileIO.activeName }

    /// Opens or creates the feed in `directory`.
    ///
    /// Creates the directory and the feed UUID if needed, takes the writer lock and loads the feed through
    /// ``FeedLoader``: a torn tail past the durable mark of an unclean shutdown is cut and reported by a
    /// `recovered` record; any other damage throws, so nothing a reader may have seen is ever cut or renumbered.
    /// - Parameters:
    ///   - clock: the source of record times (tests pass a fixed one).
    ///   - holdingCompression: hold back the compression of sealed segments until ``releaseCompression()``, the
    ///     segments a crash or stop left plain included. The daemon holds it during its startup scan, so that
    ///     gzipping what a cold start fills (half a gigabyte for 100,000 articles) does not take the scan's CPU;
    ///     what is held stays plain, and readable, meanwhile.
    /// - Throws: ``FeedError`` with code `.locked` when another writer holds the feed, `.corrupt` for damage
    ///   a crash cannot explain (segment, line, byte and the fix), `.io` otherwise.
    public init(
        directory: String, options: FeedOptions = .init(), clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger, holdingCompression: Bool = false
    ) throws(FeedError) {
        if holdingCompression { heldSegments = [] }
        guard options.segmentBytes > 0, options.retainSegments.map({ $0 >= 0 }) ?? true else {
            throw FeedError(
                .invalidArgument, path: directory,
                message: "invalid feed options for \(directory): segment size must be > 0 and retention >= 0")
        }
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.options = options
        self.clock = clock
        self.logger = logger
        try FileIO.makeDirectories(self.directory)
        let dir = self.directory
        lockFD = try FeedWriter.lock(dir)
        do throws(FeedError) {
            let loaded = try FeedLoader(directory: dir, logger: logger).load()
            feedID = loaded.feedID
            recovery = loaded.recovery
            seq = loaded.lastSeq
            activeFirstSeq = loaded.activeFirstSeq
            activeFD = loaded.activeFD
            activeSize = loaded.activeSize
            directorySyncPending = loaded.directorySyncPending
            let markExisted = FileIO.exists(dir + "/" + DurableMark.name)
            markFD = try FileIO.open(dir + "/" + DurableMark.name, O_RDWR | O_CREAT)
            // The mark's name must survive a power cut, or readers would take its absence for an old feed.
            if !markExisted { try FileIO.syncDirectory(dir) }
            // The loader synced everything it kept: readers may see all of it.
            try publishLocked()
            if let cut = loaded.recovery.cut {
                var detail = [
                    "byte_offset": String(cut.offset), "cut_bytes": String(cut.bytes), "line": String(cut.line),
                ]
                if loaded.lastSeq > 0 { detail["last_good_seq"] = String(loaded.lastSeq) }
                let record = FeedRecord(
                    type: .recovered, root: dir, path: FileIO.activeName,
                    reason: "cut \(cut.bytes) bytes from line \(cut.line) of \(FileIO.activeName) "
                        + "(byte \(cut.offset)) after an unclean shutdown: \(cut.reason)",
                    detail: detail)
                _ = try append([record])
            }
        } catch {
            if activeFD >= 0 { Glibc.close(activeFD) }
            if markFD >= 0 { Glibc.close(markFD) }
            Glibc.close(lockFD)
            throw error
        }
        if case .interval(let ms) = options.fsync { startTimer(milliseconds: ms) }
        resumeCompression()
    }

    deinit {
        // Without close() this is an unclean shutdown: no marker, so the next open checks the tail.
        timer?.stop()
        compressor.stop()
        if activeFD >= 0 { Glibc.close(activeFD) }
        if markFD >= 0 { Glibc.close(markFD) }
        if lockFD >= 0 { Glibc.close(lockFD) }
    }

    /// The seq of the last record appended (0 for an empty feed).
    public var lastSeq: UInt64 { mutex.withLock { seq } }

    /// Appends `records` as one batch: one `write`, one `fdatasync` under ``FsyncPolicy/always`` (group commit).
    ///
    /// - Returns: the records with `v`, `feed`, `seq`, `id` and `time` filled in; under `.always` they are
    ///   durable when this returns.
    /// - Throws: ``FeedError`` if the write or the sync fails. After a failed sync the writer refuses every
    ///   further append: the caller must stop (exit non-zero) rather than retry, since the kernel may have
    ///   dropped the dirty pages.
    public func append(_ records: [FeedRecord]) throws(FeedError) -> [FeedRecord] {
        mutex.lock()
        defer { mutex.unlock() }
        return try appendLocked(records)
    }

    private func appendLocked(_ records: [FeedRecord]) throws(FeedError) -> [FeedRecord] {
        if let failure { throw failure }
        guard !closed else {
            throw FeedError(
                .invalidArgument, path: directory, message: "feed \(directory) was closed; open a new FeedWriter")
        }
        guard !records.isEmpty else { return [] }
        let time = rfc3339(millisecondsSince1970: Int64((clock().timeIntervalSince1970 * 1000).rounded(.down)))
        var stamped = records
        var buffer: [UInt8] = []
        buffer.reserveCapacity(records.count * 1024)
        for i in stamped.indices {
            let s = seq + UInt64(i) + 1
            stamped[i].v = FeedRecord.formatVersion
            stamped[i].feed = feedID
            stamped[i].seq = s
            stamped[i].id = "\(feedID):\(s)"
            stamped[i].time = time
            try encoder.append(stamped[i], to: &buffer)
        }
        if directorySyncPending {
            do throws(FeedError) {
                try FileIO.syncDirectory(directory)
            } catch {
                failure = error  // a failed sync is final, as for fdatasync
                throw error
            }
            directorySyncPending = false
        }
        if activeSize > 0 && activeSize + buffer.count > options.segmentBytes { try rotate() }
        do throws(FeedError) {
            try FileIO.writeAll(activeFD, buffer, path: activePath)
        } catch {
            // Take back a partial line so the file ends on a record boundary, then refuse to go on.
            // Best effort: the writer refuses every later append either way, and recovery cuts a torn tail.
            _ = try? POSIX.call("ftruncate", path: activePath) { ftruncate(activeFD, off_t(activeSize)) }
            failure = error
            logger.error(
                "feed append failed", metadata: ["feed.path": "\(activePath)", "error": "\(error)"])
            throw error
        }
        activeSize += buffer.count
        seq += UInt64(records.count)
        switch options.fsync {
        case .always:
            try syncLocked()
        case .interval(let ms):
            unsynced = true
            if ContinuousClock.now - lastSync >= .milliseconds(ms) {
                try syncLocked()
            } else {
                armTimerLocked(milliseconds: ms)
            }
        case .never:
            break
        }
        return stamped
    }

    /// `fdatasync` of the active segment; a failure is final.
    private func syncLocked() throws(FeedError) {
        if let failure { throw failure }
        let path = activePath
        let fd = activeFD
        let started = SyncLatency.monotonicNanoseconds()
        do {
            _ = try syscall({ fdatasync(fd) }) { code in
                FeedError(
                    .io, path: path,
                    message: "fdatasync failed on \(path): recent records may not be on disk; "
                        + "check the disk (dmesg), then restart redline (it recovers the tail)",
                    errno: code)
            }
        } catch {
            failure = error
            logger.critical("feed sync failed", metadata: ["feed.path": "\(path)", "error": "\(error)"])
            throw error
        }
        latency.record(nanoseconds: SyncLatency.monotonicNanoseconds() &- started)
        unsynced = false
        lastSync = .now
        try publishLocked()
    }

    /// Publishes the current seq as durable; call only right after a sync returned.
    private func publishLocked() throws(FeedError) {
        guard seq != published || seq == 0 else { return }
        do {
            try DurableMark.publish(seq, fd: markFD, path: directory + "/" + DurableMark.name)
        } catch {
            failure = error
            throw error
        }
        published = seq
    }

    /// The last seq readers may see: durable, and published in the mark.
    public var durableSeq: UInt64 { mutex.withLock { published } }

    /// How long this writer's `fdatasync` calls took, since it was opened (the daemon's metrics file shows it).
    public var syncLatency: SyncLatency {
        // A fresh copy of the counts, so the writer's own stays uniquely referenced and its next sync does not
        // copy on write.
        mutex.withLock { latency.detached() }
    }

    /// Creates the `interval` policy's timer thread, disarmed: it is armed by an append that leaves records
    /// unsynced and fires once, so an idle writer never wakes up.
    private func startTimer(milliseconds: Int) {
        timer = WorkerThread(name: "redline-fsync")
    }

    /// Arms the one-shot timer for `milliseconds` from now unless it is armed already (call with the lock held).
    private func armTimerLocked(milliseconds: Int) {
        guard let timer, !timerArmed else { return }
        timerArmed = true
        timer.async(after: .milliseconds(milliseconds)) { [weak self] in
            guard let self else { return }
            self.mutex.withLock {
                self.timerArmed = false
                guard !self.closed, self.failure == nil, self.unsynced else { return }
                try? self.syncLocked()
            }
        }
    }

    /// Seals the active segment: sync, rename to `changes-<firstSeq>.jsonl`, new active with `O_EXCL`, sync the directory.
    private func rotate() throws(FeedError) {
        try syncLocked()
        let sealed = directory + "/" + FileIO.sealedName(firstSeq: activeFirstSeq)
        let active = activePath
        _ = try syscall(
            { rename(active, sealed) }, orThrow: ioError("seal \(active) as", sealed, fix: "check permissions"))
        Glibc.close(activeFD)
        activeFD = -1
        do throws(FeedError) {
            activeFD = try FileIO.open(active, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, what: "create")
            try FileIO.syncDirectory(directory)
        } catch {
            failure = error
            throw error
        }
        logger.info(
            "feed segment sealed",
            metadata: ["feed.path": "\(sealed)", "feed.seq": "\(seq)", "feed.bytes": "\(activeSize)"])
        let sealedFirstSeq = activeFirstSeq
        activeSize = 0
        activeFirstSeq = seq + 1
        try applyRetention()
        if options.compressSealed { scheduleCompression(sealed, firstSeq: sealedFirstSeq) }
    }

    // MARK: - Compression of sealed segments

    /// At open: removes what a crash left of a compression (a temp file; a plain segment whose compressed
    /// copy was already in place) and queues every sealed segment still plain.
    private func resumeCompression() {
        guard let entries = try? POSIX.entries(of: directory) else { return }
        var removed = false
        for entry in entries where entry.name.hasPrefix("changes-") && entry.name.hasSuffix(".gz.tmp") {
            removed = unlink(directory + "/" + entry.name) == 0 || removed
        }
        let names = Set(entries.map(\.name))
        for entry in entries where !SegmentCompression.isCompressed(entry.name) && names.contains(entry.name + ".gz") {
            // Renamed into place only after its sync, so it is whole; its header says which segment it holds.
            let path = directory + "/" + entry.name
            if SegmentCompression.header(path + ".gz")?.first == FileIO.sealedFirstSeq(entry.name) {
                removed = unlink(path) == 0 || removed
            }
        }
        if removed { try? FileIO.syncDirectory(directory) }
        guard options.compressSealed, let sealed = try? FileIO.sealedSegments(directory) else { return }
        for segment in sealed where !SegmentCompression.isCompressed(segment.path) {
            scheduleCompression(segment.path, firstSeq: segment.firstSeq)
        }
    }

    /// Queues the segments sealed while compression was held, and compresses each sealed one at once again.
    public func releaseCompression() {
        let segments = held.withLock {
            defer { heldSegments = nil }
            return heldSegments ?? []
        }
        for segment in segments { scheduleCompression(segment.path, firstSeq: segment.firstSeq) }
    }

    private func scheduleCompression(_ path: String, firstSeq: UInt64) {
        let isHeld = held.withLock {
            heldSegments?.append((path, firstSeq))
            return heldSegments != nil
        }
        if isHeld { return }
        // Weak: a writer dropped without close() (a crash, in tests) is not kept open by queued work.
        compressor.async { [weak self] in self?.compress(path, firstSeq: firstSeq) }
    }

    /// Gzips one sealed segment, then, under the writer's lock (so retention cannot race it), renames the
    /// result into place and unlinks the plain file, syncing the directory after each.
    private func compress(_ path: String, firstSeq: UInt64) {
        let temp = path + ".gz.tmp"
        let target = path + SegmentCompression.suffix
        let header: SegmentCompression.Header?
        do {
            header = try SegmentCompression.compress(
                path, to: temp, feedID: feedID, firstSeq: firstSeq, level: 6,
                stop: { self.mutex.withLock { self.stopping } })
        } catch {
            // Deleted by retention meanwhile, or the disk is full: the segment stays plain and readable.
            if error.code != .notFound {
                logger.warning(
                    "cannot compress sealed segment; it stays uncompressed: \(error)",
                    metadata: ["feed.path": "\(path)"])
            }
            return
        }
        guard let header else {
            if !mutex.withLock({ stopping }) {
                logger.warning(
                    "sealed segment is not whole, so it stays uncompressed; run `redline check --feed \(directory)`",
                    metadata: ["feed.path": "\(path)"])
            }
            return
        }
        mutex.lock()
        defer { mutex.unlock() }
        guard !closed, FileIO.exists(path) else {
            unlink(temp)
            return
        }
        do throws(FeedError) {
            _ = try syscall(
                { rename(temp, target) }, orThrow: ioError("rename \(temp) to", target, fix: "check permissions"))
        } catch {
            unlink(temp)
            logger.warning(
                "cannot compress sealed segment; it stays uncompressed: \(error)", metadata: ["feed.path": "\(path)"])
            return
        }
        do throws(FeedError) {
            try FileIO.syncDirectory(directory)
            _ = try syscall({ unlink(path) }, orThrow: ioError("remove compressed", path, fix: "check permissions"))
            try FileIO.syncDirectory(directory)
        } catch {
            // A failed sync is final, as for appends.
            failure = failure ?? error
            logger.error("\(error)", metadata: ["feed.path": "\(path)"])
            return
        }
        logger.debug(
            "feed segment compressed",
            metadata: ["feed.path": "\(target)", "feed.records": "\(header.records)"])
    }

    /// Deletes the oldest sealed segments beyond ``FeedOptions/retainSegments``.
    private func applyRetention() throws(FeedError) {
        guard let keep = options.retainSegments else { return }
        let sealed = try FileIO.sealedSegments(directory)
        guard sealed.count > keep else { return }
        // The history the doomed segments hold is folded into a snapshot first, so replay keeps a start.
        let covered = (keep == 0 ? activeFirstSeq : sealed[sealed.count - keep].firstSeq) - 1
        // A snapshot that cannot be written keeps every segment: retention waits, nothing is lost.
        do {
            if try !FeedSnapshot.advance(directory: directory, feedID: feedID, to: covered) {
                logger.warning(
                    """
                    feed history before the oldest segment was deleted by an older redline without a snapshot; \
                    replay and the state rebuild cannot fold it
                    """, metadata: ["feed.path": "\(directory)"])
            }
        } catch {
            logger.error(
                "retention skipped: cannot write the snapshot that replaces the oldest segments: \(error)",
                metadata: ["feed.path": "\(directory)"])
            return
        }
        for segment in sealed.prefix(sealed.count - keep) {
            _ = try syscall(
                { unlink(segment.path) }, orThrow: ioError("delete old segment", segment.path, fix: "check permissions")
            )
            logger.info("feed segment deleted by retention", metadata: ["feed.path": "\(segment.path)"])
        }
        try FileIO.syncDirectory(directory)
        FeedSnapshot.prune(directory)
    }

    /// Waits until every sealed segment queued so far is compressed (or found not compressible).
    public func awaitCompression() { compressor.sync() }

    /// Says the owner has resynced after a `redline check --repair` (``FeedRecovery/repaired``): removes the
    /// repair marker, so the next open does not report it again.
    public func acknowledgeRepair() throws(FeedError) {
        let path = directory + "/" + FeedRepair.markerName
        guard FileIO.exists(path) else { return }
        _ = try syscall({ unlink(path) }, orThrow: ioError("remove", path, fix: "check permissions"))
        try FileIO.syncDirectory(directory)
    }

    /// Clean shutdown: sync, write the clean-shutdown marker, release the lock. Further appends throw.
    public func close() throws(FeedError) {
        // Compression in progress stops at its next chunk; the segment stays plain until the next open.
        mutex.withLock { stopping = true }
        compressor.sync()
        mutex.lock()
        defer { mutex.unlock() }
        guard !closed else { return }
        do {
            closed = true
            timer?.stop()
            timer = nil
            compressor.stop()
            defer {
                Glibc.close(activeFD)
                activeFD = -1
                Glibc.close(markFD)
                markFD = -1
                Glibc.close(lockFD)
                lockFD = -1
            }
            if let failure { throw failure }
            try syncLocked()
            try FileIO.writeAtomically(directory + "/" + FileIO.cleanName, Array("last_seq=\(seq)\n".utf8))
        }
    }

    // MARK: - Open

    /// Takes the exclusive writer lock and records our pid in it.
    static func lock(_ directory: String) throws(FeedError) -> Int32 {
        let path = directory + "/" + FileIO.lockName
        let fd = try FileIO.open(path, O_RDWR | O_CREAT)
        do {
            _ = try POSIX.call("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) }
        } catch let failure {
            let code = failure.errno
            var holder = "unknown"
            if let bytes = try? FileIO.readAll(path),
                let pid = Int(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            {
                holder = String(pid)
            }
            Glibc.close(fd)
            if code == EWOULDBLOCK {
                throw FeedError(
                    .locked, path: directory,
                    message: "feed \(directory) is already being written by pid \(holder) (lock \(path)); "
                        + "stop that redline or give this one another data directory")
            }
            throw ioError("lock", path, fix: "check the file system supports flock")(code)
        }
        // The pid is for the message a second writer prints; the lock is the flock, so a failure here is harmless.
        let pid = Array("\(getpid())\n".utf8)
        _ = try? POSIX.call("ftruncate", path: path) { ftruncate(fd, 0) }
        _ = try? POSIX.call("pwrite", path: path) {
            pid.withUnsafeBytes { Glibc.pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return fd
    }
}
