// Classifying token hunks. The order of the tests is the order of severity they can rule out:
// whitespace-only, punctuation-only, equal under the orthographic key, numbers, letter case,
// spelling; anything else is wording. A doubtful case falls through to `wording`, never to a
// milder class: hiding a changed fact is the worst error a corrections desk can suffer.

extension Engine {
    func isLetterLike(_ kind: TokenKind) -> Bool { kind == .word || kind == .number || kind == .symbol }

    /// The comparison key of the letter-like tokens of a span. Words separated by whitespace are
    /// joined directly when the `zwnj` rule is on (compounds), with a space otherwise; words
    /// separated by punctuation always keep a separator (`re-sign` is not `resign`).
    func spanKey(_ side: Side, _ r: Range<Int>, rules: KeyRules, include: (TokenKind) -> Bool) -> [UInt32] {
        var out: [UInt32] = []
        var seenLetter = false
        var gap: UInt8 = 0  // 0 none, 1 whitespace, 2 punctuation
        for t in r {
            let token = side.tokens[t]
            switch token.kind {
            case .whitespace: if gap == 0 { gap = 1 }
            case .punctuation: gap = 2
            default:
                guard include(token.kind) else {
                    gap = 2
                    continue
                }
                if seenLetter {
                    if gap == 2 { out.append(0x1F) } else if gap == 1, !rules.contains(.zwnj) { out.append(0x20) }
                }
                OrthographicKey.append(side.p, token.start, token.end, rules: rules, to: &out)
                seenLetter = true
                gap = 0
            }
        }
        return out
    }

    func letterIDs(_ side: Side, _ r: Range<Int>) -> [Int32] {
        r.filter { isLetterLike(side.tokens[$0].kind) }.map { side.ids[$0] }
    }

    func nonSpaceIDs(_ side: Side, _ r: Range<Int>) -> [Int32] {
        r.filter { side.tokens[$0].kind != .whitespace }.map { side.ids[$0] }
    }

    func separatorCount(_ side: Side, _ r: Range<Int>) -> Int {
        r.filter { side.isSeparator(side.tokens[$0]) }.count
    }

    /// Classifies one hunk in place (spelling may be provisional: see `SpellingVerdict.loose`).
    func classify(_ h: inout Hunk) {
        if nonSpaceIDs(old, h.a) == nonSpaceIDs(new, h.b) {
            h.changeClass = .whitespace
            let before = separatorCount(old, h.a)
            let after = separatorCount(new, h.b)
            h.rule = after > before ? "paragraph_split" : after < before ? "paragraph_merge" : nil
            return
        }
        let lettersA = letterIDs(old, h.a)
        let lettersB = letterIDs(new, h.b)
        if lettersA == lettersB {
            h.changeClass = .punctuation
            return
        }
        let all: (TokenKind) -> Bool = { $0 != .whitespace && $0 != .punctuation }
        let keyA = spanKey(old, h.a, rules: .all, include: all)
        let keyB = spanKey(new, h.b, rules: .all, include: all)
        let stringA = OrthographicKey.string(keyA)
        let stringB = OrthographicKey.string(keyB)
        if stringA == stringB {
            var names: [String] = []
            for (rule, name) in KeyRules.named {
                let without = KeyRules.all.subtracting(rule)
                let a = OrthographicKey.string(spanKey(old, h.a, rules: without, include: all))
                let b = OrthographicKey.string(spanKey(new, h.b, rules: without, include: all))
                if a != b { names.append(name) }
            }
            let joinsWords = lettersA.count != lettersB.count
            let arabic = keyA.contains(where: Scalars.isArabicScript) || keyB.contains(where: Scalars.isArabicScript)
            if joinsWords, !arabic {
                // "every day" / "everyday" in Latin script: a compound changed, show it as spelling.
                h.changeClass = .spelling
                h.rule = "compound"
            } else {
                h.changeClass = .orthography
                h.rule = names.isEmpty ? "nfc" : names.joined(separator: ",")
            }
            h.oldKey = stringA
            h.newKey = stringB
            return
        }
        let numbersA = h.a.filter { old.tokens[$0].kind == .number }
        let numbersB = h.b.filter { new.tokens[$0].kind == .number }
        if !numbersA.isEmpty || !numbersB.isEmpty {
            let words: (TokenKind) -> Bool = { $0 == .word || $0 == .symbol }
            let wordsA = OrthographicKey.string(spanKey(old, h.a, rules: .all, include: words))
            let wordsB = OrthographicKey.string(spanKey(new, h.b, rules: .all, include: words))
            if wordsA == wordsB {
                let valuesA = numbersA.map { numericValue(old, $0) }
                let valuesB = numbersB.map { numericValue(new, $0) }
                if valuesA == valuesB {
                    h.changeClass = .orthography
                    h.rule = "number_format"
                    h.oldKey = stringA
                    h.newKey = stringB
                } else {
                    h.changeClass = .number
                }
            } else {
                h.changeClass = .wording
            }
            return
        }
        let lowerA = stringA.lowercased()
        let lowerB = stringB.lowercased()
        if lowerA == lowerB {
            h.changeClass = .spelling
            h.rule = "letter_case"
            h.oldKey = stringA
            h.newKey = stringB
            return
        }
        let onlyWords =
            !lettersA.isEmpty && !lettersB.isEmpty && lettersA.count <= 3 && lettersB.count <= 3
            && h.a.allSatisfy { old.tokens[$0].kind != .symbol } && h.b.allSatisfy { new.tokens[$0].kind != .symbol }
        if onlyWords {
            let verdict = Spelling.verdict(
                lowerA.unicodeScalars.map(\.value), lowerB.unicodeScalars.map(\.value))
            if verdict != .no {
                h.changeClass = .spelling
                h.spelling = verdict
                h.oldKey = stringA
                h.newKey = stringB
                return
            }
        }
        h.changeClass = .wording
    }

    func numericValue(_ side: Side, _ t: Int) -> String {
        var scalars: [UInt32] = []
        OrthographicKey.append(side.p, side.tokens[t].start, side.tokens[t].end, rules: .all, to: &scalars)
        return OrthographicKey.numericValue(OrthographicKey.string(scalars))
    }
}
