import Foundation
import RedlineDiff
import Testing

/// Property: for random edits of the corpus article and of random Unicode text, applying the
/// patch to the old text gives the new text byte for byte. Seeded, so every run is the same.
@Suite struct PatchPropertyTests {
    static let palette: [String] = [
        "a", "b", "Z", " ", "  ", "\n", "\n\n", "\r\n", "\r", "\t", ".", ",", "\"", "“", "«", "»", "-", "é", "e\u{301}",
        "\u{200C}", "\u{200D}", "\u{FEFF}", "\u{0640}", "\u{064E}", "ی", "ي", "ک", "ك", "۲", "٢", "2", "٫", "😀", "👩‍👩‍👧",
        "Ж", "ж", "ب", "\u{FEFB}", "\u{00A0}", "$", "%", "ترمپ", "ترامپ", "می‌کند", "1,200", "4.5",
    ]

    static func randomText(_ rng: inout SeededRandom, length: Int) -> String {
        var s = ""
        for _ in 0..<length { s += palette.randomElement(using: &rng)! }
        return s
    }

    static func mutate(_ text: String, _ rng: inout SeededRandom, edits: Int) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<edits {
            let position = scalars.isEmpty ? 0 : Int.random(in: 0...scalars.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0, 1:
                scalars.insert(
                    contentsOf: randomText(&rng, length: Int.random(in: 1...4, using: &rng)).unicodeScalars,
                    at: position)
            case 2:
                let end = min(scalars.count, position + Int.random(in: 1...12, using: &rng))
                if position < end { scalars.removeSubrange(position..<end) }
            case 3:
                if position < scalars.count {
                    scalars[position] = randomText(&rng, length: 1).unicodeScalars.first!
                }
            case 4:
                // Move a paragraph.
                var paragraphs = String(String.UnicodeScalarView(scalars)).components(separatedBy: "\n\n")
                if paragraphs.count > 2 {
                    let p = paragraphs.remove(at: Int.random(in: 0..<paragraphs.count, using: &rng))
                    paragraphs.insert(p, at: Int.random(in: 0...paragraphs.count, using: &rng))
                    scalars = Array(paragraphs.joined(separator: "\n\n").unicodeScalars)
                }
            default:
                scalars.insert(contentsOf: "\n\n".unicodeScalars, at: position)
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    static func check(_ old: String, _ new: String) throws {
        let diff = Differ.diff(old: old, new: new)
        let rebuilt = try diff.patch.apply(to: old)
        #expect(Array(rebuilt.utf8) == Array(new.utf8), "old: \(old.debugDescription) new: \(new.debugDescription)")
        let decoded = try JSONDecoder().decode(TextDiff.self, from: Data(diff.json().utf8))
        #expect(decoded == diff)
        #expect(diff.isIdentical == (Array(old.utf8) == Array(new.utf8)))
    }

    @Test func randomEditsOfTheCorpusArticle() throws {
        var rng = SeededRandom(seed: 0x5EED_0001)
        for _ in 0..<150 {
            let new = Self.mutate(Fixture.corpus, &rng, edits: Int.random(in: 1...25, using: &rng))
            try Self.check(Fixture.corpus, new)
        }
    }

    @Test func randomUnicodeText() throws {
        var rng = SeededRandom(seed: 0x5EED_0002)
        for _ in 0..<300 {
            let old = Self.randomText(&rng, length: Int.random(in: 0...80, using: &rng))
            let new =
                Bool.random(using: &rng)
                ? Self.mutate(old, &rng, edits: Int.random(in: 1...8, using: &rng))
                : Self.randomText(&rng, length: Int.random(in: 0...80, using: &rng))
            try Self.check(old, new)
        }
    }
}
