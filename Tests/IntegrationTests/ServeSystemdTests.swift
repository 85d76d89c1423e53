import Foundation
import Testing

/// `redline-serve.service` under a real systemd, next to `redline.service`, as `make install` leaves them.
@Suite struct ServeSystemdTests {
    @Test(.enabled(if: SystemdTests.available, "needs root, systemd and ../shared/tools/with-systemd"))
    func theServeUnitReadsTheDaemonsFeedThroughAReadOnlyMount() throws {
        let (result, facts, context) = try SystemdTests.runScenario("serve-systemd-scenario.sh")
        #expect(result.status == 0, context)
        #expect(facts["installed_serve_unit"] == "yes", "make install puts it next to redline.service")
        #expect(facts["verify_status"] == "0", "systemd-analyze verify is clean")
        #expect((Double(facts["exposure"] ?? "") ?? 10) <= 2.5, "systemd-analyze security rates it 2.5 or lower")
        #expect(facts["serve_start_status"] == "0" && facts["enabled"] == "enabled", context)
        #expect(facts["healthz"] == #""status":"ok""#, context)
        #expect(facts["changes_records"] == "1", "it reads the feed the daemon wrote")
        #expect(facts["longpoll_seq"] == #""seq":2"#, "a long-poll answers the daemon's next record")
        #expect(facts["articles"]?.contains(#""path":"a.txt""#) == true, "/articles answers from its own index")
        #expect(facts["index_file"] == "yes", "the index lives in serve's own StateDirectory")
        #expect(facts["data_dir_mount"] == "ro", "the data directory is mounted read-only for serve")
        #expect(facts["same_uid"] == "yes", "it runs as the daemon's dynamic user")
        #expect(facts["stop_status"] == "0" && facts["result_after_stop"] == "success", context)
    }
}
