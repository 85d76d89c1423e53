// How many articles of the archive use each word: the newsroom's own evidence of which strings are
// words. Names (ویتکاف, ترمپ) are in no word list, but a name the desk writes in dozens of articles is
// a word of that archive, and a form of it that only one article has is most likely a slip.
//
// The counts are document frequencies over the word keys the lexicon uses (every orthographic rule,
// lower-cased, hashed): a word counts once per article however often the article repeats it. The
// caller keeps them current (the daemon over its watched articles, `redline diff OLD_DIR NEW_DIR` over
// the old tree); this module does no I/O.

import Synchronization

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
        return text.withUTF8 { p in
            var tokens: [Token] = []
            Tokenizer.tokenize(p, 0, p.count, into: &tokens)
            var hashes: [UInt64] = []
            hashes.reserveCapacity(tokens.count / 2)
            var key: [UInt32] = []
            for token in tokens where token.kind == .word {
                key.removeAll(keepingCapacity: true)
                OrthographicKey.append(p, token.start, token.end, rules: .all, to: &key)
                if Lexicon.normalise(&key) != nil { hashes.append(Lexicon.hash(key)) }
            }
            hashes.sort()
            var unique: [UInt64] = []
            unique.reserveCapacity(hashes.count)
            for h in hashes where unique.last != h { unique.append(h) }
            return unique
        }
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
