// Matching paragraphs of the old text to paragraphs of the new one, cheapest evidence first:
// byte-identical, same words (re-wrapped), same words under the orthographic key, in the same slot,
// by word-set similarity, then grown over splits and merges.

extension Engine {
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
        let source = text(r.side)
        let kind = tokenKind(source, r.start)
        var result: Int32 = -2
        if kind != .whitespace && kind != .punctuation {
            var scalars: [UInt32] = []
            OrthographicKey.append(source.p, r.start, r.end, rules: .all, to: &scalars)
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

    func tokenKind(_ text: ComparedText, _ byteStart: Int) -> TokenKind {
        let (v, _) = Scalars.decode(text.p, byteStart)
        switch Scalars.classify(v) {
        case .space: return .whitespace
        case .letter: return .word
        case .digit: return .number
        case .punct: return .punctuation
        case .symbol: return .symbol
        }
    }

    /// Sorted distinct match keys of a paragraph range.
    mutating func keySet(_ side: Side, _ paragraphs: ClosedRange<Int>) -> [Int32] {
        var keys: [Int32] = []
        for i in paragraphs {
            let range = paragraphTokens(side, i)
            let ids = text(side).ids
            for t in range {
                let k = matchKey(ofId: ids[t])
                if k >= 0 { keys.append(k) }
            }
        }
        return Self.sortedDistinct(keys)
    }

    /// Sorted distinct ids of a paragraph's word, number and symbol tokens.
    mutating func idSet(_ side: Side, _ i: Int) -> [Int32] {
        let range = paragraphTokens(side, i)
        let s = text(side)
        var ids: [Int32] = []
        ids.reserveCapacity(range.count / 2)
        for t in range {
            let kind = s.tokens[t].kind
            if kind != .whitespace && kind != .punctuation { ids.append(s.ids[t]) }
        }
        return Self.sortedDistinct(ids)
    }

    /// `values` sorted, each once.
    static func sortedDistinct(_ values: [Int32]) -> [Int32] {
        let sorted = values.sorted()
        var out: [Int32] = []
        out.reserveCapacity(sorted.count)
        for k in sorted where out.last != k { out.append(k) }
        return out
    }

    /// How many values two sorted distinct arrays share.
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

    func exactHash(_ text: ComparedText, _ i: Int) -> UInt64 {
        let b = text.paragraphs[i]
        return Self.fastHash(text.p, b.lowerBound, b.upperBound)
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
    mutating func wordsHash(_ side: Side, _ i: Int) -> UInt64 {
        let r = paragraphTokens(side, i)
        let s = text(side)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in r where s.tokens[t].kind != .whitespace {
            h = (h ^ UInt64(UInt32(bitPattern: s.ids[t]))) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    mutating func keyHash(_ side: Side, _ i: Int) -> UInt64 {
        let r = paragraphTokens(side, i)
        let ids = text(side).ids
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in r {
            let k = matchKey(ofId: ids[t])
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
        for i in 0..<oldCount { oh.append(oldUnit[i] == -1 ? wordsHash(.old, i) : nil) }
        var nh: [UInt64?] = []
        for j in 0..<newCount { nh.append(newUnit[j] == -1 ? wordsHash(.new, j) : nil) }
        matchByHash(oh, nh)
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        // Edited paragraphs that stayed in place, by their exact words (no keys needed yet).
        matchBySlot(lenient: false, exact: true)
        if !oldUnit.contains(-1) || !newUnit.contains(-1) { return }
        oh = []
        for i in 0..<oldCount { oh.append(oldUnit[i] == -1 ? keyHash(.old, i) : nil) }
        nh = []
        for j in 0..<newCount { nh.append(newUnit[j] == -1 ? keyHash(.new, j) : nil) }
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
            let s = keySet(.old, i...i)
            oldSets[i] = s
            for k in s { postings[k, default: []].append(i) }
        }
        // Words in many paragraphs (function words) do not find candidates; they still count in the score.
        let cap = max(8, oldFree.count / 4)
        var mark = [Int](repeating: -1, count: old.paragraphs.count)
        var candidates: [(num: Int, den: Int, distance: Int, i: Int, j: Int)] = []
        for j in newFree {
            let s = keySet(.new, j...j)
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
                let sa = exact ? idSet(.old, a) : keySet(.old, a...a)
                let sb = exact ? idSet(.new, b) : keySet(.new, b...b)
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
            // New paragraphs first (one split in two), then old ones (two merged into one).
            let split = growUnits(over: .new)
            let merged = growUnits(over: .old)
            changed = split || merged
        }
    }

    /// One pass of `extendSplitsAndMerges` over the unmatched paragraphs of `side`: each joins a
    /// neighbouring unit that has one paragraph on the other side. Returns whether any unit grew.
    mutating func growUnits(over side: Side) -> Bool {
        let count = text(side).paragraphs.count
        var grew = false
        for j in 0..<count where unit(of: side, j) == -1 {
            for nb in [j - 1, j + 1] where nb >= 0 && nb < count && unit(of: side, nb) >= 0 {
                let u = unit(of: side, nb)
                if units[u][side.other].count > 1 { continue }
                let oldSet = keySet(.old, units[u].old)
                let newSet = keySet(.new, units[u].new)
                let (fixed, current) =
                    switch side {
                    case .old: (newSet, oldSet)
                    case .new: (oldSet, newSet)
                    }
                let extra = keySet(side, j...j)
                if extra.isEmpty { continue }
                let grownRange = min(j, units[u][side].lowerBound)...max(j, units[u][side].upperBound)
                let grown = keySet(side, grownRange)
                let contained = Self.common(extra, fixed)
                let before = Self.common(fixed, current)
                let after = Self.common(fixed, grown)
                // Dice after > Dice before, compared without division.
                let rises = 2 * after * (fixed.count + current.count) > 2 * before * (fixed.count + grown.count)
                if contained * 10 >= extra.count * 6, rises {
                    units[u][side] = grownRange
                    setUnit(u, of: side, j)
                    grew = true
                    break
                }
            }
        }
        return grew
    }
}
