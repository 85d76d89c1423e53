import Foundation
import Testing

@testable import RedlineFeed

/// The feed's whole life: restarts after rotation, damage of every class, repair, and readers that only
/// ever see what is durable. Each test names the defect it guards against.
@Suite struct FeedLifeTests {
    /// Eleven records over several sealed segments and the active one, closed cleanly.
    func rotatedFeed(_ feed: TempFeed, records: Int = 11, segmentBytes: Int = 700) throws -> FeedWriter {
        // Plain sealed segments, so tests can damage their bytes (CompressionTests covers gzipped ones).
        let w = try writer(feed, FeedOptions(fsync: .always, segmentBytes: segmentBytes, compressSealed: false))
        for i in 1...records { _ = try w.append([created("a\(i).txt", String(repeating: "متن \(i) ", count: 20))]) }
        return w
    }

    func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: true).map { Array($0) + [0x0A] }
    }

    func seqs(_ feed: TempFeed) throws -> [UInt64] {
        try FeedReader(directory: feed.path).records(since: 1).map(\.seq)
    }

    @Test func aFeedWithSealedSegmentsReopensAfterACleanStopAndAfterACrash() throws {
        let feed = TempFeed()
        let w = try rotatedFeed(feed)
        try w.close()
        #expect(feed.names().filter { $0.hasPrefix("changes-") }.count >= 2)
        var again: FeedWriter? = try writer(feed)
        #expect(again?.lastSeq == 11)
        #expect(again?.recovery.cleanShutdown == true)
        _ = try again?.append([created("b.txt", "after restart")])
        again = nil  // dropped without close: a crash with sealed segments in place
        let third = try writer(feed, FeedOptions(fsync: .always))
        #expect(third.lastSeq == 12)
        #expect(third.recovery.cut == nil)
        try third.close()
        #expect(try seqs(feed) == Array(1...12))
        #expect(try FeedCheck.run(directory: feed.path).records == 12)
    }

    @Test func aFlippedByteInTheMiddleStopsTheWriterAndCutsNothing() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .always))
        for i in 1...11 { _ = try w.append([created("a\(i).txt", "text \(i)")]) }
        try w.close()
        var bytes = feed.bytes("changes.jsonl")
        let l = lines(bytes)
        bytes[l[0].count + l[1].count + 60] ^= 0x04  // line 3
        try feed.write("changes.jsonl", bytes)
        let error = #expect(throws: FeedError.self) { try writer(feed) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("changes.jsonl line 3 (byte \(l[0].count + l[1].count))") == true)
        #expect(error?.message.contains("check --repair") == true)
        #expect(feed.bytes("changes.jsonl") == bytes, "nothing was cut")
    }

    @Test func repairKeepsEveryIntactSeqAndMarksTheLostOne() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .always))
        for i in 1...11 { _ = try w.append([created("a\(i).txt", "text \(i)")]) }
        try w.close()
        let before = try FeedReader(directory: feed.path).records(since: 1)
        var bytes = feed.bytes("changes.jsonl")
        let l = lines(bytes)
        bytes[l[0].count + l[1].count + 60] ^= 0x04
        try feed.write("changes.jsonl", bytes)
        let report = try FeedRepair.run(directory: feed.path)
        #expect(report.lost == [3...3])
        #expect(report.quarantined.count == 1)
        #expect(
            FileManager.default.contents(atPath: report.quarantined[0]).map(Array.init)
                == Array(bytes[(l[0].count + l[1].count)..<(l[0].count + l[1].count + l[2].count)]))
        let after = try FeedReader(directory: feed.path).records(since: 1)
        #expect(after.map(\.seq) == Array(1...11))
        #expect(after[2].type == .recovered && after[2].detail?["lost"] == "true")
        for i in [0, 1, 3, 4, 5, 6, 7, 8, 9, 10] { #expect(after[i] == before[i], "seq \(i + 1) is unchanged") }
        let reopened = try writer(feed)
        #expect(reopened.recovery.repaired)
        #expect(try reopened.append([created("z.txt", "new")]).first?.seq == 12)
        try reopened.close()
    }

    @Test func damageInASealedSegmentStopsTheWriterAndIsRepaired() throws {
        let feed = TempFeed()
        let w = try rotatedFeed(feed)
        try w.close()
        let sealed = feed.names().filter { $0.hasPrefix("changes-") }
        var bytes = feed.bytes(sealed[0])
        bytes[bytes.count / 2] ^= 0x02
        try feed.write(sealed[0], bytes)
        // The writer only reads the edges of sealed segments; `check` reads them whole.
        #expect(throws: FeedError.self) { try FeedCheck.run(directory: feed.path) }
        let report = try FeedRepair.run(directory: feed.path)
        #expect(report.lost.count == 1)
        #expect(try seqs(feed) == Array(1...11))
        #expect(try FeedCheck.run(directory: feed.path).records == 11)
    }

    @Test func aSealedSegmentWithATornEndStopsTheWriter() throws {
        let feed = TempFeed()
        let w = try rotatedFeed(feed)
        try w.close()
        let sealed = feed.names().filter { $0.hasPrefix("changes-") }
        let bytes = feed.bytes(sealed[0])
        try feed.write(sealed[0], Array(bytes.dropLast(20)))
        let error = #expect(throws: FeedError.self) { try writer(feed) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains(sealed[0]) == true)
    }

    @Test func aTruncatedLastLineAfterACleanStopIsNotCutAndNotReused() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .always))
        for i in 1...11 { _ = try w.append([created("a\(i).txt", "text \(i)")]) }
        try w.close()
        let bytes = feed.bytes("changes.jsonl")
        try feed.write("changes.jsonl", Array(bytes.dropLast(20)))
        #expect(throws: FeedError.self) { try writer(feed) }
        #expect(throws: FeedError.self) { try FeedCheck.run(directory: feed.path) }
        #expect(try FeedRepair.run(directory: feed.path).lost == [11...11])
        let reopened = try writer(feed)
        #expect(try reopened.append([created("z.txt", "new")]).first?.seq == 12)
        try reopened.close()
        #expect(try FeedCheck.run(directory: feed.path).records == 12)
    }

    @Test func recordsMissingFromTheEndAreNotGivenAway() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .always))
        for i in 1...5 { _ = try w.append([created("a\(i).txt", "text \(i)")]) }
        try w.close()
        let l = lines(feed.bytes("changes.jsonl"))
        try feed.write("changes.jsonl", l.prefix(3).flatMap { $0 })  // cut at a line boundary
        let error = #expect(throws: FeedError.self) { try writer(feed) }
        #expect(error?.message.contains("records 4..5 are missing") == true)
        #expect(try FeedRepair.run(directory: feed.path).lost == [4...5])
        #expect(try seqs(feed) == Array(1...5))
    }

    @Test func aDeletedActiveSegmentIsNotRestartedFromTheSealedOnes() throws {
        let feed = TempFeed()
        let w = try rotatedFeed(feed)
        try w.close()
        try FileManager.default.removeItem(atPath: feed.file("changes.jsonl"))
        let error = #expect(throws: FeedError.self) { try writer(feed) }
        #expect(error?.message.contains("changes.jsonl is missing") == true)
        let report = try FeedRepair.run(directory: feed.path)
        #expect(report.lost.last?.upperBound == 11)
        let reopened = try writer(feed)
        #expect(try reopened.append([created("z.txt", "new")]).first?.seq == 12)
        try reopened.close()
    }

    @Test func aMissingMiddleSegmentIsAGapTheWriterRefuses() throws {
        let feed = TempFeed()
        let w = try rotatedFeed(feed, records: 20)
        try w.close()
        let sealed = feed.names().filter { $0.hasPrefix("changes-") }
        #expect(sealed.count >= 3)
        try FileManager.default.removeItem(atPath: feed.file(sealed[1]))
        let error = #expect(throws: FeedError.self) { try writer(feed) }
        #expect(error?.message.contains("are missing") == true)
        #expect(try FeedRepair.run(directory: feed.path).lost.count == 1)
        #expect(try seqs(feed) == Array(1...20))
    }

    @Test func junkFilesInTheFeedDirectoryAreIgnored() throws {
        let feed = TempFeed()
        let w = try rotatedFeed(feed)
        try w.close()
        try feed.write("notes.txt", Array("hello".utf8))
        try feed.write("changes-12.jsonl", Array("not a segment name".utf8))
        try feed.write("changes.jsonl.bak", Array("junk".utf8))
        let again = try writer(feed)
        #expect(again.lastSeq == 11)
        try again.close()
        #expect(try FeedCheck.run(directory: feed.path).records == 11)
    }

    @Test func aCrashTearOfUnsyncedLinesIsCutEvenWhenWholeLinesFollowIt() throws {
        // Power loss can write back a later page and not an earlier one: past the durable mark, nothing a
        // reader saw is at stake, so the first bad line and everything after it go.
        let feed = TempFeed()
        var w: FeedWriter? = try writer(feed, FeedOptions(fsync: .never))
        for i in 1...4 { _ = try w!.append([created("a\(i).txt", "text \(i)")]) }
        w = nil
        var bytes = feed.bytes("changes.jsonl")
        let l = lines(bytes)
        for i in 0..<l[1].count - 1 { bytes[l[0].count + i] = 0 }  // line 2 zeroed, lines 3-4 intact
        try feed.write("changes.jsonl", bytes)
        let reopened = try writer(feed, FeedOptions(fsync: .always))
        #expect(reopened.recovery.cut?.line == 2)
        #expect(reopened.lastSeq == 2, "seq 1 kept, seq 2 is the recovered record")
        try reopened.close()
    }

    @Test(arguments: [FsyncPolicy.never, .interval(milliseconds: 60_000)])
    func readersNeverSeeRecordsBeforeTheyAreSynced(policy: FsyncPolicy) throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: policy))
        _ = try w.append([created("a.txt", "one")])
        _ = try w.append([created("b.txt", "two")])
        let cursor = try FeedReader(directory: feed.path).cursor(since: 1)
        #expect(try cursor.next() == nil, "written but not synced: invisible")
        #expect(try FeedReader(directory: feed.path).lastSeq() == 0)
        #expect(w.durableSeq == 0)
        try w.close()
        #expect(try cursor.next()?.seq == 1)
        #expect(try cursor.next()?.seq == 2)
    }

    @Test func underAlwaysEveryAppendedRecordIsVisibleAtOnce() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .always))
        let cursor = try FeedReader(directory: feed.path).cursor(since: 1)
        _ = try w.append([created("a.txt", "one")])
        #expect(w.durableSeq == 1)
        #expect(try cursor.next()?.seq == 1)
        try w.close()
    }

    @Test func aTornMarkIsNeverBelievedLarger() {
        var line = DurableMark.encode(123)
        #expect(DurableMark.decode(line[...]) == 123)
        line[27] = UInt8(ascii: "9")  // a reader racing the writer sees half of a new value
        #expect(DurableMark.decode(line[...]) == nil)
    }
}
