import Foundation
import RedlineFeed
import Testing

@Suite(.serialized) struct FeedCLITests {
    let corpus = (try? String(contentsOf: RedlineBinary.corpusArticle, encoding: .utf8)) ?? "ترمپ و ویتکاوف\n\nکنترول"

    @Test func checkPrintsOneSummaryLineForAHealthyFeed() throws {
        let feed = try ScriptedFeed(options: FeedOptions(fsync: .always, segmentBytes: 4000))
        for i in 0..<20 { try feed.create("a\(i).txt", "متن شماره \(i)\n\n" + String(repeating: "کلمه ", count: 100)) }
        let result = try runRedline(["check", "--feed", feed.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("20 records") == true)
        #expect(lines.first?.contains("seq 1..20") == true)
    }

    @Test func checkOnADamagedFeedExits1NamingSegmentLineAndReason() throws {
        let feed = try ScriptedFeed()
        for i in 0..<5 { try feed.create("a\(i).txt", "text \(i)") }
        let active = feed.path + "/changes.jsonl"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: active))
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        let offset = lines[0].count + lines[1].count + lines[2].count + 3 + 60  // inside line 4
        bytes[offset] = bytes[offset] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
        try bytes.write(to: URL(fileURLWithPath: active))
        let result = try runRedline(["check", "--feed", feed.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("changes.jsonl line 4"), "\(result.stderr)")
        #expect(result.stderr.contains("crc"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func checkOnAMissingFeedSaysWhereItLooked() throws {
        let dir = try TempDir()
        let result = try runRedline(["check", "--feed", dir.path + "/nope"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(dir.path + "/nope"))
        #expect(result.stderr.contains("--feed"))
    }

    @Test func tailFromBeginningPrintsTheStoredLinesAndFilters() throws {
        let feed = try ScriptedFeed()
        try feed.create("politics/a.txt", corpus)
        try feed.edit("politics/a.txt", corpus.replacingOccurrences(of: "ترمپ", with: "ترامپ"))
        try feed.create("sport/b.txt", "گل")
        try feed.delete("sport/b.txt")
        let all = try runRedline(["tail", "--feed", feed.path, "--from-beginning"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.split(separator: "\n").map(String.init) == (try feed.lines()))
        let created = try runRedline(["tail", "--feed", feed.path, "--from-beginning", "--type", "created"])
        #expect(seqs(created.stdout) == [1, 3])
        let politics = try runRedline(["tail", "--feed", feed.path, "--since", "2", "--path", "politics/*"])
        #expect(seqs(politics.stdout) == [2])
        let now = try runRedline(["tail", "--feed", feed.path])
        #expect(now.stdout.isEmpty)
        let text = try runRedline(["tail", "--feed", feed.path, "--from-beginning", "--format", "text", "-v"])
        let firstLines = text.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }
        #expect(firstLines.count == 4)
        #expect(firstLines[1].contains("modified") && firstLines[1].contains("politics/a.txt"))
    }

    @Test func tailFollowsAcrossRotationWithoutLossOrDuplicates() throws {
        let feed = try ScriptedFeed(options: FeedOptions(fsync: .always, segmentBytes: 3000))
        try feed.create("first.txt", "یک")
        let tail = try RunningRedline(["tail", "--feed", feed.path, "--from-beginning", "-f"])
        #expect(eventually { seqs(tail.stdout) == [1] }, "\(tail.stderr)")
        var last: UInt64 = 1
        for i in 0..<60 {
            last = try feed.create("f\(i).txt", "خبر \(i)\n\n" + String(repeating: "م", count: 200))
            if i % 7 == 0 { usleep(5_000) }
        }
        let sealed = try FileManager.default.contentsOfDirectory(atPath: feed.path).filter { $0.hasPrefix("changes-") }
        #expect(sealed.count >= 3)
        #expect(eventually { seqs(tail.stdout).count >= Int(last) }, "\(tail.stderr)")
        #expect(seqs(tail.stdout) == Array(1...Int(last)))
        #expect(tail.process.isRunning)
    }

    @Test func cursorFileResumesExactlyAfterTheConsumerIsKilled() throws {
        let feed = try ScriptedFeed()
        let cursor = feed.dir.path + "/consumer.cursor"
        for i in 1...5 { try feed.create("a\(i).txt", "متن \(i)") }
        let first = try RunningRedline(["tail", "--feed", feed.path, "--from-beginning", "-f", "--cursor-file", cursor])
        #expect(eventually { seqs(first.stdout) == [1, 2, 3, 4, 5] }, "\(first.stderr)")
        #expect(
            eventually { (try? String(contentsOfFile: cursor, encoding: .utf8))?.contains("\"next_seq\":6") == true })
        try feed.create("a6.txt", "شش")
        #expect(eventually { seqs(first.stdout).last == 6 })
        #expect(
            eventually { (try? String(contentsOfFile: cursor, encoding: .utf8))?.contains("\"next_seq\":7") == true })
        first.signal(SIGKILL)
        first.waitForExit()
        for i in 7...9 { try feed.create("a\(i).txt", "متن \(i)") }
        // Resuming ignores --from-now: the cursor file decides.
        let second = try runRedline(["tail", "--feed", feed.path, "--cursor-file", cursor])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(seqs(second.stdout) == [7, 8, 9])
        #expect(try String(contentsOfFile: cursor, encoding: .utf8).contains("\"next_seq\":10"))
        let third = try runRedline(["tail", "--feed", feed.path, "--cursor-file", cursor])
        #expect(third.stdout.isEmpty)
    }

    @Test func aCursorForAnotherFeedIsReported() throws {
        let feed = try ScriptedFeed()
        try feed.create("a.txt", "x")
        let cursor = feed.dir.path + "/c"
        try Data(#"{"feed":"00000000-0000-0000-0000-000000000000","next_seq":1}"#.utf8).write(
            to: URL(fileURLWithPath: cursor))
        let result = try runRedline(["tail", "--feed", feed.path, "--cursor-file", cursor])
        #expect(result.status == 3)
        #expect(result.stderr.contains("recreated"))
    }

    @Test func sinceOlderThanRetentionIsAnErrorNotASkip() throws {
        let feed = try ScriptedFeed(options: FeedOptions(fsync: .always, segmentBytes: 1500, retainSegments: 1))
        for i in 0..<30 { try feed.create("a\(i).txt", String(repeating: "x", count: 300)) }
        let result = try runRedline(["tail", "--feed", feed.path, "--since", "1"])
        #expect(result.status == 4)
        #expect(result.stderr.contains("retention"))
        #expect(result.stdout.isEmpty)
        let kept = try runRedline(["tail", "--feed", feed.path, "--from-beginning"])
        #expect(kept.status == 0)
        #expect(seqs(kept.stdout).last == 30)
    }

    @Test func replayToReproducesEveryVersionOfTheTree() throws {
        let feed = try ScriptedFeed(options: FeedOptions(fsync: .always, segmentBytes: 20_000))
        let v1 = corpus
        let v2 = v1.replacingOccurrences(of: "ترمپ", with: "ترامپ")
        let v3 = v2.replacingOccurrences(of: "کنترول", with: "کنترل") + "\n\nپاراگراف تازه با ۱۲ کلمه."
        try feed.create("world/us.txt", v1)
        try feed.create("world/iran.txt", "خبر اول\n\nمی\u{200C}کند")
        try feed.create("sport.txt", "فوتبال ۲-۱")
        try feed.edit("world/us.txt", v2)
        try feed.edit("sport.txt", "فوتبال ۳-۱")
        try feed.move("world/iran.txt", "archive/iran.txt")
        try feed.edit("world/us.txt", v3)
        try feed.move("sport.txt", "archive/sport.txt", editedTo: "فوتبال ۳-۱\n\nپایان")
        try feed.delete("archive/iran.txt")
        try feed.create("world/iran.txt", "دوباره")
        try feed.edit("world/us.txt", v1)
        for snapshot in feed.snapshots {
            let out = feed.dir.path + "/out-\(snapshot.seq)"
            let result = try runRedline(["replay", "--feed", feed.path, "--until", "\(snapshot.seq)", "--to", out])
            #expect(result.status == 0, "seq \(snapshot.seq): \(result.stderr)")
            let expected = snapshot.tree.mapValues { Data($0.utf8) }
            #expect(try readTree(out) == expected, "tree as of seq \(snapshot.seq)")
        }
        let verify = try runRedline(["replay", "--feed", feed.path, "--verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("ok: 10 versions verified"), "\(verify.stdout)")
        let printed = try runRedline(["replay", "--feed", feed.path, "--print", "--since", "3", "--until", "5"])
        #expect(printed.stdout.split(separator: "\n").map(String.init) == Array(try feed.lines()[2..<5]))
        let notEmpty = try runRedline(["replay", "--feed", feed.path, "--to", feed.dir.path])
        #expect(notEmpty.status == 1)
        #expect(notEmpty.stderr.contains("not empty"))
    }
}
