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

    @Test func checkSummaryNamesTheSnapshot() {
        // As `check` reports a feed whose oldest segments retention replaced by a snapshot.
        let report = FeedCheckReport(records: 21, segments: 2, firstSeq: 41, lastSeq: 61, bytes: 9000, snapshotSeq: 40)
        #expect(report.summary.contains("snapshot of seq \(report.snapshotSeq!)"))
        #expect(
            report.summary
                == "ok: 21 records in 2 segments, seq 41..61, 9000 bytes, "
                + "history before them in a verified snapshot of seq 40")
    }
}
