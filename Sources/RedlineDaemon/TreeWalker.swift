import Logging
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Lists a root's articles with their `lstat` data, without following symlinks out of the tree: from a walk of
/// its own, or from the directory listings of the watcher's first walk (``RootWalk``), which the startup scan
/// reads instead of walking the tree twice.
enum TreeWalker {
    /// Every article under `root` with its `lstat` data, sorted by relative path.
    ///
    /// Directories excluded by the filter are not entered; FIFOs, sockets, devices and symlinks
    /// are skipped; a directory that cannot be opened is logged and skipped.
    static func articles(under root: String, filter: ArticleFilter, logger: Logger) -> [(String, FileStat)] {
        var result: [(String, FileStat)] = []
        walk(under: root, filter: filter, logger: logger) { result.append(($0, $1)) }
        result.sort { $0.0 < $1.0 }
        return result
    }

    /// Calls `body` with every article under `root` and its `lstat` data, in no particular order.
    /// - Parameter below: a directory relative to `root` to walk instead of the whole root ("" for the root); it
    ///   is not walked when the filter excludes one of its components.
    static func walk(
        under root: String, below: String = "", filter: ArticleFilter, logger: Logger,
        _ body: (String, FileStat) -> Void
    ) {
        if !below.isEmpty, below.split(separator: "/").contains(where: { filter.directoryExcluded(String($0)) }) {
            return
        }
        var stack: [String] = [below]
        while let relative = stack.popLast() {
            let directory = relative.isEmpty ? root : root + "/" + relative
            let prefix = relative.isEmpty ? "" : relative + "/"
            let entries: [POSIX.Entry]
            do {
                entries = try POSIX.entries(of: directory) { filter.isArticle(walked: prefix + $0, name: $0) }
            } catch {
                if error.errno != ENOENT {
                    logger.warning(
                        "cannot list \(directory): \(POSIX.describe(errno: error.errno)); its articles are not tracked",
                        metadata: ["article.path": "\(directory)"])
                }
                continue
            }
            for entry in entries {
                switch entry.kind {
                case .directory:
                    if !filter.directoryExcluded(entry.name) { stack.append(prefix + entry.name) }
                case .regular:
                    // Stat'ed by the listing exactly when the filter took it.
                    guard let info = entry.info else { continue }
                    let stat = FileStat(info)
                    if stat.isRegular { body(prefix + entry.name, stat) }
                case .symlink, .other:
                    continue
                }
            }
        }
    }

    /// Calls `body` with the articles among one directory's `entries` and their `lstat` data, taken now.
    /// - Parameter relative: the directory's path relative to its root ("" for the root itself).
    static func articles(
        in relative: String, entries: [POSIX.Entry], root: String, filter: ArticleFilter,
        _ body: (String, FileStat) -> Void
    ) {
        // The watcher lists every directory; the filter's excluded directories and everything below them are
        // not the daemon's.
        if !relative.isEmpty, relative.split(separator: "/").contains(where: { filter.directoryExcluded(String($0)) }) {
            return
        }
        let prefix = relative.isEmpty ? "" : relative + "/"
        let names = entries.lazy.filter { $0.kind == .regular }.map(\.name).filter {
            filter.isArticle(walked: prefix + $0, name: $0)
        }
        let directory = relative.isEmpty ? root : root + "/" + relative
        for (name, info) in POSIX.lstat(Array(names), in: directory) {
            let stat = FileStat(info)
            if stat.isRegular { body(prefix + name, stat) }
        }
    }
}
