import Foundation
import Testing

/// A small tmpfs mounted on a directory, unmounted when dropped; nil when this process may not mount.
final class SmallFileSystem: @unchecked Sendable {
    let path: String
    private let filler: String

    init?(at path: String, bytes: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try runProcess(
            URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
        guard result.status == 0 else { return nil }
        self.path = path
        filler = path + "/filler"
    }

    /// Whether a tmpfs can be mounted here (root in a container that allows it).
    static let available: Bool = {
        guard getuid() == 0, let dir = try? TempDir("redline-mount") else { return false }
        return (try? SmallFileSystem(at: dir.path + "/m", bytes: 64 << 10)) != nil
    }()

    /// Fills every free byte with one file, so the next write that needs a new block fails with ENOSPC.
    func fill() {
        let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { return }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
    }

    /// Frees what `fill` took.
    func free() { unlink(filler) }

    /// Unmounts (lazily, so a process still holding a file cannot keep it mounted).
    func unmount() {
        guard !unmounted else { return }
        unmounted = true
        _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), ["-l", path])
    }

    private var unmounted = false

    deinit { unmount() }
}

/// The state store's disk fills up under a running daemon: it must wait for space, not exit.
@Suite(
    .serialized,
    .enabled(if: SmallFileSystem.available, "skipped: mounting a small tmpfs needs root (mount -t tmpfs)"))
struct DiskFullTests {
    final class Harness {
        let dir: TempDir
        let articles: URL
        let data: URL
        let state: SmallFileSystem
        var daemon: RunningRedline?

        init() throws {
            dir = try TempDir("redline-diskfull")
            articles = dir.appending("articles")
            data = dir.appending("var")
            try FileManager.default.createDirectory(at: articles, withIntermediateDirectories: true)
            // Only the state store lives on the small file system: the feed keeps its own disk.
            guard let fs = try SmallFileSystem(at: data.path + "/state", bytes: 4 << 20) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            state = fs
        }

        deinit {
            daemon = nil
            state.unmount()
        }

        func start() throws {
            let (process, ready) = try startUntilReady([
                "run", "--watch", articles.path, "--data-dir", data.path, "--fsync", "never", "--settle-ms", "20",
            ])
            daemon = process
            #expect(ready, "daemon did not start: \(process.stderr)")
        }

        var records: [[String: Any]] { readJSONLines(data.appendingPathComponent("feed/changes.jsonl")) }

        func record(_ type: String, _ path: String) -> Bool {
            records.contains { $0["type"] as? String == type && $0["path"] as? String == path }
        }

        func write(_ relative: String, _ text: String) throws {
            try Data(text.utf8).write(to: articles.appendingPathComponent(relative))
        }

        var fullDiskLines: Int {
            (daemon?.stderr ?? "").split(separator: "\n").filter { $0.contains("free disk space") }.count
        }
    }

    /// Larger than anything a few WAL pages left free could hold.
    static let bigArticle = String(repeating: "A paragraph of an article that fills the disk.\n\n", count: 8000)

    @Test func theDaemonWaitsForSpaceAndThenRecordsEverything() throws {
        let h = try Harness()
        try h.start()
        h.state.fill()
        try h.write("big.txt", Self.bigArticle)
        #expect(eventually { h.fullDiskLines >= 1 }, "no 'free disk space' line: \(h.daemon?.stderr ?? "")")
        let line = (h.daemon?.stderr ?? "").split(separator: "\n").first { $0.contains("free disk space") }
        #expect(line?.contains(h.data.path + "/state/redline.sqlite") == true)
        #expect(line?.contains("delete the file") == false)
        #expect(h.daemon?.process.isRunning == true, "the daemon exited: \(h.daemon?.stderr ?? "")")
        // Edited while the disk is full: recorded once space is back.
        try h.write("during.txt", "saved while the disk was full\n")
        h.state.free()
        // Retries back off up to 15 s; the deadline only stops a broken daemon from hanging the test.
        #expect(eventually(seconds: 90) { h.record("created", "during.txt") }, "\(h.daemon?.stderr ?? "")")
        try h.write("after.txt", "saved after space came back\n")
        #expect(eventually { h.record("created", "after.txt") })
        h.daemon?.signal(SIGTERM)
        #expect(h.daemon?.waitForExit() == 0)
        #expect(h.records.map { $0["path"] as? String } == ["big.txt", "during.txt", "after.txt"])
    }

    @Test func sigtermWhileWaitingStopsCleanlyAndTheStateCatchesUpAtTheNextStart() throws {
        let h = try Harness()
        try h.start()
        h.state.fill()
        try h.write("big.txt", Self.bigArticle)
        #expect(eventually { h.fullDiskLines >= 1 }, "no 'free disk space' line: \(h.daemon?.stderr ?? "")")
        h.daemon?.signal(SIGTERM)
        #expect(h.daemon?.waitForExit() == 0, "\(h.daemon?.stderr ?? "")")
        h.state.free()
        try h.start()
        try h.write("big.txt", Self.bigArticle + "One more paragraph.\n")
        #expect(eventually { h.record("modified", "big.txt") }, "\(h.daemon?.stderr ?? "")")
        h.daemon?.signal(SIGTERM)
        #expect(h.daemon?.waitForExit() == 0)
        #expect(h.records.map { $0["type"] as? String } == ["created", "modified"])
    }
}
