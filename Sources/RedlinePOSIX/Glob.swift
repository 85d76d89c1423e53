/// One compiled glob pattern, matched segment by segment: Redline's one glob dialect, for `include` and
/// `exclude` in the config and for `tail --path` and `replay --path` (gitignore-like):
/// - `*` matches any run of characters except `/`, `?` one character, `[abc]`/`[a-z]`/`[!a]` a class;
/// - `**` as a whole segment matches zero or more directories (`**/*.txt` matches `a.txt` and `x/y/a.txt`);
/// - a pattern without `/` matches the file name at any depth (`*.tmp`, `4913`).
public struct Glob: Sendable, Equatable {
    let segments: [[UInt8]]
    /// A pattern without `/` matches a file name at any depth.
    let anyDepth: Bool

    /// Compiles `pattern`.
    public init(_ pattern: String) {
        // `**/x` with no other `/` matches `x` at any depth, the root included: the same as `x` alone, which
        // is matched against the file name only (the startup scan tests every file against it).
        let trimmed = pattern.hasPrefix("**/") ? String(pattern.dropFirst(3)) : pattern
        if !trimmed.contains("/") && !trimmed.isEmpty {
            segments = [Array(trimmed.utf8)]
            anyDepth = true
        } else {
            segments = pattern.split(separator: "/").map { Array($0.utf8) }
            anyDepth = !pattern.contains("/")
        }
    }

    /// Whether the pattern is matched against the file name alone.
    public var matchesNameOnly: Bool { anyDepth }

    /// Whether a file `name` matches a ``matchesNameOnly`` pattern.
    public func matches(name: String) -> Bool {
        var name = name
        return name.withUTF8 { matches(name: $0) }
    }

    /// Whether a file name given as its bytes matches a ``matchesNameOnly`` pattern (the walk tests every file
    /// against every pattern: nothing is allocated).
    public func matches(name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let only = segments.first else { return false }
        return only.withUnsafeBufferPointer { Self.match($0, name) }
    }

    /// Whether the relative `path` matches.
    public func matches(path: String) -> Bool {
        matches(path.split(separator: "/").map(String.init))
    }

    /// Whether a path given as its segments matches.
    public func matches(_ path: [String]) -> Bool {
        if anyDepth, let name = path.last { return matches(name: name) }
        return matchSegments(segments[...], path.map { Array($0.utf8) }[...])
    }

    private func matchSegments(_ pattern: ArraySlice<[UInt8]>, _ path: ArraySlice<[UInt8]>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == Array("**".utf8) {
            let rest = pattern.dropFirst()
            var remaining = path
            while true {
                if matchSegments(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let segment = path.first,
            first.withUnsafeBufferPointer({ p in segment.withUnsafeBufferPointer { Self.match(p, $0) } })
        else { return false }
        return matchSegments(pattern.dropFirst(), path.dropFirst())
    }

    /// Matches one segment with `*`, `?` and `[...]` (bytes; multi-byte UTF-8 names match literally).
    static func match(_ pattern: UnsafeBufferPointer<UInt8>, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < name.count {
            if p < pattern.count {
                let c = pattern[p]
                if c == UInt8(ascii: "*") {
                    starP = p
                    starN = n
                    p += 1
                    continue
                }
                if c == UInt8(ascii: "?") {
                    p += 1
                    n += 1
                    continue
                }
                if c == UInt8(ascii: "["), let (matched, next) = matchClass(pattern, p, name[n]) {
                    if matched {
                        p = next
                        n += 1
                        continue
                    }
                } else if c == name[n] {
                    p += 1
                    n += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// The index just past the `]` closing the class at `start`; nil when it is never closed.
    public static func classEnd(_ pattern: [UInt8], _ start: Int) -> Int? {
        pattern.withUnsafeBufferPointer { matchClass($0, start, 0).map(\.1) }
    }

    /// Matches a `[...]` class at `start`; nil when the bracket is not closed (then it is literal).
    private static func matchClass(_ pattern: UnsafeBufferPointer<UInt8>, _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < pattern.count && (pattern[i] == UInt8(ascii: "!") || pattern[i] == UInt8(ascii: "^")) {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < pattern.count && (first || pattern[i] != UInt8(ascii: "]")) {
            first = false
            if i + 2 < pattern.count && pattern[i + 1] == UInt8(ascii: "-") && pattern[i + 2] != UInt8(ascii: "]") {
                if pattern[i] <= byte && byte <= pattern[i + 2] { matched = true }
                i += 3
            } else {
                if pattern[i] == byte { matched = true }
                i += 1
            }
        }
        guard i < pattern.count else { return nil }
        return (matched != negate, i + 1)
    }
}
