import RedlinePOSIX

/// Decides which files under a root are articles, from include and exclude globs.
///
/// Globs are ``Glob``'s dialect (RedlinePOSIX, the one `tail --path` and `replay --path` use too); a
/// pattern ending in `/` names a directory: everything below a directory of that name is excluded.
public struct ArticleFilter: Sendable, Equatable {
    private let include: [Glob]
    private let exclude: [Glob]
    private let excludedDirectories: [Glob]

    /// Compiles the globs of a root.
    public init(include: [String], exclude: [String]) {
        self.include = include.map(Glob.init)
        self.exclude = exclude.filter { !$0.hasSuffix("/") }.map(Glob.init)
        self.excludedDirectories = exclude.filter { $0.hasSuffix("/") }.map { Glob(String($0.dropLast())) }
    }

    /// Whether the file `name` at `relativePath`, in a directory the walk entered (so no directory on the way
    /// is excluded), is an article. Patterns that look at the name alone, the common case, never split the path.
    /// - Parameter relativePath: only evaluated when a pattern looks at the whole path.
    public func isArticle(walked relativePath: @autoclosure () -> String, name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            func matches(_ glob: Glob) -> Bool {
                glob.matchesNameOnly ? glob.matches(name: bytes) : glob.matches(path: relativePath())
            }
            if exclude.contains(where: matches) { return false }
            return include.contains(where: matches)
        }
    }

    /// Whether the file at `relativePath` is an article.
    public func isArticle(_ relativePath: String) -> Bool {
        let segments = relativePath.split(separator: "/").map(String.init)
        guard !segments.isEmpty else { return false }
        if segments.dropLast().contains(where: { directoryExcluded($0) }) { return false }
        if exclude.contains(where: { $0.matches(segments) }) { return false }
        return include.contains { $0.matches(segments) }
    }

    /// Why `pattern` cannot work as a glob (an unclosed `[` class, nothing but slashes), or nil when it is valid.
    ///
    /// The matcher would take such a pattern literally or match nothing, silently; the config parser refuses it.
    public static func problem(inGlob pattern: String) -> String? {
        let segments = pattern.split(separator: "/")
        guard !segments.isEmpty else { return "an empty pattern matches nothing; remove it" }
        for segment in segments {
            let bytes = Array(segment.utf8)
            var i = 0
            while i < bytes.count {
                guard bytes[i] == UInt8(ascii: "[") else {
                    i += 1
                    continue
                }
                guard let end = Glob.classEnd(bytes, i) else {
                    return "the [ in \"\(segment)\" opens a class that is never closed; close it with ] "
                        + "(a class never spans a /), or write [[] for a literal ["
                }
                i = end
            }
        }
        return nil
    }

    /// Whether a directory with this name (a single path segment) is excluded with all it holds.
    public func directoryExcluded(_ name: String) -> Bool {
        excludedDirectories.contains { $0.matches([name]) }
    }
}
