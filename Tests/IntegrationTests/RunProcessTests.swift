import Foundation
import Testing

/// The harness's own promise: a child that hangs fails its test instead of hanging the suite.
@Suite struct RunProcessTests {
    @Test func aHungChildIsKilledAtItsTimeoutAndSaysSo() throws {
        let result = try runProcess(URL(fileURLWithPath: "/bin/sleep"), ["60"], timeout: 1)
        #expect(result.status != 0)
        #expect(result.stderr.contains("killed after 1.0 s: it hung"), "\(result.stderr)")
    }
}
