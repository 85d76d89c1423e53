import Foundation
import Testing

/// What a user sees in the feed when the tree itself changes under the daemon: a root that goes away and comes
/// back, a directory whose permissions are fixed, a special file put where an article was.
@Suite(.serialized) struct RootLifecycleTests {
    typealias Harness = DaemonTests.Harness

    func summary(_ records: some Sequence<[String: Any]>) -> [String] {
        records.map { "\($0["type"] as? String ?? "?") \($0["path"] as? String ?? "?")" }
    }

    func has(_ h: Harness, _ type: String, _ path: String) -> Bool {
        h.records.contains { $0["type"] as? String == type && $0["path"] as? String == path }
    }

    func rescanReasons(_ h: Harness) -> [String] {
        h.records.filter { $0["type"] as? String == "rescan" && $0["root"] as? String == h.articles.path }
            .compactMap { $0["reason"] as? String }
    }

    @Test func aRootMovedAwayEndsItsArticlesAndADirectoryPutBackInItsPlaceIsWatched() throws {
        let h = try Harness()
        try h.write("a.txt", "alpha\n")
        try h.write("desk/b.txt", "beta\n")
        try h.start()
        #expect(h.waitForRecords(2))
        let fm = FileManager.default
        let away = h.dir.appending("articles-away")
        try fm.moveItem(at: h.articles, to: away)
        #expect(eventually { has(h, "deleted", "a.txt") && has(h, "deleted", "desk/b.txt") })
        // The tree that moved away is no longer watched: its edits are not recorded under the old root.
        try Data("alpha, edited after the move\n".utf8).write(to: away.appendingPathComponent("a.txt"))
        try Data("new in the tree that moved away\n".utf8).write(to: away.appendingPathComponent("desk/c.txt"))
        let incoming = h.dir.appending("incoming")
        try fm.createDirectory(at: incoming, withIntermediateDirectories: true)
        try Data("delta\n".utf8).write(to: incoming.appendingPathComponent("d.txt"))
        try fm.moveItem(at: incoming, to: h.articles)
        #expect(eventually { has(h, "created", "d.txt") })
        try h.write("desk/e.txt", "written after the root came back\n")
        #expect(eventually { has(h, "created", "desk/e.txt") })
        #expect(h.stop() == 0)
        let changes = summary(h.records.filter { $0["type"] as? String != "rescan" })
        #expect(
            changes == [
                "created a.txt", "created desk/b.txt", "deleted a.txt", "deleted desk/b.txt", "created d.txt",
                "created desk/e.txt",
            ])
        let reasons = rescanReasons(h)
        #expect(reasons.contains { $0.contains("moved away") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("reappeared") }, "\(reasons)")
        let stderr = h.daemon?.stderr ?? ""
        #expect(stderr.contains("watched root \(h.articles.path) was moved away"), "\(stderr)")
    }

    @Test func aRootDeletedWhileTheDaemonWasDownDoesNotStopTheStartAndIsWatchedWhenMadeAgain() throws {
        let h = try Harness()
        try h.write("a.txt", "alpha\n")
        try h.start()
        #expect(h.waitForRecords(1))
        #expect(h.stop() == 0)
        try FileManager.default.removeItem(at: h.articles)
        try h.start()
        #expect(h.daemon?.process.isRunning == true, "the start goes on: \(h.daemon?.stderr ?? "")")
        #expect(eventually { has(h, "deleted", "a.txt") })
        try FileManager.default.createDirectory(at: h.articles, withIntermediateDirectories: true)
        try h.write("b.txt", "written into the root made again\n")
        #expect(eventually { has(h, "created", "b.txt") })
        #expect(h.stop() == 0)
        let stderr = h.daemon?.stderr ?? ""
        #expect(stderr.contains("watched root \(h.articles.path) is not a directory now"), "\(stderr)")
    }

    @Test func aDeletedRootEndsItsArticlesAndIsWatchedAgainWhenItIsMadeAgain() throws {
        let h = try Harness()
        try h.write("a.txt", "alpha\n")
        try h.write("desk/b.txt", "beta\n")
        try h.start()
        #expect(h.waitForRecords(2))
        try FileManager.default.removeItem(at: h.articles)
        #expect(eventually { has(h, "deleted", "a.txt") && has(h, "deleted", "desk/b.txt") })
        try FileManager.default.createDirectory(at: h.articles, withIntermediateDirectories: true)
        try h.write("c.txt", "written into the root made again\n")
        #expect(eventually { has(h, "created", "c.txt") })
        try h.write("desk/d.txt", "in a new directory of the root made again\n")
        #expect(eventually { has(h, "created", "desk/d.txt") })
        #expect(h.stop() == 0)
        let changes = summary(h.records.filter { $0["type"] as? String != "rescan" })
        #expect(changes.count == 6, "\(changes)")
        #expect(
            Set(changes) == [
                "created a.txt", "created desk/b.txt", "deleted a.txt", "deleted desk/b.txt", "created c.txt",
                "created desk/d.txt",
            ])
        #expect(rescanReasons(h).contains { $0.contains("reappeared") }, "\(rescanReasons(h))")
        let stderr = h.daemon?.stderr ?? ""
        #expect(stderr.contains("watched root \(h.articles.path) was deleted"), "\(stderr)")
    }

    /// A socket, FIFO, ... renamed over an article ends it: a `deleted` record, and nothing said about it at later
    /// starts (opening a socket fails with ENXIO, which once read as a permission problem at every start).
    @Test(arguments: ["socket", "fifo"])
    func aSpecialFileRenamedOverAnArticleEndsIt(kind: String) throws {
        let h = try Harness()
        try h.write("story.txt", "the story\n")
        try h.start()
        #expect(h.waitForRecords(1))
        let temp = h.articles.appendingPathComponent(".story.\(kind)").path
        #expect((kind == "socket" ? makeSocket(at: temp) : mkfifo(temp, 0o644)) == 0)
        #expect(rename(temp, h.articles.appendingPathComponent("story.txt").path) == 0)
        #expect(eventually { has(h, "deleted", "story.txt") })
        try h.write("marker.txt", "after the swap\n")
        #expect(eventually { has(h, "created", "marker.txt") })
        #expect(h.stop() == 0)
        #expect(summary(h.records) == ["created story.txt", "deleted story.txt", "created marker.txt"])

        try h.start()
        try h.write("later.txt", "after the restart\n")
        #expect(eventually { has(h, "created", "later.txt") })
        #expect(h.stop() == 0)
        #expect(h.records.count == 4)
        let stderr = h.daemon?.stderr ?? ""
        #expect(!stderr.contains("check its permissions"), "\(stderr)")
        let loud = stderr.split(separator: "\n").filter { $0.hasPrefix("warning") || $0.hasPrefix("error") }
        #expect(loud.isEmpty, "\(stderr)")
    }

    /// Binds (and closes) a Unix socket at `path`: the socket file stays.
    func makeSocket(at path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}

/// A directory the daemon could not read at start joins the tree once its permissions are fixed.
@Suite struct UnreadableDirectoryTests {
    @Test(.enabled(if: PermissionTests.available, "needs root to run the daemon as nobody"))
    func aDirectoryUnreadableAtStartIsWatchedOnceItsPermissionsAreFixed() throws {
        let fm = FileManager.default
        let dir = try TempDir("redline-perm-dir")
        let articles = dir.appending("articles")
        let locked = articles.appendingPathComponent("locked")
        let data = dir.appending("var")
        try fm.createDirectory(at: locked, withIntermediateDirectories: true)
        try fm.createDirectory(at: data, withIntermediateDirectories: true)
        _ = try runProcess(URL(fileURLWithPath: "/bin/chown"), ["nobody", data.path])
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: articles.path)
        try Data("written before the start\n".utf8).write(to: locked.appendingPathComponent("a.txt"))
        try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: locked.appendingPathComponent("a.txt").path)
        try fm.setAttributes([.posixPermissions: 0o000], ofItemAtPath: locked.path)
        try Data("readable\n".utf8).write(to: articles.appendingPathComponent("open.txt"))
        let daemon = try startAsNobody(articles: articles, data: data)
        let feed = data.appendingPathComponent("feed/changes.jsonl")
        func paths() -> [String] { readJSONLines(feed).compactMap { $0["path"] as? String } }
        #expect(eventually { paths().contains("open.txt") })
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path)
        #expect(eventually { paths().contains("locked/a.txt") }, "\(daemon.stderr)")
        try Data("written after the chmod\n".utf8).write(to: locked.appendingPathComponent("b.txt"))
        #expect(eventually { paths().contains("locked/b.txt") }, "\(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(paths() == ["open.txt", "locked/a.txt", "locked/b.txt"])
        #expect(readJSONLines(feed).allSatisfy { $0["type"] as? String == "created" })
    }
}

/// Names that are not valid UTF-8 (a Latin-1 "é", say) are recorded with the escape of schema/README.md and
/// rebuilt by replay byte for byte.
@Suite struct NonUTF8NameTests {
    typealias Harness = DaemonTests.Harness

    /// Creates `name` (raw bytes) under `dir` with `text`.
    func create(_ dir: URL, _ name: [UInt8], _ text: String) {
        let path = Array(dir.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let fd = path.withUnsafeBufferPointer {
            open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644)
        }
        #expect(fd >= 0)
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func rename(_ dir: URL, _ from: [UInt8], _ to: [UInt8]) {
        let a = Array(dir.path.utf8) + [UInt8(ascii: "/")] + from + [0]
        let b = Array(dir.path.utf8) + [UInt8(ascii: "/")] + to + [0]
        let result = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Glibc.rename(
                    UnsafeRawPointer(pa.baseAddress!).assumingMemoryBound(to: CChar.self),
                    UnsafeRawPointer(pb.baseAddress!).assumingMemoryBound(to: CChar.self))
            }
        }
        #expect(result == 0)
    }

    /// The raw names in `dir`.
    func names(_ dir: String) -> Set<[UInt8]> {
        guard let handle = opendir(dir) else { return [] }
        defer { closedir(handle) }
        var result: Set<[UInt8]> = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { result.insert(name) }
        }
        return result
    }

    @Test func aNameThatIsNotUTF8IsRecordedFaithfullyAndReplayedToTheSameBytes() throws {
        let h = try Harness()
        try h.start()
        let latin1: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".txt".utf8)
        let other: [UInt8] = Array("caf".utf8) + [0xE8] + Array(".txt".utf8)
        create(h.articles, latin1, "un article\n")
        #expect(eventually { h.records.contains { $0["path"] as? String == "caf\\xe9.txt" } }, "\(h.records)")
        create(h.articles, Array("keep".utf8) + [0xFF] + Array(".txt".utf8), "stays\n")
        rename(h.articles, latin1, other)
        #expect(
            eventually {
                h.records.contains { $0["type"] as? String == "moved" && $0["path"] as? String == "caf\\xe8.txt" }
            })
        #expect(h.stop() == 0)
        let paths = h.records.compactMap { $0["path"] as? String }
        #expect(!paths.contains { $0.unicodeScalars.contains("\u{FFFD}") }, "no replacement characters: \(paths)")
        #expect(!h.records.contains { $0["type"] as? String == "deleted" }, "a rename is not a delete")
        let out = try TempDir("redline-replay")
        let replay = try runRedline(["replay", "--feed", h.data.path + "/feed", "--to", out.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(names(out.path) == names(h.articles.path), "replay recreates the exact bytes of every name")
        #expect(names(out.path).contains(other))
    }
}
