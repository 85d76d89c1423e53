import Foundation
import Testing

/// `redline run` against a real directory and a real feed, as a user runs it.
@Suite(.serialized) struct DaemonTests {
    /// A daemon on a fresh tree, with helpers to edit articles and read the feed.
    final class Harness {
        let dir: TempDir
        let articles: URL
        let data: URL
        var feedFile: URL { data.appendingPathComponent("feed/changes.jsonl") }
        var daemon: RunningRedline?

        init() throws {
            dir = try TempDir("redline-daemon")
            articles = dir.appending("articles")
            data = dir.appending("var")
            try FileManager.default.createDirectory(at: articles, withIntermediateDirectories: true)
        }

        func start(_ extra: [String] = [], environment: [String: String] = [:]) throws {
            // Ready when it says READY=1 (after the startup reconciliation), as systemd would hear it.
            let (process, ready) = try startUntilReady(
                ["run", "--watch", articles.path, "--data-dir", data.path, "--log-level", "debug"] + extra,
                environment: environment)
            daemon = process
            #expect(ready, "daemon did not start: \(process.stderr)")
        }

        /// Starts with a config file holding `settings` and this harness's one root.
        func start(withConfig settings: String, environment: [String: String] = [:]) throws {
            let config = dir.appending("redline.toml")
            try "\(settings)\n[[root]]\npath = \"\(articles.path)\"\n".write(
                to: config, atomically: true, encoding: .utf8)
            try start(["--config", config.path], environment: environment)
        }

        func stop() -> Int32? {
            daemon?.signal(SIGTERM)
            return daemon?.waitForExit()
        }

        var records: [[String: Any]] { readJSONLines(feedFile) }

        func waitForRecords(_ count: Int) -> Bool { eventually { records.count >= count } }

        func write(_ relative: String, _ text: String) throws {
            let url = articles.appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        /// Four articles that write the name ترمپ, and x.txt with the slip ترپ (in no word list, too short
        /// for the distance rules to call a typo).
        func writeNewsroomWithASlip() throws {
            for i in 0..<4 { try write("n\(i).txt", "دیدار ترمپ و پوتین در روز \(i)\n") }
            try write("x.txt", "سخنان ترپ دربارهٔ جنگ\n")
        }

        func read(_ relative: String) throws -> String {
            try String(contentsOf: articles.appendingPathComponent(relative), encoding: .utf8)
        }
    }

    @Test func anEditorsSpellingFixBecomesOneCreatedAndOneModifiedRecord() throws {
        let h = try Harness()
        try h.start()
        let original = try String(contentsOf: RedlineBinary.corpusArticle, encoding: .utf8)
        try h.write("000.txt", original)
        #expect(h.waitForRecords(1))
        try h.write("000.txt", original.replacingOccurrences(of: "ویتکاوف", with: "ویتکاف"))
        #expect(h.waitForRecords(2))
        // Re-saving identical bytes is not an edit.
        try h.write("000.txt", original.replacingOccurrences(of: "ویتکاوف", with: "ویتکاف"))
        try h.write("ignored.tmp", "a temp file is not an article")
        try h.write("later.txt", "a marker saved after the no-op re-save")
        #expect(h.waitForRecords(3))
        #expect(h.stop() == 0)

        let records = h.records
        #expect(records.count == 3)
        #expect(records.map { $0["seq"] as? Int } == [1, 2, 3])
        #expect(records.map { $0["type"] as? String } == ["created", "modified", "created"])
        #expect(records[0]["content"] as? String == original)
        #expect(records[2]["path"] as? String == "later.txt")
        let classes = (records[1]["changes"] as? [[String: Any]] ?? []).compactMap { $0["class"] as? String }
        #expect(classes.contains("spelling"), "classes: \(classes)")
        #expect(h.daemon?.stderr.contains("stopped") == true)
    }

    @Test func aRareFormFixedIntoTheNameTheArchiveWritesIsSpellingThroughRestartsAndACrash() throws {
        // ترمپ is in no word list, and ترپ is too short for the distance rules to call a typo: only the
        // archive (four, then more, articles writing ترمپ) shows the fix for what it is.
        let h = try Harness()
        try h.writeNewsroomWithASlip()
        try h.start()
        #expect(h.waitForRecords(5))
        try h.write("x.txt", "سخنان ترمپ دربارهٔ جنگ\n")
        #expect(h.waitForRecords(6))
        #expect(h.stop() == 0)
        let cache = h.data.appendingPathComponent("cache/archive-words.bin")
        #expect(FileManager.default.fileExists(atPath: cache.path))

        // After a clean stop the counts come back from the cache...
        try h.start()
        try h.write("y.txt", "گفتهٔ ترپ\n")
        #expect(h.waitForRecords(7))
        try h.write("y.txt", "گفتهٔ ترمپ\n")
        #expect(h.waitForRecords(8))
        // ...and after a kill -9, with an article written while it was down, from the state store.
        h.daemon?.signal(SIGKILL)
        _ = h.daemon?.waitForExit()
        try h.write("z.txt", "پیام ترپ\n")
        try h.start()
        #expect(h.waitForRecords(9))
        try h.write("z.txt", "پیام ترمپ\n")
        #expect(h.waitForRecords(10))
        #expect(h.stop() == 0)

        let modified = h.records.filter { $0["type"] as? String == "modified" }
        let verdicts = modified.map { record in
            (record["changes"] as? [[String: Any]] ?? []).map {
                "\($0["class"] as? String ?? "?")/\($0["rule"] as? String ?? "-")"
            }
        }
        #expect(modified.map { $0["path"] as? String } == ["x.txt", "y.txt", "z.txt"])
        #expect(verdicts == Array(repeating: ["spelling/archive_form"], count: 3))
        #expect(modified.allSatisfy { $0["significance"] as? String == "minor" })
    }

    @Test func withArchiveWordsOffNothingIsCountedAndTheShortFixStaysWording() throws {
        let h = try Harness()
        try h.writeNewsroomWithASlip()
        try h.start(withConfig: "[diff]\narchive_words = false")
        #expect(h.waitForRecords(5))
        try h.write("x.txt", "سخنان ترمپ دربارهٔ جنگ\n")
        #expect(h.waitForRecords(6))
        #expect(h.stop() == 0)
        let modified = try #require(h.records.last)
        let verdicts = (modified["changes"] as? [[String: Any]] ?? []).map {
            "\($0["class"] as? String ?? "?")/\($0["rule"] as? String ?? "-")"
        }
        #expect(verdicts == ["wording/-"])
        #expect(!FileManager.default.fileExists(atPath: h.data.appendingPathComponent("cache/archive-words.bin").path))
    }

    @Test func editsMadeWhileStoppedAreRecordedAtTheNextStart() throws {
        let h = try Harness()
        try h.write("a.txt", "first version\n")
        try h.write("b.txt", "to be deleted\n")
        try h.start()
        #expect(h.waitForRecords(2))
        #expect(h.stop() == 0)

        try h.write("a.txt", "first version, edited while the daemon was down\n")
        try FileManager.default.removeItem(at: h.articles.appendingPathComponent("b.txt"))
        try FileManager.default.moveItem(
            at: h.articles.appendingPathComponent("a.txt"), to: h.articles.appendingPathComponent("c.txt"))
        try h.write("d.txt", "new while down\n")
        try h.start()
        #expect(h.waitForRecords(5))
        #expect(h.stop() == 0)
        let late = h.records.dropFirst(2)
        let summary = Set(late.map { "\($0["type"] as? String ?? "?") \($0["path"] as? String ?? "?")" })
        #expect(summary == ["moved c.txt", "deleted b.txt", "created d.txt"])
        let moved = late.first { $0["type"] as? String == "moved" }
        #expect(moved?["from_path"] as? String == "a.txt")
        #expect(moved?["patch"] != nil, "a rename with an edit carries the edit")
    }

    @Test func aSecondDaemonOnTheSameFeedIsRefusedWithTheHoldersPid() throws {
        let h = try Harness()
        try h.start()
        let second = try runRedline(["run", "--watch", h.articles.path, "--data-dir", h.data.path])
        #expect(second.status == 2)
        #expect(second.stderr.contains("\(h.daemon!.process.processIdentifier)"), "stderr: \(second.stderr)")
        #expect(h.stop() == 0)
    }

    @Test func undecodableContentIsRejectedOnceAndTheDaemonKeepsGoing() throws {
        let h = try Harness()
        try h.start()
        var bytes = Array("valid start ".utf8)
        bytes += [0xFF, 0xFE]
        try Data(bytes).write(to: h.articles.appendingPathComponent("bad.txt"))
        #expect(h.waitForRecords(1))
        try h.write("good.txt", "still working\n")
        #expect(h.waitForRecords(2))
        #expect(h.stop() == 0)
        // The same bad version is not reported again after a restart; a fixed one is recorded.
        try h.start()
        try h.write("bad.txt", "fixed\n")
        #expect(h.waitForRecords(3))
        #expect(h.stop() == 0)
        #expect(h.records.last?["type"] as? String == "created")
        let rejected = h.records.first { $0["type"] as? String == "rejected" }
        #expect(rejected?["path"] as? String == "bad.txt")
        #expect((rejected?["reason"] as? String)?.contains("12") == true, "names the byte offset")
        #expect(h.records.filter { $0["type"] as? String == "rejected" }.count == 1)
    }

    @Test func aMissingRootIsOneClearLineAndExitStatus78() throws {
        let dir = try TempDir()
        let result = try runRedline(["run", "--watch", dir.appending("nope").path, "--data-dir", dir.path])
        #expect(result.status == 78)
        #expect(result.stderr.contains(dir.appending("nope").path))
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
    }
}

/// `redline run --check-config` as an administrator uses it before a reload.
@Suite struct CheckConfigTests {
    @Test func aValidFileExitsZeroAndAnInvalidOneSeventyEightWithOneLine() throws {
        let dir = try TempDir()
        let good = dir.appending("good.toml")
        try "[[root]]\npath = \"\(dir.path)\"\n".write(to: good, atomically: true, encoding: .utf8)
        let ok = try runRedline(["run", "--check-config", "--config", good.path])
        #expect(ok.status == 0)
        let bad = dir.appending("bad.toml")
        try "[[root]]\npath = \"\(dir.path)\"\nincluded = []\n".write(to: bad, atomically: true, encoding: .utf8)
        let result = try runRedline(["run", "--check-config", "--config", bad.path])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(bad.path):3: included: unknown key"), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}

/// SIGHUP re-reads the configuration without losing anything.
@Suite struct ReloadTests {
    @Test func sighupAppliesNewRootsGlobsFeedOptionsAndLogLevelAndRefusesABadFile() throws {
        let h = try DaemonTests.Harness()
        let second = h.dir.appending("second")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        let config = h.dir.appending("redline.toml")
        func writeConfig(_ extra: String) throws {
            try """
            data_dir = "\(h.data.path)"
            \(extra)
            [[root]]
            path = "\(h.articles.path)"

            """.write(to: config, atomically: true, encoding: .utf8)
        }
        try writeConfig("log_level = \"info\"")
        let (daemon, ready) = try startUntilReady(["run", "--config", config.path])
        h.daemon = daemon
        #expect(ready, "\(daemon.stderr)")
        try h.write("a.txt", "one\n")
        #expect(h.waitForRecords(1))

        try writeConfig("log_level = \"debug\"\n[feed]\nfsync = \"never\"")
        try """
        [[root]]
        path = "\(second.path)"
        include = ["**/*.news"]
        """.appendLine(to: config)
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.stderr.contains("now watching \(second.path)") }, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("feed options applied"))
        try Data("only .news files here\n".utf8).write(to: second.appendingPathComponent("b.news"))
        try Data("not an article under the new globs\n".utf8).write(to: second.appendingPathComponent("c.txt"))
        #expect(h.waitForRecords(2))
        #expect(eventually { daemon.stderr.contains("debug created b.news") }, "the new log level is in force")

        try "settle_ms = \"soon\"\n".appendLine(to: config)
        daemon.signal(SIGHUP)
        #expect(eventually { daemon.stderr.contains("reload refused") })
        try h.write("a.txt", "two\n")
        #expect(h.waitForRecords(3))
        #expect(h.stop() == 0)
        #expect(h.records.map { $0["path"] as? String } == ["a.txt", "b.news", "a.txt"])
    }
}

extension String {
    /// Appends this text and a newline to `url`.
    func appendLine(to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((self + "\n").utf8))
        try handle.close()
    }
}

/// Stopping in the middle of a long startup reconciliation loses and duplicates nothing.
@Suite struct InterruptedStartTests {
    /// The first run stops at a checkpoint of its startup scan (the stop a SIGTERM would cause, at a known
    /// point rather than a racing one); the restart records every article exactly once.
    @Test func aStopDuringTheStartupScanThenARestartRecordsEveryArticleOnce() throws {
        let h = try DaemonTests.Harness()
        let count = 3_000
        for batch in 0..<10 {
            let dir = h.articles.appendingPathComponent("b\(batch)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<(count / 10) {
                try Data("article \(batch)/\(i)\n".utf8).write(to: dir.appendingPathComponent("\(i).txt"))
            }
        }
        let first = try RunningRedline(
            ["run", "--watch", h.articles.path, "--data-dir", h.data.path],
            environment: ["REDLINE_TEST_INTERRUPT_STARTUP_AFTER": "500"])
        #expect(first.waitForExit(seconds: 120) == 0, "\(first.stderr)")
        #expect(first.stderr.contains("stopped during the startup reconciliation"), "\(first.stderr)")
        let afterFirst = h.records.count
        #expect(afterFirst >= 500 && afterFirst < count, "the first run really was interrupted (\(afterFirst) records)")

        try h.start()
        #expect(eventually(seconds: 300) { h.records.count >= count })
        try h.write("zz-marker.txt", "last\n")
        #expect(eventually(seconds: 60) { h.records.contains { $0["path"] as? String == "zz-marker.txt" } })
        #expect(h.stop() == 0)
        let paths = h.records.filter { $0["type"] as? String == "created" }.compactMap { $0["path"] as? String }
        #expect(paths.count == count + 1)
        #expect(Set(paths).count == count + 1)
        #expect(!h.records.contains { $0["type"] as? String == "deleted" })
    }
}
