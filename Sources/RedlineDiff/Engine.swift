// The diff pipeline over the UTF-8 bytes of both texts:
// tokenize -> intern -> split paragraphs -> match paragraphs (exact, whitespace-insensitive,
// orthographic key, similarity, then split/merge extension) -> moves (LIS) -> token diff inside
// each matched unit -> classify hunks -> changes, summary and patch.
//
// Where each step lives: Paragraphs.swift (one text and its paragraphs), Engine+Matching.swift,
// Engine+Moves.swift, Myers.swift (token alignment), Classify.swift, PatchBuilder.swift; this file
// holds the engine's state, tokenizing on demand, and `run()`, which assembles the result.

/// Which of the two texts something belongs to.
enum Side {
    case old
    case new

    /// The other text.
    var other: Side {
        switch self {
        case .old: .new
        case .new: .old
        }
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

    /// The paragraphs of one side.
    subscript(_ side: Side) -> ClosedRange<Int> {
        get {
            switch side {
            case .old: old
            case .new: new
            }
        }
        set {
            switch side {
            case .old: old = newValue
            case .new: new = newValue
            }
        }
    }
}

/// A token-level hunk inside a unit: old tokens `a`, new tokens `b`.
struct Hunk {
    var unit: Int
    var a: Range<Int>
    var b: Range<Int>
    var changeClass: ChangeClass = .wording
    var rule: ChangeRule?
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
    var old: ComparedText
    var new: ComparedText
    var interner: Interner
    let keyCache = KeyCache()
    /// Lazily computed match key id per token id (-1: not computed, -2: excluded).
    var matchKeyOfId: [Int32] = []
    var matchKeys: [String: Int32] = [:]
    var units: [Unit] = []
    var oldUnit: [Int]
    var newUnit: [Int]

    /// The words of each script, loaded when a hunk first needs them; nil: the rules without one.
    let lexicon: LazyLexicon?
    /// How many articles of the archive use each word; nil: no archive's evidence.
    let archive: ArchiveWords?

    init(
        o: UnsafeBufferPointer<UInt8>, n: UnsafeBufferPointer<UInt8>, lexicon: LazyLexicon? = nil,
        archive: ArchiveWords? = nil
    ) {
        self.lexicon = lexicon
        self.archive = archive
        old = ComparedText(o)
        new = ComparedText(n)
        interner = Interner(capacity: 1024)
        oldUnit = Array(repeating: -1, count: old.paragraphs.count)
        newUnit = Array(repeating: -1, count: new.paragraphs.count)
    }

    /// The old or the new text.
    func text(_ side: Side) -> ComparedText {
        switch side {
        case .old: old
        case .new: new
        }
    }

    /// The unit of paragraph `i` of one side, or -1 while it is unmatched.
    func unit(of side: Side, _ i: Int) -> Int {
        switch side {
        case .old: oldUnit[i]
        case .new: newUnit[i]
        }
    }

    /// Puts paragraph `i` of one side in unit `u`.
    mutating func setUnit(_ u: Int, of side: Side, _ i: Int) {
        switch side {
        case .old: oldUnit[i] = u
        case .new: newUnit[i] = u
        }
    }

    /// Tokenizes a byte range of one side as a new block; returns its token range.
    mutating func tokenizeBlock(_ side: Side, _ bytes: Range<Int>) -> Range<Int> {
        let texts = (old.p, new.p)
        switch side {
        case .old: return old.tokenize(bytes, as: .old, of: texts, interner: &interner)
        case .new: return new.tokenize(bytes, as: .new, of: texts, interner: &interner)
        }
    }

    /// The token range of one paragraph, tokenizing it on first use.
    mutating func paragraphTokens(_ side: Side, _ i: Int) -> Range<Int> {
        if let r = text(side).paragraphTokens[i] { return r }
        let r = tokenizeBlock(side, text(side).paragraphs[i])
        switch side {
        case .old: old.paragraphTokens[i] = r
        case .new: new.paragraphTokens[i] = r
        }
        return r
    }

    /// The token block of a group of consecutive paragraphs (the span between them included).
    mutating func spanTokens(_ side: Side, _ paragraphs: ClosedRange<Int>) -> Range<Int> {
        if paragraphs.count == 1 { return paragraphTokens(side, paragraphs.lowerBound) }
        return tokenizeBlock(side, unitBytes(text(side), paragraphs))
    }
}

// MARK: The result

extension Engine {
    /// The whole pipeline: matched paragraphs, moves, classified hunks, then the public result.
    mutating func run() -> TextDiff {
        matchParagraphs()
        markMoves()
        let (hunks, pairsOfUnit) = diffChangedUnits()
        let (changes, summary) = orderedChanges(Self.confirmingRepeatedSpellings(hunks))
        let significance = changes.map(\.class.significance).max()
        return TextDiff(
            significance: significance ?? .cosmetic, summary: summary, changes: changes,
            patch: buildPatch(pairsOfUnit))
    }

    /// Token diff of every changed unit over its non-whitespace tokens (so a re-wrap never drags
    /// a word out of place): the classified hunks, and each changed unit's aligned token pairs.
    mutating func diffChangedUnits() -> (hunks: [Hunk], pairsOfUnit: [[(a: Int, b: Int)]?]) {
        var pairsOfUnit: [[(a: Int, b: Int)]?] = Array(repeating: nil, count: units.count)
        var hunks: [Hunk] = []
        for u in units.indices {
            let unit = units[u]
            if sameByteRanges(unitBytes(old, unit.old), unitBytes(new, unit.new)) { continue }
            let ar = spanTokens(.old, unit.old)
            let br = spanTokens(.new, unit.new)
            units[u].oldTokens = ar
            units[u].newTokens = br
            let pairs = alignTokens(ar, br)
            pairsOfUnit[u] = pairs
            // The gaps between matched tokens are the hunks, less the ends they share.
            Self.forEachGap(pairs, ar, br) { gapA, gapB, _ in
                var a = gapA
                var b = gapB
                if sameBytes(a, b) { return }
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
        return (hunks, pairsOfUnit)
    }

    /// Walks the gaps between the aligned token pairs of a unit's old block `ar` and new block
    /// `br`: `body` gets each gap's old and new tokens and the pair after it (nil after the last).
    static func forEachGap(
        _ pairs: [(a: Int, b: Int)], _ ar: Range<Int>, _ br: Range<Int>,
        _ body: (Range<Int>, Range<Int>, (a: Int, b: Int)?) -> Void
    ) {
        var pa = ar.lowerBound
        var pb = br.lowerBound
        for pair in pairs {
            body(pa..<pair.a, pb..<pair.b, pair)
            pa = pair.a + 1
            pb = pair.b + 1
        }
        body(pa..<ar.upperBound, pb..<br.upperBound, nil)
    }

    /// `hunks` with each provisional (`loose`) spelling fix kept only when the same substitution
    /// is made at least twice across the article; the others are wording.
    static func confirmingRepeatedSpellings(_ hunks: [Hunk]) -> [Hunk] {
        var hunks = hunks
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
        return hunks
    }

    /// The public changes of the hunks, moves, added and removed paragraphs and whitespace between
    /// paragraphs, in reading order, and their summary.
    mutating func orderedChanges(_ hunks: [Hunk]) -> (changes: [Change], summary: DiffSummary) {
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
                    h.changeClass, rule: h.rule?.name, oldPara: oldPara, newPara: newPara, a: ab, b: bb,
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
            let tokens = paragraphTokens(.new, j)
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
            let tokens = paragraphTokens(.old, i)
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
        return (order.map { ordered[$0].change }, summary)
    }

    func countWords(_ text: ComparedText, _ r: Range<Int>) -> Int {
        var c = 0
        for t in r where text.tokens[t].kind == .word || text.tokens[t].kind == .number { c += 1 }
        return c
    }

    func unitBytes(_ text: ComparedText, _ paragraphs: ClosedRange<Int>) -> Range<Int> {
        text.paragraphs[paragraphs.lowerBound].lowerBound..<text.paragraphs[paragraphs.upperBound].upperBound
    }

    /// Whether old tokens `a` and new tokens `b` are the same bytes.
    func sameBytes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        sameByteRanges(old.byteRange(a), new.byteRange(b))
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

    /// Whether old bytes `ab` and new bytes `bb` are equal.
    func sameByteRanges(_ ab: Range<Int>, _ bb: Range<Int>) -> Bool {
        ab.count == bb.count && memEqual(old.p, ab.lowerBound, new.p, bb.lowerBound, ab.count)
    }

}
