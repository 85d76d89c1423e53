import Foundation
import RedlineDiff
import Testing

/// Each fixture: the classes a reader would see, the record's significance, the orthography
/// rules named, and a patch that rebuilds the new text exactly.
@Suite struct DiffFixtureTests {
    @Test(arguments: Fixture.all)
    func classifiesLikeAnEditorWould(_ fixture: Fixture) throws {
        let (old, new) = fixture.texts()
        let diff = fixture.diff()
        let classes = diff.changes.map(\.class.rawValue).sorted()
        if let expected = fixture.classes {
            #expect(
                classes == expected,
                "\(diff.changes.map { "\($0.class.rawValue): \($0.oldText ?? "∅") → \($0.newText ?? "∅")" })")
        } else {
            #expect(!classes.isEmpty && classes.allSatisfy { $0 == "whitespace" })
        }
        #expect(diff.significance?.rawValue == fixture.significance)
        if let rules = fixture.rules {
            #expect(diff.changes.compactMap(\.rule) == rules)
        }
        let rebuilt = try diff.patch.apply(to: old)
        #expect(Array(rebuilt.utf8) == Array(new.utf8))
    }

    @Test(arguments: Fixture.all)
    func changesPointAtTheirText(_ fixture: Fixture) {
        let (old, new) = fixture.texts()
        let diff = Differ.diff(old: old, new: new)
        let oldBytes = Array(old.utf8)
        let newBytes = Array(new.utf8)
        for change in diff.changes {
            if let s = change.oldStart, let e = change.oldEnd {
                #expect(String(decoding: oldBytes[s..<e], as: UTF8.self) == change.oldText)
            }
            if let s = change.newStart, let e = change.newEnd {
                #expect(String(decoding: newBytes[s..<e], as: UTF8.self) == change.newText)
            }
        }
    }

    @Test func noSubstantiveFixtureIsReportedMilder() {
        // The worst error: a changed fact filtered out as cosmetic or minor.
        for fixture in Fixture.all where fixture.significance == "substantive" {
            #expect(fixture.diff().significance == .substantive, "\(fixture.name)")
        }
    }
}
