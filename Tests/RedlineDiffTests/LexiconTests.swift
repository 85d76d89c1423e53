import RedlineDiff
import Testing

/// The lexicon's part in classification (the data-driven cases are `Fixtures/cases/lex_*.json`):
/// what a reader sees with word lists, and that without them nothing changes from the distance rules.
@Suite struct LexiconTests {
    func lexicon(_ words: [String]) -> Lexicon {
        var builder = Lexicon.Builder()
        let lines = Array(words.joined(separator: "\n").utf8)
        lines.withUnsafeBufferPointer { builder.add(lines: $0) }
        return builder.build()
    }

    func change(_ old: String, _ new: String, _ lexicon: LazyLexicon?) -> (String, String?) {
        let diff = Differ.diff(old: old + "\n", new: new + "\n", lexicon: lexicon)
        let c = diff.changes[0]
        return (c.class.rawValue, c.rule)
    }

    @Test func withoutALexiconTheDistanceRulesDecideAsBefore() {
        // No lexicon, an empty one, and one of another script: the same answers as without word lists.
        let latinOnly = LazyLexicon(lexicon(["complement", "compliment"]))
        for lexicon in [nil, LazyLexicon(.empty), latinOnly] {
            #expect(change("گفت سلام و رفت", "گفت سالم و رفت", lexicon) == ("spelling", nil))
            #expect(change("ویتکاوف رفت", "ویتکاف رفت", lexicon) == ("spelling", nil))
        }
        for lexicon in [nil, LazyLexicon(.empty)] {
            #expect(change("a complement on it", "a compliment on it", lexicon) == ("spelling", nil))
            #expect(change("read teh report", "read the report", lexicon) == ("wording", nil))
        }
        #expect(change("a complement on it", "a compliment on it", latinOnly) == ("wording", "real_words"))
    }

    @Test func wordsAreFoundInAnySpellingTheKeyFolds() {
        let words = lexicon(["می‌کند", "Paris", "don't", "naïve", "كتاب"])
        #expect(words.contains("میکند"))
        #expect(words.contains("paris") && words.contains("PARIS"))
        #expect(words.contains("don’t"))
        #expect(words.contains("NAÏVE"))
        #expect(words.contains("کتاب"))
        #expect(!words.contains("کتب") && !words.contains("pari"))
        #expect(words.wordCount(.latin) == 3 && words.wordCount(.arabic) == 2)
        #expect(words.covers(.latin) && !lexicon(["سلام"]).covers(.latin))
    }

    @Test func hunspellCountLinesAndAffixFlagsAreNotWords() {
        var builder = Lexicon.Builder()
        Array("3\nhouse/SM\ncar/S\n42nd\n".utf8).withUnsafeBufferPointer { builder.add(lines: $0) }
        let words = builder.build()
        #expect(words.contains("house") && words.contains("car"))
        #expect(!words.contains("house/SM") && words.wordCount(.latin) == 2)
    }

    @Test func aDiffWithoutWordChangesNeverLoadsTheLexicon() {
        let lazy = LazyLexicon { Lexicon.empty }
        _ = Differ.diff(old: "Hello, world.\n", new: "Hello world!\n", lexicon: lazy)
        _ = Differ.diff(old: "خانه‌ی ما\n", new: "خانۀ ما\n", lexicon: lazy)
        #expect(!lazy.isLoaded)
        _ = Differ.diff(old: "Hello world.\n", new: "Hello word.\n", lexicon: lazy)
        #expect(lazy.isLoaded)
    }
}
