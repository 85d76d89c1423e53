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
            guard let handle = PathName.withCString(directory, { opendir($0) }) else {
                if errno != ENOENT {
                    logger.warning(
                        "cannot list \(directory): \(String(cString: strerror(errno))); its articles are not tracked",
                        metadata: ["article.path": "\(directory)"])
                }
                continue
            }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    PathName.decode(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name == "." || name == ".." { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                guard let stat = ArticleFile.stat(root + "/" + path) else { continue }
                if stat.isDirectory {
                    if !filter.directoryExcluded(name) { stack.append(path) }
                } else if stat.isRegular && filter.isArticle(path) {
                    result.append((path, stat))
                }
            }
        }
        result.sort { $0.0 < $1.0 }
        return result
    }
}
