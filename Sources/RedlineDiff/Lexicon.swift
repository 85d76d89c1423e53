// Which strings are words of a language: the signal that tells a typo (a non-word fixed into a
// word) from a real-word substitution (a word replaced by another word), which the edit distance
// alone cannot (immortal/immoral, دزس/درس).
//
// The lexicon is built in memory from the text of word lists; reading the files is the caller's
// business (this module does no I/O). Each word is stored as the 64-bit FNV-1a hash of its
// comparison key (every orthographic rule, lower-cased, ’ as '), in one sorted array per script:
// 8 bytes a word, looked up by binary search. Two different words share a hash with a probability
// of about n²/2⁶⁵ (1e-8 for 600,000 words), which at worst makes a non-word look like a word.

import Synchronization

/// The words of each script, from maintained word lists; the classifier's evidence for `real_words`
/// (wording) and `typo_fixed` (spelling).
///
/// A script without words (no list of it loaded) leaves its words to the rules without a lexicon.
public struct Lexicon: Sendable, Equatable {
    /// The scripts a lexicon can cover.
    public enum Script: Int, Sendable, CaseIterable {
        /// Latin letters (English word lists).
        case latin
        /// Arabic-script letters (Persian word lists).
        case arabic
    }

    /// Sorted hashes of the word keys, per script (`Script.rawValue`).
    var tables: [[UInt64]]

    /// A lexicon without words: the classifier behaves as it does without one.
    public static let empty = Lexicon(tables: Array(repeating: [], count: Script.allCases.count))

    /// How many distinct words it holds for `script`.
    public func wordCount(_ script: Script) -> Int { tables[script.rawValue].count }

    /// Whether it holds any word of `script`.
    public func covers(_ script: Script) -> Bool { !tables[script.rawValue].isEmpty }

    /// Bytes its tables take (8 a word).
    public var byteCount: Int { tables.reduce(0) { $0 + $1.count * 8 } }

    /// Whether `word` (any spelling the comparison key folds: ZWNJ or not, Arabic or Persian letters,
    /// letter case) is a word of its script.
    public func contains(_ word: String) -> Bool {
        var key: [UInt32] = []
        for v in word.unicodeScalars { OrthographicKey.append(v.value, rules: .all, to: &key) }
        guard let script = Lexicon.normalise(&key) else { return false }
        return contains(key: key, script)
    }

    /// Whether the normalised key of a word is in the table of `script`.
    func contains(key: [UInt32], _ script: Script) -> Bool {
        let table = tables[script.rawValue]
        let h = Lexicon.hash(key)
        var low = 0
        var high = table.count
        while low < high {
            let mid = (low + high) / 2
            if table[mid] < h { low = mid + 1 } else { high = mid }
        }
        return low < table.count && table[low] == h
    }

    /// Lower-cases a key in place (and writes the typographic apostrophe as `'`); returns its script,
    /// or nil when it mixes scripts or has letters of none the lexicon covers. Lists and texts go
    /// through this one function, so a word and its entry always get the same key.
    static func normalise(_ key: inout [UInt32]) -> Script? {
        var script: Script?
        for k in key.indices {
            var v = key[k]
            let s: Script
            if v < 0x80 {
                if v >= 0x41 && v <= 0x5A {
                    v += 0x20
                    key[k] = v
                }
                if v >= 0x61 && v <= 0x7A {
                    s = .latin
                } else if v == 0x27 || v == 0x2D {
                    continue
                } else {
                    return nil
                }
            } else if Scalars.isArabicScript(v) {
                s = .arabic
            } else if v == 0x2019 {
                key[k] = 0x27
                continue
            } else if (0xC0...0x24F).contains(v), v != 0xD7, v != 0xF7 {
                // Latin-1 and Latin Extended: é, ß, ł; upper case folded one scalar at a time.
                if let u = Unicode.Scalar(v), u.properties.isUppercase {
                    let lower = u.properties.lowercaseMapping.unicodeScalars
                    if lower.count == 1, let first = lower.first { key[k] = first.value }
                }
                s = .latin
            } else {
                return nil
            }
            if let script, script != s { return nil }
            script = s
        }
        return script
    }

    /// A normalised copy of a key, with its script.
    static func normalised(_ key: [UInt32]) -> (key: [UInt32], script: Script?) {
        var key = key
        let script = normalise(&key)
        return (key, script)
    }

    /// A 64-bit hash of the scalars of a key: FNV-1a over whole scalars, then a final mix
    /// (MurmurHash3's fmix64) so that every bit depends on every scalar.
    static func hash(_ key: [UInt32]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in key { h = (h ^ UInt64(v)) &* 0x0000_0100_0000_01B3 }
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// Collects words, then sorts them into a ``Lexicon``.
    public struct Builder {
        var tables: [[UInt64]] = Array(repeating: [], count: Script.allCases.count)
        var key: [UInt32] = []

        /// An empty builder.
        public init() {}

        /// Adds one word (UTF-8 bytes); words in no covered script, or with digits, are skipped.
        public mutating func add(word: UnsafeBufferPointer<UInt8>) {
            key.removeAll(keepingCapacity: true)
            var i = 0
            while i < word.count {
                let (v, l) = Scalars.decode(word, i)
                if Builder.keyIsItself(v) { key.append(v) } else { OrthographicKey.append(v, rules: .all, to: &key) }
                i += l
            }
            guard let script = Lexicon.normalise(&key) else { return }
            tables[script.rawValue].append(Lexicon.hash(key))
        }

        /// Scalars the comparison key keeps as they are: ASCII and the common Persian letters. Lists
        /// are mostly made of these, and skipping the key's rules for them halves the load time.
        @inline(__always)
        static func keyIsItself(_ v: UInt32) -> Bool {
            switch v {
            case 0...0x7F, 0x0622, 0x0627, 0x0628, 0x062A...0x063A, 0x0641, 0x0642, 0x0644...0x0648, 0x067E, 0x0686,
                0x0698, 0x06A9, 0x06AF, 0x06CC:
                true
            default: false
            }
        }

        /// Adds every word of a list, one a line: plain lists (`/usr/share/dict/*`) and hunspell
        /// `.dic` files (a first line with the word count; affix flags after `/` are ignored: the
        /// stem alone is added).
        public mutating func add(lines text: UnsafeBufferPointer<UInt8>) {
            var start = 0
            var first = true
            while start < text.count {
                var end = start
                while end < text.count, text[end] != 0x0A { end += 1 }
                var stop = start
                while stop < end, text[stop] != 0x2F, text[stop] != 0x09, text[stop] != 0x0D, text[stop] != 0x20 {
                    stop += 1
                }
                let isCount = first && stop > start && text[start..<stop].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                if !isCount, stop > start {
                    add(word: UnsafeBufferPointer(rebasing: text[start..<stop]))
                }
                first = false
                start = end + 1
            }
        }

        /// The lexicon: each table sorted, duplicates removed.
        public func build() -> Lexicon {
            Lexicon(
                tables: tables.map { table in
                    var sorted = Lexicon.radixSorted(table)
                    var out = 0
                    for i in sorted.indices where i == 0 || sorted[i] != sorted[out - 1] {
                        sorted[out] = sorted[i]
                        out += 1
                    }
                    sorted.removeLast(sorted.count - out)
                    return sorted
                })
        }
    }
}

extension Lexicon {
    /// `values` sorted: least significant digit radix sort, 8 passes of 8 bits (a few times faster
    /// than a comparison sort for the 300,000 hashes of a Persian list).
    static func radixSorted(_ values: [UInt64]) -> [UInt64] {
        var a = values
        var b = [UInt64](repeating: 0, count: values.count)
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                var src = pa
                var dst = pb
                var counts = [Int](repeating: 0, count: 256)
                for pass in 0..<8 {
                    let shift = UInt64(pass * 8)
                    for k in 0..<256 { counts[k] = 0 }
                    for v in src { counts[Int((v >> shift) & 0xFF)] += 1 }
                    var total = 0
                    for k in 0..<256 {
                        let c = counts[k]
                        counts[k] = total
                        total += c
                    }
                    for v in src {
                        let d = Int((v >> shift) & 0xFF)
                        dst[counts[d]] = v
                        counts[d] += 1
                    }
                    swap(&src, &dst)
                }
            }
        }
        // An even number of passes leaves the result back in `a`.
        return a
    }
}

/// A lexicon built the first time a diff needs one, then shared: a diff whose texts are equal, or
/// whose changes are all whitespace and punctuation, never pays for loading the word lists.
public final class LazyLexicon: Sendable {
    private let state: Mutex<Lexicon?> = Mutex(nil)
    private let load: @Sendable () -> Lexicon

    /// A lexicon that `load` builds on first use (once, whichever thread asks first).
    public init(_ load: @escaping @Sendable () -> Lexicon) { self.load = load }

    /// An already built lexicon.
    public convenience init(_ lexicon: Lexicon) { self.init { lexicon } }

    /// The lexicon, built now if it was not yet.
    public var value: Lexicon {
        state.withLock { state in
            if let state { return state }
            let built = load()
            state = built
            return built
        }
    }

    /// Whether it has been built.
    public var isLoaded: Bool { state.withLock { $0 != nil } }
}

extension Lexicon {
    /// Changes whenever the comparison key of some letter changes (the orthographic rules, the generated
    /// tables, case folding), so a compiled lexicon of an older key is never taken for a current one.
    public static let keyFingerprint: UInt64 = {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let probes: [ClosedRange<UInt32>] = [
            0x20...0x24F, 0x600...0x6FF, 0x750...0x77F, 0x200C...0x2019, 0xFB50...0xFEFC,
        ]
        for range in probes {
            for v in range {
                var key: [UInt32] = []
                OrthographicKey.append(v, rules: .all, to: &key)
                let script = normalise(&key)
                h = (h ^ UInt64(script.map { $0.rawValue + 1 } ?? 0)) &* 0x0000_0100_0000_01B3
                for k in key { h = (h ^ UInt64(k)) &* 0x0000_0100_0000_01B3 }
                h = (h ^ 0xFFFF_FFFF) &* 0x0000_0100_0000_01B3
            }
        }
        return h
    }()

    private static let magic = Array("redline-lexicon\u{1}".utf8)

    /// The compiled form: a header (magic, ``keyFingerprint``, one count per script), then each sorted
    /// table as little-endian 64-bit hashes. Loading it is a copy, with no sorting and no key folding.
    public func compiled() -> [UInt8] {
        var out = Lexicon.magic
        func put(_ v: UInt64) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        put(Lexicon.keyFingerprint)
        put(UInt64(tables.count))
        for table in tables { put(UInt64(table.count)) }
        out.reserveCapacity(out.count + byteCount)
        for table in tables { for v in table { put(v) } }
        return out
    }

    /// A lexicon from its ``compiled()`` form; nil when the bytes are not one, are cut short, or were
    /// compiled for another comparison key.
    public init?(compiled bytes: [UInt8]) {
        let header = Lexicon.magic.count
        guard bytes.count >= header + 16, Array(bytes[0..<header]) == Lexicon.magic else { return nil }
        func get(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        guard get(header) == Lexicon.keyFingerprint, get(header + 8) == UInt64(Script.allCases.count) else {
            return nil
        }
        var offset = header + 16
        guard bytes.count >= offset + 8 * Script.allCases.count else { return nil }
        let counts = (0..<Script.allCases.count).map { Int(get(offset + 8 * $0)) }
        offset += 8 * counts.count
        guard bytes.count == offset + 8 * counts.reduce(0, +) else { return nil }
        var tables: [[UInt64]] = []
        for count in counts {
            var table = [UInt64](repeating: 0, count: count)
            table.withUnsafeMutableBytes { raw in
                bytes.withUnsafeBytes { src in
                    raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + 8 * count)]))
                }
            }
            // Stored little-endian, as this machine reads it.
            if UInt64(1).littleEndian != 1 { table = table.map { UInt64(littleEndian: $0) } }
            guard zip(table, table.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
            tables.append(table)
            offset += 8 * count
        }
        self.init(tables: tables)
    }
}
