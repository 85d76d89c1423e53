// The diff pipeline over the UTF-8 bytes of both texts:
// tokenize -> intern -> split paragraphs -> match paragraphs (exact, whitespace-insensitive,
// orthographic key, similarity, then split/merge extension) -> moves (LIS) -> token diff inside
// each matched unit -> classify hunks -> changes, summary and patch.

/// One text being compared.
///
/// Paragraphs are found on the bytes; only paragraphs that are not byte-identical to one on the
/// other side are ever tokenized, so a near-identical text costs one scan and one hash per paragraph.
struct Side {
    let p: UnsafeBufferPointer<UInt8>
    /// Byte ranges of the paragraphs (first to last non-whitespace scalar).
    var paragraphs: [Range<Int>] = []
    /// Tokens of every tokenized block, blocks in the order they were tokenized.
    var tokens: [Token] = []
    var ids: [Int32] = []
    /// Token range of each paragraph once tokenized.
    var paragraphTokens: [Range<Int>?] = []

    init(_ p: UnsafeBufferPointer<UInt8>) {
        self.p = p
        splitParagraphs()
        paragraphTokens = Array(repeating: nil, count: paragraphs.count)
    }

    /// Byte range of a token range (an empty range gives an empty byte range).
    func byteRange(_ r: Range<Int>) -> Range<Int> {
        r.isEmpty ? 0..<0 : tokens[r.lowerBound].start..<tokens[r.upperBound - 1].end
    }

    /// Byte range of a token range inside a block; an empty range sits between its neighbours.
    func byteRange(_ r: Range<Int>, in block: Range<Int>) -> Range<Int> {
        if !r.isEmpty { return byteRange(r) }
        let at = r.lowerBound > block.lowerBound ? tokens[r.lowerBound - 1].end : tokens[block.lowerBound].start
        return at..<at
    }

    func text(_ bytes: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[bytes]), as: UTF8.self)
    }

    /// Whether a whitespace token separates paragraphs: two line breaks (LF, CRLF, lone CR,
    /// U+2028, U+0085), or a U+2029 paragraph separator.
    func isSeparator(_ t: Token) -> Bool {
        guard t.kind == .whitespace else { return false }
        var breaks = 0
        var i = t.start
        while i < t.end {
            let (v, l) = Scalars.decode(p, i)
            switch v {
            case 0x0A, 0x2028, 0x85: breaks += 1
            case 0x0D: if !(i + 1 < t.end && p[i + 1] == 0x0A) { breaks += 1 }
            case 0x2029: breaks += 2
            default: break
            }
            i += l
        }
        return breaks >= 2
    }

    /// Whether any byte of `w` is below 0x20, 0x7F, 0xC2 or 0xE1-0xE3 (exact, SWAR).
    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & high }
        let below = (w &- ones &* 0x20) & ~w & high
        return
            (below | zero(w ^ (ones &* 0x7F)) | zero(w ^ (ones &* 0xC2)) | zero(w ^ (ones &* 0xE1))
            | zero(w ^ (ones &* 0xE2)) | zero(w ^ (ones &* 0xE3))) != 0
    }

    /// Paragraphs: maximal runs of text between whitespace runs holding a blank line.
    mutating func splitParagraphs() {
        let n = p.count
        var i = 0
        var start = -1
        var lastEnd = -1
        var breaks = 0
        while i < n {
            let b = p[i]
            // Fast path: from a non-space byte, a run of bytes that are ASCII spaces or can only
            // belong to non-space scalars (anything from 0x20 up except DEL and the lead bytes of
            // the few non-ASCII spaces), eight at a time; trailing ASCII spaces are given back.
            if b > 0x20, b != 0x7F, b != 0xC2, b < 0xE1 || b > 0xE3 {
                if start >= 0, breaks >= 2 {
                    paragraphs.append(start..<lastEnd)
                    start = -1
                }
                if start < 0 { start = i }
                i += 1
                if let base = p.baseAddress {
                    while i + 8 <= n {
                        if Self.hasSpecialByte(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) { break }
                        i += 8
                    }
                }
                while i < n {
                    let c = p[i]
                    if c < 0x20 || c == 0x7F || c == 0xC2 || (c >= 0xE1 && c <= 0xE3) { break }
                    i += 1
                }
                var end = i
                while p[end - 1] == 0x20 { end -= 1 }
                lastEnd = end
                breaks = 0
                continue
            }
            var length = 1
            if b < 0x80 {
                switch b {
                case 0x20, 0x09, 0x0B, 0x0C:
                    i += 1
                    continue
                case 0x0A:
                    breaks += 1
                    i += 1
                    continue
                case 0x0D:
                    if !(i + 1 < n && p[i + 1] == 0x0A) { breaks += 1 }
                    i += 1
                    continue
                default: break
                }
            } else {
                // Only a few non-ASCII scalars are spaces; Arabic-script lead bytes (D8-DB) never are.
                let lead = b
                length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                if lead == 0xC2 || lead == 0xE1 || lead == 0xE2 || lead == 0xE3 {
                    let (v, _) = Scalars.decode(p, i)
                    switch v {
                    case 0x2029:
                        breaks += 2
                        i += length
                        continue
                    case 0x2028, 0x85:
                        breaks += 1
                        i += length
                        continue
                    case 0xA0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000:
                        i += length
                        continue
                    default: break
                    }
                }
            }
            if start >= 0, breaks >= 2 {
                paragraphs.append(start..<lastEnd)
                start = -1
            }
            if start < 0 { start = i }
            i += length
            lastEnd = i
            breaks = 0
        }
        if start >= 0 { paragraphs.append(start..<lastEnd) }
    }

    /// The paragraph index containing byte `offset`, searched among `candidates` (ascending).
    func paragraph(containingByte offset: Int, in candidates: ClosedRange<Int>) -> Int {
        for i in candidates where offset <= paragraphs[i].upperBound { return i }
        return candidates.upperBound
    }
}

/// A matched group: old paragraphs `old` correspond to new paragraphs `new` (1:1, split or merge).
struct Unit {
    var old: ClosedRange<Int>
    var new: ClosedRange<Int>
    var moved = false
    /// Token blocks of the group's spans, once tokenized.
    var oldTokens: Range<Int> = 0..<0
    var newTokens: Range<Int> = 0..<0
}

/// A token-level hunk inside a unit: old tokens `a`, new tokens `b`.
struct Hunk {
    var unit: Int
    var a: Range<Int>
    var b: Range<Int>
    var changeClass: ChangeClass = .wording
    var rule: String?
    var oldKey: String?
    var newKey: String?
    var spelling: SpellingVerdict = .no
}

/// Keys of tokens under all rules, computed once per distinct token (shared by reference so
/// that read-only classification code can fill it).
final class KeyCache {
    var start: [Int32] = []
    var end: [Int32] = []
    var pool: [UInt32] = []
}

struct Engine {
    var old: Side
    var new: Side
    var interner: Interner
    let keyCache = KeyCache()
    /// Lazily computed match key id per token id (-1: not computed, -2: excluded).
    var matchKeyOfId: [Int32] = []
    var matchKeys: [String: Int32] = [:]
    var units: [Unit] = []
    var oldUnit: [Int]
    var newUnit: [Int]

    init(o: UnsafeBufferPointer<UInt8>, n: UnsafeBufferPointer<UInt8>) {
        old = Side(o)
        new = Side(n)
        interner = Interner(capacity: 1024)
        oldUnit = Array(repeating: -1, count: old.paragraphs.count)
        newUnit = Array(repeating: -1, count: new.paragraphs.count)
    }

    /// Tokenizes a byte range of one side as a new block; returns its token range.
    mutating func tokenizeBlock(_ side: Int, _ bytes: Range<Int>) -> Range<Int> {
        let texts = (old.p, new.p)
        if side == 0 {
            let first = old.tokens.count
            Tokenizer.tokenize(old.p, bytes.lowerBound, bytes.upperBound, into: &old.tokens)
            for t in first..<old.tokens.count {
                old.ids.append(interner.id(texts, side: 0, old.tokens[t].start, old.tokens[t].end))
            }
            return first..<old.tokens.count
        } else {
            let first = new.tokens.count
            Tokenizer.tokenize(new.p, bytes.lowerBound, bytes.upperBound, into: &new.tokens)
            for t in first..<new.tokens.count {
                new.ids.append(interner.id(texts, side: 1, new.tokens[t].start, new.tokens[t].end))
            }
            return first..<new.tokens.count
        }
    }

    /// The token range of one paragraph, tokenizing it on first use.
    mutating func paragraphTokens(_ side: Int, _ i: Int) -> Range<Int> {
        if let r = side == 0 ? old.paragraphTokens[i] : new.paragraphTokens[i] { return r }
        let r = tokenizeBlock(side, side == 0 ? old.paragraphs[i] : new.paragraphs[i])
        if side == 0 { old.paragraphTokens[i] = r } else { new.paragraphTokens[i] = r }
        return r
    }

    /// The token block of a group of consecutive paragraphs (the span between them included).
    mutating func spanTokens(_ side: Int, _ paragraphs: ClosedRange<Int>) -> Range<Int> {
        if paragraphs.count == 1 { return paragraphTokens(side, paragraphs.lowerBound) }
        let ps = side == 0 ? old.paragraphs : new.paragraphs
        return tokenizeBlock(side, ps[paragraphs.lowerBound].lowerBound..<ps[paragraphs.upperBound].upperBound)
    }

    // MARK: Match keys

    /// Lower-cased orthographic key id of a token id, or -2 for whitespace and punctuation.
    mutating func matchKey(ofId id: Int32) -> Int32 {
        if matchKeyOfId.count < interner.representatives.count {
            matchKeyOfId.append(
                contentsOf: repeatElement(-1, count: interner.representatives.count - matchKeyOfId.count))
        }
        let cached = matchKeyOfId[Int(id)]
        if cached != -1 { return cached }
        let r = interner.representatives[Int(id)]
        let side = r.side == 0 ? old : new
        let kind = tokenKind(side, r.start)
        var result: Int32 = -2
        if kind != .whitespace && kind != .punctuation {
            var scalars: [UInt32] = []
            OrthographicKey.append(side.p, r.start, r.end, rules: .all, to: &scalars)
            let key = OrthographicKey.string(scalars).lowercased()
            if let k = matchKeys[key] {
                result = k
            } else {
                result = Int32(matchKeys.count)
                matchKeys[key] = result
            }
        }
        matchKeyOfId[Int(id)] = result
        return result
    }

    func tokenKind(_ side: Side, _ byteStart: Int) -> TokenKind {
        let (v, _) = Scalars.decode(side.p, byteStart)
        switch Scalars.classify(v) {
        case .space: return .whitespace
        case .letter: return .word
        case .digit: return .number
        case .punct: return .punctuation
        case .symbol: return .symbol
        }
    }

    /// Sorted distinct match keys of a paragraph range.
    mutating func keySet(_ side: Int, _ paragraphs: ClosedRange<Int>) -> [Int32] {
        var keys: [Int32] = []
        for i in paragraphs {
            let range = paragraphTokens(side, i)
            for t in range {
                let id = side == 0 ? old.ids[t] : new.ids[t]
                let k = matchKey(ofId: id)
                if k >= 0 { keys.append(k) }
            }
        }
        keys.sort()
        var out: [Int32] = []
        out.reserveCapacity(keys.count)
        for k in keys where out.last != k { out.append(k) }
        return out
    }

    /// Sorted distinct ids of a paragraph's word, number and symbol tokens.
    mutating func idSet(_ side: Int, _ i: Int) -> [Int32] {
        let range = paragraphTokens(side, i)
        let s = side == 0 ? old : new
        var ids: [Int32] = []
        ids.reserveCapacity(range.count / 2)
        for t in range {
            let kind = s.tokens[t].kind
            if kind != .whitespace && kind != .punctuation { ids.append(s.ids[t]) }
        }
        ids.sort()
        var out: [Int32] = []
        out.reserveCapacity(ids.count)
        for k in ids where out.last != k { out.append(k) }
        return out
    }

    static func common(_ a: [Int32], _ b: [Int32]) -> Int {
        var i = 0
        var j = 0
        var c = 0
        while i < a.count, j < b.count {
            if a[i] == b[j] {
                c += 1
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return c
    }

    // MARK: Paragraph matching

    func exactHash(_ side: Side, _ i: Int) -> UInt64 {
        let b = side.paragraphs[i]
        return Self.fastHash(side.p, b.lowerBound, b.upperBound)
    }

    /// A fast 64-bit hash of a byte range, eight bytes per step (only pairs candidates: a
    /// collision pairs two different paragraphs, which are then diffed like any edited pair).
    static func fastHash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(end - start)
        guard let base = p.baseAddress else { return h }
        var i = start
        while i + 8 <= end {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < end {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    /// Hash of a paragraph's non-whitespace token ids (equal for a re-wrapped paragraph).
    mutating func wordsHash(_ side: Int, _ i: Int) -> UInt64 {
        let r = paragraphTokens(side, i)
        let s = side == 0 ? old : new
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in r where s.tokens[t].kind != .whitespace {
            h = (h ^ UInt64(UInt32(bitPattern: s.ids[t]))) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    mutating func keyHash(_ side: Int, _ i: Int) -> UInt64 {
        let r = paragraphTokens(side, i)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in r {
            let k = matchKey(ofId: side == 0 ? old.ids[t] : new.ids[t])
            if k >= 0 { h = (h ^ UInt64(UInt32(bitPattern: k))) &* 0x0000_0100_0000_01b3 }
        }
        return h
    }

    mutating func pair(_ i: Int, _ j: Int) {
        oldUnit[i] = units.count
        newUnit[j] = units.count
        units.append(Unit(old: i...i, new: j...j))
    }

    /// Pairs unmatched paragraphs with equal hashes, in order of appearance.
    mutating func matchByHash(_ oldHash: [UInt64?], _ newHash: [UInt64?]) {
        var buckets: [UInt64: [Int]] = [:]
        for i in oldHash.indices.reversed() where oldUnit[i] == -1 {
            if let h = oldHash[i] { buckets[h, default: []].append(i) }
        }
        for j in newHash.indices where newUnit[j] == -1 {
            guard let h = newHash[j], var list = buckets[h], let i = list.popLast() else { continue }
            buckets[h] = list
            // Skip candidates already taken (cannot happen within one pass, kept for safety).
            if oldUnit[i] == -1 { pair(i, j) }
        }
    }

    mutating func matchParagraphs() {
        let oldCount = old.paragraphs.count
        let newCount = new.paragraphs.count
        matchByHash(
            (0..<oldCount).map { exactHash(old, $0) },
            (0..<newCount).map { exactHash(new, $0) })
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        var oh: [UInt64?] = []
        for i in 0..<oldCount { oh.append(oldUnit[i] == -1 ? wordsHash(0, i) : nil) }
        var nh: [UInt64?] = []
        for j in 0..<newCount { nh.append(newUnit[j] == -1 ? wordsHash(1, j) : nil) }
        matchByHash(oh, nh)
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        // Edited paragraphs that stayed in place, by their exact words (no keys needed yet).
        matchBySlot(lenient: false, exact: true)
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        oh = []
        for i in 0..<oldCount { oh.append(oldUnit[i] == -1 ? keyHash(0, i) : nil) }
        nh = []
        for j in 0..<newCount { nh.append(newUnit[j] == -1 ? keyHash(1, j) : nil) }
        matchByHash(oh, nh)
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        matchBySlot(lenient: false)
        matchBySimilarity()
        matchBySlot(lenient: true)
        extendSplitsAndMerges()
    }

    /// Pairs the remaining paragraphs whose word sets are similar (Dice >= 0.45), best first.
    mutating func matchBySimilarity() {
        let oldFree = old.paragraphs.indices.filter { oldUnit[$0] == -1 }
        let newFree = new.paragraphs.indices.filter { newUnit[$0] == -1 }
        var oldSets: [Int: [Int32]] = [:]
        var postings: [Int32: [Int]] = [:]
        for i in oldFree {
            let s = keySet(0, i...i)
            oldSets[i] = s
            for k in s { postings[k, default: []].append(i) }
        }
        // Words in many paragraphs (function words) do not find candidates; they still count in the score.
        let cap = max(8, oldFree.count / 4)
        var mark = [Int](repeating: -1, count: old.paragraphs.count)
        var candidates: [(num: Int, den: Int, distance: Int, i: Int, j: Int)] = []
        for j in newFree {
            let s = keySet(1, j...j)
            if s.isEmpty { continue }
            var seen: [Int] = []
            for k in s {
                guard let list = postings[k], list.count <= cap else { continue }
                for i in list where mark[i] != j {
                    mark[i] = j
                    seen.append(i)
                }
            }
            for i in seen {
                let a = oldSets[i]!
                let c = Self.common(a, s)
                let num = 2 * c
                let den = a.count + s.count
                if num * 100 >= 45 * den { candidates.append((num, den, abs(i - j), i, j)) }
            }
        }
        candidates.sort {
            let l = $0.num * $1.den
            let r = $1.num * $0.den
            if l != r { return l > r }
            if $0.distance != $1.distance { return $0.distance < $1.distance }
            if $0.i != $1.i { return $0.i < $1.i }
            return $0.j < $1.j
        }
        for c in candidates where oldUnit[c.i] == -1 && newUnit[c.j] == -1 { pair(c.i, c.j) }
    }

    /// Pairs, in order, the unmatched paragraphs left in the same slot between two matched
    /// neighbours when both sides have as many. First strictly (Dice >= 0.45: an edited paragraph
    /// that stayed in place, found without comparing it to every other paragraph), then, after
    /// the global similarity pass, leniently: a short paragraph whose words were respelled or
    /// reworded is still that paragraph (Dice >= 0.25, or both have at most 8 distinct words).
    mutating func matchBySlot(lenient: Bool, exact: Bool = false) {
        var i = 0
        let oldCount = old.paragraphs.count
        let newCount = new.paragraphs.count
        while i < oldCount {
            if oldUnit[i] >= 0 {
                i += 1
                continue
            }
            let first = i
            while i < oldCount, oldUnit[i] == -1 { i += 1 }
            let oldGap = Array(first..<i)
            let prevNew = first > 0 ? units[oldUnit[first - 1]].new.upperBound : -1
            let nextNew = i < oldCount ? units[oldUnit[i]].new.lowerBound : newCount
            guard prevNew < nextNew else { continue }
            let newGap = ((prevNew + 1)..<nextNew).filter { newUnit[$0] == -1 }
            guard newGap.count == oldGap.count, newGap.count == nextNew - prevNew - 1 else { continue }
            for (a, b) in zip(oldGap, newGap) {
                let sa = exact ? idSet(0, a) : keySet(0, a...a)
                let sb = exact ? idSet(1, b) : keySet(1, b...b)
                let c = Self.common(sa, sb)
                if lenient {
                    if c * 2 * 100 >= 25 * (sa.count + sb.count) || (sa.count <= 8 && sb.count <= 8) { pair(a, b) }
                } else if c * 2 * 100 >= 45 * (sa.count + sb.count) {
                    pair(a, b)
                }
            }
        }
    }

    /// Grows matched units over adjacent unmatched paragraphs that are a split or merge of them:
    /// the paragraph's words are mostly (>= 60%) in the other side and the unit's similarity rises.
    mutating func extendSplitsAndMerges() {
        var changed = true
        while changed {
            changed = false
            for j in new.paragraphs.indices where newUnit[j] == -1 {
                for nb in [j - 1, j + 1] where nb >= 0 && nb < new.paragraphs.count && newUnit[nb] >= 0 {
                    let u = newUnit[nb]
                    if units[u].old.count > 1 { continue }
                    let oldSet = keySet(0, units[u].old)
                    let newSet = keySet(1, units[u].new)
                    let extra = keySet(1, j...j)
                    if extra.isEmpty { continue }
                    let grown = keySet(1, min(j, units[u].new.lowerBound)...max(j, units[u].new.upperBound))
                    let contained = Self.common(extra, oldSet)
                    let before = Self.common(oldSet, newSet)
                    let after = Self.common(oldSet, grown)
                    // Dice after > Dice before, compared without division.
                    let rises = 2 * after * (oldSet.count + newSet.count) > 2 * before * (oldSet.count + grown.count)
                    if contained * 10 >= extra.count * 6, rises {
                        units[u].new = min(j, units[u].new.lowerBound)...max(j, units[u].new.upperBound)
                        newUnit[j] = u
                        changed = true
                        break
                    }
                }
            }
            for i in old.paragraphs.indices where oldUnit[i] == -1 {
                for nb in [i - 1, i + 1] where nb >= 0 && nb < old.paragraphs.count && oldUnit[nb] >= 0 {
                    let u = oldUnit[nb]
                    if units[u].new.count > 1 { continue }
                    let oldSet = keySet(0, units[u].old)
                    let newSet = keySet(1, units[u].new)
                    let extra = keySet(0, i...i)
                    if extra.isEmpty { continue }
                    let grown = keySet(0, min(i, units[u].old.lowerBound)...max(i, units[u].old.upperBound))
                    let contained = Self.common(extra, newSet)
                    let before = Self.common(oldSet, newSet)
                    let after = Self.common(grown, newSet)
                    let rises = 2 * after * (oldSet.count + newSet.count) > 2 * before * (grown.count + newSet.count)
                    if contained * 10 >= extra.count * 6, rises {
                        units[u].old = min(i, units[u].old.lowerBound)...max(i, units[u].old.upperBound)
                        oldUnit[i] = u
                        changed = true
                        break
                    }
                }
            }
        }
    }

    /// Marks as moved the units outside a longest increasing subsequence of new positions
    /// (units taken in old order): the fewest paragraphs that must have moved.
    mutating func markMoves() {
        let order = units.indices.sorted { units[$0].old.lowerBound < units[$1].old.lowerBound }
        let keys = order.map { units[$0].new.lowerBound }
        var tails: [Int] = []  // index into keys of the smallest tail of each length
        var previous = [Int](repeating: -1, count: keys.count)
        for (x, key) in keys.enumerated() {
            var lo = 0
            var hi = tails.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[tails[mid]] < key { lo = mid + 1 } else { hi = mid }
            }
            if lo > 0 { previous[x] = tails[lo - 1] }
            if lo == tails.count { tails.append(x) } else { tails[lo] = x }
        }
        var inLIS = [Bool](repeating: false, count: keys.count)
        var x = tails.last ?? -1
        while x >= 0 {
            inLIS[x] = true
            x = previous[x]
        }
        for (position, u) in order.enumerated() where !inLIS[position] { units[u].moved = true }
    }
}
