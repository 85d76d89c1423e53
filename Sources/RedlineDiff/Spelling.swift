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
// Then the optimal string alignment distance d and the distance between the consonant skeletons
// (the keys without vowel letters). Spelling: d = 1 when the edit is gentle (an insertion, a
// deletion, a swap of neighbours or one vowel for another) or the word has 6+ letters; or equal
// skeletons with d at most a third of the length (at least 2). A looser case (d = 2, skeletons
// one edit apart, 6+ letters) counts only when the same pair of keys is replaced at least twice
// in the diff: repetition across an article is an editor's systematic fix.

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
        // Cheapest test first: farther apart than any spelling fix allows.
        let limit = max(2, maxLen / 3)
        if maxLen - minLen > limit { return .no }
        let d = distance(a, b)
        if d == 0 || d > limit { return .no }
        // Punctuation joined or split the words (resign / re-sign): a different word.
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
        // The consonant skeleton: spelling variants mostly differ in vowel letters
        // (ترامپ/ترمپ, تلیفونی/تلفنی, recieve/receive); real-word swaps change consonants
        // (داشت/کاشت, موافقت/مخالفت).
        let skeletonDistance = distance(a.filter { !isVowel($0) }, b.filter { !isVowel($0) })
        if d == 1, isGentleEdit(a, b) || maxLen >= 6 { return .strict }
        if skeletonDistance == 0, d * 3 <= max(6, maxLen) { return .strict }
        if d == 2, skeletonDistance <= 1, maxLen >= 6 { return .loose }
        return .no
    }

    /// Vowel letters: Latin, Cyrillic, and the Persian long vowels ا آ و ی.
    static func isVowel(_ v: UInt32) -> Bool {
        switch v {
        case 0x61, 0x65, 0x69, 0x6F, 0x75, 0x79: true  // a e i o u y
        case 0x0430, 0x0435, 0x0451, 0x0438, 0x043E, 0x0443, 0x044B, 0x044D, 0x044E, 0x044F: true
        case 0x0627, 0x0622, 0x0648, 0x06CC: true
        default: false
        }
    }

    /// A one-edit difference that is an insertion, deletion, swap of neighbours, or one vowel
    /// for another (never one consonant for another, which is how real words turn into others).
    static func isGentleEdit(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        if a.count != b.count { return true }
        let diffs = a.indices.filter { a[$0] != b[$0] }
        if diffs.count == 2, diffs[1] == diffs[0] + 1 { return true }
        if diffs.count == 1 { return isVowel(a[diffs[0]]) && isVowel(b[diffs[0]]) }
        return false
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
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * (m + 1)) { buffer in
            var prev2 = buffer.baseAddress!
            var prev = prev2 + (m + 1)
            var cur = prev + (m + 1)
            for j in 0...m {
                prev[j] = j
                prev2[j] = 0
            }
            for i in 1...n {
                cur[0] = i
                for j in 1...m {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
                    cur[j] = v
                }
                let t = prev2
                prev2 = prev
                prev = cur
                cur = t
            }
            return prev[m]
        }
    }
}
