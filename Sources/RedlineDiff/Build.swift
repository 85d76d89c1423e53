// Turning matched units and hunks into the public result: changes in reading order, the summary,
// the significance and the patch.

/// Accumulates patch operations over byte ranges, merging neighbours and turning literal
/// insertions into copies when the old text continues with the same bytes.
struct PatchBuilder {
    let o: UnsafeBufferPointer<UInt8>
    let n: UnsafeBufferPointer<UInt8>
    enum Op {
        case copy(Int, Int)  // old start, count
        case insert(Int, Int)  // new start, count
    }
    var ops: [Op] = []

    mutating func copy(_ start: Int, _ count: Int) {
        guard count > 0 else { return }
        if case .copy(let s, let c)? = ops.last, s + c == start {
            ops[ops.count - 1] = .copy(s, c + count)
        } else {
            ops.append(.copy(start, count))
        }
    }

    mutating func insert(_ start: Int, _ count: Int) {
        guard count > 0 else { return }
        if case .copy(let s, let c)? = ops.last, s + c + count <= o.count, memEqual(o, s + c, n, start, count) {
            ops[ops.count - 1] = .copy(s, c + count)
        } else if case .insert(let s, let c)? = ops.last, s + c == start {
            ops[ops.count - 1] = .insert(s, c + count)
        } else {
            ops.append(.insert(start, count))
        }
    }

    func operations() -> [Patch.Operation] {
        ops.map {
            switch $0 {
            case .copy(let s, let c): .copy(start: s, count: c)
            case .insert(let s, let c):
                .insert(String(decoding: UnsafeBufferPointer(rebasing: n[s..<(s + c)]), as: UTF8.self))
            }
        }
    }
}

extension Engine {
    func countWords(_ side: Side, _ r: Range<Int>) -> Int {
        var c = 0
        for t in r where side.tokens[t].kind == .word || side.tokens[t].kind == .number { c += 1 }
        return c
    }

    func unitBytes(_ side: Side, _ paragraphs: ClosedRange<Int>) -> Range<Int> {
        side.paragraphs[paragraphs.lowerBound].lowerBound..<side.paragraphs[paragraphs.upperBound].upperBound
    }

    func sameBytes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        let ab = old.byteRange(a)
        let bb = new.byteRange(b)
        return ab.count == bb.count && memEqual(old.p, ab.lowerBound, new.p, bb.lowerBound, ab.count)
    }

    func makeChange(
        _ cls: ChangeClass, rule: String? = nil, oldPara: Int?, newPara: Int?, a: Range<Int>?, b: Range<Int>?,
        oldKey: String? = nil, newKey: String? = nil
    ) -> Change {
        Change(
            class: cls, rule: rule, oldParagraph: oldPara, newParagraph: newPara,
            oldText: a.map { old.text($0) }, newText: b.map { new.text($0) },
            oldStart: a?.lowerBound, oldEnd: a?.upperBound, newStart: b?.lowerBound, newEnd: b?.upperBound,
            oldKey: oldKey, newKey: newKey)
    }

    func sameByteRanges(_ ab: Range<Int>, _ bb: Range<Int>) -> Bool {
        ab.count == bb.count && memEqual(old.p, ab.lowerBound, new.p, bb.lowerBound, ab.count)
    }

    mutating func run() -> TextDiff {
        matchParagraphs()
        markMoves()

        // Token diff of every changed unit over its non-whitespace tokens (so a re-wrap never
        // drags a word out of place); the gaps between matched tokens are the hunks.
        var pairsOfUnit: [[(a: Int, b: Int)]?] = Array(repeating: nil, count: units.count)
        var hunks: [Hunk] = []
        for u in units.indices {
            let unit = units[u]
            if sameByteRanges(unitBytes(old, unit.old), unitBytes(new, unit.new)) { continue }
            let ar = spanTokens(0, unit.old)
            let br = spanTokens(1, unit.new)
            units[u].oldTokens = ar
            units[u].newTokens = br
            let pairs = alignTokens(ar, br)
            pairsOfUnit[u] = pairs
            var pa = ar.lowerBound
            var pb = br.lowerBound
            for k in 0...pairs.count {
                let na = k < pairs.count ? pairs[k].a : ar.upperBound
                let nb = k < pairs.count ? pairs[k].b : br.upperBound
                defer {
                    pa = na + 1
                    pb = nb + 1
                }
                var a = pa..<na
                var b = pb..<nb
                if sameBytes(a, b) { continue }
                while !a.isEmpty, !b.isEmpty, old.ids[a.lowerBound] == new.ids[b.lowerBound] {
                    a = (a.lowerBound + 1)..<a.upperBound
                    b = (b.lowerBound + 1)..<b.upperBound
                }
                while !a.isEmpty, !b.isEmpty, old.ids[a.upperBound - 1] == new.ids[b.upperBound - 1] {
                    a = a.lowerBound..<(a.upperBound - 1)
                    b = b.lowerBound..<(b.upperBound - 1)
                }
                var hunk = Hunk(unit: u, a: a, b: b)
                classify(&hunk)
                if hunk.changeClass == .wording, let parts = splitPositionally(hunk) {
                    hunks.append(contentsOf: parts)
                } else {
                    hunks.append(hunk)
                }
            }
        }

        // The same substitution repeated across the article confirms a borderline spelling fix.
        var pairCounts: [String: Int] = [:]
        for h in hunks where h.spelling != .no {
            pairCounts[(h.oldKey ?? "") + "\u{1}" + (h.newKey ?? ""), default: 0] += 1
        }
        for index in hunks.indices where hunks[index].spelling == .loose {
            let key = (hunks[index].oldKey ?? "") + "\u{1}" + (hunks[index].newKey ?? "")
            if pairCounts[key, default: 0] < 2 {
                hunks[index].changeClass = .wording
                hunks[index].oldKey = nil
                hunks[index].newKey = nil
            }
        }

        var summary = DiffSummary()
        var ordered: [(key: Int, change: Change)] = []
        ordered.reserveCapacity(hunks.count + 8)
        func add(_ key: Int, _ change: Change) {
            ordered.append((key, change))
            summary[change.class] += 1
        }
        // Moves first at the unit's place, then its inner edits.
        for unit in units where unit.moved {
            add(
                2 * unit.new.lowerBound,
                makeChange(
                    .paragraphMoved, oldPara: unit.old.lowerBound, newPara: unit.new.lowerBound,
                    a: unitBytes(old, unit.old), b: unitBytes(new, unit.new)))
        }
        for h in hunks {
            let unit = units[h.unit]
            let ab = old.byteRange(h.a, in: unit.oldTokens)
            let bb = new.byteRange(h.b, in: unit.newTokens)
            let oldPara = old.paragraph(containingByte: ab.lowerBound, in: unit.old)
            let newPara = new.paragraph(containingByte: bb.lowerBound, in: unit.new)
            add(
                2 * newPara,
                makeChange(
                    h.changeClass, rule: h.rule, oldPara: oldPara, newPara: newPara, a: ab, b: bb,
                    oldKey: h.oldKey, newKey: h.newKey))
            // Words count as added or removed only when the wording or a number changed, not
            // when the same word was respelled or re-punctuated.
            if h.changeClass == .wording || h.changeClass == .number {
                summary.wordsRemoved += countWords(old, h.a)
                summary.wordsAdded += countWords(new, h.b)
            }
        }
        for j in new.paragraphs.indices where newUnit[j] == -1 {
            add(2 * j, makeChange(.paragraphAdded, oldPara: nil, newPara: j, a: nil, b: new.paragraphs[j]))
            let tokens = paragraphTokens(1, j)
            summary.wordsAdded += countWords(new, tokens)
        }
        for i in old.paragraphs.indices where oldUnit[i] == -1 {
            // A removed paragraph is shown after the new place of the paragraph before it.
            var anchor = -1
            var k = i - 1
            while k >= 0 {
                if oldUnit[k] >= 0 {
                    anchor = 2 * units[oldUnit[k]].new.upperBound + 1
                    break
                }
                k -= 1
            }
            add(anchor, makeChange(.paragraphRemoved, oldPara: i, newPara: nil, a: old.paragraphs[i], b: nil))
            let tokens = paragraphTokens(0, i)
            summary.wordsRemoved += countWords(old, tokens)
        }
        // Whitespace between paragraphs that stayed neighbours, and around the text.
        let oldCount = old.paragraphs.count
        let newCount = new.paragraphs.count
        for (u, unit) in units.enumerated() {
            let i = unit.old.upperBound + 1
            let j = unit.new.upperBound + 1
            guard i < oldCount, j < newCount, oldUnit[i] >= 0, oldUnit[i] == newUnit[j], oldUnit[i] != u else {
                continue
            }
            let a = old.paragraphs[i - 1].upperBound..<old.paragraphs[i].lowerBound
            let b = new.paragraphs[j - 1].upperBound..<new.paragraphs[j].lowerBound
            if !sameByteRanges(a, b) {
                add(2 * (j - 1) + 1, makeChange(.whitespace, oldPara: i - 1, newPara: j - 1, a: a, b: b))
            }
        }
        let leadA = 0..<(old.paragraphs.first?.lowerBound ?? old.p.count)
        let leadB = 0..<(new.paragraphs.first?.lowerBound ?? new.p.count)
        if !sameByteRanges(leadA, leadB) {
            add(
                -2,
                makeChange(
                    .whitespace, oldPara: oldCount > 0 ? 0 : nil, newPara: newCount > 0 ? 0 : nil, a: leadA, b: leadB))
        }
        if oldCount > 0, newCount > 0 {
            let tailA = old.paragraphs[oldCount - 1].upperBound..<old.p.count
            let tailB = new.paragraphs[newCount - 1].upperBound..<new.p.count
            if !sameByteRanges(tailA, tailB) {
                add(Int.max, makeChange(.whitespace, oldPara: oldCount - 1, newPara: newCount - 1, a: tailA, b: tailB))
            }
        }
        // Stable order: by place in the new text, then in the order found.
        let order = ordered.indices.sorted {
            ordered[$0].key != ordered[$1].key ? ordered[$0].key < ordered[$1].key : $0 < $1
        }
        let changes = order.map { ordered[$0].change }

        let significance = changes.map(\.class.significance).max()
        return TextDiff(
            significance: significance ?? .cosmetic, summary: summary, changes: changes,
            patch: buildPatch(pairsOfUnit))
    }

    /// Walks the new text in order: changed units replay their alignment (matched tokens and
    /// unchanged gaps copy old bytes, changed gaps insert new bytes), identical units copy,
    /// added paragraphs and separators are inserted (and turned into copies where the old text
    /// has the same bytes at that point).
    func buildPatch(_ pairsOfUnit: [[(a: Int, b: Int)]?]) -> Patch {
        var builder = PatchBuilder(o: old.p, n: new.p)
        let newCount = new.paragraphs.count
        guard newCount > 0 else {
            builder.insert(0, new.p.count)
            return finish(builder)
        }
        builder.insert(0, new.paragraphs[0].lowerBound)
        var j = 0
        while j < newCount {
            var last = j
            let u = newUnit[j]
            if u >= 0 {
                let unit = units[u]
                last = unit.new.upperBound
                if let pairs = pairsOfUnit[u] {
                    var pa = unit.oldTokens.lowerBound
                    var pb = unit.newTokens.lowerBound
                    for k in 0...pairs.count {
                        let na = k < pairs.count ? pairs[k].a : unit.oldTokens.upperBound
                        let nb = k < pairs.count ? pairs[k].b : unit.newTokens.upperBound
                        let ga = pa..<na
                        let gb = pb..<nb
                        if sameBytes(ga, gb) {
                            let bytes = old.byteRange(ga)
                            builder.copy(bytes.lowerBound, bytes.count)
                        } else {
                            let bytes = new.byteRange(gb)
                            builder.insert(bytes.lowerBound, bytes.count)
                        }
                        if k < pairs.count {
                            builder.copy(old.tokens[na].start, old.tokens[na].end - old.tokens[na].start)
                        }
                        pa = na + 1
                        pb = nb + 1
                    }
                } else {
                    let ab = unitBytes(old, unit.old)
                    builder.copy(ab.lowerBound, ab.count)
                }
            } else {
                let bb = new.paragraphs[j]
                builder.insert(bb.lowerBound, bb.count)
            }
            let end = new.paragraphs[last].upperBound
            let next = last + 1 < newCount ? new.paragraphs[last + 1].lowerBound : new.p.count
            builder.insert(end, next - end)
            j = last + 1
        }
        return finish(builder)
    }

    func finish(_ builder: PatchBuilder) -> Patch {
        Patch(
            oldLength: old.p.count, oldHash: FNV1a.hash(old.p), newLength: new.p.count,
            operations: builder.operations())
    }
}

extension Engine {
    /// Matched (old, new) token index pairs of the non-whitespace tokens of two ranges.
    func alignTokens(_ ar: Range<Int>, _ br: Range<Int>) -> [(a: Int, b: Int)] {
        let aIdx = ar.filter { old.tokens[$0].kind != .whitespace }
        let bIdx = br.filter { new.tokens[$0].kind != .whitespace }
        let aIDs = aIdx.map { old.ids[$0] }
        let bIDs = bIdx.map { new.ids[$0] }
        var pairs: [(a: Int, b: Int)] = []
        pairs.reserveCapacity(min(aIdx.count, bIdx.count))
        // Common prefix and suffix first; small middles by dynamic programming, large by Myers.
        var lo = 0
        while lo < aIDs.count, lo < bIDs.count, aIDs[lo] == bIDs[lo] {
            pairs.append((aIdx[lo], bIdx[lo]))
            lo += 1
        }
        var hiA = aIDs.count
        var hiB = bIDs.count
        while hiA > lo, hiB > lo, aIDs[hiA - 1] == bIDs[hiB - 1] {
            hiA -= 1
            hiB -= 1
        }
        let n = hiA - lo
        let m = hiB - lo
        if n > 0, m > 0 {
            if n * m <= 16_384 {
                Self.lcsPairs(aIDs, bIDs, lo, hiA, lo, hiB) { x, y in pairs.append((aIdx[x], bIdx[y])) }
            } else {
                let runs = aIDs.withUnsafeBufferPointer { x in
                    bIDs.withUnsafeBufferPointer { y in
                        Myers.diff(
                            UnsafeBufferPointer(rebasing: x[lo..<hiA]), UnsafeBufferPointer(rebasing: y[lo..<hiB]))
                    }
                }
                var x = lo
                var y = lo
                for run in runs {
                    switch run.kind {
                    case .equal:
                        for k in 0..<run.count { pairs.append((aIdx[x + k], bIdx[y + k])) }
                        x += run.count
                        y += run.count
                    case .delete: x += run.count
                    case .insert: y += run.count
                    }
                }
            }
        }
        for k in 0..<(aIDs.count - hiA) { pairs.append((aIdx[hiA + k], bIdx[hiB + k])) }
        return pairs
    }

    /// A longest common subsequence of `a[aLo..<aHi]` and `b[bLo..<bHi]` by dynamic programming
    /// (exact, so as minimal as Myers; faster on the short middles of edited paragraphs).
    /// Ties prefer deleting before inserting, so the result is deterministic.
    static func lcsPairs(
        _ a: [Int32], _ b: [Int32], _ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int, _ emit: (Int, Int) -> Void
    ) {
        let n = aHi - aLo
        let m = bHi - bLo
        let width = m + 1
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                withUnsafeTemporaryAllocation(of: UInt16.self, capacity: (n + 1) * width) { dp in
                    for j in 0...m { dp[n * width + j] = 0 }
                    var i = n - 1
                    while i >= 0 {
                        dp[i * width + m] = 0
                        var j = m - 1
                        while j >= 0 {
                            if a[aLo + i] == b[bLo + j] {
                                dp[i * width + j] = dp[(i + 1) * width + j + 1] + 1
                            } else {
                                dp[i * width + j] = max(dp[(i + 1) * width + j], dp[i * width + j + 1])
                            }
                            j -= 1
                        }
                        i -= 1
                    }
                    var x = 0
                    var y = 0
                    while x < n, y < m {
                        if a[aLo + x] == b[bLo + y] {
                            emit(aLo + x, bLo + y)
                            x += 1
                            y += 1
                        } else if dp[(x + 1) * width + y] >= dp[x * width + y + 1] {
                            x += 1
                        } else {
                            y += 1
                        }
                    }
                }
            }
        }
    }
}

extension Engine {
    /// Splits a wording hunk with as many tokens on each side into token-for-token hunks when
    /// every one of them is something milder than wording (`ویتکاوف ۳۰` -> `ویتکاف ۳۵` is a
    /// spelling fix and a number); otherwise the hunk stays one wording change.
    func splitPositionally(_ h: Hunk) -> [Hunk]? {
        let a = h.a.filter { old.tokens[$0].kind != .whitespace }
        let b = h.b.filter { new.tokens[$0].kind != .whitespace }
        guard a.count == b.count, a.count >= 2 else { return nil }
        var parts: [Hunk] = []
        var pa = h.a.lowerBound
        var pb = h.b.lowerBound
        for (x, y) in zip(a, b) + [(h.a.upperBound, h.b.upperBound)] {
            // The whitespace before this token pair.
            if !sameBytes(pa..<x, pb..<y) {
                var part = Hunk(unit: h.unit, a: pa..<x, b: pb..<y)
                classify(&part)
                parts.append(part)
            }
            guard x < h.a.upperBound else { break }
            if old.ids[x] != new.ids[y] {
                var part = Hunk(unit: h.unit, a: x..<(x + 1), b: y..<(y + 1))
                classify(&part)
                if part.changeClass == .wording { return nil }
                parts.append(part)
            }
            pa = x + 1
            pb = y + 1
        }
        return parts
    }
}
