import Foundation
import Logging
import RedlineFeed
import Testing

/// `redline serve` against a real feed, over real HTTP on loopback, as a subscriber or a browser sees it.
@Suite struct ServeTests {
    private let corpus = "ترمپ گفت که کنترول مرزها اولویت است.\n\nاین خبر ۱۲ بار تکرار شد."

    @Test func normalAnswersTheRecordsAfterSinceExclusiveWithTheFeedUUID() throws {
        let feed = try ScriptedFeed()
        for i in 1...5 { try feed.create("a\(i).txt", "متن \(i)") }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let after2 = try serve.seqs("/changes?since=2")
        #expect(after2.reply.status == 200, "\(after2.reply.body)")
        #expect(after2.seqs == [3, 4, 5])
        #expect(after2.lastSeq == 5)
        let feedID = try String(contentsOfFile: feed.path + "/feed.id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(after2.reply.headers["x-redline-feed"] == feedID)
        // The records are the stored lines, unchanged (crc included).
        let all = try serve.get("/changes?since=0")
        let rows = all.body.split(separator: "\n").filter { $0.hasPrefix("{\"v\"") }
            .map { $0.hasSuffix(",") ? String($0.dropLast()) : String($0) }
        #expect(rows == (try feed.lines()))
        #expect(try serve.seqs("/changes?since=1&limit=2").seqs == [2, 3])
        #expect(try serve.seqs("/changes?since=now").seqs == [])
    }

    @Test(arguments: [
        ("type=created", ["--type", "created"]),
        ("type=modified,deleted", ["--type", "modified", "--type", "deleted"]),
        ("path=politics/*", ["--path", "politics/*"]),
        ("class=spelling", ["--class", "spelling"]),
        ("class=paragraph_added&type=modified", ["--class", "paragraph_added", "--type", "modified"]),
        ("min_significance=substantive", ["--min-significance", "substantive"]),
    ])
    func filtersAnswerWhatTailPrints(query: String, tailArguments: [String]) throws {
        let feed = try ScriptedFeed()
        try feed.create("politics/a.txt", corpus)
        try feed.edit("politics/a.txt", corpus.replacingOccurrences(of: "ترمپ", with: "ترامپ"))
        try feed.edit("politics/a.txt", corpus.replacingOccurrences(of: "۱۲", with: "۱۳"))
        try feed.create("sport/b.txt", "گل")
        try feed.edit("sport/b.txt", "گل\n\nپاراگراف تازه.")
        try feed.delete("sport/b.txt")
        let tail = try runRedline(["tail", "--feed", feed.path, "--from-beginning"] + tailArguments)
        #expect(tail.status == 0, "\(tail.stderr)")
        let expected = tail.stdout.split(separator: "\n").compactMap { line in
            (((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["seq"] as? NSNumber)?
                .uint64Value
        }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let answer = try serve.seqs("/changes?since=0&" + query)
        #expect(answer.reply.status == 200, "\(answer.reply.body)")
        #expect(!expected.isEmpty)
        #expect(answer.seqs == expected)
        #expect(answer.lastSeq == 6, "every record was examined, so the next since is the last seq")
    }

    @Test(arguments: [
        ("/changes?since=abc", 400, "since"),
        ("/changes?since=-1", 400, "since"),
        ("/changes?since=99", 400, "past the feed's last seq"),
        ("/changes?feed=websocket", 400, "feed"),
        ("/changes?limit=0", 400, "limit"),
        ("/changes?timeout=soon", 400, "timeout"),
        ("/changes?type=edited", 400, "type"),
        ("/changes?class=typo", 400, "class"),
        ("/changes?min_significance=huge", 400, "min_significance"),
        ("/changes?sinse=1", 400, "unknown parameter"),
        ("/changes?feed_id=00000000-0000-0000-0000-000000000000", 409, "recreated"),
        ("/nope", 404, "no such endpoint"),
        ("/changes/../../etc/passwd", 404, "no such endpoint"),
        ("/%2e%2e/%2e%2e/etc/passwd", 404, "no such endpoint"),
        ("/..%2f..%2fetc%2fpasswd", 404, "no such endpoint"),
        ("//etc/passwd", 404, "no such endpoint"),
    ])
    func badInputIsOneLineOfJSONWithTheStatus(target: String, status: Int, reason: String) throws {
        let feed = try ScriptedFeed()
        try feed.create("a.txt", "x")
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let reply = try serve.get(target)
        #expect(reply.status == status, "\(target): \(reply.body)")
        #expect(reply.body.contains(reason), "\(target): \(reply.body)")
        #expect(reply.body.split(separator: "\n").count == 1)
        #expect(!reply.body.contains("root:"))
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any]
        #expect(object?["error"] is String && object?["reason"] is String)
    }

    @Test func aHugeHeaderIsRefused() throws {
        let feed = try ScriptedFeed()
        try feed.create("a.txt", "x")
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let reply = try serve.get("/changes", headers: ["X-Padding": String(repeating: "a", count: 64 * 1024)])
        #expect(reply.status != 200)
        #expect(try serve.get("/healthz").status == 200, "serve still answers")
    }

    @Test func sinceOlderThanRetentionIsGoneAndSinceZeroIsWhatWasKept() throws {
        let feed = try ScriptedFeed(options: FeedOptions(fsync: .always, segmentBytes: 1500, retainSegments: 1))
        for i in 0..<30 { try feed.create("a\(i).txt", String(repeating: "x", count: 300)) }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let gone = try serve.get("/changes?since=1")
        #expect(gone.status == 410, "\(gone.body)")
        #expect(gone.body.contains("retention"))
        let streamGone = try serve.get("/changes?feed=eventsource", headers: ["Last-Event-ID": "1"])
        #expect(streamGone.status == 410, "a resuming EventSource learns it lost records: \(streamGone.body)")
        let kept = try serve.seqs("/changes?since=0")
        #expect(kept.reply.status == 200)
        #expect(kept.seqs.last == 30)
        #expect(kept.seqs == Array(kept.seqs[0]...30), "contiguous from the oldest kept")
    }

    /// A catch-up from `since=0` reads many segments (gzipped, plain sealed and active) in batches, on the copy-once
    /// path: every stored line comes once, in order and unchanged, in each answer shape.
    @Test func sinceZeroOverManySegmentsAnswersEveryStoredLineOnceInEachShape() throws {
        let feed = try ScriptedFeed(options: FeedOptions(fsync: .always, segmentBytes: 16_384))
        let count = 2_600  // more than a batch (512) and a scan budget (2,048)
        for i in 1...count {
            try feed.create("d\(i % 7)/a\(i).txt", "متن \(i) " + String(repeating: "x", count: i % 50))
        }
        _ = eventually(seconds: 20) {
            ((try? FileManager.default.contentsOfDirectory(atPath: feed.path)) ?? []).contains { $0.hasSuffix(".gz") }
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: feed.path).contains { $0.hasSuffix(".gz") },
            "some sealed segments are gzipped")
        let tail = try runRedline(["tail", "--feed", feed.path, "--from-beginning"])
        let stored = tail.stdout.split(separator: "\n").map(String.init)
        #expect(stored.count == count)
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let normal = try serve.get("/changes?since=0")
        let rows = normal.body.split(separator: "\n").filter { $0.hasPrefix("{\"v\"") }
            .map { $0.hasSuffix(",") ? String($0.dropLast()) : String($0) }
        #expect(rows == stored)
        #expect(normal.body.hasSuffix("],\"last_seq\":\(count)}\n"))
        let continuous = try serve.get("/changes?feed=continuous&since=0&timeout=200")
        #expect(continuous.body.split(separator: "\n").filter { $0.hasPrefix("{\"v\"") }.map(String.init) == stored)
        let events = try serve.get("/changes?feed=eventsource&since=0&timeout=200")
        #expect(eventIDs(events.body) == Array(1...UInt64(count)))
        let data = events.body.split(separator: "\n").filter { $0.hasPrefix("data: {\"v\"") }.map {
            String($0.dropFirst(6))
        }
        #expect(data == stored)
    }

    /// A damaged line in the middle of a catch-up ends the answer there, after every record before it: `last_seq`
    /// never passes a record the client was not sent (resuming from it would skip records).
    @Test(arguments: ["", "&type=created"])
    func aCatchUpThatMeetsDamageDeliversWhatCameBeforeAndEndsThere(filter: String) throws {
        let feed = try ScriptedFeed(
            options: FeedOptions(fsync: .always, segmentBytes: 2_000, compressSealed: false))
        for i in 1...30 { try feed.create("a\(i).txt", "text \(i) " + String(repeating: "x", count: 200)) }
        // Flip one byte of record 20's text in its sealed segment: its crc no longer matches.
        let names = try FileManager.default.contentsOfDirectory(atPath: feed.path).filter {
            $0.hasPrefix("changes-") && $0.hasSuffix(".jsonl")
        }
        var damaged = false
        for name in names {
            let url = URL(fileURLWithPath: feed.path + "/" + name)
            var text = try String(contentsOf: url, encoding: .utf8)
            guard let line = text.split(separator: "\n").first(where: { $0.contains("\"seq\":20,") }) else { continue }
            text = text.replacingOccurrences(
                of: line, with: line.replacingOccurrences(of: "text 20 x", with: "text 20 y"))
            try Data(text.utf8).write(to: url)
            damaged = true
        }
        #expect(damaged)
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let answer = try serve.seqs("/changes?since=0" + filter)
        #expect(answer.reply.status == 200, "\(answer.reply.body)")
        #expect(answer.seqs == Array(1...19))
        #expect(answer.lastSeq == 19)
    }

    @Test func longpollAnswersWithTheFirstNewRecord() throws {
        let feed = try ScriptedFeed()
        for i in 1...3 { try feed.create("a\(i).txt", "متن \(i)") }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let poll = try HTTPConnection(port: serve.port)
        try poll.send("/changes?feed=longpoll&since=3&timeout=600000")
        // It is waiting, not answered: serve counts it as a subscriber.
        #expect(eventually { (try? serve.get("/metrics").body.contains("redline_serve_subscribers 1")) == true })
        #expect(!poll.ended)
        try feed.create("new.txt", "تازه")
        let reply = try poll.readToEnd()
        #expect(reply.status == 200)
        let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
        let seqs = (object?["results"] as? [[String: Any]])?.compactMap { ($0["seq"] as? NSNumber)?.uint64Value }
        #expect(seqs == [4])
        #expect((object?["last_seq"] as? NSNumber)?.uint64Value == 4)
    }

    @Test func longpollAnswersEmptyOnTimeout() throws {
        let feed = try ScriptedFeed()
        for i in 1...3 { try feed.create("a\(i).txt", "متن \(i)") }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let answer = try serve.seqs("/changes?feed=longpoll&since=3&timeout=200")
        #expect(answer.reply.status == 200)
        #expect(answer.seqs == [])
        #expect(answer.lastSeq == 3)
        // A filter that matches nothing new waits too, and says how far it looked.
        try feed.create("b.txt", "x")
        let filtered = try serve.seqs("/changes?feed=longpoll&since=3&timeout=200&type=deleted")
        #expect(filtered.seqs == [])
        #expect(filtered.lastSeq == 4)
    }

    @Test func anEventSourceClientCutOffAndResumingSeesEveryRecordOnce() throws {
        let feed = try ScriptedFeed()
        for i in 1...5 { try feed.create("a\(i).txt", "متن \(i)") }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let first = try HTTPConnection(port: serve.port)
        try first.send("/changes?feed=eventsource&since=0")
        #expect(first.read(until: { eventIDs($0).count >= 5 }))
        #expect(first.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        try feed.create("live.txt", "زنده")
        #expect(first.read(until: { eventIDs($0).contains(6) }))
        first.close()
        let seen = eventIDs(first.text)
        for i in 7...12 { try feed.create("b\(i).txt", "متن \(i)") }
        let second = try HTTPConnection(port: serve.port)
        try second.send("/changes?feed=eventsource", headers: ["Last-Event-ID": "\(seen.last!)"])
        #expect(second.read(until: { eventIDs($0).contains(12) }))
        try feed.create("c13.txt", "آخر")
        #expect(second.read(until: { eventIDs($0).contains(13) }))
        #expect(seen + eventIDs(second.text) == Array(1...13))
        // Each event's data is the stored line.
        let lines = try feed.lines()
        #expect(second.text.contains("data: " + lines[12] + "\n\n"))
    }

    @Test func streamsSendHeartbeatsAndEndWithTheSeqToResumeFrom() throws {
        let feed = try ScriptedFeed()
        for i in 1...3 { try feed.create("a\(i).txt", "متن \(i)") }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let continuous = try serve.get("/changes?feed=continuous&since=1&heartbeat=50&timeout=1500")
        #expect(continuous.status == 200)
        #expect(continuous.headers["content-type"] == "application/x-ndjson")
        #expect(lineSeqs(continuous.body) == [2, 3])
        #expect(continuous.body.contains("\n\n"), "a blank line is a heartbeat")
        #expect(continuous.body.hasSuffix("{\"last_seq\":3}\n"))
        let events = try serve.get("/changes?feed=eventsource&since=2&heartbeat=50&timeout=1500")
        #expect(eventIDs(events.body) == [3])
        #expect(events.body.contains("\n: heartbeat\n\n"), "a comment is a heartbeat")
        #expect(events.headers["x-accel-buffering"] == "no")
        let limited = try serve.get("/changes?feed=continuous&since=0&limit=2")
        #expect(lineSeqs(limited.body) == [1, 2])
        #expect(limited.body.hasSuffix("{\"last_seq\":2}\n"))
    }

    @Test func aSlowSubscriberIsDroppedWithItsResumeSeqAndNeverHoldsOthersBack() throws {
        let feed = try ScriptedFeed()
        try feed.create("first.txt", "یک")
        let config = feed.dir.path + "/redline.toml"
        try """
        data_dir = "\(feed.dir.path)"
        [serve]
        listen = "127.0.0.1:0"
        subscriber_buffer = 8
        [[root]]
        path = "/srv/news"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let serve = try RunningServe(["--config", config])
        // A client with a tiny receive buffer that stops reading once it is live.
        let slow = try HTTPConnection(port: serve.port, receiveBuffer: 4096)
        try slow.send("/changes?feed=continuous&since=0&heartbeat=false")
        #expect(slow.read(until: { lineSeqs($0) == [1] }))
        let big = String(repeating: "کلمه ", count: 20_000)
        var last: UInt64 = 1
        for i in 0..<200 { last = try feed.create("big\(i).txt", "\(i) " + big) }
        // Another client is answered in full while the slow one is stuck.
        let other = try serve.seqs("/changes?since=0")
        #expect(other.seqs == Array(1...last))
        _ = try slow.readToEnd()
        let lines = slow.text.split(separator: "\n")
        let cut = (try? JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8))) as? [String: Any]
        #expect(cut?["error"] as? String == "slow_subscriber", "\(lines.last ?? "")")
        let resume = try #require((cut?["last_seq"] as? NSNumber)?.uint64Value)
        try #require(resume >= 1)
        let received = lineSeqs(slow.text)
        #expect(received == Array(1...resume), "contiguous up to the resume seq")
        #expect(resume < last)
        let rest = try serve.seqs("/changes?since=\(resume)")
        #expect(received + rest.seqs == Array(1...last), "resuming from the seq it was given loses nothing")
        #expect(try serve.get("/metrics").body.contains("redline_serve_subscribers_dropped_total 1"))
    }

    @Test func aRecreatedFeedEndsStreamsWithFeedChangedAndRefusesTheOldFeedID() throws {
        let dir = try TempDir("redline-serve")
        let feedDir = dir.path + "/feed"
        func record(_ path: String) -> FeedRecord {
            FeedRecord(type: .created, root: "/srv/news", path: path, after: VersionInfo(text: path), content: path)
        }
        var writer = try FeedWriter(
            directory: feedDir, options: FeedOptions(fsync: .always), logger: Logger(label: "test"))
        for i in 1...3 { _ = try writer.append([record("a\(i).txt")]) }
        let oldID = try String(contentsOfFile: feedDir + "/feed.id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let serve = try RunningServe(["--data-dir", dir.path])
        let events = try HTTPConnection(port: serve.port)
        try events.send("/changes?feed=eventsource&since=0&feed_id=\(oldID)")
        #expect(events.read(until: { eventIDs($0) == [1, 2, 3] }))
        let lines = try HTTPConnection(port: serve.port)
        try lines.send("/changes?feed=continuous&since=3")
        #expect(lines.read(until: { _ in lines.status == 200 }))
        try writer.close()
        try FileManager.default.removeItem(atPath: feedDir)
        writer = try FeedWriter(directory: feedDir, options: FeedOptions(fsync: .always), logger: Logger(label: "test"))
        _ = try writer.append([record("new.txt")])
        let newID = try String(contentsOfFile: feedDir + "/feed.id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newID != oldID)
        // Both streams end with the distinct signal, naming the new feed; neither passes on the new seq 1
        // as if it continued the old feed.
        _ = try events.readToEnd()
        #expect(events.text.contains("event: feed_changed\n"), "\(events.text)")
        #expect(events.text.contains(newID))
        #expect(eventIDs(events.text) == [1, 2, 3])
        _ = try lines.readToEnd()
        let last = lines.text.split(separator: "\n").last.map(String.init) ?? ""
        let cut = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any]
        #expect(cut?["error"] as? String == "feed_changed", "\(lines.text)")
        #expect(cut?["feed_id"] as? String == newID)
        #expect(lineSeqs(lines.text).isEmpty)
        // Resuming with the old feed's id is refused; a resync from 0 gets the new feed.
        let stale = try serve.get("/changes?feed=eventsource&feed_id=\(oldID)", headers: ["Last-Event-ID": "3"])
        #expect(stale.status == 409, "\(stale.body)")
        let fresh = try serve.seqs("/changes?since=0")
        #expect(fresh.reply.headers["x-redline-feed"] == newID)
        #expect(fresh.seqs == [1])
        try writer.close()
    }

    @Test func sigtermEndsOpenStreamsWithTheirResumeSeqAndExitsCleanly() throws {
        let feed = try ScriptedFeed()
        for i in 1...3 { try feed.create("a\(i).txt", "متن \(i)") }
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let events = try HTTPConnection(port: serve.port)
        try events.send("/changes?feed=eventsource&since=1")
        #expect(events.read(until: { eventIDs($0) == [2, 3] }))
        let lines = try HTTPConnection(port: serve.port)
        try lines.send("/changes?feed=continuous&since=3")
        #expect(lines.read(until: { _ in lines.status == 200 }))
        serve.process.signal(SIGTERM)
        _ = try events.readToEnd()
        #expect(events.text.contains("id: 3\nevent: shutdown\ndata: {\"error\":\"shutdown\""), "\(events.text)")
        #expect(events.ended, "an EventSource reconnects with Last-Event-ID 3")
        _ = try lines.readToEnd()
        #expect(lines.text.contains("\"error\":\"shutdown\""), "\(lines.text)")
        #expect(lines.text.contains("\"last_seq\":3"))
        #expect(serve.process.waitForExit() == 0, "connections do not hold the shutdown: \(serve.process.stderr)")
    }

    @Test func aClientThatHangsUpIsNoLongerASubscriber() throws {
        let feed = try ScriptedFeed()
        try feed.create("a.txt", "x")
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let subscribers = { (try? serve.get("/metrics").body)?.contains("redline_serve_subscribers 2.0") == true }
        let events = try HTTPConnection(port: serve.port)
        try events.send("/changes?feed=eventsource&since=0&heartbeat=false")
        let poll = try HTTPConnection(port: serve.port)
        try poll.send("/changes?feed=longpoll&since=1&timeout=600000")
        #expect(events.read(until: { eventIDs($0) == [1] }))
        #expect(eventually(subscribers))
        events.close()
        poll.close()
        // No heartbeat and no record will ever be written to them: only the hang-up can end them.
        #expect(eventually { (try? serve.get("/metrics").body)?.contains("redline_serve_subscribers 0.0") == true })
    }

    @Test func metricsAreThePrometheusTextFormatWithoutArticleLabels() throws {
        let feed = try ScriptedFeed()
        try feed.create("politics/secret-article.txt", "x")
        let data = feed.dir.path
        try FileManager.default.createDirectory(atPath: data + "/metrics", withIntermediateDirectories: true)
        try
            "# HELP redline_feed_records_total Records appended.\n# TYPE redline_feed_records_total counter\nredline_feed_records_total 1\n"
            .write(toFile: data + "/metrics/redline.prom", atomically: true, encoding: .utf8)
        let serve = try RunningServe(["--data-dir", data])
        _ = try serve.get("/changes?since=0")
        _ = try serve.get("/changes?since=zzz")
        _ = try serve.get("/politics/secret-article.txt")
        let metrics = try serve.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let body = metrics.body
        #expect(body.contains("# TYPE redline_serve_requests_total counter"))
        #expect(body.contains(#"redline_serve_requests_total{route="/changes",code="200"} 1"#), "\(body)")
        #expect(body.contains(#"redline_serve_requests_total{route="/changes",code="400"} 1"#))
        #expect(body.contains(#"code="404""#))
        #expect(body.contains("redline_serve_response_bytes_total "))
        #expect(body.contains("redline_serve_records_sent_total 1"))
        #expect(body.contains("redline_serve_feed_head_seq 1"))
        #expect(body.contains("redline_feed_records_total 1"), "the daemon's textfile is exposed")
        #expect(!body.contains("secret-article"), "an article is never a label")
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"),
            "needs promtool (Debian prometheus; make test-deps installs it)"))
    func promtoolAcceptsTheMetrics() throws {
        let feed = try ScriptedFeed()
        try feed.create("a.txt", "x")
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        _ = try serve.get("/changes?since=0")
        _ = try serve.get("/changes?since=x")
        let metrics = try serve.get("/metrics").body
        let check = try runProcess(
            URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "metrics"], stdin: metrics)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.isEmpty && check.stderr.isEmpty, "no lint findings: \(check.stdout)\(check.stderr)")
    }

    @Test func badServeSettingsAreOneLineNamingTheFileAndTheFix() throws {
        let dir = try TempDir()
        let config = dir.path + "/redline.toml"
        try "[serve]\nlisten = \"localhost\"\n[[root]]\npath = \"/srv\"\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try runRedline(["serve", "--config", config])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("\(config):2: listen: expected ADDR:PORT"), "\(bad.stderr)")
        #expect(bad.stderr.split(separator: "\n").count == 1)
        let flag = try runRedline(["serve", "--listen", "127.0.0.1:99999"])
        #expect(flag.status != 0)
        #expect(flag.stderr.contains("--listen"))
        let missing = try runRedline(["serve", "--data-dir", dir.path + "/nothing", "--listen", "127.0.0.1:0"])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("no feed at \(dir.path)/nothing/feed"), "\(missing.stderr)")
    }
}
