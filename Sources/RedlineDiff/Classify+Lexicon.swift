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
//   the lexicon covers the script, so an editor sees that neither side is a known word);
// - with counts from the archive (`ArchiveWords`), a non-word that at most one article uses becomes a
//   close form that at least 3 articles use: `spelling`, rule `archive_form`, short words included
//   (ترپ/ترمپ): the desk's own spelling of a name restored. The archive only ever makes a change
//   milder than the distance rules would when they cannot tell; it never decides `wording`.
// A script the lexicon does not cover (no list of it loaded) gets only the archive's opinion: else
// the rules without a lexicon, unchanged.

/// What the lexicon says about a replacement.
enum LexicalVerdict: Equatable {
    case realWords, regionalVariant, typoFixed, archiveForm, unknownWords, noOpinion
}

/// What the archive's counts must show for ``LexicalVerdict/archiveForm``.
enum ArchiveForm {
    /// The replaced form is used by at most this many articles (the one being edited).
    static let rareAtMost = 1
    /// The new form is used by at least this many.
    static let frequentAtLeast = 3
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
        // Punctuation between the words, or digits: the distance rules' own signals decide.
        if lowerA.contains(0x1F) || lowerB.contains(0x1F) { return .noOpinion }
        guard lexicon != nil || archive != nil else { return .noOpinion }
        let wordsA = wordKeys(old, h.a)
        let wordsB = wordKeys(new, h.b)
        let (joinedA, scriptA) = Lexicon.normalised(lowerA)
        let (joinedB, scriptB) = Lexicon.normalised(lowerB)
        guard !wordsA.isEmpty, !wordsB.isEmpty, let script = scriptA, scriptB == script else { return .noOpinion }
        let single = wordsA.count == 1 && wordsB.count == 1
        guard let lexicon = lexicon?.value, lexicon.covers(script) else {
            return single && isArchiveForm(joinedA, joinedB) ? .archiveForm : .noOpinion
        }
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
            if script == .latin, single, RegionalVariants.isPair(joinedA, joinedB) {
                return .regionalVariant
            }
            return .realWords
        case (false, true):
            return Self.isClose(joinedA, joinedB) ? .typoFixed : .noOpinion
        case (false, false):
            return single && isArchiveForm(joinedA, joinedB) ? .archiveForm : .unknownWords
        case (true, false):
            return .noOpinion
        }
    }

    /// Whether `b` is near enough to `a` to be its correction: at most 1 edit up to 4 letters, else at most
    /// max(2, L/3) for the longer length L.
    static func isClose(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        let minLen = min(a.count, b.count)
        let maxLen = max(a.count, b.count)
        let limit = maxLen <= 4 ? 1 : max(2, maxLen / 3)
        guard minLen >= 2, maxLen - minLen <= limit else { return false }
        let d = Spelling.distance(a, b)
        return d > 0 && d <= limit
    }

    /// Whether the archive shows `b` as the archive's form of the rare `a`: `a` used by at most one article,
    /// `b` by at least three, and the two close.
    func isArchiveForm(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        guard let archive, Self.isClose(a, b) else { return false }
        return archive.articles(using: a) <= ArchiveForm.rareAtMost
            && archive.articles(using: b) >= ArchiveForm.frequentAtLeast
    }
}
