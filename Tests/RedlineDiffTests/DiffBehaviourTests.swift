import Foundation
import RedlineDiff
import Testing

@Suite struct DiffBehaviourTests {
    @Test func identicalTextsShortCircuit() throws {
        let diff = Differ.diff(old: Fixture.corpus, new: Fixture.corpus)
        #expect(diff.isIdentical)
        #expect(diff.significance == nil)
        #expect(diff.changes.isEmpty)
        #expect(diff.summary == DiffSummary())
        #expect(try diff.patch.apply(to: Fixture.corpus) == Fixture.corpus)
    }

    @Test func canonicallyEquivalentTextsAreNotIdentical() throws {
        // Swift's == folds é (U+00E9) and e + U+0301; the feed must not: the bytes changed.
        let old = "Caf\u{E9} open.\n"
        let new = "Cafe\u{301} open.\n"
        let diff = Differ.diff(old: old, new: new)
        #expect(!diff.isIdentical)
        #expect(diff.changes.map(\.class) == [.orthography])
        #expect(Array(try diff.patch.apply(to: old).utf8) == Array(new.utf8))
    }

    @Test func jsonRoundTripsThroughCodable() throws {
        let fixture = Fixture.all.first { $0.name == "fa_moved_and_edited" }!
        let (old, new) = fixture.texts()
        let diff = Differ.diff(old: old, new: new)
        let encoded = try JSONEncoder().encode(diff)
        #expect(try JSONDecoder().decode(TextDiff.self, from: encoded) == diff)
        // The direct writer produces the same object.
        #expect(try JSONDecoder().decode(TextDiff.self, from: Data(diff.json().utf8)) == diff)
        let object = try JSONSerialization.jsonObject(with: Data(diff.json().utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["significance", "summary", "changes", "patch"])
        let first = (object["changes"] as! [[String: Any]])[0]
        #expect(first["class"] as? String == "paragraph_moved")
        #expect(first["old_paragraph"] as? Int == 12)
        let summary = object["summary"] as! [String: Any]
        #expect(summary["paragraph_moved"] as? Int == 1)
        #expect(summary["spelling"] as? Int == 1)
    }

    @Test func identicalJSONHasNullSignificance() throws {
        let diff = Differ.diff(old: "a\n", new: "a\n")
        let object = try JSONSerialization.jsonObject(with: Data(diff.json().utf8)) as! [String: Any]
        #expect(object["significance"] is NSNull)
        #expect(try JSONDecoder().decode(TextDiff.self, from: Data(diff.json().utf8)) == diff)
    }

    @Test func patchRefusesAnotherText() {
        let diff = Differ.diff(old: "one two\n", new: "one three\n")
        #expect(throws: PatchError.self) { try diff.patch.apply(to: "one twx\n") }
        do {
            _ = try diff.patch.apply(to: "different length text\n")
            Issue.record("applied to the wrong text")
        } catch {
            #expect(error.code == .oldTextMismatch)
            #expect(error.description.contains("previous version"))
        }
    }

    @Test func patchIsCompactForSmallEdits() throws {
        let old = Fixture.corpus
        let new = old.replacingOccurrences(of: "ویتکاوف و جرد", with: "ویتکاف و جرد")
        let diff = Differ.diff(old: old, new: new)
        // Copy, the new word, copy: not the article twice.
        #expect(diff.patch.operations.count <= 3)
        #expect(diff.patch.json().utf8.count < 200)
    }

    @Test func summaryCountsWords() {
        let diff = Differ.diff(old: "He would resign.\n", new: "He would not resign today.\n")
        #expect(diff.summary.wordsAdded == 2)
        #expect(diff.summary.wordsRemoved == 0)
        #expect(diff.summary.wording == 2 || diff.summary.wording == 1)
    }

    @Test func significanceIsTheWorstChange() {
        #expect(ChangeClass.orthography.significance == .cosmetic)
        #expect(ChangeClass.spelling.significance == .minor)
        #expect(ChangeClass.paragraphMoved.significance == .minor)
        #expect(ChangeClass.number.significance == .substantive)
        #expect(Significance.cosmetic < .minor && Significance.minor < .substantive)
        let diff = Differ.diff(old: "Trump met Zelenskiy on 3 May.\n", new: "Trump met Zelenskyy on 4 May.\n")
        #expect(diff.significance == .substantive)
        #expect(Set(diff.changes.map(\.class)) == [.spelling, .number])
    }

    @Test func nearIdenticalLargeTextReportsOnlyTheEdit() throws {
        // ~60,000 words of distinct paragraphs; one number changed in the middle.
        var paragraphs: [String] = []
        for i in 0..<1200 { paragraphs.append(Fixture.corpus.components(separatedBy: "\n\n")[i % 14] + " (\(i))") }
        let old = paragraphs.joined(separator: "\n\n")
        paragraphs[600] = paragraphs[600].replacingOccurrences(of: "(600)", with: "(601)")
        let new = paragraphs.joined(separator: "\n\n")
        let diff = Differ.diff(old: old, new: new)
        #expect(diff.changes.map(\.class) == [.number])
        #expect(diff.changes.first?.oldParagraph == 600)
        #expect(try diff.patch.apply(to: old) == new)
    }

    @Test func sameInputSameOutput() {
        let fixture = Fixture.all.first { $0.name == "fa_moved_and_number" }!
        let (old, new) = fixture.texts()
        #expect(Differ.diff(old: old, new: new).json() == Differ.diff(old: old, new: new).json())
    }
}

@Suite struct ArticleTextTests {
    @Test func decodesValidUTF8ByteForByte() throws {
        let text = "\u{FEFF}سلام\u{200C}ها 2022 ۲۰۲۲ 😀\r\n"
        let decoded = try ArticleText.decode(Array(text.utf8))
        #expect(Array(decoded.utf8) == Array(text.utf8))
        #expect(decoded.unicodeScalars.first == "\u{FEFF}")
    }

    @Test func namesTheFirstInvalidByte() {
        let bytes: [UInt8] = Array("abc ویت".utf8) + [0xC3, 0x28] + Array("x".utf8)
        #expect(throws: DecodeError(reason: .invalidUTF8, byteOffset: 10)) { try ArticleText.decode(bytes) }
        #expect(DecodeError(reason: .invalidUTF8, byteOffset: 10).description.hasPrefix("invalid UTF-8 at byte 10"))
    }

    @Test(
        arguments: [
            ([0xFF], 0), ([0x61, 0xE2, 0x82], 1), ([0xED, 0xA0, 0x80], 0), ([0xC0, 0x80], 0),
            ([0x61, 0x62, 0xF4, 0x90, 0x80, 0x80], 2),
        ] as [([UInt8], Int)])
    func rejectsMalformedSequences(_ bytes: [UInt8], _ offset: Int) {
        #expect(throws: DecodeError(reason: .invalidUTF8, byteOffset: offset)) { try ArticleText.decode(bytes) }
    }

    @Test func rejectsNulBytes() {
        #expect(throws: DecodeError(reason: .nulByte, byteOffset: 3)) {
            try ArticleText.decode([0x61, 0x62, 0x63, 0x00])
        }
    }
}
