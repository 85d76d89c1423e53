import Foundation
import Testing

/// The harness's own promise: a child that hangs fails its test instead of hanging the suite.
@Suite struct RunProcessTests {
    @Test func aHungChildIsKilledAtItsTimeoutAndSaysSo() throws {
        let result = try runProcess(URL(fileURLWithPath: "/bin/sleep"), ["60"], timeout: 1)
        #expect(result.status != 0)
        #expect(result.stderr.contains("killed after 1.0 s: it hung"), "\(result.stderr)")
    }

    /// What hung the suite: with-systemd exited, and its sandboxed systemd kept the output pipe open. Here a
    /// background job holds it for 20 s, then leaves a mark: cut off at the timeout, it never does.
    @Test func aChildThatExitsLeavingItsOutputHeldOpenIsCutOffAtTheTimeout() throws {
        let mark = FileManager.default.temporaryDirectory.appendingPathComponent("redline-held-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: mark) }
        let result = try runProcess(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "(sleep 20; echo survived > '\(mark.path)') & exit 0"], timeout: 1)
        #expect(result.stderr.contains("killed after 1.0 s: it hung"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: mark.path), "the job holding the output ran to its end")
    }
}
