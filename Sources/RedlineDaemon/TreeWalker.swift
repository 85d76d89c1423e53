import Logging
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Walks a root and lists its articles, without following symlinks out of the tree.
enum TreeWalker {
    /// Every article under `root` with its `lstat` data, sorted by relative path.
    ///
    /// Directories excluded by the filter are not entered; FIFOs, sockets, devices and symlinks
    /// are skipped; a directory that cannot be opened is logged and skipped.
    static func articles(under root: String, filter: ArticleFilter, logger: Logger) -> [(String, FileStat)] {
        var result: [(String, FileStat)] = []
        var stack: [String] = [""]
        while let relative = stack.popLast() {
            let directory = relative.isEmpty ? root : root + "/" + relative
            let entries: [POSIX.Entry]
            do {
                let prefix = relative.isEmpty ? "" : relative + "/"
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
                let path = relative.isEmpty ? entry.name : relative + "/" + entry.name
                switch entry.kind {
                case .directory:
                    if !filter.directoryExcluded(entry.name) { stack.append(path) }
                case .regular:
                    // Stat'ed by the listing exactly when the filter took it.
                    guard let info = entry.info else { continue }
                    let stat = FileStat(info)
                    if stat.isRegular { result.append((path, stat)) }
                case .symlink, .other:
                    continue
                }
            }
        }
        result.sort { $0.0 < $1.0 }
        return result
    }
}
