import CInotifyTools
import Dispatch
import Foundation
import Logging
import RedlinePOSIX
import Synchronization

/// Recursive inotify watcher on top of libinotifytools: kernel events in, `WatchEvent` values out.
///
/// Threading: libinotifytools keeps process-wide state and returns each event in static storage, so exactly one
/// owner thread (a `Thread`, not a Task) makes every library call. It loops on `inotifytools_next_event(1)`;
/// `addRoot`, `removeRoot` and `stop` from other threads are queued to it and wait for the answer. To serve them
/// without waiting out the 1 s read timeout, the owner thread also watches a private wake-up directory (made with
/// `mkdtemp` under `$TMPDIR` or `/tmp`) and the caller closes a file there, which wakes the read; those events are
/// never reported. If that directory cannot be made, requests are served within the 1 s timeout instead. New
/// directories in the tree are handled by the owner thread inline, as soon as their `CREATE`/`MOVED_TO` is read.
///
/// Only one `InotifyWatcher` can be alive in a process at a time (libinotifytools is a singleton); `init` waits
/// up to a minute for the previous one to be stopped, then throws `.busy`.
///
/// What the backend adds to raw inotify:
/// - it walks directories itself (`IN_ONLYDIR | IN_DONT_FOLLOW`, never following symlinks out of the root) and
///   checks that each one got a watch;
/// - a directory that appears (created, or moved in from outside) is watched at once, then its existing contents
///   are emitted as synthetic `.create` (directories) and `.create` + `.closeWrite` (files) events;
/// - a directory renamed within the tree keeps its watches, and libinotifytools' paths below it are rewritten
///   (`inotifytools_replace_filename`), so later events carry the new paths; a directory moved out of the tree
///   loses its watches;
/// - on `IN_Q_OVERFLOW` every root is walked again (directories created while events were lost get watches), then
///   `.overflow` is emitted;
/// - a root that is deleted or moved away (`IN_IGNORED` or `IN_MOVE_SELF` on its own watch) loses its watches, is
///   logged as an error and reported as `.rootLost`; while it is lost, the nearest existing directory above it is
///   watched for the way back (`IN_CREATE`, `IN_MOVED_TO`, `IN_ATTRIB` of the next name on the path), and as soon as
///   a directory is at the root's path again it is watched and `.rootFound` is emitted. Nothing polls while every
///   root is present; only a lost root whose every ancestor refuses a watch is looked for every few seconds;
/// - a directory that cannot be watched for lack of permission is retried when its parent reports a change of its
///   mode (`IN_ATTRIB`), so a `chmod` that makes it readable brings it (and what it holds) into the tree.
public final class InotifyWatcher: Sendable {
    private let core: Core

    /// Every event, in kernel order (synthetic events for a new directory follow its `create`/`movedTo`).
    /// There is one stream per watcher: iterate it from one task.
    public let events: AsyncStream<WatchEvent>

    /// Starts the owner thread and initialises libinotifytools.
    /// - Parameter onEvent: when given, called on the owner thread with every event instead of yielding it to
    ///   ``events`` (which then only finishes): for a consumer on a thread of its own, with no task in between.
    /// - Throws: `.initFailed` when inotify cannot be initialised, `.busy` when another watcher owns the library.
    public init(logger: Logger, onEvent: (@Sendable (WatchEvent) -> Void)? = nil) throws(WatchError) {
        let (stream, continuation) = AsyncStream.makeStream(of: WatchEvent.self, bufferingPolicy: .unbounded)
        events = stream
        try LibrarySlot.acquire()
        let core = Core(logger: logger, continuation: continuation, onEvent: onEvent)
        self.core = core
        let started = Reply<WatchError?>()
        let thread = Thread { core.run(started: started) }
        thread.name = "redline-inotify"
        thread.start()
        if case let error?? = started.wait() { throw error }
    }

    deinit {
        core.requestStop()
    }

    /// Whether some directory could not be watched because `fs.inotify.max_user_watches` is reached.
    /// While true, changes below unwatched directories are only found by rescans (the daemon's fallback).
    public var limitReached: Bool { core.limitReached.load(ordering: .relaxed) }

    /// The number of directories currently watched.
    public var watchedDirectories: Int { core.watchCount.load(ordering: .relaxed) }

    /// Adds a recursive watch on the directory `root` and every directory below it.
    ///
    /// The walk is the backend's own (`IN_ONLYDIR | IN_DONT_FOLLOW`); each directory is checked to have a watch.
    /// Directories that vanish during the walk are skipped; unreadable ones are logged with their path and skipped.
    /// Files already present produce no events (the daemon reconciles them with its state store).
    /// - Returns: the number of directories watched under `root`.
    /// - Throws: `.watchLimitReached` (naming `fs.inotify.max_user_watches` and its value) when the watch limit is
    ///   hit; what was watched stays watched, `error.watchedDirectories` says how much, and `limitReached` becomes
    ///   true. `.notFound`, `.notADirectory`, `.permissionDenied` for the root itself. `.stopped` after `stop()`.
    @discardableResult
    public func addRoot(_ root: String) throws(WatchError) -> Int {
        let walk = beginRoot(root)
        while walk.next() != nil {}
        return try walk.result.get()
    }

    /// Starts ``addRoot(_:)`` and returns at once: the walk's listings arrive on the returned ``RootWalk`` as the
    /// owner thread goes, each directory listed after its watch is in place, and its result when it ends.
    ///
    /// For a consumer that compares the tree with what it knew (the daemon's startup scan) while the walk is
    /// still running, without listing the tree a second time.
    public func beginRoot(_ root: String) -> RootWalk {
        let walk = RootWalk(root: Core.normalize(root))
        core.enqueue(.addRoot(walk))
        return walk
    }

    /// Waits for `root`, which is not a directory now (deleted while the daemon was down, or not yet mounted):
    /// the nearest existing directory above it is watched, and when a directory appears at `root` it is
    /// watched and reported as `.rootFound`, as for a root lost while running.
    public func awaitRoot(_ root: String) {
        let reply = Reply<Int>()
        core.enqueue(.awaitRoot(Core.normalize(root), reply))
        _ = reply.wait()
    }

    /// Removes every watch under `root` (including `root`). Events already read for it are dropped.
    public func removeRoot(_ root: String) {
        let reply = Reply<Int>()
        core.enqueue(.removeRoot(Core.normalize(root), reply))
        _ = reply.wait()
    }

    /// Stops the owner thread and finishes `events`. Waits (up to about a second: the read timeout) for the thread
    /// to release libinotifytools and remove its wake-up directory.
    public func stop() {
        core.requestStop()
        core.waitUntilStopped(timeout: .seconds(2))
    }
}

// MARK: - Process-wide library ownership

/// libinotifytools is a process-wide singleton: at most one watcher may own it.
private enum LibrarySlot {
    static let taken = Mutex(false)

    static func acquire() throws(WatchError) {
        // A watcher that was just stopped releases the slot within about a second; test suites that each run a
        // watcher in one process take turns here, hence the generous minute.
        for _ in 0..<3000 {
            let got = taken.withLock { taken in
                if taken { return false }
                taken = true
                return true
            }
            if got { return }
            usleep(20_000)
        }
        throw WatchError(
            code: .busy,
            path: "",
            message: "cannot start watching: another InotifyWatcher in this process still owns libinotifytools; "
                + "stop it first"
        )
    }

    static func release() {
        taken.withLock { $0 = false }
    }
}

/// A one-shot answer from the owner thread to a waiting caller.
final class Reply<Value: Sendable>: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    /// The answer, and whether one was sent (a second send is ignored).
    private let state = Mutex<(value: Value?, answered: Bool)>((nil, false))

    func send(_ value: Value?) {
        let first = state.withLock { state in
            guard !state.answered else { return false }
            state = (value, true)
            return true
        }
        if first { semaphore.signal() }
    }

    /// Waits for the answer; nil when the owner thread stopped without answering.
    func wait() -> Value? {
        semaphore.wait()
        return state.withLock { $0.value }
    }
}

// MARK: - The owner thread

/// inotify mask bits (glibc's macros import with mixed types; these are the kernel ABI values).
private enum Mask {
    static let modify: UInt32 = 0x0000_0002
    static let attrib: UInt32 = 0x0000_0004
    static let closeWrite: UInt32 = 0x0000_0008
    static let movedFrom: UInt32 = 0x0000_0040
    static let movedTo: UInt32 = 0x0000_0080
    static let create: UInt32 = 0x0000_0100
    static let delete: UInt32 = 0x0000_0200
    static let deleteSelf: UInt32 = 0x0000_0400
    static let moveSelf: UInt32 = 0x0000_0800
    static let overflow: UInt32 = 0x0000_4000
    static let ignored: UInt32 = 0x0000_8000
    static let onlyDir: UInt32 = 0x0100_0000
    static let dontFollow: UInt32 = 0x0200_0000
    static let maskAdd: UInt32 = 0x2000_0000
    static let isDir: UInt32 = 0x4000_0000

    /// What every directory is watched for.
    static let watch: UInt32 =
        closeWrite | movedTo | movedFrom | create | delete | deleteSelf | moveSelf | modify | attrib | onlyDir

    /// What the directory above a lost root is watched for: the next name on the way back appearing (or its mode
    /// changing), and the directory itself going away. `IN_MASK_ADD`, so a tree watch on the same inode (reached
    /// through another path) keeps its own bits.
    static let ancestor: UInt32 = create | movedTo | attrib | deleteSelf | moveSelf | onlyDir | maskAdd
}

/// State owned by the owner thread. Only `requests`, the stop flag and the counters are touched by other threads,
/// and those are synchronised; everything else is confined to the owner thread, hence `@unchecked Sendable`.
private final class Core: @unchecked Sendable {
    enum Request {
        case addRoot(RootWalk)
        case awaitRoot(String, Reply<Int>)
        case removeRoot(String, Reply<Int>)
    }

    struct Watched {
        var wd: Int32
        var device: UInt64
        var inode: UInt64
    }

    let logger: Logger
    let continuation: AsyncStream<WatchEvent>.Continuation
    let requests = Mutex<[Request]>([])
    let stopping = Atomic<Bool>(false)
    let limitReached = Atomic<Bool>(false)
    let watchCount = Atomic<Int>(0)
    private let exited = DispatchSemaphore(value: 0)
    private let exitedFlag = Atomic<Bool>(false)
    /// The file other threads close to wake the owner thread (nil when there is no wake-up directory).
    let wakeFile = Mutex<String?>(nil)

    // Owner thread only.
    private var byPath: [String: Watched] = [:]
    private var byWD: [Int32: String] = [:]
    private var roots: Set<String> = []
    private var wakeDirectory: String?
    private var wakeWD: Int32 = -1
    /// Filesystem work waiting for the event queue to be drained (a stack: depth first).
    private enum Deferred {
        case walk(String, synthetic: Bool)
        case overflowWalked
    }
    private var deferred: [Deferred] = []
    private var drainRequested = false
    private var drained = false
    /// Directories walked per drained queue.
    private static let walkChunk = 256
    /// Directory `movedFrom`s waiting for their `movedTo`: cookie -> (old path, when seen).
    private var dirMoves: [UInt32: (path: String, at: ContinuousClock.Instant)] = [:]
    /// Roots that were deleted or moved away, waiting for a directory to appear at their path again.
    private var lostRoots: Set<String> = []
    /// Watches on the nearest existing directory above each lost root: wd -> directory. A directory that has a tree
    /// watch gets none (the tree watch reports the same events).
    private var ancestorWatches: [Int32: String] = [:]
    /// When lost roots are next looked for by polling; nil unless some lost root has no ancestor watch.
    private var nextLostRootPoll: ContinuousClock.Instant?
    /// Directories that could not be watched for lack of permission, retried when their mode changes.
    private var unreadable: Set<String> = []
    /// Where the listings of the `addRoot` walk under way go.
    private var listings: RootWalk?

    let onEvent: (@Sendable (WatchEvent) -> Void)?

    init(
        logger: Logger, continuation: AsyncStream<WatchEvent>.Continuation,
        onEvent: (@Sendable (WatchEvent) -> Void)? = nil
    ) {
        self.logger = logger
        self.continuation = continuation
        self.onEvent = onEvent
    }

    /// Absolute, without a trailing slash or `.`/`..` components (symlinks are not resolved).
    static func normalize(_ path: String) -> String {
        var absolute = path
        if !absolute.hasPrefix("/") {
            absolute = FileManager.default.currentDirectoryPath + "/" + absolute
        }
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                _ = parts.popLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    func enqueue(_ request: Request) {
        if stopping.load(ordering: .acquiring) {
            answerStopped(request)
            return
        }
        requests.withLock { $0.append(request) }
        wake()
        // The thread may have stopped between the check and the append: it drains the queue on exit, and
        // this catches the rest.
        if stopping.load(ordering: .acquiring) { drainRequests(answerOnly: true) }
    }

    func requestStop() {
        stopping.store(true, ordering: .releasing)
        wake()
    }

    /// Wakes the owner thread out of its read by closing a file in the wake-up directory (plain syscalls, no
    /// library call, so any thread may do it).
    func wake() {
        // Under the lock, so the owner thread cannot remove the directory halfway through.
        wakeFile.withLock { file in
            guard let file else { return }
            let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
    }

    private func answerStopped(_ request: Request) {
        switch request {
        case .addRoot(let walk):
            walk.finish(
                .failure(
                    WatchError(
                        code: .stopped, path: walk.root, message: "cannot watch \(walk.root): the watcher was stopped"))
            )
        case .awaitRoot(_, let reply): reply.send(nil)
        case .removeRoot(_, let reply): reply.send(nil)
        }
    }

    private func drainRequests(answerOnly: Bool) {
        let pending = requests.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
        for request in pending {
            if answerOnly {
                answerStopped(request)
                continue
            }
            switch request {
            case .addRoot(let walk):
                listings = walk
                walk.finish(Result { () throws(WatchError) -> Int in try addRoot(walk.root) })
                listings = nil
            case .awaitRoot(let root, let reply):
                lostRoots.insert(root)
                // It may have appeared since the caller looked.
                findLostRoots()
                reply.send(0)
            case .removeRoot(let root, let reply):
                let removed = removeTree(root)
                forgetDeferred(under: root)
                if lostRoots.remove(root) != nil { resetAncestorWatches() }
                reply.send(removed)
            }
        }
    }

    // MARK: Loop

    func run(started: Reply<WatchError?>) {
        // Shows in `top -H` and `ps -L` (15 characters at most).
        _ = redline_name_thread("redline-inotify")
        guard inotifytools_initialize() == 1 else {
            let code = Int32(inotifytools_error())
            let instances = readProcInt("/proc/sys/fs/inotify/max_user_instances").map(String.init) ?? "unknown"
            started.send(
                WatchError(
                    code: .initFailed,
                    path: "",
                    message: "cannot start inotify: the per-user instance limit (\(instances)) may be reached; "
                        + "raise fs.inotify.max_user_instances or stop other inotify users",
                    errno: code
                )
            )
            continuation.finish()
            LibrarySlot.release()
            exitedFlag.store(true, ordering: .releasing)
            exited.signal()
            return
        }
        makeWakeDirectory()
        started.send(.some(nil))
        while !stopping.load(ordering: .acquiring) {
            drainRequests(answerOnly: false)
            expireDirectoryMoves(now: .now)
            if let due = nextLostRootPoll, ContinuousClock.now >= due { findLostRoots() }
            runDeferred()
            // With nothing on a timer (a directory move to expire, a lost root to poll, walks waiting for the
            // queue to drain), block until an event or a wake-up: an idle watcher never wakes by itself.
            let idle = dirMoves.isEmpty && nextLostRootPoll == nil && deferred.isEmpty
            guard let raw = inotifytools_next_event(idle ? 0 : 1) else {
                // Nothing to read: the queue is drained, whatever became of the marker.
                if drainRequested { drained = true }
                let code = Int32(inotifytools_error())
                if code != 0 && code != EINTR {
                    logger.error("inotify read failed", metadata: ["errno": "\(code)"])
                    usleep(100_000)
                }
                continue
            }
            // Copy everything out of the library's static buffer before any other library call.
            let mask = raw.pointee.mask
            let wd = raw.pointee.wd
            let cookie = raw.pointee.cookie
            let name = PathName.decode(cString: redline_inotify_event_name(raw))
            handle(mask: mask, wd: wd, cookie: cookie, name: name)
        }
        inotifytools_cleanup()
        removeWakeDirectory()
        byPath.removeAll()
        byWD.removeAll()
        watchCount.store(0, ordering: .relaxed)
        drainRequests(answerOnly: true)
        continuation.finish()
        LibrarySlot.release()
        exitedFlag.store(true, ordering: .releasing)
        exited.signal()
    }

    /// Blocks until the owner thread has exited (or `timeout` passes).
    func waitUntilStopped(timeout: Duration) {
        guard !exitedFlag.load(ordering: .acquiring) else { return }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        if exited.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success {
            exited.signal()  // let other waiters through too
        }
    }

    private func emit(_ kind: WatchEvent.Kind, _ path: String, isDirectory: Bool, cookie: UInt32 = 0) {
        let event = WatchEvent(kind: kind, path: path, isDirectory: isDirectory, cookie: cookie)
        if let onEvent { onEvent(event) } else { continuation.yield(event) }
    }

    private func handle(mask: UInt32, wd: Int32, cookie: UInt32, name: String) {
        // A wake-up: the loop serves requests next.
        if wd == wakeWD && mask & Mask.overflow == 0 {
            if drainRequested { drained = true }
            return
        }
        if mask & Mask.overflow != 0 {
            logger.warning("inotify queue overflowed; rescanning every root")
            // Walked (for directories made while events were lost) after the queue is drained; the overflow is
            // reported, and lost roots looked for, once that walk is done.
            deferred.insert(.overflowWalked, at: 0)
            deferred += roots.sorted().map { .walk($0, synthetic: false) }
            drainRequested = false
            return
        }
        if let ancestor = ancestorWatches[wd] {
            ancestorEvent(mask: mask, wd: wd, directory: ancestor, name: name)
            return
        }
        guard let base = watchedPath(wd) else {
            // A watch removed by removeRoot or a move out of the tree: its queued events mean nothing.
            return
        }
        let path = name.isEmpty ? base : base + "/" + name
        // Self events only come from watched directories.
        let isDirectory = mask & Mask.isDir != 0 || name.isEmpty

        if mask & Mask.ignored != 0 {
            let wasRoot = roots.contains(base)
            forgetIgnored(wd: wd, path: base)
            emit(.ignored, base, isDirectory: true)
            if wasRoot { rootLost(base, "was deleted (or its file system unmounted)") }
            return
        }
        if mask & Mask.moveSelf != 0 && name.isEmpty && roots.contains(base) && !stillAt(base) {
            emit(.moveSelf, base, isDirectory: true)
            rootLost(base, "was moved away")
            return
        }
        if mask & Mask.create != 0 {
            emit(.create, path, isDirectory: isDirectory)
            if isDirectory { directoryAppeared(path) }
        }
        if mask & Mask.modify != 0 { emit(.modify, path, isDirectory: isDirectory) }
        if mask & Mask.attrib != 0 {
            emit(.attrib, path, isDirectory: isDirectory)
            // A chmod of a directory we could not watch: it may be readable now.
            if isDirectory && !name.isEmpty && unreadable.contains(path) { directoryAppeared(path) }
        }
        if mask & Mask.closeWrite != 0 { emit(.closeWrite, path, isDirectory: isDirectory) }
        if mask & Mask.movedFrom != 0 {
            if isDirectory { dirMoves[cookie] = (path, .now) }
            emit(.movedFrom, path, isDirectory: isDirectory, cookie: cookie)
        }
        if mask & Mask.movedTo != 0 {
            if isDirectory, let from = dirMoves.removeValue(forKey: cookie) {
                renameTree(from: from.path, to: path)
                emit(.movedTo, path, isDirectory: true, cookie: cookie)
                // Made and renamed before its CREATE was read, it never got a watch: watch it now.
                if byPath[path] == nil { directoryAppeared(path) }
            } else {
                emit(.movedTo, path, isDirectory: isDirectory, cookie: cookie)
                if isDirectory { directoryAppeared(path) }
            }
        }
        if mask & Mask.delete != 0 { emit(.delete, path, isDirectory: isDirectory) }
        if mask & Mask.deleteSelf != 0 { emit(.deleteSelf, path, isDirectory: true) }
        if mask & Mask.moveSelf != 0 { emit(.moveSelf, path, isDirectory: true) }
        if isDirectory && mask & (Mask.delete | Mask.movedFrom) != 0 { forgetUnreadable(under: path) }
        // A lost root (or a directory on its way) may come back inside another root's tree.
        if isDirectory && !name.isEmpty && mask & (Mask.create | Mask.movedTo | Mask.attrib) != 0
            && isOnTheWayToLostRoot(path)
        {
            findLostRoots()
        }
    }

    // MARK: Lost roots

    /// Whether `root`'s path still leads to the directory its watch is on (it was not renamed away).
    private func stillAt(_ root: String) -> Bool {
        guard let known = byPath[root] else { return false }
        var info = stat()
        guard PathName.withCString(root, { stat($0, &info) }) == 0 else { return false }
        return UInt64(info.st_dev) == known.device && UInt64(info.st_ino) == known.inode
    }

    private func isOnTheWayToLostRoot(_ path: String) -> Bool {
        lostRoots.contains { $0 == path || $0.hasPrefix(path == "/" ? "/" : path + "/") }
    }

    /// A root's directory is gone from its path: drop its watches (events from a tree that moved away must not be
    /// reported under the old path), say so loudly, and wait for it to come back.
    private func rootLost(_ root: String, _ what: String) {
        _ = removeTree(root)
        forgetDeferred(under: root)
        lostRoots.insert(root)
        let message =
            "watched root \(root) \(what); its articles are recorded as deleted, and it is watched again as soon as "
            + "a directory is at \(root) again"
        logger.error("\(message)", metadata: ["root": "\(root)"])
        emit(.rootLost, root, isDirectory: true)
        // It may be back already (deleted and made again before this event was read).
        findLostRoots()
    }

    /// Watches every lost root that is a directory again, then moves the ancestor watches to the nearest existing
    /// directory above each root still lost.
    private func findLostRoots() {
        for root in lostRoots.sorted() {
            var info = stat()
            guard PathName.withCString(root, { stat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                continue
            }
            do {
                let count = try addRoot(root)
                logger.warning(
                    "watched root \(root) is back; watching its \(count) directories again and rescanning it",
                    metadata: ["root": "\(root)"]
                )
                emit(.rootFound, root, isDirectory: true)
            } catch {
                if error.code == .watchLimitReached {
                    // Partly watched, like a root at start: the daemon's rescans cover the rest.
                    logger.error("\(error.description)", metadata: ["root": "\(root)"])
                    lostRoots.remove(root)
                    emit(.rootFound, root, isDirectory: true)
                } else {
                    // Still waiting (unreadable, say): a later chmod or rename on the way reports it again.
                    roots.remove(root)
                    logger.error("\(error.description); still waiting for \(root)", metadata: ["root": "\(root)"])
                }
            }
        }
        resetAncestorWatches()
    }

    /// One ancestor watch per lost root, on the nearest directory above it that exists.
    private func resetAncestorWatches() {
        var wanted: Set<String> = []
        for root in lostRoots {
            var dir = Self.parent(of: root)
            var info = stat()
            while dir != "/"
                && !(PathName.withCString(dir, { stat($0, &info) }) == 0 && info.st_mode & S_IFMT == S_IFDIR)
            {
                dir = Self.parent(of: dir)
            }
            wanted.insert(dir)
        }
        for (wd, dir) in ancestorWatches where !wanted.contains(dir) {
            ancestorWatches.removeValue(forKey: wd)
            inotifytools_remove_watch_by_wd(wd)
        }
        var polling = false
        let watched = Set(ancestorWatches.values)
        for dir in wanted.subtracting(watched).sorted() where byPath[dir] == nil {
            if !addAncestorWatch(dir) { polling = true }
        }
        // Only a lost root that no watch can report is looked for by polling, at a modest pace.
        nextLostRootPoll = polling ? ContinuousClock.now + .seconds(5) : nil
    }

    /// Puts the ancestor mask on `dir`; false when the kernel refuses (then the lost roots below are polled).
    private func addAncestorWatch(_ dir: String) -> Bool {
        let slashed = dir == "/" ? dir : dir + "/"
        guard PathName.withCString(slashed, { inotifytools_watch_file($0, Int32(bitPattern: Mask.ancestor)) }) == 1
        else {
            logger.debug(
                "cannot watch \(dir) for a lost root's return; looking for it every 5 s instead",
                metadata: ["watch.path": "\(dir)", "errno": "\(inotifytools_error())"]
            )
            return false
        }
        let wd = PathName.withCString(slashed) { inotifytools_wd_from_filename($0) }
        guard wd >= 0 else { return false }
        // The same inode under a tree watch (through a symlink): the tree's events already reach us.
        if byWD[wd] == nil { ancestorWatches[wd] = dir }
        return true
    }

    /// An event on an ancestor watch: only the next name on the way to a lost root, or the ancestor itself, matters.
    private func ancestorEvent(mask: UInt32, wd: Int32, directory: String, name: String) {
        if mask & Mask.ignored != 0 {
            // The kernel dropped it (the directory is gone); move libinotifytools' record out of the way.
            ancestorWatches.removeValue(forKey: wd)
            let prefix = directory == "/" ? "/" : directory + "/"
            if !byPath.keys.contains(where: { $0 == directory || $0.hasPrefix(prefix) }) {
                replaceFilename(prefix, "\u{1}ignored/\(wd)/")
            }
        } else if mask & Mask.deleteSelf != 0 {
            return  // IN_IGNORED follows
        } else if mask & Mask.moveSelf != 0 {
            // Renamed: the watch now follows a directory that is no longer on the way.
            ancestorWatches.removeValue(forKey: wd)
            inotifytools_remove_watch_by_wd(wd)
        } else {
            let path = directory == "/" ? "/" + name : directory + "/" + name
            guard isOnTheWayToLostRoot(path) else { return }
        }
        findLostRoots()
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    private func forgetUnreadable(under top: String) {
        guard !unreadable.isEmpty else { return }
        let prefix = top + "/"
        unreadable = unreadable.filter { $0 != top && !$0.hasPrefix(prefix) }
    }

    /// The directory path of a watch descriptor, as libinotifytools knows it, without the trailing slash.
    private func watchedPath(_ wd: Int32) -> String? {
        guard let raw = inotifytools_filename_from_wd(wd) else { return nil }
        var name = PathName.decode(cString: raw)
        guard !name.isEmpty, byWD[wd] != nil else { return nil }
        while name.count > 1 && name.hasSuffix("/") { name.removeLast() }
        return name
    }

    // MARK: Wake-up directory

    private func makeWakeDirectory() {
        var base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        if base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/redline-wake-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            logger.notice(
                "no wake-up directory; watch requests wait for the 1 s read timeout",
                metadata: ["errno": "\(errno)"]
            )
            return
        }
        let dir = String(cString: made)
        guard inotifytools_watch_file(dir + "/", Int32(bitPattern: Mask.closeWrite | Mask.onlyDir)) == 1 else {
            rmdir(dir)
            return
        }
        wakeWD = inotifytools_wd_from_filename(dir + "/")
        wakeDirectory = dir
        wakeFile.withLock { $0 = dir + "/wake" }
    }

    private func removeWakeDirectory() {
        wakeFile.withLock { $0 = nil }
        guard let dir = wakeDirectory else { return }
        unlink(dir + "/wake")
        rmdir(dir)
        wakeDirectory = nil
        wakeWD = -1
    }

    // MARK: Directories

    /// A directory appeared inside the tree: watch it (and everything below), reporting what is already inside.
    /// A directory appeared in the tree: it and everything below it are watched and reported, after the events
    /// already queued have been read (``runDeferred()``).
    private func directoryAppeared(_ path: String) {
        deferred.append(.walk(path, synthetic: true))
    }

    private func addRoot(_ root: String) throws(WatchError) -> Int {
        var info = stat()
        guard PathName.withCString(root, { lstat($0, &info) == 0 || stat($0, &info) == 0 }) else {
            throw WatchError.watchFailed(path: root, errno: errno)
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            // The root itself may be a symlink the operator chose; nothing below it is followed.
            guard PathName.withCString(root, { stat($0, &info) }) == 0 else {
                throw WatchError.watchFailed(path: root, errno: errno)
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw WatchError.watchFailed(path: root, errno: ENOTDIR) }
        roots.insert(root)
        let count = try walk(root, synthetic: false, followRoot: true)
        lostRoots.remove(root)
        return count
    }

    /// Watches `top` and every directory below it, depth first, watching each directory before listing it so
    /// nothing created meanwhile slips through. With `synthetic`, what is found is reported as created.
    /// - Returns: how many directories are watched under `top`.
    private func walk(_ top: String, synthetic: Bool, followRoot: Bool = false) throws(WatchError) -> Int {
        var stack = [top]
        var count = 0
        while let dir = stack.popLast() {
            let isTop = dir == top
            stack += try walkStep(
                dir, synthetic: synthetic, follow: followRoot && isTop, strict: isTop && !synthetic, count: &count)
        }
        return count
    }

    /// Watches one directory of a walk and lists it; returns the subdirectories to walk next.
    /// - Parameter strict: throw the directory's own failure (the root of an `addRoot`) instead of logging it.
    private func walkStep(_ dir: String, synthetic: Bool, follow: Bool, strict: Bool, count: inout Int)
        throws(WatchError) -> [String]
    {
        let opened: POSIX.OpenDirectory
        do throws(WatchError) {
            // Opened first, so the watch takes the descriptor's identity and the listing reads the descriptor:
            // one path lookup fewer per directory than lstat, add_watch, opendir.
            do {
                opened = try POSIX.openDirectory(dir, follow: follow)
            } catch {
                throw WatchError.watchFailed(path: dir, errno: error.errno)
            }
            do {
                try addWatch(dir, follow: follow, identity: (opened.device, opened.inode))
            } catch {
                POSIX.closeDirectory(opened)
                throw error
            }
            count += 1
            if !unreadable.isEmpty { unreadable.remove(dir) }
        } catch {
            // Not listed, yet not gone: a consumer of the walk must list the tree itself.
            if error.code != .notFound && error.code != .notADirectory { listings?.markIncomplete() }
            switch error.code {
            case .watchLimitReached:
                let first = !limitReached.exchange(true, ordering: .relaxed)
                if synthetic || !strict {
                    // No caller to throw to: say it once here.
                    if first { logger.error("\(error.description)", metadata: ["watch.path": "\(dir)"]) }
                    // Unwatched, but what is there now must still be seen once.
                    if synthetic { reportContents(of: dir) }
                    return []
                }
                throw WatchError.watchFailed(path: dir, errno: ENOSPC, watched: count)
            case .notFound, .notADirectory:
                // Gone (or replaced by a file) during the walk: its removal is reported by the parent.
                if strict { throw error }
                return []
            case .permissionDenied where !strict:
                // inotify needs read permission on the directory, but the parent's watch reports a chmod of it
                // (IN_ATTRIB), and `handle` retries then: log once, not at every retry.
                if unreadable.insert(dir).inserted {
                    logger.error(
                        "\(error.description); it is watched as soon as that is done",
                        metadata: ["watch.path": "\(dir)"])
                }
                return []
            default:
                if strict { throw error }
                logger.error("\(error.description)", metadata: ["watch.path": "\(dir)"])
                return []
            }
        }
        var subdirectories: [String] = []
        let entries = listDirectory(opened, dir)
        listings?.push(RootWalk.Listing(directory: dir, entries: entries))
        for entry in entries {
            let name = entry.name
            let child = dir == "/" ? "/" + name : dir + "/" + name
            if entry.kind == .directory {
                if synthetic { emit(.create, child, isDirectory: true) }
                subdirectories.append(child)
            } else if synthetic {
                emit(.create, child, isDirectory: false)
                emit(.closeWrite, child, isDirectory: false)
            }
        }
        return subdirectories
    }

    // MARK: Deferred walks

    /// Drops deferred walks of `root`'s tree (it is no longer watched).
    private func forgetDeferred(under root: String) {
        deferred.removeAll { item in
            guard case .walk(let dir, _) = item else { return false }
            return dir == root || dir.hasPrefix(root + "/")
        }
    }

    /// Runs a bounded share of the deferred walks, but only once the kernel queue has been read up to a marker
    /// sent after they were queued: events are drained first, filesystem work comes after (as Watchman's notify
    /// thread hands crawling to another), so a large directory moved in cannot make the kernel queue overflow.
    private func runDeferred() {
        guard !deferred.isEmpty else { return }
        if drained {
            drained = false
            drainRequested = false
            var budget = Self.walkChunk
            var count = 0
            while budget > 0, let item = deferred.popLast() {
                switch item {
                case .walk(let dir, let synthetic):
                    budget -= 1
                    let children =
                        (try? walkStep(dir, synthetic: synthetic, follow: false, strict: false, count: &count)) ?? []
                    deferred += children.map { .walk($0, synthetic: synthetic) }
                case .overflowWalked:
                    // Every directory made while events were lost has a watch now: the daemon's rescan misses nothing.
                    emit(.overflow, "", isDirectory: false)
                    if !lostRoots.isEmpty { findLostRoots() }
                }
            }
        }
        if !deferred.isEmpty && !drainRequested {
            drainRequested = true
            wake()
        }
    }

    /// Reports the files and directories below an unwatched directory as created.
    private func reportContents(of top: String) {
        var stack = [top]
        while let dir = stack.popLast() {
            for entry in listDirectory(dir) {
                let child = dir + "/" + entry.name
                let isDirectory = entry.kind == .directory
                emit(.create, child, isDirectory: isDirectory)
                if isDirectory {
                    stack.append(child)
                } else {
                    emit(.closeWrite, child, isDirectory: false)
                }
            }
        }
    }

    /// The entries of `dir`, without following symlinks. Empty if unreadable.
    private func listDirectory(_ dir: String) -> [POSIX.Entry] {
        do {
            return try POSIX.entries(of: dir)
        } catch {
            return unlisted(dir, error)
        }
    }

    /// The entries of `dir`, open at `opened` (closed here), without following symlinks. Empty if unreadable.
    private func listDirectory(_ opened: POSIX.OpenDirectory, _ dir: String) -> [POSIX.Entry] {
        do {
            return try POSIX.entries(of: opened, path: dir)
        } catch {
            return unlisted(dir, error)
        }
    }

    private func unlisted(_ dir: String, _ error: SystemCallError) -> [POSIX.Entry] {
        if error.errno != ENOENT && error.errno != ENOTDIR {
            logger.error(
                "cannot list \(dir): \(POSIX.describe(errno: error.errno)); give the redline user read permission on it",
                metadata: ["watch.path": "\(dir)", "errno": "\(error.errno)"]
            )
        }
        return []
    }

    /// Puts one watch on directory `dir` and checks that libinotifytools recorded it.
    /// - Parameter identity: the directory's device and inode, from its open descriptor's `fstat`.
    private func addWatch(_ dir: String, follow: Bool, identity: (device: UInt64, inode: UInt64)) throws(WatchError) {
        let (device, inode) = identity
        if let known = byPath[dir] {
            if known.device == device && known.inode == inode { return }
            // The same name now holds another directory: the old watch is stale.
            forget(wd: known.wd)
        }
        let slashed = dir == "/" ? dir : dir + "/"
        let stale = PathName.withCString(slashed) { inotifytools_wd_from_filename($0) }
        if stale >= 0 && byWD[stale] == nil {
            // libinotifytools keeps the record of a watch the kernel dropped; move it out of the way so the
            // new watch's record can take the name.
            replaceFilename(slashed, "\u{1}stale/\(stale)/")
        }
        let mask = Mask.watch | (follow ? 0 : Mask.dontFollow)
        guard PathName.withCString(slashed, { inotifytools_watch_file($0, Int32(bitPattern: mask)) }) == 1 else {
            throw WatchError.watchFailed(path: dir, errno: Int32(inotifytools_error()))
        }
        let wd = PathName.withCString(slashed) { inotifytools_wd_from_filename($0) }
        // It was an ancestor watch of a lost root: the tree mask (a superset) replaced that one.
        if wd >= 0 { ancestorWatches.removeValue(forKey: wd) }
        guard wd >= 0 else {
            throw WatchError(
                code: .system,
                path: dir,
                message: "cannot watch \(dir): libinotifytools did not record the watch; restart redline"
            )
        }
        if let other = byWD[wd], other != dir {
            // The kernel watches this inode already under another name (a rename whose halves we did not pair):
            // the tree moved.
            renameTree(from: other, to: dir)
            return
        }
        byPath[dir] = Watched(wd: wd, device: device, inode: inode)
        byWD[wd] = dir
        watchCount.store(byPath.count, ordering: .relaxed)
    }

    /// Renames libinotifytools' records of paths starting with `from` (it keeps the kernel's bytes).
    private func replaceFilename(_ from: String, _ to: String) {
        PathName.withCString(from) { old in PathName.withCString(to) { new in inotifytools_replace_filename(old, new) }
        }
    }

    /// A directory was renamed inside the tree: rewrite the paths of every watch below it.
    private func renameTree(from: String, to: String) {
        guard from != to else { return }
        replaceFilename(from + "/", to + "/")
        let prefix = from + "/"
        for (path, watched) in byPath where path == from || path.hasPrefix(prefix) {
            let moved = to + path.dropFirst(from.count)
            byPath.removeValue(forKey: path)
            byPath[moved] = watched
            byWD[watched.wd] = moved
        }
        if roots.remove(from) != nil { roots.insert(to) }
    }

    /// Directory moves whose `movedTo` never came went out of the tree: drop their watches.
    private func expireDirectoryMoves(now: ContinuousClock.Instant) {
        for (cookie, move) in dirMoves where now - move.at > WatchEvent.pairingTimeout {
            dirMoves.removeValue(forKey: cookie)
            _ = removeTree(move.path)
        }
    }

    /// Removes the watches on `top` and below. Returns how many were removed.
    private func removeTree(_ top: String) -> Int {
        let prefix = top + "/"
        let doomed = byPath.filter { $0.key == top || $0.key.hasPrefix(prefix) }
        for (_, watched) in doomed {
            inotifytools_remove_watch_by_wd(watched.wd)
            forget(wd: watched.wd)
        }
        roots.remove(top)
        forgetUnreadable(under: top)
        return doomed.count
    }

    private func forget(wd: Int32) {
        if let path = byWD.removeValue(forKey: wd) {
            if byPath[path]?.wd == wd { byPath.removeValue(forKey: path) }
        }
        watchCount.store(byPath.count, ordering: .relaxed)
    }

    /// The kernel dropped watch `wd` (its directory is gone). libinotifytools keeps the record: rename it away,
    /// unless live watches below share its prefix (then `addWatch` moves it aside if the name is reused).
    private func forgetIgnored(wd: Int32, path: String) {
        forget(wd: wd)
        let prefix = path + "/"
        if !byPath.keys.contains(where: { $0 == path || $0.hasPrefix(prefix) }) {
            replaceFilename(prefix, "\u{1}ignored/\(wd)/")
        }
        roots.remove(path)
    }
}
