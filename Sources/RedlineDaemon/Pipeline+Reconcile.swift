import Logging
import RedlineDiff
import RedlineFeed
import RedlineState
import RedlineWatcher

#if canImport(Glibc)
    import Glibc
#endif

/// The reconciler: a root's tree compared with the state store, at start, after an overflow or a lost root,
/// and on the rescan timer.
extension Pipeline {
    /// Compares each root's tree with the state store and records what changed while we were not looking.
    ///
    /// Fast path: a file whose inode, size, mtime and ctime match the store is not read. A new
    /// path with the inode of a vanished article is a rename. With a `reason` (overflow, rescan),
    /// a `rescan` record follows each root's changes.
    func reconcile(_ roots: [RootConfig], reason: String?) throws {
        for root in roots {
            guard let filter = filters[root.path] else { continue }
            try commit()
            var tree = try TreeComparison(known: settledState().stats(root: root.path))
            TreeWalker.walk(under: root.path, filter: filter, logger: logger) { tree.see($0, $1) }
            if try record(tree, in: root, reason: reason) { return }
        }
    }

    /// The startup scan of `root`, read from the watcher's first walk of it as the walk goes: one pass over the
    /// tree, each directory compared after its watch is in place, so a change made after that comes as an event.
    ///
    /// When the walk could not list everything (the watch limit, a directory it may not read), the tree is
    /// walked again here instead, so an unwatched article is never taken for deleted.
    /// - Returns: true when a shutdown request stopped it (what was recorded so far is committed).
    @discardableResult
    func reconcile(_ root: RootConfig, walk: RootWalk) throws -> Bool {
        guard let filter = filters[root.path] else {
            while walk.next() != nil {}
            return false
        }
        try commit()
        var tree = try TreeComparison(known: settledState().stats(root: root.path))
        while let listing = walk.next() {
            let relative =
                listing.directory == walk.root ? "" : String(listing.directory.dropFirst(walk.root.count + 1))
            TreeWalker.articles(in: relative, entries: listing.entries, root: root.path, filter: filter) {
                tree.see($0, $1)
            }
        }
        let listedAll = (try? walk.result.get()) != nil && walk.isComplete
        if !listedAll {
            tree = try TreeComparison(known: settledState().stats(root: root.path))
            TreeWalker.walk(under: root.path, filter: filter, logger: logger) { tree.see($0, $1) }
        }
        return try record(tree, in: root, reason: nil)
    }

    /// A root's tree against the state store's articles, one file at a time.
    struct TreeComparison {
        /// The store's articles not seen on disk yet (stat columns only: no text is loaded for the fast path).
        var known: [String: ArticleStat]
        /// Known articles whose stat data changed.
        var modified: [String] = []
        /// Files the store does not know.
        var fresh: [(String, FileStat)] = []
        /// Articles seen on disk.
        var seen = 0

        init(known articles: [ArticleStat]) {
            var known: [String: ArticleStat] = [:]
            known.reserveCapacity(articles.count)
            for article in articles { known[article.path] = article }
            self.known = known
        }

        mutating func see(_ path: String, _ stat: FileStat) {
            seen += 1
            guard let article = known.removeValue(forKey: path) else {
                fresh.append((path, stat))
                return
            }
            if article.inode != stat.inode || article.size != stat.size || article.mtimeNs != stat.mtimeNs
                || article.ctimeNs != stat.ctimeNs
            {
                modified.append(path)
            }
        }
    }

    /// Records what `tree` found changed under `root`, in path order: modified, then new (or renamed), then gone.
    /// - Returns: true when a shutdown request stopped it (what was recorded so far is committed).
    @discardableResult
    private func record(_ tree: TreeComparison, in root: RootConfig, reason: String?) throws -> Bool {
        stateWritesBehind = true
        defer { stateWritesBehind = false }
        var known = tree.known
        let modifiedOnDisk = tree.modified.sorted()
        let fresh = tree.fresh.sorted { $0.0 < $1.0 }
        let startCount = recordsWritten
        // Files are read, hashed and decoded a window ahead on a second thread (Prefetcher).
        let ahead = Prefetcher(
            paths: (modifiedOnDisk + fresh.map(\.0)).map { root.path + "/" + $0 }, maxBytes: config.maxFileBytes)
        defer { ahead.cancel() }
        var index = 0
        for path in modifiedOnDisk {
            try look(at: Key(root: root.path, path: path), prefetched: ahead.take(index))
            index += 1
            if try interrupted() { return true }
        }
        var vanishedByInode: [UInt64: String] = [:]
        for (path, article) in known where article.inode != 0 { vanishedByInode[article.inode] = path }
        for (path, stat) in fresh {
            let item = ahead.take(index)
            index += 1
            if let old = vanishedByInode[stat.inode], known[old] != nil,
                let article = try current(Key(root: root.path, path: old)),
                Self.looksRenamed(article, to: root.path + "/" + path, maxBytes: config.maxFileBytes)
            {
                vanishedByInode[stat.inode] = nil
                known[old] = nil
                try moved(from: root.path + "/" + old, to: root.path + "/" + path)
            } else {
                try look(at: Key(root: root.path, path: path), prefetched: item, untracked: true)
            }
            if try interrupted() { return true }
        }
        // Only now, with every file on disk seen, is a missing article really gone.
        for path in known.keys.sorted() { try look(at: Key(root: root.path, path: path)) }
        let changed = recordsWritten + pending.count - startCount
        if let reason {
            emit(
                FeedRecord(
                    type: .rescan, root: root.path, path: "", reason: reason,
                    detail: ["articles": String(tree.seen), "records": String(changed)]),
                [], nil, nil)
        }
        try commit()
        return false
    }

    /// Commits a full batch; true when the reconciliation must stop (what is done so far is committed).
    func interrupted() throws -> Bool {
        if pending.count >= 512 { try commit() }
        guard checkpoint() else { return false }
        try commit()
        return true
    }

    /// Whether a new path holding a vanished article's inode is that article renamed.
    ///
    /// The kernel reuses inode numbers at once (delete `b`, create `d`: `d` often gets `b`'s inode),
    /// so an inode match alone is not a rename: the content must also be the same, or mostly the
    /// same words (at least half of the smaller version's words: an article edited and renamed
    /// while the daemon was down).
    static func looksRenamed(_ article: ArticleState, to path: String, maxBytes: Int) -> Bool {
        guard case .bytes(let bytes, _) = ArticleFile.read(path, maxBytes: maxBytes) else { return false }
        if Digest.sha256Hex(bytes) == article.sha256 { return true }
        let isWordPart: (Character) -> Bool = { $0.isLetter || $0.isNumber }
        let old = Set(article.text.split { !isWordPart($0) })
        let new = Set(String(decoding: bytes, as: UTF8.self).split { !isWordPart($0) })
        guard !old.isEmpty, !new.isEmpty else { return old.isEmpty && new.isEmpty }
        // Containment, not Jaccard: an article that grew a lot while renamed still contains its words.
        return Double(old.intersection(new).count) / Double(min(old.count, new.count)) >= 0.5
    }
}
