import Foundation
import Testing

@testable import RedlineFeed

/// Retention without losing the history: the snapshot that replaces deleted segments.
@Suite struct SnapshotTests {
    /// Creates five articles and edits each many times, so every live version patches one in a deleted segment.
    func editedFeed(_ feed: TempFeed, retain: Int?) throws -> [String: String] {
        let w = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 2000, retainSegments: retain))
        var texts: [String: String] = [:]
        for i in 1...5 {
            let text = "خبر \(i): ویتکاوف گفت.\n\nدومین بند \(i)."
            _ = try w.append([created("a\(i).txt", text)])
            texts["a\(i).txt"] = text
        }
        for round in 1...12 {
            for i in 1...5 {
                let old = texts["a\(i).txt"]!
                let new = old + "\n\nبند تازه \(round)."
                _ = try w.append([modified("a\(i).txt", old, new)])
                texts["a\(i).txt"] = new
            }
        }
        _ = try w.append([moved("a1.txt", "b1.txt", texts["a1.txt"]!)])
        texts["b1.txt"] = texts.removeValue(forKey: "a1.txt")
        try w.close()
        return texts
    }

    func replayed(_ feed: TempFeed) throws -> [String: String] {
        let (history, _) = try FeedReplay(directory: feed.path).verify()
        return Dictionary(uniqueKeysWithValues: history.articles.map { ($0.key.path, $0.value.text) })
    }

    @Test func afterRetentionReplayStillRebuildsEveryArticle() throws {
        let feed = TempFeed()
        let texts = try editedFeed(feed, retain: 1)
        let report = try FeedCheck.run(directory: feed.path)
        #expect(try #require(report.firstSeq) > 1, "retention deleted segments")
        #expect(report.snapshotSeq == report.firstSeq! - 1)
        #expect(feed.names().filter { $0.hasPrefix("snapshot-") }.count == 1, "older snapshots are pruned")
        #expect(try replayed(feed) == texts)
    }

    @Test func withoutASnapshotRetentionLosesTheFold() throws {
        // What the snapshot guards against: the same feed with its snapshot gone cannot be folded.
        let feed = TempFeed()
        _ = try editedFeed(feed, retain: 1)
        for name in feed.names() where name.hasPrefix("snapshot-") {
            try FileManager.default.removeItem(atPath: feed.file(name))
        }
        let error = #expect(throws: FeedError.self) { try replayed(feed) }
        #expect(error?.code == .retention)
    }

    @Test func aDamagedSnapshotIsRefusedByNameNeverFoldedWrong() throws {
        let feed = TempFeed()
        _ = try editedFeed(feed, retain: 1)
        let name = try #require(feed.names().first { $0.hasPrefix("snapshot-") })
        var bytes = feed.bytes(name)
        let at = try #require(bytes.indices.last { bytes[$0] == UInt8(ascii: "9") || bytes[$0] == UInt8(ascii: "1") })
        bytes[at] = bytes[at] == UInt8(ascii: "9") ? UInt8(ascii: "8") : UInt8(ascii: "2")
        try feed.write(name, bytes)
        let check = #expect(throws: FeedError.self) { try FeedCheck.run(directory: feed.path) }
        #expect(check?.code == .corrupt)
        #expect(check?.message.contains(name) == true)
        #expect(throws: FeedError.self) { try replayed(feed) }
    }

    @Test func aKillBetweenSnapshotAndDeletionLeavesAReplayableFeed() throws {
        // The feed as a kill leaves it after the snapshot was renamed into place but before any segment went.
        let feed = TempFeed()
        let texts = try editedFeed(feed, retain: nil)
        let sealed = try FileIO.sealedSegments(feed.path)
        #expect(sealed.count >= 3)
        let covered = sealed[1].firstSeq - 1
        let feedID = try #require(try FeedReader(directory: feed.path).feedID())
        #expect(try FeedSnapshot.advance(directory: feed.path, feedID: feedID, to: covered))
        try feed.write(FeedSnapshot.name(seq: covered) + ".tmp.999", Array("half a snapshot".utf8))
        #expect(try replayed(feed) == texts, "segments from seq 1 are still there and still fold")
        // The next writer finishes the job at its next rotation.
        let w = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 2000, retainSegments: 1))
        for i in 1...20 { _ = try w.append([created("n\(i).txt", String(repeating: "x", count: 150))]) }
        try w.close()
        var expected = texts
        for i in 1...20 { expected["n\(i).txt"] = String(repeating: "x", count: 150) }
        #expect(try replayed(feed) == expected)
        #expect(feed.names().filter { $0.hasPrefix("snapshot-") }.count == 1, "the temp file and old snapshot are gone")
        #expect(try FeedCheck.run(directory: feed.path).snapshotSeq != nil)
    }
}
