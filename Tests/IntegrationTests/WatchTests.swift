import Foundation
import Testing

/// The watcher's promises, end to end: real inotify, the real daemon, the real feed.
@Suite(.serialized) struct WatchTests {
    typealias Harness = DaemonTests.Harness

    func summary(_ records: some Sequence<[String: Any]>) -> [String] {
        records.map { record in
            let type = record["type"] as? String ?? "?"
            let path = record["path"] as? String ?? "?"
            if let from = record["from_path"] as? String { return "\(type) \(from) -> \(path)" }
            return "\(type) \(path)"
        }
    }

    @Test func filesWrittenRightAfterMkdirPAreSeen() throws {
        let h = try Harness()
        try h.start()
        let deep = h.articles.appendingPathComponent("a/b/c")
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        try Data("x\n".utf8).write(to: deep.appendingPathComponent("new.txt"))
        #expect(h.waitForRecords(1))
        try h.write("a/b/c/d/e/later.txt", "y\n")
        #expect(h.waitForRecords(2))
        #expect(h.stop() == 0)
        #expect(Set(summary(h.records)) == ["created a/b/c/new.txt", "created a/b/c/d/e/later.txt"])
    }

    @Test func anAtomicSaveIsOneModifiedRecordAndNothingForTheTempFile() throws {
        let h = try Harness()
        try h.write("story.txt", "version one\n")
        try h.start()
        #expect(h.waitForRecords(1))
        let temp = h.articles.appendingPathComponent(".story.txt.XXXX12")
        try Data("version two\n".utf8).write(to: temp)
        #expect(rename(temp.path, h.articles.appendingPathComponent("story.txt").path) == 0)
        #expect(h.waitForRecords(2))
        try h.write("marker.txt", "m\n")
        #expect(h.waitForRecords(3))
        #expect(h.stop() == 0)
        #expect(summary(h.records) == ["created story.txt", "modified story.txt", "created marker.txt"])
    }

    @Test func renamesKeepHistoryAndDeletesAreRecorded() throws {
        let h = try Harness()
        try h.write("world/one.txt", "one\n")
        try h.write("world/two.txt", "two\n")
        try h.write("solo.txt", "solo\n")
        try h.start()
        #expect(h.waitForRecords(3))
        let fm = FileManager.default
        try fm.moveItem(
            at: h.articles.appendingPathComponent("solo.txt"), to: h.articles.appendingPathComponent("renamed.txt"))
        #expect(h.waitForRecords(4))
        try fm.moveItem(at: h.articles.appendingPathComponent("world"), to: h.articles.appendingPathComponent("europe"))
        #expect(h.waitForRecords(6))
        try h.write("europe/one.txt", "one, edited after the directory moved\n")
        #expect(h.waitForRecords(7))
        try fm.removeItem(at: h.articles.appendingPathComponent("europe/two.txt"))
        #expect(h.waitForRecords(8))
        #expect(h.stop() == 0)
        #expect(
            summary(h.records.dropFirst(3)) == [
                "moved solo.txt -> renamed.txt", "moved world/one.txt -> europe/one.txt",
                "moved world/two.txt -> europe/two.txt", "modified europe/one.txt", "deleted europe/two.txt",
            ])
    }

    @Test func fifosSymlinksAndOversizedFilesNeverStallTheDaemon() throws {
        let h = try Harness()
        try h.start(withConfig: "max_file_bytes = 100")
        #expect(mkfifo(h.articles.appendingPathComponent("pipe.txt").path, 0o644) == 0)
        #expect(symlink("/etc/hostname", h.articles.appendingPathComponent("leak.txt").path) == 0)
        try h.write("big.txt", String(repeating: "long ", count: 100))
        try h.write("fine.txt", "small enough\n")
        #expect(h.waitForRecords(2))
        try h.write("after.txt", "still running\n")
        #expect(h.waitForRecords(3))
        #expect(h.stop() == 0)
        #expect(Set(summary(h.records)) == ["rejected big.txt", "created fine.txt", "created after.txt"])
        let rejected = h.records.first { $0["type"] as? String == "rejected" }
        #expect((rejected?["reason"] as? String)?.contains("max_file_bytes") == true)
    }

    /// A pipeline far behind the kernel: with a tiny `event_queue`, a burst drops events in the daemon's own
    /// queue, which ends in one rescan (as a kernel overflow does) that records every article exactly once.
    @Test func aFullEventQueueFallsBackOnARescanAndLosesNothing() throws {
        let h = try Harness()
        // The pipeline is held (a test hook) while the burst arrives, so it is certainly more than 16 events behind.
        let hold = h.dir.appending("hold").path
        #expect(FileManager.default.createFile(atPath: hold, contents: nil))
        try h.start(withConfig: "event_queue = 16", environment: ["REDLINE_TEST_HOLD_PIPELINE": hold])
        let count = 2_000
        for i in 0..<count { try Data("article \(i)\n".utf8).write(to: h.articles.appendingPathComponent("a\(i).txt")) }
        try FileManager.default.removeItem(atPath: hold)
        try expectEachArticleRecordedOnce(h, count: count, seconds: 120)
        #expect(h.daemon?.stderr.contains("events behind (event_queue)") == true, "the queue filled and said so")
        #expect(h.records.contains { $0["type"] as? String == "rescan" }, "the dropped events were rescanned for")
    }

    /// The issue's overflow storm: the daemon is frozen while 30,000 articles appear, so the
    /// kernel queue (16,384 events by default) overflows; after SIGCONT every article is recorded
    /// exactly once and a `rescan` record says why.
    @Test func anOverflowStormLosesNothingAndDuplicatesNothing() throws {
        let h = try Harness()
        // The directories exist (and are watched) before the storm, so its events queue up in the kernel.
        for batch in 0..<30 {
            try FileManager.default.createDirectory(
                at: h.articles.appendingPathComponent("batch\(batch)"), withIntermediateDirectories: true)
        }
        try h.start()
        h.daemon!.signal(SIGSTOP)
        let count = 30_000
        for batch in 0..<30 {
            let dir = h.articles.appendingPathComponent("batch\(batch)")
            for i in 0..<(count / 30) {
                try Data("article \(batch)-\(i)\n".utf8).write(to: dir.appendingPathComponent("a\(i).txt"))
            }
        }
        h.daemon!.signal(SIGCONT)
        try expectEachArticleRecordedOnce(h, count: count, seconds: 300)
        #expect(h.records.contains { $0["type"] as? String == "rescan" }, "the overflow is reported")
        let seqs = h.records.compactMap { $0["seq"] as? Int }
        #expect(seqs == Array(1...seqs.count))
    }
}

/// The inotify watch limit, lowered for one user namespace (needs unshare, as in CI as root).
@Suite struct WatchLimitTests {
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && (try? runProcess(
                URL(fileURLWithPath: "/usr/bin/unshare"),
                ["--user", "--map-root-user", "sh", "-c", "echo 3 > /proc/sys/user/max_inotify_watches"]
            ).status) == 0
    }

    @Test(.enabled(if: available, "needs unprivileged user namespaces"))
    func whenTheLimitIsReachedItSaysWhichSysctlAndRescansInstead() throws {
        let dir = try TempDir("redline-limit")
        let deep = dir.appending("articles/a/b/c/d/e/f")
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        let config = dir.appending("redline.toml")
        try """
        limit_rescan_interval_s = 1
        [[root]]
        path = "\(dir.appending("articles").path)"

        """.write(to: config, atomically: true, encoding: .utf8)
        // Three watches for seven directories: the deepest ones stay unwatched.
        let script = """
            echo 3 > /proc/sys/user/max_inotify_watches && exec "$0" run --config "$1" --data-dir "$2"
            """
        let (daemon, ready) = try startUntilReady(
            [
                "--user", "--map-root-user", "sh", "-c", script, RedlineBinary.url.path, config.path,
                dir.appending("var").path,
            ], executable: URL(fileURLWithPath: "/usr/bin/unshare"))
        #expect(ready, "\(daemon.stderr)")
        try Data("deep in an unwatched directory\n".utf8).write(to: deep.appendingPathComponent("deep.txt"))
        let feed = dir.appending("var/feed/changes.jsonl")
        #expect(eventually { readJSONLines(feed).contains { $0["path"] as? String == "a/b/c/d/e/f/deep.txt" } })
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(daemon.stderr.contains("fs.inotify.max_user_watches"), "\(daemon.stderr)")
        #expect(readJSONLines(feed).contains { ($0["reason"] as? String)?.contains("watch limit") == true })
    }
}

extension WatchLimitTests {
    /// The startup scan reads the watcher's walk; when the limit stops that walk short, the articles below the
    /// unwatched directories are still there, and an edit made to one while the daemon was down is found.
    @Test(.enabled(if: available, "needs unprivileged user namespaces"))
    func aRestartUnderTheLimitTakesNoUnwatchedArticleForDeleted() throws {
        let dir = try TempDir("redline-limit-restart")
        let deep = dir.appending("articles/a/b/c/d/e/f")
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        try Data("deep, version one\n".utf8).write(to: deep.appendingPathComponent("deep.txt"))
        try Data("top\n".utf8).write(to: dir.appending("articles/top.txt"))
        let config = dir.appending("redline.toml")
        try """
        [[root]]
        path = "\(dir.appending("articles").path)"

        """.write(to: config, atomically: true, encoding: .utf8)
        let data = dir.appending("var").path
        let (first, firstReady) = try startUntilReady(["run", "--config", config.path, "--data-dir", data])
        #expect(firstReady, "\(first.stderr)")
        first.signal(SIGTERM)
        #expect(first.waitForExit() == 0)
        // Edited while the daemon was down, in a directory the next start cannot watch.
        try Data("deep, version two\n".utf8).write(to: deep.appendingPathComponent("deep.txt"))
        let script = """
            echo 3 > /proc/sys/user/max_inotify_watches && exec "$0" run --config "$1" --data-dir "$2"
            """
        let (second, ready) = try startUntilReady(
            ["--user", "--map-root-user", "sh", "-c", script, RedlineBinary.url.path, config.path, data],
            executable: URL(fileURLWithPath: "/usr/bin/unshare"))
        #expect(ready, "\(second.stderr)")
        second.signal(SIGTERM)
        #expect(second.waitForExit() == 0)
        let records = readJSONLines(dir.appending("var/feed/changes.jsonl"))
        let deepTypes = records.filter { $0["path"] as? String == "a/b/c/d/e/f/deep.txt" }.compactMap {
            $0["type"] as? String
        }
        #expect(deepTypes == ["created", "modified"], "\(second.stderr)")
        #expect(!records.contains { $0["type"] as? String == "deleted" })
    }
}

/// A file the daemon may not read is logged once, gets no record, and stops nothing.
@Suite struct PermissionTests {
    static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }

    @Test(.enabled(if: available, "needs root to run the daemon as nobody"))
    func anUnreadableFileIsLoggedOnceWithItsPath() throws {
        let dir = try TempDir("redline-perm")
        let articles = dir.appending("articles")
        let data = dir.appending("var")
        try FileManager.default.createDirectory(at: articles, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        _ = try runProcess(URL(fileURLWithPath: "/bin/chown"), ["nobody", data.path])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let daemon = try startAsNobody(articles: articles, data: data)
        let secret = articles.appendingPathComponent("secret.txt")
        // Created unreadable from the start (root writes it; the daemon runs as nobody), then saved again.
        #expect(
            FileManager.default.createFile(
                atPath: secret.path, contents: Data("not for you\n".utf8), attributes: [.posixPermissions: 0o600]))
        try Data("again\n".utf8).write(to: secret)
        try Data("readable\n".utf8).write(to: articles.appendingPathComponent("open.txt"))
        let feed = data.appendingPathComponent("feed/changes.jsonl")
        #expect(eventually { readJSONLines(feed).contains { $0["path"] as? String == "open.txt" } })
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(readJSONLines(feed).map { $0["path"] as? String } == ["open.txt"])
        let warnings = daemon.stderr.split(separator: "\n").filter { $0.contains("cannot read \(secret.path)") }
        #expect(warnings.count == 1, "\(daemon.stderr)")
    }
}

/// Waits until `count` articles are created, writes a marker after them (time for a wrong duplicate to show),
/// stops the daemon, and expects every article exactly once.
func expectEachArticleRecordedOnce(_ h: DaemonTests.Harness, count: Int, seconds: Double) throws {
    #expect(eventually(seconds: seconds) { h.records.filter { $0["type"] as? String == "created" }.count >= count })
    try h.write("zz-marker.txt", "last\n")
    #expect(eventually(seconds: 60) { h.records.contains { $0["path"] as? String == "zz-marker.txt" } })
    #expect(h.stop() == 0)
    let created = h.records.filter { $0["type"] as? String == "created" }.compactMap { $0["path"] as? String }
    #expect(created.count == count + 1)
    #expect(Set(created).count == count + 1, "each article once")
}
