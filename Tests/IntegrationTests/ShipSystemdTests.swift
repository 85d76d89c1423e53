import Foundation
import Testing

/// `redline-ship.service` under a real systemd, next to `redline.service`, as `make install` leaves them.
@Suite struct ShipSystemdTests {
    @Test(.enabled(if: SystemdTests.available, "needs root, systemd and ../shared/tools/with-systemd"))
    func theShipUnitReadsTheFeedAndWaitsForPostgres() throws {
        let (result, facts, context) = try SystemdTests.runScenario("ship-systemd-scenario.sh")
        #expect(result.status == 0, context)
        #expect(facts["installed_ship_unit"] == "yes", "make install puts it next to redline.service")
        #expect(facts["verify_status"] == "0", "systemd-analyze verify is clean")
        #expect((Double(facts["exposure"] ?? "") ?? 10) <= 2.5, "systemd-analyze security rates it 2.5 or lower")
        #expect(facts["ship_start_status"] == "0", context)
        #expect(facts["waiting"] == "1", "PostgreSQL being away is logged once, not once per retry: \(context)")
        #expect(facts["active"] == "active", "ship keeps retrying rather than exit")
        #expect(facts["data_dir_mount"] == "ro", "the data directory is mounted read-only for ship")
        #expect(facts["metrics_up"] == "0", "the lag textfile says PostgreSQL is down")
        #expect(facts["stop_status"] == "0" && facts["result_after_stop"] == "success", context)
    }
}
