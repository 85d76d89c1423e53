import RedlineDaemon
import RedlineFeed
import Testing

/// `redline run`'s command-line overrides go through the same checks as the file.
@Suite struct ConfigOverrideTests {
    func fileConfig(_ feed: String = "") throws -> DaemonConfig {
        try DaemonConfig.parse(
            toml: "\(feed)\n[[root]]\npath = \"/srv/news\"", file: "/etc/redline/redline.toml",
            currentDirectory: "/work")
    }

    func overrides(_ edit: (inout ConfigOverrides) -> Void) -> ConfigOverrides {
        var result = ConfigOverrides()
        edit(&result)
        return result
    }

    @Test func fsyncIntervalTakesTheFilesInterval() throws {
        var config = try fileConfig("[feed]\nfsync = \"never\"\nfsync_interval_ms = 50")
        try config.apply(overrides { $0.fsync = "interval" }, currentDirectory: "/work")
        #expect(config.feed.fsync == .interval(milliseconds: 50))
    }

    @Test func everyOverrideReplacesTheFilesValue() throws {
        var config = try fileConfig()
        try config.apply(
            overrides {
                $0.watch = ["a", "/b/"]
                $0.dataDir = "data"
                $0.fsync = "never"
                $0.settleMilliseconds = 10
                $0.logLevel = "debug"
            }, currentDirectory: "/work")
        #expect(config.roots.map(\.path) == ["/work/a", "/b"])
        #expect(config.dataDir == "/work/data")
        #expect(config.feed.fsync == .never)
        #expect(config.settleMilliseconds == 10)
        #expect(config.logLevel == "debug")
    }

    @Test(arguments: [
        (
            ConfigOverrides.logLevel("loud"),
            "--log-level: expected one of trace, debug, info, notice, warning, error, critical, got \"loud\""
        ),
        (ConfigOverrides.fsync("sometimes"), "--fsync: expected always, interval, never, got \"sometimes\""),
        (ConfigOverrides.settle(60_001), "--settle-ms: expected an integer from 0 to 60000, got 60001"),
        (ConfigOverrides.watching(["/w", "/w/sub"]), "--watch: roots /w and /w/sub overlap"),
    ])
    func invalidOverridesAreOneLineNamingTheOption(overrides: ConfigOverrides, expected: String) throws {
        var config = try fileConfig()
        #expect {
            try config.apply(overrides, currentDirectory: "/work")
        } throws: { error in
            let error = error as! DaemonError
            return error.code == .config && error.description.contains(expected) && !error.description.contains("\n")
        }
    }
}

extension ConfigOverrides {
    static func logLevel(_ level: String) -> ConfigOverrides {
        var o = ConfigOverrides()
        o.logLevel = level
        return o
    }

    static func fsync(_ policy: String) -> ConfigOverrides {
        var o = ConfigOverrides()
        o.fsync = policy
        return o
    }

    static func settle(_ ms: Int) -> ConfigOverrides {
        var o = ConfigOverrides()
        o.settleMilliseconds = ms
        return o
    }

    static func watching(_ roots: [String]) -> ConfigOverrides {
        var o = ConfigOverrides()
        o.watch = roots
        return o
    }
}
