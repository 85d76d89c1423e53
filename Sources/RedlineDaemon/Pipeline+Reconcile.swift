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
            let onDisk = TreeWalker.articles(under: root.path, filter: filter, logger: logger)
            // Stat columns only: the text of an article is read when its file changed, never for the fast path.
            var known: [String: ArticleStat] = [:]
            for article in try state.stats(root: root.path) { known[article.path] = article }
            var modifiedOnDisk: [String] = []
            var fresh: [(String, FileStat)] = []
            let startCount = recordsWritten
            for (path, stat) in onDisk {
                if let article = known.removeValue(forKey: path) {
                    if article.inode == stat.inode && article.size == stat.size && article.mtimeNs == stat.mtimeNs
                        && article.ctimeNs == stat.ctimeNs
                    {
                        continue
                    }
                    modifiedOnDisk.append(path)
                } else {
                    fresh.append((path, stat))
                }
            }
            // Files are read, hashed and decoded a window ahead on a second thread (Prefetcher).
            let ahead = Prefetcher(
                paths: (modifiedOnDisk + fresh.map(\.0)).map { root.path + "/" + $0 }, maxBytes: config.maxFileBytes)
            defer { ahead.cancel() }
            var index = 0
            for path in modifiedOnDisk {
                try look(at: Key(root: root.path, path: path), prefetched: ahead.take(index))
                index += 1
                if try interrupted() { return }
            }
            var vanishedByInode: [UInt64: String] = [:]
            for (path, article) in known where article.inode != 0 { vanishedByInode[article.inode] = path }
            for (path, stat) in fresh {
                let item = ahead.take(index)
                index += 1
                if let old = vanishedByInode[stat.inode], known[old] != nil,
                    let article = try state.article(root: root.path, path: old),
                    Self.looksRenamed(article, to: root.path + "/" + path, maxBytes: config.maxFileBytes)
                {
                    vanishedByInode[stat.inode] = nil
                    known[old] = nil
                    try moved(from: root.path + "/" + old, to: root.path + "/" + path)
                } else {
                    try look(at: Key(root: root.path, path: path), prefetched: item)
                }
                if try interrupted() { return }
            }
            // Only now, with every file on disk seen, is a missing article really gone.
            for path in known.keys.sorted() { try look(at: Key(root: root.path, path: path)) }
            let changed = recordsWritten + pending.count - startCount
            if let reason {
                emit(
                    FeedRecord(
                        type: .rescan, root: root.path, path: "", reason: reason,
                        detail: ["articles": String(onDisk.count), "records": String(changed)]),
                    [], nil, nil)
            }
            try commit()
        }
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
