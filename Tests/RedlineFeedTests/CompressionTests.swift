import Foundation
import Testing

@testable import RedlineFeed

/// Sealed segments gzipped in the background: readers see the same records, `zcat` reads them, a crash at
/// any step of the compression leaves a feed that opens, and damage to a compressed segment is named.
@Suite struct CompressionTests {
    /// A feed of 30 records over several sealed segments (gzipped unless `compress` is false) and the active
    /// one; compression has finished when it returns.
    func compressedFeed(_ feed: TempFeed, compress: Bool = true) throws -> FeedWriter {
        let w = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 1500, compressSealed: compress))
        for i in 1...30 { _ = try w.append([created("a\(i).txt", String(repeating: "متن \(i) ", count: 20))]) }
        w.awaitCompression()
        return w
    }

    func sealed(_ feed: TempFeed) -> [String] { feed.names().filter { $0.hasPrefix("changes-") } }

}

extension FeedCursor {
    /// Every complete line from here on, each with its `\n`.
    func allLines() throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let raw = try next() { bytes += raw.bytes + [0x0A] }
        return bytes
    }
}

extension CompressionTests {

    func zcat(_ path: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/zcat")
        process.arguments = [path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "zcat \(path)")
        return [UInt8](data)
    }

    @Test func sealedSegmentsAreGzippedAndEveryReaderSeesTheSameRecords() throws {
        let plain = TempFeed()
        let p = try compressedFeed(plain, compress: false)
        try p.close()
        let feed = TempFeed()
        let w = try compressedFeed(feed)
        let names = sealed(feed)
        #expect(names.count >= 3)
        #expect(names.allSatisfy { $0.hasSuffix(".jsonl.gz") }, "\(names)")
        // Each gzip file holds exactly the plain segment's bytes: `zcat` gives them back.
        let plainNames = sealed(plain)
        #expect(plainNames.map { $0 + ".gz" } == names)
        let lines = try FeedReader(directory: feed.path).cursor(since: 1).allLines()
        #expect(try names.flatMap { try zcat(feed.file($0)) } + feed.bytes("changes.jsonl") == lines)
        let compressedBytes = names.reduce(0) { $0 + feed.bytes($1).count }
        let plainBytes = plainNames.reduce(0) { $0 + plain.bytes($1).count }
        #expect(compressedBytes * 2 < plainBytes, "compressed \(compressedBytes) of \(plainBytes) bytes")
        // The cursor (tail, replay), check and a reopened writer read them as they read plain ones.
        let records = try FeedReader(directory: feed.path).records(since: 1)
        #expect(records.map(\.seq) == Array(1...30))
        #expect(records.map(\.content) == (try FeedReader(directory: plain.path).records(since: 1)).map(\.content))
        #expect(try FeedReader(directory: feed.path).records(since: 17).map(\.seq) == Array(17...30))
        let report = try FeedCheck.run(directory: feed.path)
        #expect(report.records == 30 && report.segments == names.count + 1)
        try FeedCheck.decodeAll(directory: feed.path)
        try w.close()
        let again = try writer(feed)
        #expect(again.lastSeq == 30)
        #expect(try again.append([created("z.txt", "after")]).first?.seq == 31)
        try again.close()
    }

    @Test func aFeedWhoseActiveSegmentIsEmptyTakesItsLastSeqFromTheCompressedOne() throws {
        let feed = TempFeed()
        let w = try compressedFeed(feed)
        try w.close()
        // As a crash right after a rotation leaves it: the active file sealed, a new empty one.
        let first = try #require(try SegmentScan.edges(feed.file("changes.jsonl"), feedID: nil).first)
        try FileManager.default.moveItem(
            atPath: feed.file("changes.jsonl"), toPath: feed.file(FileIO.sealedName(firstSeq: first)))
        try feed.write("changes.jsonl", [])
        let compressing = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 1500))
        compressing.awaitCompression()
        try compressing.close()
        #expect(sealed(feed).allSatisfy { $0.hasSuffix(".gz") })
        #expect(feed.bytes("changes.jsonl").isEmpty)
        #expect(try FeedReader(directory: feed.path).lastSeq() == 30)
        try FileManager.default.removeItem(atPath: feed.file("clean-shutdown"))
        let again = try writer(feed)
        #expect(again.lastSeq == 30)
        #expect(try again.append([created("z.txt", "after")]).first?.seq == 31)
        try again.close()
    }

    /// The daemon's startup scan holds compression: segments left plain and segments sealed meanwhile stay plain
    /// (and readable) until it is released, then every one is gzipped.
    @Test func compressionHeldAtOpenWaitsForTheReleaseThenGzipsEverySegment() throws {
        let feed = TempFeed()
        let p = try compressedFeed(feed, compress: false)
        try p.close()
        let left = sealed(feed)
        let w = try FeedWriter(
            directory: feed.path, options: FeedOptions(fsync: .always, segmentBytes: 1500), clock: fixedClock,
            logger: testLogger, holdingCompression: true)
        for i in 31...60 { _ = try w.append([created("b\(i).txt", String(repeating: "متن \(i) ", count: 20))]) }
        w.awaitCompression()
        let held = sealed(feed)
        #expect(held.count > left.count, "segments were sealed while held")
        #expect(held.allSatisfy { !$0.hasSuffix(".gz") }, "nothing is gzipped while held: \(held)")
        #expect(try FeedReader(directory: feed.path).records(since: 1).count == 60)
        w.releaseCompression()
        w.awaitCompression()
        #expect(sealed(feed) == held.map { $0 + ".gz" })
        #expect(try FeedReader(directory: feed.path).records(since: 1).count == 60)
        try w.close()
    }

    @Test func aCrashAtAnyStepOfCompressionLeavesAFeedThatOpensWhole() throws {
        let feed = TempFeed()
        let p = try compressedFeed(feed, compress: false)
        try p.close()
        let plainNames = sealed(feed)
        let plainBytes = plainNames.map { feed.bytes($0) }
        // Opened with compression on, the writer compresses the segments it finds plain.
        let w = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 1500))
        w.awaitCompression()
        try w.close()
        let names = sealed(feed)
        #expect(names == plainNames.map { $0 + ".gz" })
        // Crash after the rename, before the unlink: both files exist.
        try feed.write(plainNames[0], plainBytes[0])
        // Crash while writing the temp file: a torn temp file.
        try feed.write(plainNames[1] + ".gz.tmp", Array(feed.bytes(names[1]).prefix(40)))
        // Crash before the rename: the plain segment and its finished temp file.
        try feed.write(plainNames[2], plainBytes[2])
        try FileManager.default.moveItem(atPath: feed.file(names[2]), toPath: feed.file(plainNames[2] + ".gz.tmp"))
        #expect(try FeedReader(directory: feed.path).records(since: 1).map(\.seq) == Array(1...30))
        #expect(try FeedCheck.run(directory: feed.path).records == 30)
        let again = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 1500))
        again.awaitCompression()
        #expect(sealed(feed) == names, "one gzip file per segment, no temp files left")
        #expect(try FeedCheck.run(directory: feed.path).records == 30)
        #expect(try FeedReader(directory: feed.path).records(since: 1).map(\.seq) == Array(1...30))
        try again.close()
    }

    @Test func damageInACompressedSegmentIsNamedAndRepaired() throws {
        let feed = TempFeed()
        let w = try compressedFeed(feed)
        try w.close()
        let name = sealed(feed)[1]
        var bytes = feed.bytes(name)
        bytes[bytes.count / 2] ^= 0x10
        try feed.write(name, bytes)
        let check = #expect(throws: FeedError.self) { try FeedCheck.run(directory: feed.path) }
        #expect(check?.code == .corrupt)
        #expect(check?.message.contains(name) == true, "\(check?.message ?? "")")
        #expect(throws: FeedError.self) { try FeedReader(directory: feed.path).records(since: 1) }
        let report = try FeedRepair.run(directory: feed.path)
        #expect(!report.lost.isEmpty)
        #expect(report.rewritten.contains(feed.file(String(name.dropLast(3)))))
        // Every seq is there again, the lost ones as `recovered` tombstones, and the feed checks clean.
        #expect(try FeedReader(directory: feed.path).records(since: 1).map(\.seq) == Array(1...30))
        #expect(try FeedCheck.run(directory: feed.path).records == 30)
    }

    @Test func aTruncatedCompressedSegmentIsDamageNotAnEnd() throws {
        let feed = TempFeed()
        let w = try compressedFeed(feed)
        try w.close()
        let name = sealed(feed)[0]
        try feed.write(name, Array(feed.bytes(name).dropLast(12)))
        let error = #expect(throws: FeedError.self) { try FeedCheck.run(directory: feed.path) }
        #expect(error?.message.contains("truncated") == true, "\(error?.message ?? "")")
    }

    @Test func aSegmentGzippedByHandReadsTheSame() throws {
        let feed = TempFeed()
        let w = try compressedFeed(feed, compress: false)
        try w.close()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = [feed.file(sealed(feed)[0])]
        try process.run()
        process.waitUntilExit()
        #expect(sealed(feed)[0].hasSuffix(".gz"))
        #expect(try FeedReader(directory: feed.path).records(since: 1).map(\.seq) == Array(1...30))
        #expect(try FeedCheck.run(directory: feed.path).records == 30)
        let again = try writer(feed, FeedOptions(compressSealed: false))
        #expect(again.lastSeq == 30)
        try again.close()
    }

    @Test func retentionDeletesCompressedSegmentsAndReplayStillFolds() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 1500, retainSegments: 2))
        for i in 1...40 {
            _ = try w.append([created("a\(i % 7).txt", String(repeating: "متن \(i) ", count: 20))])
            if i % 10 == 0 { w.awaitCompression() }
        }
        w.awaitCompression()
        try w.close()
        #expect(sealed(feed).count == 2)
        let report = try FeedCheck.run(directory: feed.path)
        #expect(report.lastSeq == 40)
        #expect(report.snapshotSeq != nil)
    }
}
