// Classifying token hunks. The order of the tests is the order of severity they can rule out:
// whitespace-only, punctuation-only, equal under the orthographic key, numbers, letter case,
// the lexicon (Classify+Lexicon.swift), spelling; anything else is wording. A doubtful case falls through to `wording`, never to a
// milder class: hiding a changed fact is the worst error a corrections desk can suffer.

/// Why a hunk got its class, when the class alone does not say; `name` is the JSON `rule`.
enum ChangeRule: Equatable {
    /// `orthography`: the key rules without which the sides differ, named in `KeyRules.named`
    /// order; none means the sides are canonically equivalent (`nfc`).
    case orthography(KeyRules)
    /// `orthography`: the same numeric value written differently.
    case numberFormat
    /// `spelling`: equal but for letter case.
    case letterCase
    /// `spelling`: Latin-script words joined or split (`every day` / `everyday`).
    case compound
    /// `whitespace`: a blank line appeared.
    case paragraphSplit
    /// `whitespace`: a blank line disappeared.
    case paragraphMerge
    /// `wording`: both sides are words of the lexicon (immortal/immoral).
    case realWords
    /// `spelling`: the British and American spellings of one word (honour/honor).
    case regionalVariant
    /// `spelling`: a non-word became a close word of the lexicon (teh/the, دزس/درس).
    case typoFixed
    /// `spelling`: neither side is a word of the lexicon, and they are close (ویتکاوف/ویتکاف).
    case unknownWords
    /// `spelling`: a form at most one article of the archive uses became a close form many use (ترپ/ترمپ).
    case archiveForm

    /// The rule as `Change.rule` gives it.
    var name: String {
        switch self {
        case .orthography(let rules):
            rules.isEmpty ? "nfc" : KeyRules.named.filter { rules.contains($0.0) }.map(\.1).joined(separator: ",")
        case .numberFormat: "number_format"
        case .letterCase: "letter_case"
        case .compound: "compound"
        case .paragraphSplit: "paragraph_split"
        case .paragraphMerge: "paragraph_merge"
        case .realWords: "real_words"
        case .regionalVariant: "regional_variant"
        case .typoFixed: "typo_fixed"
        case .unknownWords: "unknown_words"
        case .archiveForm: "archive_form"
        }
    }
}

extension Engine {
    static func isLetterLike(_ kind: TokenKind) -> Bool { kind == .word || kind == .number || kind == .symbol }

    /// The comparison key of the letter-like tokens of a span. Words separated by whitespace are
    /// joined directly when the `zwnj` rule is on (compounds), with a space otherwise; words
    /// separated by punctuation always keep a separator (`re-sign` is not `resign`).
    func spanKey(_ text: ComparedText, _ r: Range<Int>, rules: KeyRules, include: (TokenKind) -> Bool) -> [UInt32] {
        var out: [UInt32] = []
        var seenLetter = false
        var gap: UInt8 = 0  // 0 none, 1 whitespace, 2 punctuation
        for t in r {
            let token = text.tokens[t]
            switch token.kind {
            case .whitespace: if gap == 0 { gap = 1 }
            case .punctuation: gap = 2
            default:
                guard include(token.kind) else {
                    gap = 2
                    continue
                }
                // The ezafe written as a separate ی after a word ending in ه (خانه ی = خانۀ).
                if rules.contains(.ezafe), gap == 1, out.last == 0x0647,
                    OrthographicKey.isYeh(text.p, token.start, token.end)
                {
                    gap = 0
                    continue
                }
                if seenLetter {
                    if gap == 2 { out.append(0x1F) } else if gap == 1, !rules.contains(.zwnj) { out.append(0x20) }
                }
                if rules == .all {
                    appendCachedKey(text.ids[t], to: &out)
                } else {
                    OrthographicKey.append(text.p, token.start, token.end, rules: rules, to: &out)
                }
                seenLetter = true
                gap = 0
            }
        }
        return out
    }

    /// Appends the all-rules key of a token id, computing it once per distinct token.
    func appendCachedKey(_ id: Int32, to out: inout [UInt32]) {
        let cache = keyCache
        let index = Int(id)
        if cache.start.count <= index {
            let grow = interner.representatives.count - cache.start.count
            cache.start.append(contentsOf: repeatElement(-1, count: grow))
            cache.end.append(contentsOf: repeatElement(-1, count: grow))
        }
        if cache.start[index] < 0 {
            let r = interner.representatives[index]
            let p = text(r.side).p
            cache.start[index] = Int32(cache.pool.count)
            OrthographicKey.append(p, r.start, r.end, rules: .all, to: &cache.pool)
            cache.end[index] = Int32(cache.pool.count)
        }
        out.append(contentsOf: cache.pool[Int(cache.start[index])..<Int(cache.end[index])])
    }

    /// Whether the tokens of `a` (old) and `b` (new) accepted by `keep` are the same sequence,
    /// and how many each side has.
    func sameTokens(_ a: Range<Int>, _ b: Range<Int>, _ keep: (TokenKind) -> Bool) -> (
        same: Bool, countA: Int, countB: Int
    ) {
        var i = a.lowerBound
        var j = b.lowerBound
        var same = true
        var countA = 0
        var countB = 0
        while true {
            while i < a.upperBound, !keep(old.tokens[i].kind) { i += 1 }
            while j < b.upperBound, !keep(new.tokens[j].kind) { j += 1 }
            let endA = i >= a.upperBound
            let endB = j >= b.upperBound
            if endA && endB { break }
            if endA != endB || old.ids[i] != new.ids[j] { same = false }
            if !endA {
                countA += 1
                i += 1
            }
            if !endB {
                countB += 1
                j += 1
            }
        }
        return (same, countA, countB)
    }

    /// Key equality: exact scalars, or canonical equivalence when a scalar could compose.
    static func keysEqual(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        if a == b { return true }
        if !a.contains(where: mayCompose) && !b.contains(where: mayCompose) { return false }
        return OrthographicKey.string(a) == OrthographicKey.string(b)
    }

    /// Scalars that may take part in canonical composition or reordering (conservative).
    static func mayCompose(_ v: UInt32) -> Bool {
        if v < 0xC0 { return false }
        if v >= 0x0600 && v <= 0x06FF {
            return (0x0622...0x0626).contains(v) || (0x064B...0x065F).contains(v) || v == 0x0670 || v == 0x06C0
                || v == 0x06C2 || v == 0x06D3 || (0x06D6...0x06ED).contains(v)
        }
        return true
    }

    static func lowercased(_ key: [UInt32]) -> [UInt32] {
        if !key.contains(where: { $0 >= 0x80 }) {
            return key.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        }
        if !key.contains(where: { $0 >= 0x80 && !($0 >= 0x0600 && $0 <= 0x06FF) }) {
            return key.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        }
        return OrthographicKey.string(key).lowercased().unicodeScalars.map(\.value)
    }

    func separatorCount(_ text: ComparedText, _ r: Range<Int>) -> Int {
        r.filter { text.isSeparator(text.tokens[$0]) }.count
    }

    /// Classifies one hunk in place (spelling may be provisional: see `SpellingVerdict.loose`).
    func classify(_ h: inout Hunk) {
        if sameTokens(h.a, h.b, { $0 != .whitespace }).same {
            h.changeClass = .whitespace
            let before = separatorCount(old, h.a)
            let after = separatorCount(new, h.b)
            h.rule = after > before ? .paragraphSplit : after < before ? .paragraphMerge : nil
            return
        }
        let letters = sameTokens(h.a, h.b, Engine.isLetterLike)
        if letters.same {
            h.changeClass = .punctuation
            return
        }
        let all: (TokenKind) -> Bool = { $0 != .whitespace && $0 != .punctuation }
        let keyA = spanKey(old, h.a, rules: .all, include: all)
        let keyB = spanKey(new, h.b, rules: .all, include: all)
        if Self.keysEqual(keyA, keyB) {
            var needed: KeyRules = []
            for (rule, _) in KeyRules.named {
                let without = KeyRules.all.subtracting(rule)
                let a = spanKey(old, h.a, rules: without, include: all)
                let b = spanKey(new, h.b, rules: without, include: all)
                if !Self.keysEqual(a, b) { needed.insert(rule) }
            }
            let joinsWords = letters.countA != letters.countB
            let arabic = keyA.contains(where: Scalars.isArabicScript) || keyB.contains(where: Scalars.isArabicScript)
            if joinsWords, !arabic {
                // "every day" / "everyday" in Latin script: a compound changed, show it as spelling.
                h.changeClass = .spelling
                h.rule = .compound
            } else {
                h.changeClass = .orthography
                h.rule = .orthography(needed)
            }
            h.oldKey = OrthographicKey.string(keyA)
            h.newKey = OrthographicKey.string(keyB)
            return
        }
        if h.a.contains(where: { old.tokens[$0].kind == .number })
            || h.b.contains(where: { new.tokens[$0].kind == .number })
        {
            let numbersA = h.a.filter { old.tokens[$0].kind == .number }
            let numbersB = h.b.filter { new.tokens[$0].kind == .number }
            let words: (TokenKind) -> Bool = { $0 == .word || $0 == .symbol }
            let wordsA = spanKey(old, h.a, rules: .all, include: words)
            let wordsB = spanKey(new, h.b, rules: .all, include: words)
            if Self.keysEqual(wordsA, wordsB) {
                let valuesA = numbersA.map { numericValue(old, $0) }
                let valuesB = numbersB.map { numericValue(new, $0) }
                if valuesA == valuesB {
                    h.changeClass = .orthography
                    h.rule = .numberFormat
                    h.oldKey = OrthographicKey.string(keyA)
                    h.newKey = OrthographicKey.string(keyB)
                } else {
                    h.changeClass = .number
                }
            } else {
                h.changeClass = .wording
            }
            return
        }
        if letters.countA == 0 || letters.countB == 0 {
            // Words only inserted or only deleted.
            h.changeClass = .wording
            return
        }
        let lowerA = Self.lowercased(keyA)
        let lowerB = Self.lowercased(keyB)
        if Self.keysEqual(lowerA, lowerB) {
            h.changeClass = .spelling
            h.rule = .letterCase
            h.oldKey = OrthographicKey.string(keyA)
            h.newKey = OrthographicKey.string(keyB)
            return
        }
        let onlyWords =
            letters.countA <= 3 && letters.countB <= 3
            && h.a.allSatisfy { old.tokens[$0].kind != .symbol } && h.b.allSatisfy { new.tokens[$0].kind != .symbol }
        if onlyWords {
            let lexical = lexicalVerdict(h, lowerA, lowerB)
            switch lexical {
            case .realWords:
                h.changeClass = .wording
                h.rule = .realWords
                return
            case .regionalVariant, .typoFixed, .archiveForm:
                h.changeClass = .spelling
                h.rule =
                    switch lexical {
                    case .typoFixed: .typoFixed
                    case .archiveForm: .archiveForm
                    default: .regionalVariant
                    }
                h.oldKey = OrthographicKey.string(keyA)
                h.newKey = OrthographicKey.string(keyB)
                return
            case .unknownWords, .noOpinion:
                break
            }
            let verdict = Spelling.verdict(lowerA, lowerB)
            if verdict != .no {
                h.changeClass = .spelling
                h.spelling = verdict
                if lexical == .unknownWords { h.rule = .unknownWords }
                h.oldKey = OrthographicKey.string(keyA)
                h.newKey = OrthographicKey.string(keyB)
                return
            }
        }
        h.changeClass = .wording
    }

    func numericValue(_ text: ComparedText, _ t: Int) -> String {
        var scalars: [UInt32] = []
        OrthographicKey.append(text.p, text.tokens[t].start, text.tokens[t].end, rules: .all, to: &scalars)
        return OrthographicKey.numericValue(OrthographicKey.string(scalars))
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
