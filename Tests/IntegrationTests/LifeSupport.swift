import Foundation
import RedlineFeed
import Testing

/// A daemon lived through many starts and kills against one tree and one feed: the shared harness of the
/// power-cut and torture tests.
final class DaemonLife: @unchecked Sendable {
    let dir: TempDir
    let articles: URL
    let data: URL
    let config: URL
    var feed: String { data.path + "/feed" }
    var daemon: RunningRedline?
    /// Starts that never reached readiness (the process exited first).
    private(set) var refusedStarts: [String] = []
    /// Seconds since the life began when each start became ready and when it was killed or stopped.
    private(set) var upIntervals: [(from: Double, to: Double)] = []
    let began = Date()

    /// - Parameter compressSealed: `[feed] compress_sealed`.
    init(fsync: String, segmentBytes: Int, settleMs: Int = 50, retainSegments: Int = 0, compressSealed: Bool = true)
        throws
    {
        dir = try TempDir("redline-life")
        articles = dir.appending("articles")
        data = dir.appending("var")
        config = dir.appending("redline.toml")
        try FileManager.default.createDirectory(at: articles, withIntermediateDirectories: true)
        let toml = """
            data_dir = "\(data.path)"
            settle_ms = \(settleMs)
            log_level = "info"
            [feed]
            fsync = "\(fsync)"
            fsync_interval_ms = 100
            segment_bytes = \(segmentBytes)
            retain_segments = \(retainSegments)
            compress_sealed = \(compressSealed)
            [[root]]
            path = "\(articles.path)"
            """
        try Data(toml.utf8).write(to: config)
    }

    var now: Double { Date().timeIntervalSince(began) }

    /// Starts the daemon and waits until it reports ready; a start that exits first is counted as refused.
    @discardableResult
    func start(environment: [String: String] = [:]) throws -> Bool {
        let (process, ready) = try startUntilReady(["run", "--config", config.path], environment: environment)
        daemon = process
        guard ready, process.process.isRunning else {
            refusedStarts.append(process.stderr)
            daemon = nil
            return false
        }
        upIntervals.append((now, .infinity))
        return true
    }

    /// Starts the daemon and SIGKILLs it after `microseconds`, ready or not: a kill while it opens the feed,
    /// folds or reconciles. A start that exited by itself before the kill is counted as refused.
    func spawnAndKill(afterMicroseconds microseconds: UInt32, environment: [String: String] = [:]) throws {
        let process = try RunningRedline(["run", "--config", config.path], environment: environment)
        usleep(microseconds)
        if !process.process.isRunning {
            refusedStarts.append(process.stderr)
            return
        }
        process.signal(SIGKILL)
        process.waitForExit()
    }

    /// SIGKILL, as a crash or the OOM killer would.
    func kill9() {
        guard let daemon else { return }
        daemon.signal(SIGKILL)
        daemon.waitForExit()
        upIntervals[upIntervals.count - 1].to = now
        self.daemon = nil
    }

    /// SIGTERM and wait: a clean stop.
    func stop() {
        guard let daemon else { return }
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(seconds: 60) == 0, "clean stop: \(daemon.stderr)")
        upIntervals[upIntervals.count - 1].to = now
        self.daemon = nil
    }

    /// Waits until the feed stops growing for a while (the daemon has recorded what settled).
    func waitQuiet(seconds: Double = 1.0) {
        var last = -1
        var stableSince = Date()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let n =
                (try? runRedline(["tail", "--feed", feed, "--from-beginning"]).stdout.split(separator: "\n").count)
                ?? 0
            if n != last {
                last = n
                stableSince = Date()
            } else if Date().timeIntervalSince(stableSince) >= seconds {
                return
            }
            usleep(200_000)
        }
    }

    /// Every record of the feed, decoded as JSON objects, in order.
    func records() throws -> [[String: Any]] {
        let out = try runRedline(["tail", "--feed", feed, "--from-beginning"])
        return out.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Number of sealed segments now in the feed.
    var sealedSegments: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: feed)) ?? []).filter {
            $0.hasPrefix("changes-") && ($0.hasSuffix(".jsonl") || $0.hasSuffix(".jsonl.gz"))
        }.count
    }

    /// Whether `replay --to` rebuilds exactly the watched tree.
    func replayEqualsTree() throws -> Bool {
        let out = try TempDir("redline-replay")
        let result = try runRedline(["replay", "--feed", feed, "--to", out.path])
        guard result.status == 0 else {
            Issue.record("replay --to failed: \(result.stderr)")
            return false
        }
        // With one root, replay writes its articles straight under the target.
        let rebuilt = try readTree(out.url.resolvingSymlinksInPath().path)
        let tree = try readTree(articles.resolvingSymlinksInPath().path).filter { !$0.key.hasSuffix(".tmp") }
        return rebuilt == tree
    }
}

/// SHA-256 hex of a string's UTF-8 bytes, as the feed records versions.
func sha256Hex(_ text: String) -> String {
    Digest.sha256Hex(text.utf8)
}

/// Builds the power-cut shim (`Scripts/powercut.c`) once per test process; nil when no C compiler exists.
let powerCutShim: String? = {
    let source = RedlineBinary.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/powercut.c").path
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("redline-powercut-\(getpid()).so").path
    guard
        let result = try? runProcess(
            URL(fileURLWithPath: "/usr/bin/cc"), ["-shared", "-fPIC", "-O1", "-o", out, source, "-ldl", "-lpthread"]),
        result.status == 0
    else { return nil }
    return out
}()
