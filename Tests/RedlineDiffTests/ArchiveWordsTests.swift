import RedlineDiff
import Testing

/// The archive's word counts (the data-driven cases of the rule are `Fixtures/cases/arch_*.json`).
@Suite struct ArchiveWordsTests {
    @Test func aWordCountsOncePerArticleUnderItsComparisonKey() {
        // Repeated, and written with Arabic kaf and yeh: one word.
        let words = ArchiveWords.words(of: "کتاب و كتاب، کتاب! پوتین پوتين")
        #expect(words.count == 3)
        #expect(words == ArchiveWords.words(of: "كتاب پوتین و"))
        #expect(words == words.sorted())
        // Numbers and punctuation are not words.
        #expect(ArchiveWords.words(of: "۱۲۳ 45 — « »").isEmpty)
    }

    @Test func editsMoveTheCountsAndDeletesTakeThemBack() {
        let archive = ArchiveWords()
        let a = ArchiveWords.words(of: "Kyiv news today")
        let b = ArchiveWords.words(of: "Kyiv and Lviv")
        archive.update(removing: [], adding: a)
        archive.update(removing: [], adding: b)
        #expect(archive.wordCount == 5)
        // a edited: "news" and "today" leave the archive, "Odesa" comes in.
        let edited = ArchiveWords.words(of: "Kyiv, Odesa")
        archive.update(removing: a, adding: edited)
        #expect(archive.wordCount == 4)
        let counts = ArchiveWords.decode(compiled: archive.compiled(stamp: "s"), stamp: "s") ?? [:]
        #expect(counts.values.sorted() == [1, 1, 1, 2])
        archive.update(removing: b, adding: [])
        archive.update(removing: edited, adding: [])
        #expect(archive.wordCount == 0)
    }

    /// The counting thread's shortcut (only the lines an edit touched are tokenized twice) moves the counts
    /// exactly as counting both whole texts does, for edits of every shape: lines added, removed, repeated,
    /// moved, and words moved from one line to another.
    @Test func aChangeMovesTheCountsAsCountingBothTextsWould() {
        let pool = [
            "ویتکاوف با ترمپ در کاخ سفید دیدار کرد.", "ویتکاف با ترامپ دیدار کرد.", "کنترول مرز، كنترل مرز",
            "می‌خواهد بیاید", "میخواهد بیاید", "Kyiv and Lviv, today.", "kyiv news", "۱۲۳ نفر", "",
            "the plan", "the plant", "Putin پوتين", "پوتین", "خبر تازه\r", "Odesa\r",
        ]
        var rng = SeededRandom(seed: 42)
        for _ in 0..<500 {
            let old = (0..<Int.random(in: 0...6, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
            var new = old
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: new.insert(pool.randomElement(using: &rng)!, at: Int.random(in: 0...new.count, using: &rng))
                case 1: if !new.isEmpty { new.remove(at: Int.random(in: 0..<new.count, using: &rng)) }
                case 2: new.shuffle(using: &rng)
                default:
                    if !new.isEmpty {
                        new[Int.random(in: 0..<new.count, using: &rng)] += " " + pool.randomElement(using: &rng)!
                    }
                }
            }
            let (oldText, newText) = (old.joined(separator: "\n"), new.joined(separator: "\n\n") + "\n")
            let (before, after) = (ArchiveWords.words(of: oldText), ArchiveWords.words(of: newText))
            let change = ArchiveWords.change(from: oldText, to: newText)
            #expect(change.removing == before.filter { !after.contains($0) }, "\(oldText) -> \(newText)")
            #expect(change.adding == after.filter { !before.contains($0) }, "\(oldText) -> \(newText)")
        }
    }

    @Test func savedCountsComeBackOnlyForTheirStampAndWhole() {
        let archive = ArchiveWords()
        archive.update(removing: [], adding: ArchiveWords.words(of: "ترمپ و پوتین"))
        let bytes = archive.compiled(stamp: "feed-1:42")
        #expect(ArchiveWords(compiled: bytes, stamp: "feed-1:42")?.wordCount == 3)
        #expect(ArchiveWords(compiled: bytes, stamp: "feed-1:43") == nil)
        #expect(ArchiveWords(compiled: Array(bytes.dropLast()), stamp: "feed-1:42") == nil)
        #expect(ArchiveWords(compiled: [], stamp: "") == nil)
    }

    @Test func lazyCountsAreMadeOnlyWhenADiffNeedsThem() {
        let archive = ArchiveWords(loading: {
            Issue.record("counted for a change no archive can judge"); return [:]
        })
        // A number and a punctuation change: the archive is never consulted.
        _ = Differ.diff(old: "۳۰ نفر، آمدند\n", new: "۳۵ نفر آمدند\n", archive: archive)
    }
}
