// How many articles of the archive use each word: the newsroom's own evidence of which strings are
// words. Names (ویتکاف, ترمپ) are in no word list, but a name the desk writes in dozens of articles is
// a word of that archive, and a form of it that only one article has is most likely a slip.
//
// The counts are document frequencies over the word keys the lexicon uses (every orthographic rule,
// lower-cased, hashed): a word counts once per article however often the article repeats it. The
// caller keeps them current (the daemon over its watched articles, `redline diff OLD_DIR NEW_DIR` over
// the old tree); this module does no I/O.

import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Document frequencies of word keys across an archive of articles, shared between the thread that
/// keeps them current and the diffs that consult them.
public final class ArchiveWords: Sendable {
    /// Nil until `load` has run.
    private let table: Mutex<[UInt64: UInt32]?>
    private let load: @Sendable () -> [UInt64: UInt32]

    /// Counts as given (word key hash → number of articles); empty by default.
    public init(counts: [UInt64: UInt32] = [:]) {
        table = Mutex(counts)
        load = { [:] }
    }

    /// Counts that `load` makes the first time a diff consults them (once, whichever thread asks first): a
    /// diff with no change the archive could judge never pays for counting it.
    public init(loading load: @escaping @Sendable () -> [UInt64: UInt32]) {
        table = Mutex(nil)
        self.load = load
    }

    /// Adds one article's words (``words(of:)``) to a table of counts being built.
    public static func count(_ words: [UInt64], into counts: inout [UInt64: UInt32]) {
        for h in words { counts[h, default: 0] += 1 }
    }

    private func withTable<T>(_ body: (inout [UInt64: UInt32]) -> T) -> T {
        table.withLock { table in
            if table == nil { table = load() }
            return body(&table!)
        }
    }

    /// The distinct word keys of `text`, as sorted hashes: what one article adds to the counts.
    public static func words(of text: String) -> [UInt64] {
        var text = text
        return text.withUTF8 { p in words(of: p, [0..<p.count]) }
    }

    /// The distinct word keys of the byte ranges of `p` together, as sorted hashes. No word spans two ranges
    /// when they are lines (a newline always ends a word).
    private static func words(of p: UnsafeBufferPointer<UInt8>, _ ranges: [Range<Int>]) -> [UInt64] {
        var hashes: [UInt64] = []
        var tokens: [Token] = []
        var key: [UInt32] = []
        for range in ranges {
            tokens.removeAll(keepingCapacity: true)
            Tokenizer.tokenize(p, range.lowerBound, range.upperBound, into: &tokens)
            for token in tokens where token.kind == .word {
                key.removeAll(keepingCapacity: true)
                OrthographicKey.append(p, token.start, token.end, rules: .all, to: &key)
                if Lexicon.normalise(&key) != nil { hashes.append(Lexicon.hash(key)) }
            }
        }
        hashes.sort()
        var unique: [UInt64] = []
        unique.reserveCapacity(hashes.count)
        for h in hashes where unique.last != h { unique.append(h) }
        return unique
    }

    /// What an article's change from `old` to `new` does to the counts: the word keys it stops using and those
    /// it starts using, for ``update(removing:adding:)``.
    ///
    /// The same as diffing ``words(of:)`` of both texts, but the lines both texts have are tokenized once, not
    /// twice: a word of a removed line leaves the article only if no kept or added line has it, and a word of an
    /// added line enters it only if no kept or removed line had it. An edit touches a few lines, so this is
    /// about half the work of counting both texts (issue 11: the counting thread's share of a core at
    /// thousands of edits a second).
    public static func change(from old: String, to new: String) -> (removing: [UInt64], adding: [UInt64]) {
        var (old, new) = (old, new)
        return old.withUTF8 { o in new.withUTF8 { n in change(o, n) } }
    }

    private static func change(_ o: UnsafeBufferPointer<UInt8>, _ n: UnsafeBufferPointer<UInt8>) -> (
        removing: [UInt64], adding: [UInt64]
    ) {
        // Lines are compared as bytes, on the buffers: String's hashing and equality normalise Unicode, and its
        // generic views walk byte by byte, either of which made this slower than tokenizing both texts.
        let oldLines = lines(o)
        var unused: [UInt64: [Int]] = [:]
        for (i, line) in oldLines.enumerated() {
            unused[FNV1a.hash(UnsafeBufferPointer(rebasing: o[line])), default: []].append(i)
        }
        var kept: [Range<Int>] = []
        var added: [Range<Int>] = []
        for line in lines(n) {
            let h = FNV1a.hash(UnsafeBufferPointer(rebasing: n[line]))
            let same = unused[h]?.firstIndex { i in
                oldLines[i].count == line.count
                    && memcmp(o.baseAddress! + oldLines[i].lowerBound, n.baseAddress! + line.lowerBound, line.count)
                        == 0
            }
            if let same {
                unused[h]!.remove(at: same)
                kept.append(line)
            } else {
                added.append(line)
            }
        }
        let removed = unused.values.flatMap { $0 }.map { oldLines[$0] }
        if removed.isEmpty && added.isEmpty { return ([], []) }
        let keptWords = words(of: n, kept)
        let removedWords = words(of: o, removed)
        let addedWords = words(of: n, added)
        return (
            subtracting(subtracting(removedWords, keptWords), addedWords),
            subtracting(subtracting(addedWords, keptWords), removedWords)
        )
    }

    /// The non-empty lines of `p`, split on the byte `\n` (a `\r` before it stays, and is no word).
    private static func lines(_ p: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for i in 0..<p.count where p[i] == UInt8(ascii: "\n") {
            if i > start { out.append(start..<i) }
            start = i + 1
        }
        if p.count > start { out.append(start..<p.count) }
        return out
    }

    /// The sorted hashes of `a` that are not in `b` (both sorted, unique).
    private static func subtracting(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        var j = 0
        for h in a {
            while j < b.count && b[j] < h { j += 1 }
            if j == b.count || b[j] != h { out.append(h) }
        }
        return out
    }

    /// One article changed from the words `old` to the words `new` (both from ``words(of:)``; empty for an
    /// article created or deleted): each word only in `old` loses one article, each only in `new` gains one.
    public func update(removing old: [UInt64], adding new: [UInt64]) {
        withTable { counts in
            var i = 0
            var j = 0
            while i < old.count || j < new.count {
                if j == new.count || (i < old.count && old[i] < new[j]) {
                    if let n = counts[old[i]] { counts[old[i]] = n > 1 ? n - 1 : nil }
                    i += 1
                } else if i == old.count || new[j] < old[i] {
                    counts[new[j], default: 0] += 1
                    j += 1
                } else {
                    i += 1
                    j += 1
                }
            }
        }
    }

    /// How many articles use the word whose normalised key is `key`.
    func articles(using key: [UInt32]) -> Int {
        let h = Lexicon.hash(key)
        return withTable { Int($0[h] ?? 0) }
    }

    /// How many distinct words the archive uses.
    public var wordCount: Int { withTable { $0.count } }

    private static let magic = Array("redline-archive\u{1}".utf8)

    /// The counts as bytes: a header (magic, ``Lexicon/keyFingerprint``, the length of `stamp` and its bytes,
    /// the number of words), then each (hash, count) pair in hash order, little-endian.
    /// - Parameter stamp: what the counts are of (the daemon's feed and seq), given back by ``init(compiled:stamp:)``.
    public func compiled(stamp: String) -> [UInt8] {
        let pairs = withTable { $0.sorted { $0.key < $1.key } }
        var out = Self.magic
        func put(_ v: UInt64, _ bytes: Int) {
            for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
        }
        put(Lexicon.keyFingerprint, 8)
        let stampBytes = Array(stamp.utf8)
        put(UInt64(stampBytes.count), 4)
        out += stampBytes
        put(UInt64(pairs.count), 8)
        out.reserveCapacity(out.count + pairs.count * 12)
        for (hash, count) in pairs {
            put(hash, 8)
            put(UInt64(count), 4)
        }
        return out
    }

    /// Counts read back from ``compiled(stamp:)``, when `bytes` are whole, of the current comparison key,
    /// and stamped `stamp`; nil otherwise (the caller then counts again).
    public convenience init?(compiled bytes: [UInt8], stamp: String) {
        guard let counts = Self.decode(compiled: bytes, stamp: stamp) else { return nil }
        self.init(counts: counts)
    }

    /// The counts of ``compiled(stamp:)``, as ``init(compiled:stamp:)`` takes them.
    public static func decode(compiled bytes: [UInt8], stamp: String) -> [UInt64: UInt32]? {
        func get(_ at: Int, _ count: Int) -> UInt64 {
            (0..<count).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        let head = Self.magic.count
        guard bytes.count >= head + 12, bytes.starts(with: Self.magic), get(head, 8) == Lexicon.keyFingerprint
        else { return nil }
        let stampLength = Int(get(head + 8, 4))
        let stampEnd = head + 12 + stampLength
        guard bytes.count >= stampEnd + 8, bytes[(head + 12)..<stampEnd].elementsEqual(stamp.utf8) else { return nil }
        let n = Int(get(stampEnd, 8))
        guard n >= 0, bytes.count == stampEnd + 8 + n * 12 else { return nil }
        var counts: [UInt64: UInt32] = [:]
        counts.reserveCapacity(n)
        var at = stampEnd + 8
        for _ in 0..<n {
            counts[get(at, 8)] = UInt32(truncatingIfNeeded: get(at + 8, 4))
            at += 12
        }
        return counts
    }

    /// Adds counts made apart (``count(_:into:)``) to these.
    public func merge(_ counts: [UInt64: UInt32]) {
        withTable { $0.merge(counts, uniquingKeysWith: +) }
    }
}
