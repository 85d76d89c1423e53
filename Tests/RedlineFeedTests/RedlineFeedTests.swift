import Foundation
import RedlineDiff
import Testing

@testable import RedlineFeed

@Suite struct WriterReaderTests {
    @Test func appendedRecordsReadBackInOrderWithEnvelope() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        let out = try w.append([created("a.txt", "سلام\n\nدنیا"), created("b.txt", "x")])
        #expect(out.map(\.seq) == [1, 2])
        #expect(out[0].id == "\(w.feedID):1")
        #expect(out[0].time == "2026-11-18T11:06:40.123Z")
        _ = try w.append([modified("a.txt", "سلام\n\nدنیا", "سلام\n\nدنیای ما")])
        try w.close()
        let records = try FeedReader(directory: feed.path).records(since: 1)
        #expect(records.map(\.seq) == [1, 2, 3])
        #expect(records.map(\.type) == [.created, .created, .modified])
        #expect(records[0].content == "سلام\n\nدنیا")
        #expect(records[2].patch != nil)
        #expect(Set(records.map(\.feed)) == [w.feedID])
        #expect(try FeedReader(directory: feed.path).records(since: 3).map(\.seq) == [3])
    }

    @Test func everyLineIsWholeJSONWithCrcLast() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        _ = try w.append([created("q.txt", "a \"quoted\" \\ back\tslash\u{1}\r\nمی\u{200C}کند ۱۲۳")])
        _ = try w.append([FeedRecord(type: .rejected, root: "/r", path: "bad.txt", reason: "not UTF-8")])
        try w.close()
        let bytes = feed.bytes("changes.jsonl")
        #expect(bytes.last == UInt8(ascii: "\n"))
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        #expect(lines.count == 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            #expect(object?["crc"] is String)
            let text = String(decoding: line, as: UTF8.self)
            #expect(text.hasPrefix("{\"v\":1,\"feed\":\""))
            #expect(text.range(of: #","crc":"[0-9a-f]{8}"\}$"#, options: .regularExpression) != nil)
        }
        let records = try FeedReader(directory: feed.path).records(since: 1)
        #expect(records[0].content == "a \"quoted\" \\ back\tslash\u{1}\r\nمی\u{200C}کند ۱۲۳")
        #expect(records[1].reason == "not UTF-8")
    }

    @Test func lineBytesOfEveryFieldKindArePinned() throws {
        // The crc covers these bytes: the serialiser must not change them, control characters included
        // (the record's own strings write \b and \f short, the diff layer's objects as \u0008 and \u000c).
        let odd = "a\u{0}\u{1}\u{8}\t\n\u{c}\r\u{1b}\u{7f}\"\\é/ب"
        var summary = DiffSummary()
        summary[.wording] = 2
        summary.wordsAdded = 3
        summary.wordsRemoved = 1
        var record = FeedRecord(
            type: .moved, root: "/srv/news", path: odd, fromPath: "b.txt",
            before: VersionInfo(sha256: "00ff", size: 7), after: VersionInfo(sha256: "ee11", size: 12),
            significance: .substantive, summary: summary,
            changes: [
                Change(
                    class: .wording, oldParagraph: 0, newParagraph: 1, oldText: odd, newText: "", oldStart: 0,
                    oldEnd: 7, newStart: 3, newEnd: 3),
                Change(class: .orthography, rule: "zwnj", oldKey: "k\u{8}", newKey: "k\u{c}"),
            ],
            content: odd,
            patch: Patch(
                oldLength: 7, oldHash: 0xABC, newLength: 12, operations: [.copy(start: 0, count: 3), .insert(odd)]),
            reason: odd, detail: ["z": odd, "a\u{8}": "-1"])
        record.feed = "f0f0"
        record.seq = 12_345_678_901
        record.id = "f0f0:12345678901"
        record.time = "2026-11-18T11:06:40.123Z"
        var out: [UInt8] = Array("prefix".utf8)
        try LineEncoder().append(record, to: &out)
        let expected = [
            "prefix{\"v\":1,\"feed\":\"f0f0\",\"seq\":12345678901,\"id\":\"f0f0:12345678901\",",
            "\"time\":\"2026-11-18T11:06:40.123Z\",\"type\":\"moved\",",
            "\"root\":\"/srv/news\",\"path\":\"a\\u0000\\u0001\\b\\t\\n\\f\\r\\u001b\u{7F}\\\"",
            "\\\\é/ب\",\"from_path\":\"b.txt\",\"before\":{\"sha256\":\"00ff\",",
            "\"size\":7},\"after\":{\"sha256\":\"ee11\",\"size\":12},",
            "\"significance\":\"substantive\",\"summary\":{\"whitespace\":0,",
            "\"punctuation\":0,\"orthography\":0,\"spelling\":0,\"number\":0,",
            "\"wording\":2,\"paragraph_added\":0,\"paragraph_removed\":0,",
            "\"paragraph_moved\":0,\"words_added\":3,\"words_removed\":1},",
            "\"changes\":[{\"class\":\"wording\",\"old_paragraph\":0,",
            "\"new_paragraph\":1,\"old_text\":\"a\\u0000\\u0001\\u0008\\t\\n\\u000c\\r\\u001b\u{7F}",
            "\\\"\\\\é/ب\",\"new_text\":\"\",\"old_start\":0,\"old_end\":7,",
            "\"new_start\":3,\"new_end\":3},{\"class\":\"orthography\",",
            "\"rule\":\"zwnj\",\"old_key\":\"k\\u0008\",\"new_key\":\"k\\u000c\"}],",
            "\"content\":\"a\\u0000\\u0001\\b\\t\\n\\f\\r\\u001b\u{7F}\\\"\\\\é/ب\",",
            "\"patch\":{\"old_length\":7,\"old_hash\":\"0000000000000abc\",",
            "\"new_length\":12,\"ops\":[[0,3],\"a\\u0000\\u0001\\u0008\\t\\n\\u000c\\r\\u001b\u{7F}",
            "\\\"\\\\é/ب\"]},\"reason\":\"a\\u0000\\u0001\\b\\t\\n\\f\\r\\u001b\u{7F}\\\"\\\\é/ب",
            "\",\"detail\":{\"a\\b\":\"-1\",\"z\":\"a\\u0000\\u0001\\b\\t\\n\\f\\r\\u001b\u{7F}",
            "\\\"\\\\é/ب\"},\"crc\":\"1e27c69d\"}\n",
        ].joined()
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test func crcIsStandardCrc32OfTheLineWithoutTheCrcField() throws {
        // The CRC-32 check value, so any zlib-compatible implementation agrees.
        let check = Array("123456789".utf8).withUnsafeBufferPointer { CRC32.checksum($0) }
        #expect(check == 0xCBF4_3926)
        let feed = TempFeed()
        let w = try writer(feed)
        _ = try w.append([created("a.txt", "متن")])
        try w.close()
        let line = String(decoding: feed.bytes("changes.jsonl").dropLast(), as: UTF8.self)
        let stored = String(line.suffix(10).prefix(8))
        let covered = Array((String(line.dropLast(18)) + "}").utf8)
        let computed = covered.withUnsafeBufferPointer { CRC32.checksum($0) }
        #expect(stored == hex8(computed))
    }

    @Test func everyCrcImplementationAgrees() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4097] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.withUnsafeBufferPointer { b in
                let base = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let portable = CRC32.portable(0, base, length)
                #expect(CRC32.update(0, base, length) == portable)
                if let zlib = CRC32.zlib { #expect(UInt32(zlib(0, base, length)) == portable) }
                if let isal = CRC32.isal { #expect(isal(0, base, UInt64(length)) == portable) }
                let split = length / 3
                #expect(CRC32.update(CRC32.update(0, base, split), base + split, length - split) == portable)
            }
        }
    }

    @Test func damagedRecordIsReportedWithSegmentAndLine() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        for i in 0..<5 { _ = try w.append([created("a\(i).txt", "text \(i)")]) }
        try w.close()
        var bytes = feed.bytes("changes.jsonl")
        // Flip one letter of the third record's content.
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let offset = lines[0].count + 1 + lines[1].count + 1 + 40
        bytes[offset] ^= 0x01
        try feed.write("changes.jsonl", bytes)
        #expect {
            try FeedCheck.run(directory: feed.path)
        } throws: { error in
            let e = error as? FeedError
            return e?.code == .corrupt && e!.message.contains("changes.jsonl line 3") && e!.message.contains("crc")
        }
        #expect {
            try FeedReader(directory: feed.path).records(since: 1)
        } throws: { error in
            (error as? FeedError)?.message.contains("line 3") ?? false
        }
    }

    @Test func checkTreatsAnUnfinishedLastLineAsInFlightOnlyWhileAWriterRuns() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        _ = try w.append([created("a.txt", "one"), created("b.txt", "two")])
        try feed.append("changes.jsonl", Array(#"{"v":1,"feed":"#.utf8))
        #expect(try FeedCheck.run(directory: feed.path).records == 2)
        try w.close()
        #expect {
            try FeedCheck.run(directory: feed.path)
        } throws: { error in
            (error as? FeedError)?.message.contains("line 3") ?? false
        }
    }

    @Test func secondWriterIsRefusedNamingTheHolder() throws {
        let feed = TempFeed()
        let first = try writer(feed)
        #expect {
            try writer(feed)
        } throws: { error in
            let e = error as? FeedError
            return e?.code == .locked && e!.message.contains("pid \(getpid())")
        }
        try first.close()
        let again = try writer(feed)
        #expect(again.lastSeq == 0)
        try again.close()
    }

    @Test func cleanShutdownLeavesMarkerAndReopenContinues() throws {
        let feed = TempFeed()
        var w = try writer(feed)
        let id = w.feedID
        _ = try w.append([created("a.txt", "1"), created("b.txt", "2")])
        try w.close()
        #expect(feed.names().contains("clean-shutdown"))
        w = try writer(feed)
        #expect(!feed.names().contains("clean-shutdown"))
        #expect(w.feedID == id)
        #expect(w.lastSeq == 2)
        #expect(try w.append([created("c.txt", "3")]).first?.seq == 3)
        try w.close()
        let error = #expect(throws: FeedError.self) { _ = try w.append([created("d.txt", "4")]) }
        #expect(
            error?.code == .invalidArgument && error?.message.contains("was closed") == true,
            "\(String(describing: error))")
    }

    /// Each policy where it differs, before close() syncs anyway: what is durable (and so visible) while
    /// the writer is still open.
    @Test(arguments: [FsyncPolicy.always, .interval(milliseconds: 5), .never])
    func everyPolicyMakesRecordsDurableWhenItSays(policy: FsyncPolicy) throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: policy))
        for i in 0..<20 { _ = try w.append([created("a\(i).txt", "t"), created("b\(i).txt", "u")]) }
        switch policy {
        case .always:
            #expect(w.durableSeq == 40, "synced before append returned")
        case .interval:
            // Synced by the timer, without another append or a close: wait for it, never time it.
            var waited = 0
            while w.durableSeq < 40 && waited < 3000 {
                usleep(10_000)
                waited += 10
            }
            #expect(w.durableSeq == 40, "the interval timer synced the batch")
        case .never:
            #expect(w.durableSeq == 0, "nothing synced before rotation or close")
            #expect(try FeedReader(directory: feed.path).lastSeq() == 0, "so readers see nothing yet")
        }
        try w.close()
        #expect(w.durableSeq == 40)
        #expect(try FeedCheck.run(directory: feed.path).records == 40)
    }
}

@Suite struct RecoveryTests {
    /// A feed of three records left as if the writer had crashed (no clean-shutdown marker).
    func crashedFeed() throws -> (TempFeed, String) {
        let feed = TempFeed()
        let w = try writer(feed)
        _ = try w.append([created("a.txt", "one")])
        _ = try w.append([created("b.txt", "two")])
        _ = try w.append([created("c.txt", "three")])
        let id = w.feedID
        // Dropped without close(): an unclean shutdown.
        _ = w
        return (feed, id)
    }

    static let tails: [(String, [UInt8])] = [
        ("cut mid-line", Array(#"{"v":1,"feed":"x","seq":4,"id":"#.utf8)),
        ("garbage", Array("garbage\u{0}\u{7f} not json\n more".utf8)),
        ("NUL-filled", [UInt8](repeating: 0, count: 4096)),
    ]

    @Test(arguments: 0..<3)
    func tornTailIsCutAndReported(which: Int) throws {
        let (name, tail) = RecoveryTests.tails[which]
        let (feed, id) = try crashedFeed()
        let goodBytes = feed.bytes("changes.jsonl").count
        try feed.append("changes.jsonl", tail)
        let w = try writer(feed)
        #expect(w.feedID == id, "\(name)")
        #expect(w.lastSeq == 4, "\(name): three records kept, one recovered record appended")
        _ = try w.append([created("d.txt", "four")])
        try w.close()
        let records = try FeedReader(directory: feed.path).records(since: 1)
        #expect(records.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(records[3].type == .recovered)
        #expect(records[3].detail?["byte_offset"] == String(goodBytes))
        #expect(records[3].detail?["cut_bytes"] == String(tail.count))
        #expect(records[3].reason?.contains("cut \(tail.count) bytes") == true)
        #expect(records[4].path == "d.txt")
        #expect(try FeedCheck.run(directory: feed.path).records == 5)
    }

    @Test func seqGapCutsEverythingFromTheGap() throws {
        let (feed, _) = try crashedFeed()
        var lines = feed.bytes("changes.jsonl").split(separator: UInt8(ascii: "\n")).map { Array($0) + [10] }
        lines.swapAt(1, 2)  // seq 1, 3, 2: line 2 breaks continuity
        try feed.write("changes.jsonl", lines.flatMap { $0 })
        let w = try writer(feed)
        #expect(w.lastSeq == 2)
        try w.close()
        let records = try FeedReader(directory: feed.path).records(since: 1)
        #expect(records.map(\.type) == [.created, .recovered])
        #expect(records[1].reason?.contains("seq 3 where 2 was expected") == true)
    }

    @Test func intactTailAfterCrashAddsNoRecoveredRecord() throws {
        let (feed, _) = try crashedFeed()
        let w = try writer(feed)
        #expect(w.lastSeq == 3)
        try w.close()
        #expect(try FeedReader(directory: feed.path).records(since: 1).allSatisfy { $0.type == .created })
    }
}

@Suite struct SegmentTests {
    @Test func rotationSealsSegmentsNamedByFirstSeq() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .never, segmentBytes: 2000, compressSealed: false))
        for i in 1...30 { _ = try w.append([created("a\(i).txt", String(repeating: "م", count: 100))]) }
        try w.close()
        let sealed = feed.names().filter { $0.hasPrefix("changes-") }
        #expect(sealed.count >= 3)
        #expect(sealed.first == "changes-00000000000000000001.jsonl")
        let report = try FeedCheck.run(directory: feed.path)
        #expect(report.records == 30)
        #expect(report.segments == sealed.count + 1)
        #expect(report.firstSeq == 1 && report.lastSeq == 30)
        #expect(try FeedReader(directory: feed.path).records(since: 1).map(\.seq) == Array(1...30))
        // Starting in the middle picks the right segment.
        #expect(try FeedReader(directory: feed.path).records(since: 17).map(\.seq) == Array(17...30))
        // Each sealed segment starts with the seq in its name.
        for name in sealed {
            let first = FileIO.sealedFirstSeq(name)!
            let prefix = String(decoding: feed.bytes(name).prefix(200), as: UTF8.self)
            #expect(prefix.contains("\"seq\":\(first),"))
        }
    }

    @Test func retentionDeletesWholeOldSegmentsAndReadersSayWhatIsGone() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .never, segmentBytes: 1500, retainSegments: 1))
        for i in 1...30 { _ = try w.append([created("a\(i).txt", String(repeating: "x", count: 200))]) }
        try w.close()
        let sealed = feed.names().filter { $0.hasPrefix("changes-") }
        #expect(sealed.count == 1)
        let report = try FeedCheck.run(directory: feed.path)
        let first = try #require(report.firstSeq)
        #expect(first > 1)
        #expect(report.lastSeq == 30)
        #expect {
            try FeedReader(directory: feed.path).records(since: 1)
        } throws: { error in
            let e = error as? FeedError
            return e?.code == .retention && e!.message.contains("before seq \(first)")
        }
        let cursor = try FeedReader(directory: feed.path).cursor(since: 1, strict: false)
        #expect(try cursor.next()?.seq == first)
    }

    @Test func cursorPicksUpAppendsAndRotationWithoutLossOrDuplicates() throws {
        let feed = TempFeed()
        let w = try writer(feed, FeedOptions(fsync: .always, segmentBytes: 1200))
        _ = try w.append([created("a.txt", "first")])
        let cursor = try FeedReader(directory: feed.path).cursor(since: 1)
        var seen: [UInt64] = []
        while let r = try cursor.next() { seen.append(r.seq) }
        #expect(seen == [1])
        for round in 0..<10 {
            for i in 0..<(round % 3 + 1) {
                _ = try w.append([created("b\(round)-\(i).txt", String(repeating: "ک", count: 150))])
            }
            while let r = try cursor.next() { seen.append(r.seq) }
        }
        try w.close()
        #expect(feed.names().filter { $0.hasPrefix("changes-") }.count >= 2)
        #expect(seen == Array(1...w.lastSeq))
        #expect(cursor.nextSeq == w.lastSeq + 1)
    }

    @Test func cursorSurvivesTheWriterCuttingATornTailItHadBuffered() throws {
        let feed = TempFeed()
        var w: FeedWriter? = try writer(feed, FeedOptions(fsync: .always))
        _ = try w!.append([created("a.txt", "one")])
        w = nil  // crash: no clean-shutdown marker
        try feed.append("changes.jsonl", Array(#"{"v":1,"feed":"torn","seq":2,"#.utf8))
        let cursor = try FeedReader(directory: feed.path).cursor(since: 1)
        #expect(try cursor.next()?.seq == 1)
        #expect(try cursor.next() == nil)
        let restarted = try writer(feed, FeedOptions(fsync: .always))
        _ = try restarted.append([created("b.txt", "two")])
        try restarted.close()
        let rest = try [cursor.next(), cursor.next()].map { try $0?.decode().type }
        #expect(rest == [.recovered, .created])
        #expect(try cursor.next() == nil)
    }

    @Test func cursorNeverReturnsALineBeforeItsNewline() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        _ = try w.append([created("a.txt", "one")])
        try w.close()
        let full = feed.bytes("changes.jsonl")
        let cursor = try FeedReader(directory: feed.path).cursor(since: 1)
        try feed.write("changes.jsonl", Array(full.dropLast()))
        #expect(try cursor.next() == nil)
        try feed.append("changes.jsonl", [UInt8(ascii: "\n")])
        #expect(try cursor.next()?.seq == 1)
    }
}

@Suite struct HistoryTests {
    @Test func rebuildsEveryVersionThroughEditsMovesAndDeletes() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        let v1 = "ترمپ گفت.\n\nکنترول"
        let v2 = "ترامپ گفت.\n\nکنترل"
        _ = try w.append([created("a.txt", v1), created("gone.txt", "bye")])
        _ = try w.append([modified("a.txt", v1, v2)])
        _ = try w.append([moved("a.txt", "dir/b.txt", v2, v2 + "\n\nتازه")])
        _ = try w.append([deleted("gone.txt", "bye")])
        try w.close()
        var history = ArticleHistory()
        for r in try FeedReader(directory: feed.path).records(since: 1) { try history.apply(r) }
        #expect(history.articles.count == 1)
        #expect(history.articles[ArticleKey(root: "/srv/news", path: "dir/b.txt")]?.text == v2 + "\n\nتازه")
        #expect(history.versionsVerified == 4)
    }

    @Test func replayFoldsManyChunksInFeedOrderAndStopsAtTheFirstDamage() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        var text = "نسخه ۰"
        _ = try w.append([created("a.txt", text)])
        for i in 1..<1000 {
            let next = "نسخه \(i)"
            _ = try w.append([modified("a.txt", text, next)])
            text = next
        }
        try w.close()
        let (history, report) = try FeedReplay(directory: feed.path).verify()
        #expect(report.records == 1000 && report.versions == 1000 && report.lastSeq == 1000)
        #expect(history.articles[ArticleKey(root: "/srv/news", path: "a.txt")]?.text == "نسخه 999")
        var limited = FeedReplay(directory: feed.path)
        limited.until = 700
        #expect(try limited.verify().history.articles.first?.value.text == "نسخه 699")
        // Damage line 601: everything before it is folded, then the error names the line.
        var bytes = feed.bytes("changes.jsonl")
        let starts = [0] + bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }.map { $0 + 1 }
        bytes[starts[600] + 30] ^= 0x01
        try feed.write("changes.jsonl", bytes)
        #expect {
            try FeedReplay(directory: feed.path).verify()
        } throws: { error in
            (error as? FeedError)?.message.contains("line 601") ?? false
        }
    }

    @Test func fastFoldParserAgreesWithJSONDecoderOnEveryRecordType() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        let tricky = "a \"q\" \\ \t\u{1}\r\nمی\u{200C}کند ۱۲۳ 😀 /slash"
        _ = try w.append([created("a.txt", tricky), created("b.txt", "x")])
        _ = try w.append([modified("a.txt", tricky, tricky + "\n\nتازه \"نقل\"")])
        _ = try w.append([moved("b.txt", "c.txt", "x", "y\u{0}z")])
        _ = try w.append([deleted("c.txt", "y\u{0}z")])
        _ = try w.append([FeedRecord(type: .rejected, root: "/r", path: "bad.txt", reason: "bad", detail: ["k": "v\n"])]
        )
        try w.close()
        let decoder = JSONDecoder()
        decoder.userInfo[FeedRecord.foldOnly] = true
        let cursor = try FeedReader(directory: feed.path).cursor(since: 1)
        var count = 0
        while let raw = try cursor.next() {
            let fast = raw.bytes.withUnsafeBufferPointer { FoldParser.parse($0) }
            let slow = try decoder.decode(FeedRecord.self, from: Data(raw.bytes))
            #expect(fast != nil, "seq \(raw.seq)")
            #expect(fast == slow, "seq \(raw.seq)")
            count += 1
        }
        #expect(count == 6)
        // Anything unexpected falls back rather than guessing.
        #expect(Array(#"{"v":1, "feed":"x"}"#.utf8).withUnsafeBufferPointer { FoldParser.parse($0) } == nil)
    }

    @Test func aVersionThatDoesNotMatchItsHashIsRefused() throws {
        var history = ArticleHistory()
        var record = created("a.txt", "text")
        record.after = VersionInfo(sha256: String(repeating: "0", count: 64), size: 4)
        #expect {
            try history.apply(record)
        } throws: { error in
            let e = error as? FeedError
            return e?.code == .mismatch && e!.message.contains("a.txt")
        }
    }

    @Test func anEditOfAnUnknownArticleIsRefused() throws {
        var history = ArticleHistory()
        #expect(throws: FeedError.self) { try history.apply(modified("never.txt", "a", "b")) }
    }

    @Test func aPatchAgainstTheWrongBaseIsRefused() throws {
        var history = ArticleHistory()
        try history.apply(created("a.txt", "one two"))
        #expect(throws: FeedError.self) { try history.apply(modified("a.txt", "three four", "three five")) }
    }
}

@Suite struct FilterTests {
    /// `tail --path` speaks the config's glob dialect, so a pattern means the same in both places.
    @Test func pathFiltersUseTheConfigsGlobDialect() {
        let deep = created("politics/2026/a.txt", "x")
        #expect(!RecordFilter(pathGlob: "politics/*").matches(deep), "* stays within one directory")
        #expect(RecordFilter(pathGlob: "politics/**").matches(deep), "** spans directories")
        #expect(RecordFilter(pathGlob: "*.txt").matches(deep), "no / : the file name at any depth")
        #expect(!RecordFilter(pathGlob: "*.md").matches(deep))
    }

    @Test func filtersByTypeClassPathAndSignificance() {
        let edit = modified("politics/a.txt", "قیمت ۱۰ دلار است.", "قیمت ۱۲ دلار است.")
        let new = created("sport/b.txt", "x")
        #expect(RecordFilter(types: [.created]).matches(new))
        #expect(!RecordFilter(types: [.created]).matches(edit))
        #expect(RecordFilter(pathGlob: "politics/*").matches(edit))
        #expect(!RecordFilter(pathGlob: "politics/*").matches(new))
        let classes = Set(edit.changes?.map(\.class) ?? [])
        #expect(!classes.isEmpty)
        #expect(RecordFilter(classes: classes).matches(edit))
        #expect(!RecordFilter(classes: classes).matches(new))
        #expect(RecordFilter(minSignificance: .cosmetic).matches(edit))
        #expect(RecordFilter(minSignificance: .substantive).matches(new))
    }
}
