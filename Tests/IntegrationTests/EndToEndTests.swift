import Foundation
import Testing

/// The whole product at once: the daemon records a scripted editing history, and the feed alone
/// rebuilds the watched tree byte for byte, at the end and at an earlier point.
@Suite(.serialized) struct EndToEndTests {
    /// Every regular file under `root`, relative path to bytes.
    func snapshot(_ root: URL) throws -> [String: Data] { try readTree(root.resolvingSymlinksInPath().path) }

    @Test func replayRebuildsTheWatchedTreeFromTheFeedAlone() throws {
        let h = try DaemonTests.Harness()
        let corpus = try String(contentsOf: RedlineBinary.corpusArticle, encoding: .utf8)
        try h.write("world/iran.txt", corpus)
        try h.write("world/short.md", "# عنوان\n\nیک متن کوتاه.\n")
        try h.start()
        #expect(h.waitForRecords(2))

        // An editor's day: spelling, ZWNJ, a number, a rewording, a new paragraph, a move, a delete.
        var text = corpus.replacingOccurrences(of: "ویتکاوف", with: "ویتکاف")
        try h.write("world/iran.txt", text)
        #expect(h.waitForRecords(3))
        text = text.replacingOccurrences(of: "میکند", with: "می\u{200C}کند")
        try h.write("world/iran.txt", text)
        #expect(h.waitForRecords(4))
        let midpoint = try snapshot(h.articles)
        let midSeq = h.records.count

        text = text.replacingOccurrences(of: "۳۰", with: "۳۵") + "\nپاراگراف تازه در پایان.\n"
        try h.write("world/iran.txt", text)
        #expect(h.waitForRecords(5))
        try FileManager.default.moveItem(
            at: h.articles.appendingPathComponent("world"), to: h.articles.appendingPathComponent("asia"))
        #expect(h.waitForRecords(7))
        try FileManager.default.removeItem(at: h.articles.appendingPathComponent("asia/short.md"))
        #expect(h.waitForRecords(8))
        try h.write("asia/iran.txt", text.replacingOccurrences(of: "کنترول", with: "کنترل"))
        #expect(h.waitForRecords(9))
        #expect(h.stop() == 0)

        let feed = h.data.appendingPathComponent("feed").path
        let end = h.dir.appending("rebuilt-end")
        let replay = try runRedline(["replay", "--feed", feed, "--to", end.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(try snapshot(end) == snapshot(h.articles), "the feed rebuilds today's tree")

        let mid = h.dir.appending("rebuilt-mid")
        let earlier = try runRedline(["replay", "--feed", feed, "--until", String(midSeq), "--to", mid.path])
        #expect(earlier.status == 0, "\(earlier.stderr)")
        #expect(try snapshot(mid) == midpoint, "and the tree as it was at seq \(midSeq)")

        #expect(try runRedline(["check", "--feed", feed]).status == 0)
        let classes = h.records.flatMap {
            ($0["changes"] as? [[String: Any]] ?? []).compactMap { $0["class"] as? String }
        }
        #expect(classes.contains("spelling") && classes.contains("orthography") && classes.contains("number"))
    }

    @Test func aDeletedStateStoreIsRebuiltFromTheFeedAndNothingIsRecordedTwice() throws {
        let h = try DaemonTests.Harness()
        try h.write("a.txt", "alpha\n")
        try h.write("b.txt", "beta\n")
        try h.start()
        #expect(h.waitForRecords(2))
        try h.write("a.txt", "alpha, edited\n")
        #expect(h.waitForRecords(3))
        #expect(h.stop() == 0)

        try FileManager.default.removeItem(at: h.data.appendingPathComponent("state"))
        try h.write("b.txt", "beta, edited while down\n")
        try h.start()
        #expect(h.waitForRecords(4))
        try h.write("marker.txt", "m\n")
        #expect(h.waitForRecords(5))
        #expect(h.stop() == 0)
        #expect(h.daemon?.stderr.contains("rebuilding the state store from the feed") == true)
        // a.txt is unchanged since the feed's last version of it: no record. b.txt changed: modified.
        #expect(
            h.records.dropFirst(3).map { "\($0["type"] as? String ?? "") \($0["path"] as? String ?? "")" } == [
                "modified b.txt", "created marker.txt",
            ])
    }

    @Test func replayRebuildStateRecreatesTheCacheAndRefusesWhileTheDaemonRuns() throws {
        let h = try DaemonTests.Harness()
        try h.write("a.txt", "alpha\n")
        try h.write("b/c.txt", "gamma\n")
        try h.start()
        #expect(h.waitForRecords(2))
        let feed = h.data.appendingPathComponent("feed").path
        let busy = try runRedline(["replay", "--rebuild-state", "--feed", feed])
        #expect(busy.status == 2)
        #expect(busy.stderr.contains("\(h.daemon!.process.processIdentifier)"), "\(busy.stderr)")
        #expect(h.stop() == 0)

        try FileManager.default.removeItem(at: h.data.appendingPathComponent("state"))
        let rebuilt = try runRedline(["replay", "--rebuild-state", "--feed", feed])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(rebuilt.stdout.contains("2 articles up to seq 2"))
        try h.start()
        try h.write("a.txt", "alpha, edited\n")
        #expect(h.waitForRecords(3))
        #expect(h.stop() == 0)
        #expect(h.daemon?.stderr.contains("rebuilding the state store") == false, "the rebuilt store was current")
        #expect(h.records.last?["type"] as? String == "modified", "the edit diffs against the rebuilt text")

        let nowhere = try runRedline(["replay", "--rebuild-state", "--feed", h.dir.appending("nope/feed").path])
        #expect(nowhere.status == 78)
        #expect(nowhere.stderr.contains("no feed in"))
    }

    @Test func everyRecordTypeTheDaemonWritesValidatesAgainstTheSchema() throws {
        let python = try #require(FeedSchemaTests.python, "install python3-jsonschema (make test-deps)")
        let h = try DaemonTests.Harness()
        let config = h.dir.appending("redline.toml")
        try """
        max_file_bytes = 200
        rescan_interval_s = 1
        [[root]]
        path = "\(h.articles.path)"

        """.write(to: config, atomically: true, encoding: .utf8)
        try h.start(["--config", config.path])
        try h.write("a.txt", "one two three\n")
        #expect(h.waitForRecords(1))
        try h.write("a.txt", "one two four\n")
        #expect(eventually { h.records.contains { $0["type"] as? String == "modified" } })
        try FileManager.default.moveItem(
            at: h.articles.appendingPathComponent("a.txt"), to: h.articles.appendingPathComponent("b.txt"))
        try Data([0x61, 0xFF, 0x0A]).write(to: h.articles.appendingPathComponent("bad.txt"))
        try h.write("big.txt", String(repeating: "x", count: 300))
        #expect(eventually { h.records.filter { $0["type"] as? String == "rejected" }.count == 2 })
        try FileManager.default.removeItem(at: h.articles.appendingPathComponent("b.txt"))
        #expect(eventually { h.records.contains { $0["type"] as? String == "deleted" } })
        #expect(eventually { h.records.contains { $0["type"] as? String == "rescan" } })
        // A crash leaving a torn line: the next start cuts it and says so with a `recovered` record.
        h.daemon!.signal(SIGKILL)
        _ = h.daemon!.waitForExit()
        let handle = try FileHandle(forWritingTo: h.feedFile)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"v\":1,\"feed\":\"torn".utf8))
        try handle.close()
        try h.start(["--config", config.path])
        #expect(eventually { h.records.contains { $0["type"] as? String == "recovered" } })
        #expect(h.stop() == 0)

        let lines = try String(contentsOf: h.feedFile, encoding: .utf8).split(separator: "\n").map(String.init)
        let types = Set(h.records.compactMap { $0["type"] as? String })
        #expect(types.isSuperset(of: ["created", "modified", "moved", "deleted", "rejected", "rescan", "recovered"]))
        let result = try FeedSchemaTests.validate(lines: lines, in: h.dir.path, python: python)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
