import Foundation
import Logging
import RedlineDiff
import RedlineFeed
import RedlinePOSIX
import RedlineState
import RedlineWatcher

#if canImport(Glibc)
    import Glibc
#endif

/// The synchronous core of the daemon: settled changes in, feed records and state updates out.
///
/// It runs on one thread. Every decision is made against the state store as amended by the
/// records of the batch being built (`overlay`), so a batch may touch the same article twice.
/// A batch is appended to the feed in one write (one `fdatasync` under `fsync = "always"`), and
/// only then applied to the state store, in the same order.
final class Pipeline {
    private(set) var config: DaemonConfig
    var filters: [String: ArticleFilter] = [:]
    private(set) var feed: FeedWriter
    let state: StateStore
    let logger: Logger
    /// The words that tell a typo from a real-word change, loaded on a background thread beside the startup
    /// scan and awaited before READY=1, so no diff after it waits for them; compiled into DATA/cache, so only
    /// the first start builds them from the lists. `[diff] word_lists` takes effect at the next restart.
    let lexicon: LazyLexicon
    /// How many watched articles use each word (``ArchiveCounter``): the classifier's `archive_form` evidence;
    /// nil when `[diff] archive_words` is off.
    let archive: ArchiveCounter?
    /// The texts each record of the batch being built takes out of the archive and puts in (nil: none), handed
    /// to `archive` once the batch is durable.
    var archiveChanges: [(old: String?, new: String?)] = []

    var pending: [(record: FeedRecord, updates: [StateUpdate])] = []
    var touches: [StateUpdate] = []
    /// Articles changed by the batch being built; `.some(nil)` means deleted.
    var overlay: [Key: ArticleState?] = [:]
    /// Rejected versions decided in the batch being built (the store keeps the committed ones),
    /// so an unchanged bad file is reported once, across restarts too.
    var rejectedOverlay: [Key: String?] = [:]
    /// Applies committed batches to the state store on a thread of its own, while `stateWritesBehind`.
    let stateWrites = StateWriter()
    /// True during a scan (the startup reconciliation, a rescan): its batches are large and it looks no new path
    /// up, so the store's writes run beside it on the second core. Live edits write the store at once.
    var stateWritesBehind = false
    /// The overlays of batches durable in the feed and handed to `stateWrites`, by the batch's number, until
    /// the store has them: what the store will say about those articles once it catches up.
    var inflight: [Key: (batch: Int, article: ArticleState?)] = [:]
    var inflightRejected: [Key: (batch: Int, version: String?)] = [:]
    /// The keys of each batch in flight, oldest first, to forget them from `inflight` once applied.
    var inflightBatches: [(batch: Int, keys: [Key])] = []
    /// Paths already logged as unreadable, so a permission problem is logged once.
    var warned: Set<Key> = []
    /// Records appended since start.
    var recordsWritten = 0
    /// Called between files of a long reconciliation: the daemon pings its watchdog there, and a
    /// `true` result (shutdown requested) stops the reconciliation early. Nothing is lost by
    /// stopping: what was not compared yet is compared at the next start.
    var checkpoint: () -> Bool = { false }
    /// Called with each batch the feed took, seqs filled in, before the state store takes it: the loop counts
    /// them for the metrics file here, instead of reading the feed back.
    var appended: (_ records: [FeedRecord]) -> Void = { _ in }
    /// Runs a state store write, and runs it again while it fails for a full disk: the daemon sets a
    /// ``DiskSpaceWait`` here. The default tries once, so the error reaches the caller.
    /// It runs on the state writer's thread.
    var retryingStateWrites: @Sendable (_ write: () throws -> Void) throws -> Void = { try $0() }

    /// An article's identity.
    struct Key: Hashable {
        var root: String
        var path: String
    }

    init(config: DaemonConfig, feed: FeedWriter, state: StateStore, logger: Logger) {
        self.config = config
        self.feed = feed
        self.state = state
        self.logger = logger
        lexicon = LexiconLoader.lazy(
            config.wordLists, cacheDirectory: DataDirectory(config.dataDir).cache, logger: logger)
        archive =
            config.archiveWords
            ? ArchiveCounter(cacheDirectory: DataDirectory(config.dataDir).cache, logger: logger) : nil
        apply(config: config)
        // Loaded beside the startup scan rather than at the first diff that needs it: building it from the
        // lists takes a few hundred milliseconds, which would stall the pipeline then (the compiled copy in
        // the data directory takes a few).
        if !config.wordLists.isEmpty {
            // A thread, not a dispatch queue: the daemon starts no libdispatch worker (see WorkerThread).
            let lexicon = self.lexicon
            let thread = Thread { _ = lexicon.value }
            thread.name = "redline-lexicon"
            thread.start()
        }
    }

    /// Takes a new configuration (roots, globs, limits) into use.
    func apply(config: DaemonConfig) {
        self.config = config
        filters = Dictionary(
            config.roots.map { ($0.path, ArticleFilter(include: $0.include, exclude: $0.exclude)) },
            uniquingKeysWith: { a, _ in a })
    }

    /// Reopens the feed with new options (fsync policy, segment size, retention) after a reload.
    ///
    /// The batch is committed and the writer closed cleanly first, so no record is lost or torn.
    func reopenFeed(options: FeedOptions) throws {
        try commit()
        try feed.close()
        feed = try FeedWriter(directory: feed.directory, options: options, logger: logger)
        config.feed = options
    }

    // MARK: - Settled changes

    /// Handles changes the settle step released, and commits them as one batch.
    func handle(_ changes: [SettledChange]) throws {
        for change in changes {
            switch change {
            case .changed(let path):
                if let key = article(at: path) { try look(at: key) }
            case .moved(let from, let to):
                try moved(from: from, to: to)
            case .directoryMoved(let from, let to):
                try directoryMoved(from: from, to: to)
            case .directoryRemoved(let path):
                try directoryRemoved(path)
            case .overflow:
                try commit()
                try reconcile(config.roots, reason: "the kernel's inotify event queue overflowed")
            case .rootLost(let root):
                // The rescan finds nothing at the root's path, so each article under it gets a `deleted` record,
                // and the `rescan` record says why, once, instead of leaving consumers to guess.
                try commit()
                try reconcile(
                    config.roots.filter { $0.path == root },
                    reason: "the watched root was deleted or moved away; it is watched again when it reappears")
            case .rootFound(let root):
                try commit()
                try reconcile(
                    config.roots.filter { $0.path == root }, reason: "the watched root reappeared and is watched again")
            }
        }
        try commit()
    }

    /// The root and relative path of `absolute` when it is an article under a watched root.
    func article(at absolute: String) -> Key? {
        guard let key = locate(absolute), let filter = filters[key.root], filter.isArticle(key.path) else {
            return nil
        }
        return key
    }

    /// The root and relative path of `absolute` under the longest matching root.
    func locate(_ absolute: String) -> Key? {
        var best: String?
        for root in filters.keys where absolute.hasPrefix(root + "/") && root.count > (best?.count ?? -1) {
            best = root
        }
        guard let root = best else { return nil }
        return Key(root: root, path: String(absolute.dropFirst(root.count + 1)))
    }

    /// The article at `key` as the feed has it: the batch being built, then the batches in flight, then the store.
    func current(_ key: Key) throws -> ArticleState? {
        if let amended = overlay[key] { return amended }
        if let committed = inflight[key] { return committed.article }
        return try state.article(root: key.root, path: key.path)
    }

    func rejectedVersion(_ key: Key) throws -> String? {
        if let amended = rejectedOverlay[key] { return amended }
        if let committed = inflightRejected[key] { return committed.version }
        return try state.rejectedVersion(root: key.root, path: key.path)
    }

    /// The state store once every committed batch is applied to it, for questions about many articles at once.
    func settledState() throws -> StateStore {
        try stateWrites.drain()
        forgetApplied()
        return state
    }

    /// Waits for the state store to take every committed batch (a clean stop leaves it level with the feed).
    func finishStateWrites() throws {
        try commit()
        _ = try settledState()
    }

    deinit { stateWrites.stop() }

    func absolute(_ key: Key) -> String { key.root + "/" + key.path }

    /// Reads an article and records whatever happened to it: created, modified, deleted, rejected, or nothing.
    /// - Parameter prefetched: the file as a ``Prefetcher`` read it, instead of reading it here.
    /// - Parameter untracked: the store had no article at `key` when the caller last asked it (a startup scan's
    ///   new path), so only this batch and the batches in flight can know one: no store lookup per new file.
    func look(at key: Key, prefetched: Prefetcher.Item? = nil, untracked: Bool = false) throws {
        let previous = untracked ? (overlay[key] ?? inflight[key]?.article) : try current(key)
        let read = prefetched?.read ?? ArticleFile.read(absolute(key), maxBytes: config.maxFileBytes)
        switch read {
        case .missing, .notRegular:
            guard let previous else { return }
            if case .notRegular = read {
                // A socket, FIFO, device, directory or symlink now holds the name: it is no article, so the
                // article that was there ends (and a restart finds nothing to say about it).
                logger.debug(
                    "\(absolute(key)) is no longer a regular file; recording it as deleted",
                    metadata: ["article.path": "\(absolute(key))"])
            }
            emit(
                FeedRecord(
                    type: .deleted, root: key.root, path: key.path,
                    before: VersionInfo(sha256: previous.sha256, size: Int(previous.size))),
                [.delete(root: key.root, path: key.path)], key, nil)
            archiveChanges.append((previous.text, nil))
        case .unreadable(let err):
            if warned.insert(key).inserted {
                logger.warning(
                    "cannot read \(absolute(key)): \(POSIX.describe(errno: err)); check its permissions",
                    metadata: ["article.path": "\(absolute(key))"])
            }
        case .tooLarge(let stat):
            let identity = "size:\(stat.size):\(stat.mtimeNs)"
            guard try rejectedVersion(key) != identity else { return }
            rejectedOverlay[key] = identity
            emit(
                FeedRecord(
                    type: .rejected, root: key.root, path: key.path,
                    reason:
                        "file is \(stat.size) bytes, over max_file_bytes (\(config.maxFileBytes)); raise max_file_bytes to diff it",
                    detail: ["size": String(stat.size), "max_file_bytes": String(config.maxFileBytes)]),
                [.rejected(root: key.root, path: key.path, version: identity)], nil, nil)
        case .bytes(let bytes, let stat):
            warned.remove(key)
            let sha = prefetched?.sha256 ?? Digest.sha256Hex(bytes)
            if let previous, previous.sha256 == sha {
                if previous.inode != stat.inode || previous.size != stat.size || previous.mtimeNs != stat.mtimeNs
                    || previous.ctimeNs != stat.ctimeNs
                {
                    touches.append(
                        .touch(
                            root: key.root, path: key.path, inode: stat.inode, size: stat.size,
                            mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs))
                }
                return
            }
            let text: String
            do {
                text = try
                    (prefetched?.text ?? Result { () throws(DecodeError) -> String in try ArticleText.decode(bytes) })
                    .get()
            } catch {
                guard try rejectedVersion(key) != sha else { return }
                rejectedOverlay[key] = sha
                emit(
                    FeedRecord(
                        type: .rejected, root: key.root, path: key.path,
                        after: VersionInfo(sha256: sha, size: bytes.count),
                        reason: "\(error); save the file as UTF-8 text",
                        detail: ["byte_offset": String(error.byteOffset), "error": error.reason.rawValue]),
                    [.rejected(root: key.root, path: key.path, version: sha)], nil, nil)
                return
            }
            if try rejectedVersion(key) != nil {
                rejectedOverlay[key] = .some(nil)
                touches.append(.rejected(root: key.root, path: key.path, version: nil))
            }
            let next = ArticleState(
                root: key.root, path: key.path, inode: stat.inode, size: stat.size, mtimeNs: stat.mtimeNs,
                ctimeNs: stat.ctimeNs, sha256: sha, text: text, lastSeq: 0)
            let after = VersionInfo(sha256: sha, size: bytes.count)
            if let previous {
                var record = FeedRecord(
                    type: .modified, root: key.root, path: key.path,
                    before: VersionInfo(sha256: previous.sha256, size: Int(previous.size)), after: after)
                record.attach(Differ.diff(old: previous.text, new: text, lexicon: lexicon, archive: archive?.words))
                emit(record, [.upsert(next)], key, next)
            } else {
                emit(
                    FeedRecord(type: .created, root: key.root, path: key.path, after: after, content: text),
                    [.upsert(next)], key, next)
            }
            archiveChanges.append((previous?.text, text))
        }
    }

    /// A rename of a file: one `moved` record keeps the article's history continuous.
    func moved(from: String, to: String) throws {
        let source = article(at: from)
        let destination = article(at: to)
        guard let source, let previous = try current(source) else {
            // Not a tracked article before (an atomic save's temp file, or a file moved in): look at the target.
            if let destination { try look(at: destination) }
            return
        }
        guard let destination, destination.root == source.root else {
            // Renamed to something that is not an article, or into another root: gone from here.
            try look(at: source)
            if let destination { try look(at: destination) }
            return
        }
        if destination == source { return try look(at: source) }
        if let replaced = try current(destination) {
            emit(
                FeedRecord(
                    type: .deleted, root: destination.root, path: destination.path,
                    before: VersionInfo(sha256: replaced.sha256, size: Int(replaced.size))),
                [.delete(root: destination.root, path: destination.path)], destination, nil)
            archiveChanges.append((replaced.text, nil))
        }
        var record = FeedRecord(
            type: .moved, root: source.root, path: destination.path, fromPath: source.path,
            before: VersionInfo(sha256: previous.sha256, size: Int(previous.size)),
            after: VersionInfo(sha256: previous.sha256, size: Int(previous.size)))
        var next = previous
        next.path = destination.path
        var updates: [StateUpdate] = [.move(root: source.root, from: source.path, to: destination.path)]
        if case .bytes(let bytes, let stat) = ArticleFile.read(to, maxBytes: config.maxFileBytes) {
            (next.inode, next.size, next.mtimeNs, next.ctimeNs) = (stat.inode, stat.size, stat.mtimeNs, stat.ctimeNs)
            let sha = Digest.sha256Hex(bytes)
            if sha != previous.sha256, let text = try? ArticleText.decode(bytes) {
                record.after = VersionInfo(sha256: sha, size: bytes.count)
                record.attach(Differ.diff(old: previous.text, new: text, lexicon: lexicon, archive: archive?.words))
                next.sha256 = sha
                next.text = text
                archiveChanges.append((previous.text, text))
            }
        }
        updates.append(.upsert(next))
        overlay[source] = .some(nil)
        emit(record, updates, destination, next)
        // Content that could not be decoded is reported against the new path.
        if next.sha256 == previous.sha256 { try look(at: destination) }
    }

    /// A directory renamed inside a root: every article below it moves.
    private func directoryMoved(from: String, to: String) throws {
        try commit()
        guard let source = locate(from) else { return }
        guard let target = locate(to), target.root == source.root, let filter = filters[target.root] else {
            return try directoryRemoved(from)
        }
        for article in try settledState().articles(root: source.root)
        where article.path.hasPrefix(source.path + "/") {
            let rest = article.path.dropFirst(source.path.count)
            try moved(from: absolute(Key(root: source.root, path: article.path)), to: to + rest)
        }
        // What the store did not know below the old name is new here: an article the startup scan took for
        // deleted because the directory was renamed between the watcher's listing and the scan's stat of it (the
        // rename then comes as this event, with no walk behind it), or a file that never settled under the old name.
        var untracked: [String] = []
        TreeWalker.walk(under: target.root, below: target.path, filter: filter, logger: logger) {
            path, _ in untracked.append(path)
        }
        for path in untracked.sorted() {
            let key = Key(root: target.root, path: path)
            if try current(key) == nil { try look(at: key) }
        }
        try commit()
    }

    /// A directory deleted or moved out of the tree: every article below it is gone.
    private func directoryRemoved(_ path: String) throws {
        try commit()
        guard let dir = locate(path) else { return }
        for article in try settledState().articles(root: dir.root) where article.path.hasPrefix(dir.path + "/") {
            try look(at: Key(root: article.root, path: article.path))
        }
        try commit()
    }
}
