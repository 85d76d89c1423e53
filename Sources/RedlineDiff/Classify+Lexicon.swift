// The lexicon's rules for a replacement of one to three words, tried before the distance rules of
// `Spelling.verdict` (see docs/diff.md, "Rules with a lexicon"):
// - both sides are words (every word of each side is in the lexicon; a side that joins or splits
//   words is judged as the compound it writes) and not a regional variant pair: `wording`, rule
//   `real_words` (immortal/immoral, نامه/نیمه), whatever the edit distance;
// - a regional variant pair (honour/honor, programme/program, organise/organize): `spelling`,
//   rule `regional_variant`;
// - a non-word becomes a close word: `spelling`, rule `typo_fixed`, short words included
//   (دزس/درس, teh/the); close is at most 1 edit up to 4 letters, else at most max(2, L/3);
// - a word becomes a non-word, or a non-word another non-word (names: ویتکاوف/ویتکاف): no
//   opinion here, the distance rules decide (their `spelling` then carries `unknown_words` when
//   the lexicon covers the script, so an editor sees that neither side is a known word).
// A script the lexicon does not cover (no list of it loaded) gets no opinion: the rules without
// a lexicon, unchanged.

/// What the lexicon says about a replacement.
enum LexicalVerdict: Equatable {
    case realWords, regionalVariant, typoFixed, unknownWords, noOpinion
}

/// British and American spellings of one word: endings (and one inner form) that differ
/// between the two, each as (British, American), with the least stem length they need.
enum RegionalVariants {
    static let endings: [(String, String)] = [
        ("our", "or"), ("ours", "ors"), ("oured", "ored"), ("ouring", "oring"), ("ourite", "orite"),
        ("ourable", "orable"), ("ourful", "orful"), ("ourless", "orless"),
        ("re", "er"), ("res", "ers"), ("red", "ered"),
        ("ise", "ize"), ("ises", "izes"), ("ised", "ized"), ("ising", "izing"), ("isation", "ization"),
        ("isations", "izations"), ("iser", "izer"), ("isers", "izers"),
        ("yse", "yze"), ("ysed", "yzed"), ("ysing", "yzing"),
        ("ogue", "og"), ("ogues", "ogs"),
        ("mme", "m"), ("mmes", "ms"),
        ("lled", "led"), ("lling", "ling"), ("ller", "ler"), ("llers", "lers"),
        ("ence", "ense"), ("ences", "enses"),
    ]

    /// Whether `a` and `b` (normalised Latin keys) are the British and American spellings of one
    /// word, in either order: the same stem of 3+ letters with endings from the table.
    static func isPair(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        matches(a, b) || matches(b, a)
    }

    private static let table: [([UInt32], [UInt32])] = endings.map {
        ($0.0.unicodeScalars.map(\.value), $0.1.unicodeScalars.map(\.value))
    }

    private static func matches(_ british: [UInt32], _ american: [UInt32]) -> Bool {
        for (gb, us) in table where british.count - gb.count >= 3 && american.count - us.count >= 3 {
            guard british.count - gb.count == american.count - us.count else { continue }
            let stem = british.count - gb.count
            if british[stem...].elementsEqual(gb), american[stem...].elementsEqual(us),
                british[..<stem].elementsEqual(american[..<stem])
            {
                return true
            }
        }
        // "ae"/"oe" written "e" inside a word: encyclopaedia/encyclopedia, manoeuvre is not covered.
        if british.count == american.count + 1 {
            for i in 1..<(british.count - 1)
            where british[i] == 0x65 && (british[i - 1] == 0x61 || british[i - 1] == 0x6F) {
                if british[..<(i - 1)].elementsEqual(american[..<(i - 1)]),
                    british[i...].elementsEqual(american[(i - 1)...]), i - 1 >= 2
                {
                    return true
                }
            }
        }
        return false
    }
}

extension Engine {
    /// The lower-cased keys of the word tokens of a span, one per word.
    func wordKeys(_ text: ComparedText, _ r: Range<Int>) -> [[UInt32]] {
        var out: [[UInt32]] = []
        for t in r where text.tokens[t].kind == .word {
            var key: [UInt32] = []
            appendCachedKey(text.ids[t], to: &key)
            out.append(Lexicon.normalised(key).key)
        }
        return out
    }

    /// The lexicon's verdict on replacing the words of `h.a` by those of `h.b`; `lowerA`/`lowerB`
    /// are the spans' lower-cased keys (words joined).
    func lexicalVerdict(_ h: Hunk, _ lowerA: [UInt32], _ lowerB: [UInt32]) -> LexicalVerdict {
        guard let lexicon = lexicon?.value else { return .noOpinion }
        // Punctuation between the words, or digits: the distance rules' own signals decide.
        if lowerA.contains(0x1F) || lowerB.contains(0x1F) { return .noOpinion }
        let wordsA = wordKeys(old, h.a)
        let wordsB = wordKeys(new, h.b)
        let (joinedA, scriptA) = Lexicon.normalised(lowerA)
        let (joinedB, scriptB) = Lexicon.normalised(lowerB)
        guard !wordsA.isEmpty, !wordsB.isEmpty, let script = scriptA, scriptB == script, lexicon.covers(script)
        else { return .noOpinion }
        // Words joined or split (بنیاد گزار -> بنیادگذار): each side is judged as the compound it
        // writes, so a side is known when its words written together are a word.
        let sameCount = wordsA.count == wordsB.count
        let known: ([[UInt32]], [UInt32]) -> Bool = { words, joined in
            sameCount ? words.allSatisfy { lexicon.contains(key: $0, script) } : lexicon.contains(key: joined, script)
        }
        let knownA = known(wordsA, joinedA)
        let knownB = known(wordsB, joinedB)
        switch (knownA, knownB) {
        case (true, true):
            if script == .latin, wordsA.count == 1, wordsB.count == 1, RegionalVariants.isPair(joinedA, joinedB) {
                return .regionalVariant
            }
            return .realWords
        case (false, true):
            let minLen = min(joinedA.count, joinedB.count)
            let maxLen = max(joinedA.count, joinedB.count)
            let limit = maxLen <= 4 ? 1 : max(2, maxLen / 3)
            if minLen >= 2, maxLen - minLen <= limit {
                let d = Spelling.distance(joinedA, joinedB)
                if d > 0, d <= limit { return .typoFixed }
            }
            return .noOpinion
        case (false, false):
            return .unknownWords
        case (true, false):
            return .noOpinion
        }
    }
}
