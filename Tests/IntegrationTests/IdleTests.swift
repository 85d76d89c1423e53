import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An idle daemon costs nothing: with nothing changing and no watchdog configured, none of its threads wakes up.
@Suite struct IdleTests {
    /// The voluntary context switches of every thread of `pid`: each is a wake-up after a wait.
    static func wakeups(of pid: Int32) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.reduce(0) { total, tid in
            let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
            return total + (line.flatMap { Int($0.split(separator: "\t").last ?? "") } ?? 0)
        }
    }

    @Test func anIdleDaemonNeverWakesUp() throws {
        let dir = try TempDir("redline-idle")
        let articles = dir.appending("articles")
        try FileManager.default.createDirectory(at: articles, withIntermediateDirectories: true)
        try Data("one\n\ntwo\n".utf8).write(to: articles.appendingPathComponent("a.txt"))
        let (daemon, ready) = try startUntilReady([
            "run", "--watch", articles.path, "--data-dir", dir.appending("var").path,
        ])
        #expect(ready, "\(daemon.stderr)")
        // One edit first, so the pipeline, the feed's fsync and the settle timer have all run once.
        try Data("one\n\ntwo, edited\n".utf8).write(to: articles.appendingPathComponent("a.txt"))
        let feed = dir.appending("var/feed/changes.jsonl")
        #expect(eventually { readJSONLines(feed).contains { $0["type"] as? String == "modified" } })
        sleep(6)  // past the settle step and the STATUS= refresh that follows written records by 5 s
        let pid = daemon.process.processIdentifier
        let before = Self.wakeups(of: pid)
        sleep(6)
        let after = Self.wakeups(of: pid)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        // A 1 s poll anywhere in the process (libdispatch's workqueue monitor was one) would show 6 here.
        #expect(after - before <= 1, "\(after - before) wake-ups in 6 idle seconds")
    }
}
