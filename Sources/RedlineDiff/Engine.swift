// The diff pipeline over the UTF-8 bytes of both texts:
// tokenize -> intern -> split paragraphs -> match paragraphs (exact, whitespace-insensitive,
// orthographic key, similarity, then split/merge extension) -> moves (LIS) -> token diff inside
// each matched unit -> classify hunks -> changes, summary and patch.

/// One text being compared.
struct Side {
    let p: UnsafeBufferPointer<UInt8>
    let tokens: [Token]
    var ids: [Int32] = []
    /// Token index ranges of the paragraphs (first to last non-whitespace token).
    var paragraphs: [Range<Int>] = []

    init(_ p: UnsafeBufferPointer<UInt8>) {
        self.p = p
        tokens = Tokenizer.tokenize(p)
    }

    func byteStart(ofToken t: Int) -> Int { t < tokens.count ? tokens[t].start : p.count }
    func byteRange(_ r: Range<Int>) -> Range<Int> {
        r.isEmpty ? byteStart(ofToken: r.lowerBound)..<byteStart(ofToken: r.lowerBound) : tokens[r.lowerBound].start..<tokens[r.upperBound - 1].end
    }
    func text(_ bytes: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[bytes]), as: UTF8.self)
    }

    /// Whether a whitespace token separates paragraphs: it holds a blank line (two line feeds, or
    /// two lone carriage returns) or a Unicode paragraph separator.
    func isSeparator(_ t: Token) -> Bool {
        guard t.kind == .whitespace else { return false }
        var lf = 0
        var cr = 0
        var i = t.start
        while i < t.end {
            let b = p[i]
            if b == 0x0A { lf += 1 } else if b == 0x0D { cr += 1 } else if b == 0xE2, i + 2 < t.end, p[i + 1] == 0x80,
                p[i + 2] == 0xA9
            {
                return true
            }
            i += 1
        }
        return lf >= 2 || (lf == 0 && cr >= 2)
    }

    mutating func splitParagraphs() {
        var start: Int? = nil
        var lastNonSpace = -1
        for (t, token) in tokens.enumerated() {
            if token.kind == .whitespace {
                if isSeparator(token), let s = start {
                    paragraphs.append(s..<(lastNonSpace + 1))
                    start = nil
                }
            } else {
                if start == nil { start = t }
                lastNonSpace = t
            }
        }
        if let s = start { paragraphs.append(s..<(lastNonSpace + 1)) }
    }

    /// The paragraph index containing token `t`, searched among `candidates` (ascending).
    func paragraph(containing t: Int, in candidates: ClosedRange<Int>) -> Int {
        for i in candidates where t < paragraphs[i].upperBound { return i }
        return candidates.upperBound
    }
}

/// A matched group: old paragraphs `old` correspond to new paragraphs `new` (1:1, split or merge).
struct Unit {
    var old: ClosedRange<Int>
    var new: ClosedRange<Int>
    var moved = false
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

struct Engine {
    var old: Side
    var new: Side
    var interner: Interner
    /// Lazily computed match key id per token id (-1: not computed, -2: excluded).
    var matchKeyOfId: [Int32] = []
    var matchKeys: [String: Int32] = [:]
    var units: [Unit] = []
    var oldUnit: [Int]
    var newUnit: [Int]

    init(o: UnsafeBufferPointer<UInt8>, n: UnsafeBufferPointer<UInt8>) {
        old = Side(o)
        new = Side(n)
        interner = Interner(capacity: (old.tokens.count + new.tokens.count) / 4 + 16)
        var ids: [Int32] = []
        ids.reserveCapacity(old.tokens.count)
        for t in old.tokens { ids.append(interner.id((o, n), side: 0, t.start, t.end)) }
        old.ids = ids
        ids = []
        ids.reserveCapacity(new.tokens.count)
        for t in new.tokens { ids.append(interner.id((o, n), side: 1, t.start, t.end)) }
        new.ids = ids
        old.splitParagraphs()
        new.splitParagraphs()
        oldUnit = Array(repeating: -1, count: old.paragraphs.count)
        newUnit = Array(repeating: -1, count: new.paragraphs.count)
    }

    // MARK: Match keys

    /// Lower-cased orthographic key id of a token id, or -2 for whitespace and punctuation.
    mutating func matchKey(ofId id: Int32) -> Int32 {
        if matchKeyOfId.isEmpty { matchKeyOfId = Array(repeating: -1, count: interner.representatives.count) }
        let cached = matchKeyOfId[Int(id)]
        if cached != -1 { return cached }
        let r = interner.representatives[Int(id)]
        let side = r.side == 0 ? old : new
        let kind = side.tokens.isEmpty ? TokenKind.word : tokenKind(side, r.start)
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
            let range = side == 0 ? old.paragraphs[i] : new.paragraphs[i]
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

    func paragraphHash(_ side: Side, _ i: Int, exact: Bool) -> UInt64 {
        let r = side.paragraphs[i]
        if exact {
            let b = side.byteRange(r)
            return Interner.hash(side.p, b.lowerBound, b.upperBound)
        }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in r where side.tokens[t].kind != .whitespace {
            h = (h ^ UInt64(UInt32(bitPattern: side.ids[t]))) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    mutating func keyHash(_ side: Int, _ i: Int) -> UInt64 {
        let r = side == 0 ? old.paragraphs[i] : new.paragraphs[i]
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
            (0..<oldCount).map { paragraphHash(old, $0, exact: true) },
            (0..<newCount).map { paragraphHash(new, $0, exact: true) })
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        matchByHash(
            (0..<oldCount).map { oldUnit[$0] == -1 ? paragraphHash(old, $0, exact: false) : nil },
            (0..<newCount).map { newUnit[$0] == -1 ? paragraphHash(new, $0, exact: false) : nil })
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        var oh: [UInt64?] = []
        for i in 0..<oldCount { oh.append(oldUnit[i] == -1 ? keyHash(0, i) : nil) }
        var nh: [UInt64?] = []
        for j in 0..<newCount { nh.append(newUnit[j] == -1 ? keyHash(1, j) : nil) }
        matchByHash(oh, nh)
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        matchBySimilarity()
        matchBySlot()
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
        var candidates: [(num: Int, den: Int, distance: Int, i: Int, j: Int)] = []
        for j in newFree {
            let s = keySet(1, j...j)
            if s.isEmpty { continue }
            var seen = Set<Int>()
            for k in s {
                guard let list = postings[k], list.count <= cap else { continue }
                for i in list { seen.insert(i) }
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
    /// neighbours when both sides have as many: a short paragraph whose words were respelled or
    /// reworded is still that paragraph (Dice >= 0.25, or both have at most 8 distinct words).
    mutating func matchBySlot() {
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
                let sa = keySet(0, a...a)
                let sb = keySet(1, b...b)
                let c = Self.common(sa, sb)
                if c * 2 * 100 >= 25 * (sa.count + sb.count) || (sa.count <= 8 && sb.count <= 8) { pair(a, b) }
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
