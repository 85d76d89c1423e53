import Foundation
import RedlineDiff
import Testing

/// One data-driven case from `Fixtures/cases/*.json`.
///
/// Either `old`/`new` inline, or `base: "corpus"` (the real article in `Fixtures/corpus`) with
/// `edits` applied in order to make the new version. `classes` is the exact multiset of change
/// classes expected (sorted), `rules` the rules of the orthography/spelling/whitespace changes.
struct Fixture: Decodable, Sendable, CustomTestStringConvertible {
    struct Edit: Decodable, Sendable {
        /// Replace the first (or, with `all`, every) occurrence of `replace[0]` by `replace[1]`.
        var replace: [String]?
        var all: Bool?
        /// Move paragraph `move[0]` so that it ends up at index `move[1]`.
        var move: [Int]?
        /// Remove paragraph `remove`.
        var remove: Int?
        /// Insert paragraph `text` at index `add`.
        var add: Int?
        var text: String?
        /// Append raw text at the end.
        var append: String?
    }

    var name: String
    var base: String?
    var old: String?
    var new: String?
    var edits: [Edit]?
    var classes: [String]?
    var significance: String?
    var rules: [String]?
    var note: String?
    /// The words of a lexicon the case is diffed with (none: the rules without a lexicon).
    var lexicon: [String]?
    /// The articles of an archive the case is diffed with, whose use of each word is evidence (none: no archive).
    var archive: [String]?

    var testDescription: String { name }

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static let corpus: String = {
        let url = directory.appendingPathComponent("corpus/000_e5aa263bf61808cb.txt")
        return String(decoding: try! Data(contentsOf: url), as: UTF8.self)
    }()

    static let all: [Fixture] = {
        let dir = directory.appendingPathComponent("cases")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().map {
            try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: dir.appendingPathComponent($0)))
        }
    }()

    /// The case's lexicon, built in memory from its words.
    var lazyLexicon: LazyLexicon? {
        guard let lexicon else { return nil }
        var builder = Lexicon.Builder()
        let lines = Array(lexicon.joined(separator: "\n").utf8)
        lines.withUnsafeBufferPointer { builder.add(lines: $0) }
        return LazyLexicon(builder.build())
    }

    /// The case's archive: how many of its articles use each word.
    var archiveWords: ArchiveWords? {
        guard let archive else { return nil }
        var counts: [UInt64: UInt32] = [:]
        for article in archive { ArchiveWords.count(ArchiveWords.words(of: article), into: &counts) }
        return ArchiveWords(counts: counts)
    }

    /// The case's diff, with its lexicon and archive.
    func diff() -> TextDiff {
        let (old, new) = texts()
        return Differ.diff(old: old, new: new, lexicon: lazyLexicon, archive: archiveWords)
    }

    /// The old and new texts of the case.
    func texts() -> (old: String, new: String) {
        let oldText = base == "corpus" ? Self.corpus : (old ?? "")
        if let new { return (oldText, new) }
        var text = oldText
        for edit in edits ?? [] {
            if let r = edit.replace {
                precondition(text.contains(r[0]), "\(name): \(r[0]) not found")
                if edit.all == true {
                    text = text.replacingOccurrences(of: r[0], with: r[1])
                } else if let range = text.range(of: r[0]) {
                    text.replaceSubrange(range, with: r[1])
                }
            }
            var paragraphs = text.components(separatedBy: "\n\n")
            if let m = edit.move {
                let p = paragraphs.remove(at: m[0])
                paragraphs.insert(p, at: m[1])
            }
            if let r = edit.remove { paragraphs.remove(at: r) }
            if let a = edit.add, let t = edit.text { paragraphs.insert(t, at: a) }
            if edit.move != nil || edit.remove != nil || edit.add != nil {
                text = paragraphs.joined(separator: "\n\n")
            }
            if let a = edit.append { text += a }
        }
        return (oldText, text)
    }
}

/// SplitMix64: a tiny seeded generator, so property tests are the same on every run and machine.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
