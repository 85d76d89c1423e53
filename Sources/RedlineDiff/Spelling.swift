// Deciding whether a one-word replacement is a spelling fix or a change of meaning.
//
// A spelling fix is a close variant of the same word: the keys differ by a small edit distance
// (optimal string alignment: insert, delete, substitute, swap two neighbours) relative to the
// word's length. Signals that keep real edits out, checked first:
// - either word shorter than 4 letters (is/it, now/not): too little to tell, so `wording`;
// - Latin words that are both among the 6,000 most frequent English words (rose/fell,
//   Sunday/Monday, there/three): a real word turned into another real word;
// - inflection: the words share a stem and differ only by endings such as Persian person and
//   plural endings (م ی د یم ید ند ها ان ...) or English -s/-ed/-ing/-er: tense, person, number;
// - negation and mood prefixes: Persian ن نمی می ب بی نا, English un/in/im/il/ir/non/dis/mis.
// A distance of 1, or 2 on words of 7+ letters, or up to a quarter of the length, is a spelling
// fix. A looser distance (2 on 5+ letters, up to a third) counts only when the same pair of keys
// is replaced at least twice in the diff: repetition across an article is an editor's fix.

enum SpellingVerdict {
    case strict, loose, no
}

enum Spelling {
    static let persianSuffixes: Set<[UInt32]> = Set(
        [
            "", "م", "ی", "د", "یم", "ید", "ند", "ن", "ها", "های", "هایی", "ان", "ات", "ش", "ت", "مان", "تان",
            "شان", "تر", "ترین", "ه", "ای", "یی", "اند", "ام", "است", "ست", "یت", "ید",
        ].map { $0.unicodeScalars.map(\.value) })
    static let persianPrefixes: Set<[UInt32]> = Set(
        ["", "ن", "نمی", "می", "ب", "بی", "نا", "بر", "در"].map { $0.unicodeScalars.map(\.value) })
    static let englishSuffixes: Set<[UInt32]> = Set(
        ["", "s", "es", "ed", "d", "ing", "er", "ers", "est", "ly", "'s", "’s", "n't", "n’t", "'t", "’t"].map {
            $0.unicodeScalars.map(\.value)
        })
    static let englishPrefixes: Set<[UInt32]> = Set(
        ["", "un", "in", "im", "il", "ir", "non", "dis", "mis", "re"].map { $0.unicodeScalars.map(\.value) })

    /// Judges a replacement of key `a` by key `b` (both already lower-cased and normalised).
    static func verdict(_ a: [UInt32], _ b: [UInt32]) -> SpellingVerdict {
        let minLen = min(a.count, b.count)
        let maxLen = max(a.count, b.count)
        if minLen < 4 { return .no }
        // Punctuation joined or split words (resign / re-sign): a different word.
        if a.contains(0x1F) || b.contains(0x1F) { return .no }
        if a.contains(where: isDigitOrSeparator) || b.contains(where: isDigitOrSeparator) { return .no }
        let arabic = a.contains(where: Scalars.isArabicScript) || b.contains(where: Scalars.isArabicScript)
        if !arabic, isCommonEnglish(a), isCommonEnglish(b) { return .no }
        var p = 0
        while p < minLen, a[p] == b[p] { p += 1 }
        var s = 0
        while s < minLen - p, a[a.count - 1 - s] == b[b.count - 1 - s] { s += 1 }
        let tailA = Array(a[p...])
        let tailB = Array(b[p...])
        let headA = Array(a[..<(a.count - s)])
        let headB = Array(b[..<(b.count - s)])
        // The shared stem must be substantial for an ending/prefix difference to mean inflection.
        let suffixes = arabic ? persianSuffixes : englishSuffixes
        let prefixes = arabic ? persianPrefixes : englishPrefixes
        if p >= 2, suffixes.contains(tailA), suffixes.contains(tailB) { return .no }
        if s >= 2, prefixes.contains(headA), prefixes.contains(headB) { return .no }
        let d = distance(a, b)
        if d == 0 { return .no }
        if d == 1 || (d == 2 && maxLen >= 7) || d * 4 <= maxLen { return .strict }
        if (d == 2 && maxLen >= 5) || d * 3 <= maxLen { return .loose }
        return .no
    }

    static func isDigitOrSeparator(_ v: UInt32) -> Bool {
        (0x30...0x39).contains(v) || (0x0660...0x0669).contains(v) || (0x06F0...0x06F9).contains(v)
    }

    static func isCommonEnglish(_ a: [UInt32]) -> Bool {
        var s = String.UnicodeScalarView()
        for v in a {
            guard v < 0x80, let u = Unicode.Scalar(v) else { return false }
            s.append(u)
        }
        return commonEnglishWords.contains(Substring(String(s)))
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transposition).
    static func distance(_ a: [UInt32], _ b: [UInt32]) -> Int {
        let n = a.count
        let m = b.count
        if n == 0 { return m }
        if m == 0 { return n }
        var prev2 = [Int](repeating: 0, count: m + 1)
        var prev = Array(0...m)
        var cur = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            cur[0] = i
            for j in 1...m {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
                cur[j] = v
            }
            swap(&prev2, &prev)
            swap(&prev, &cur)
        }
        return prev[m]
    }
}
