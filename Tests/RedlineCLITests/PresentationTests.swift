import RedlineDiff
import RedlineFeed
import Testing

@testable import redline

@Suite struct PresentationTests {
    @Test func textLineNamesTimeTypePathAndClasses() throws {
        let old = "قیمت ۱۰ دلار است."
        let new = "قیمت ۱۲ دلار است."
        let diff = Differ.diff(old: old, new: new)
        var record = FeedRecord(
            type: .modified, root: "/srv/news", path: "a.txt", before: VersionInfo(text: old),
            after: VersionInfo(text: new), significance: diff.significance, summary: diff.summary,
            changes: diff.changes, patch: diff.patch)
        // What the writer stamps on the first record at the feed tests' fixed clock.
        record.seq = 1
        record.time = "2026-11-18T11:06:40.123Z"
        let line = TextLine.render(record, verbose: true)
        #expect(line.hasPrefix("2026-11-18T11:06:40.123Z  #1  modified  a.txt"))
        #expect(line.contains("="))
        #expect(line.split(separator: "\n").count >= 2)
    }
}
