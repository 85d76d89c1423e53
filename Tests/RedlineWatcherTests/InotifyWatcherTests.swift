import Foundation
import Logging
import RedlineWatcher
import Synchronization
import Testing

/// A temporary directory removed when the test ends.
final class TempTree: Sendable {
    let path: String

    init() {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("redline-watch-\(UUID().uuidString)")
            .path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { path + "/" + relative }

    func write(_ relative: String, _ text: String = "x\n") throws {
        try text.write(toFile: url(relative), atomically: false, encoding: .utf8)
    }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: url(relative), withIntermediateDirectories: true)
    }

    /// rename(2), which replaces `to` (as editors' atomic saves do).
    func move(_ from: String, _ to: String) throws {
        guard rename(url(from), url(to)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}

/// Collects a watcher's events in the background so tests can wait for the one they expect.
final class EventLog: Sendable {
    let watcher: InotifyWatcher
    private let seen = Mutex<[WatchEvent]>([])
    private let finished = Atomic<Bool>(false)

    init() throws {
        watcher = try InotifyWatcher(logger: Logger(label: "test.watcher"))
        let stream = watcher.events
        // Holds the log until the stream ends (stop() ends it).
        Task.detached { [self] in
            for await event in stream { self.seen.withLock { $0.append(event) } }
            self.finished.store(true, ordering: .releasing)
        }
    }

    var events: [WatchEvent] { seen.withLock { $0 } }
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Waits until an event matches, or gives up after a generous limit (a safety net, not a timing assertion).
    @discardableResult
    func waitFor(_ description: String, _ predicate: (WatchEvent) -> Bool) async -> WatchEvent? {
        for _ in 0..<1000 {
            if let match = events.first(where: predicate) { return match }
            try? await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no event matched: \(description); saw \(events)")
        return nil
    }

    func waitUntilFinished() async -> Bool {
        for _ in 0..<1000 {
            if isFinished { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

/// libinotifytools is a process-wide singleton, so these run one at a time.
@Suite(.serialized) struct InotifyWatcherTests {
    @Test func aWrittenFileGivesCloseWriteWithItsAbsolutePath() async throws {
        let tree = TempTree()
        let log = try EventLog()
        defer { log.watcher.stop() }
        #expect(try log.watcher.addRoot(tree.path) == 1)
        try tree.write("article.txt")
        await log.waitFor("closeWrite article.txt") {
            $0.kind == .closeWrite && $0.path == tree.url("article.txt") && !$0.isDirectory
        }
    }

    @Test func addRootCountsEveryDirectory() async throws {
        let tree = TempTree()
        try tree.mkdir("a/b/c")
        try tree.mkdir("d")
        let log = try EventLog()
        defer { log.watcher.stop() }
        #expect(try log.watcher.addRoot(tree.path) == 5)
        try tree.write("a/b/c/deep.txt")
        await log.waitFor("closeWrite deep.txt") { $0.kind == .closeWrite && $0.path == tree.url("a/b/c/deep.txt") }
    }

    @Test func nestedDirectoriesMadeAtOnceStillReportTheirFiles() async throws {
        let tree = TempTree()
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        // mkdir -p a/b/c && echo x > a/b/c/new.txt, faster than any watcher can add watches.
        try tree.mkdir("a/b/c")
        try tree.write("a/b/c/new.txt")
        await log.waitFor("an event for new.txt") {
            ($0.kind == .closeWrite || $0.kind == .create) && $0.path == tree.url("a/b/c/new.txt")
        }
        // And the new directories are watched from then on.
        try tree.write("a/b/c/later.txt")
        await log.waitFor("closeWrite later.txt") {
            $0.kind == .closeWrite && $0.path == tree.url("a/b/c/later.txt")
        }
    }

    @Test func aRenamedDirectoryReportsTheNewPathAfterwards() async throws {
        let tree = TempTree()
        try tree.mkdir("2024/jan")
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try tree.move("2024", "archive")
        await log.waitFor("movedTo archive") { $0.kind == .movedTo && $0.path == tree.url("archive") }
        try tree.write("archive/jan/a.txt")
        let event = await log.waitFor("closeWrite of a.txt") {
            $0.kind == .closeWrite && $0.path.hasSuffix("/jan/a.txt")
        }
        #expect(event?.path == tree.url("archive/jan/a.txt"))
    }

    @Test func aFileRenameGivesBothHalvesWithOneCookie() async throws {
        let tree = TempTree()
        try tree.write("a.txt")
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try tree.move("a.txt", "b.txt")
        let to = await log.waitFor("movedTo b.txt") { $0.kind == .movedTo && $0.path == tree.url("b.txt") }
        let from = log.events.first { $0.kind == .movedFrom }
        #expect(from?.path == tree.url("a.txt"))
        #expect(from?.cookie == to?.cookie)
        #expect(to?.cookie != 0)
    }

    @Test func aDirectoryMovedInFromOutsideReportsItsContents() async throws {
        let tree = TempTree()
        let outside = TempTree()
        try outside.mkdir("batch/inner")
        try outside.write("batch/one.txt")
        try outside.write("batch/inner/two.txt")
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try FileManager.default.moveItem(atPath: outside.url("batch"), toPath: tree.url("batch"))
        await log.waitFor("one.txt") { $0.kind == .closeWrite && $0.path == tree.url("batch/one.txt") }
        await log.waitFor("two.txt") { $0.kind == .closeWrite && $0.path == tree.url("batch/inner/two.txt") }
    }

    @Test func removingARootStopsItsEvents() async throws {
        let tree = TempTree()
        let other = TempTree()
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try log.watcher.addRoot(other.path)
        log.watcher.removeRoot(tree.path)
        try tree.write("ignored.txt")
        // A write in the other root afterwards marks the point by which the first would have shown up.
        try other.write("marker.txt")
        await log.waitFor("marker") { $0.kind == .closeWrite && $0.path == other.url("marker.txt") }
        #expect(!log.events.contains { $0.path.hasPrefix(tree.path + "/") && $0.kind != .ignored })
    }

    @Test func anAtomicSaveSettlesToOneRenameOntoTheArticle() async throws {
        let tree = TempTree()
        try tree.write("article.txt", "old\n")
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try tree.write(".article.txt.swp", "new\n")
        try tree.move(".article.txt.swp", "article.txt")
        await log.waitFor("movedTo article.txt") { $0.kind == .movedTo && $0.path == tree.url("article.txt") }
        var settler = Settler()
        let now = ContinuousClock.now
        for event in log.events { settler.observe(event, at: now) }
        #expect(
            settler.due(at: now + .seconds(10))
                == [.moved(from: tree.url(".article.txt.swp"), to: tree.url("article.txt"))]
        )
    }

    @Test func deletingTheRootIsReported() async throws {
        let tree = TempTree()
        try tree.mkdir("sub")
        try tree.write("sub/a.txt")
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try FileManager.default.removeItem(atPath: tree.path)
        await log.waitFor("deleteSelf of the root") { $0.kind == .deleteSelf && $0.path == tree.path }
        #expect(log.events.contains { $0.kind == .delete && $0.path == tree.url("sub/a.txt") })
        // The kernel drops the watches; the watcher forgets them.
        await log.waitFor("ignored of the root") { $0.kind == .ignored && $0.path == tree.path }
        #expect(log.watcher.watchedDirectories == 0)
    }

    @Test func aRootMovedAwayIsLostAndADirectoryPutInItsPlaceIsFound() async throws {
        let tree = TempTree()
        let outside = TempTree()
        try tree.mkdir("root/sub")
        let root = tree.url("root")
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(root)
        try FileManager.default.moveItem(atPath: root, toPath: outside.url("moved"))
        await log.waitFor("rootLost") { $0.kind == .rootLost && $0.path == root }
        // The tree that moved away is not reported, under either name.
        try outside.write("moved/sub/after.txt")
        try tree.mkdir("root")
        await log.waitFor("rootFound") { $0.kind == .rootFound && $0.path == root }
        try tree.write("root/new.txt")
        await log.waitFor("closeWrite root/new.txt") { $0.kind == .closeWrite && $0.path == root + "/new.txt" }
        #expect(!log.events.contains { $0.path.hasSuffix("after.txt") })
        #expect(log.watcher.watchedDirectories == 1)
    }

    @Test func aDirectoryMadeAndRenamedAtOnceIsStillWatched() async throws {
        let tree = TempTree()
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try tree.mkdir("draft")
        try tree.move("draft", "final")
        try tree.write("final/a.txt")
        await log.waitFor("an event for final/a.txt") {
            ($0.kind == .closeWrite || $0.kind == .create) && $0.path == tree.url("final/a.txt")
        }
        try tree.write("final/b.txt")
        await log.waitFor("closeWrite final/b.txt") {
            $0.kind == .closeWrite && $0.path == tree.url("final/b.txt")
        }
    }

    @Test func aDirectoryMovedOutOfTheTreeIsNoLongerReported() async throws {
        let tree = TempTree()
        let outside = TempTree()
        try tree.mkdir("gone")
        let log = try EventLog()
        defer { log.watcher.stop() }
        try log.watcher.addRoot(tree.path)
        try FileManager.default.moveItem(atPath: tree.url("gone"), toPath: outside.url("gone"))
        await log.waitFor("movedFrom gone") { $0.kind == .movedFrom && $0.path == tree.url("gone") }
        // The backend gives up on the rename's partner after WatchEvent.pairingTimeout and drops the
        // watches: wait for that, not for a time.
        #expect(await eventually { log.watcher.watchedDirectories == 1 }, "only the root is still watched")
        try tree.write("tick.txt")
        await log.waitFor("tick") { $0.kind == .closeWrite && $0.path == tree.url("tick.txt") }
        try outside.write("gone/elsewhere.txt")
        try tree.write("marker.txt")
        await log.waitFor("marker") { $0.kind == .closeWrite && $0.path == tree.url("marker.txt") }
        #expect(!log.events.contains { $0.path.hasSuffix("elsewhere.txt") })
    }

    @Test func stopFinishesTheStream() async throws {
        let log = try EventLog()
        log.watcher.stop()
        #expect(await log.waitUntilFinished())
        #expect(throws: WatchError.self) { try log.watcher.addRoot("/tmp") }
    }

    @Test func aMissingRootIsAClearError() async throws {
        let log = try EventLog()
        defer { log.watcher.stop() }
        let missing = "/nonexistent/redline-\(UUID().uuidString)"
        let error = #expect(throws: WatchError.self) { try log.watcher.addRoot(missing) }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains(missing) == true)
    }

    @Test func theWatchLimitErrorNamesTheSysctlAndItsValue() throws {
        let error = WatchError.watchLimit(path: "/srv/news", watched: 3)
        #expect(error.code == .watchLimitReached)
        #expect(error.message.contains("fs.inotify.max_user_watches"))
        #expect(error.message.contains("/srv/news"))
        #expect(error.watchedDirectories == 3)
        // The limit's current value, as the kernel reports it, so the reader knows what to raise it from.
        let value = try? String(contentsOfFile: "/proc/sys/fs/inotify/max_user_watches", encoding: .utf8)
        let limit = try #require(value.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(error.message.contains("watch limit (\(limit))"), "\(error.message)")
    }
}

/// Polls `condition` every 20 ms until it holds or 30 s pass: waits for an effect, never times one.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<1500 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
