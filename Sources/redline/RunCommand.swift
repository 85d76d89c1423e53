import ArgumentParser
import Foundation
import Logging
import RedlineDaemon
import RedlineFeed

extension Redline {
    /// `redline run`: the daemon.
    /// Synchronous, unlike the other commands: the daemon starts no Swift task and no libdispatch worker (see
    /// `Daemon`), and `Entry` runs it on the main thread before any other thread exists.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Watch article trees and append every classified edit to the feed.",
            discussion: """
                Without --config and --watch, runs on the embedded default: ./articles watched, \
                feed and state under ./var. Under systemd (Type=notify) it reports READY=1 after \
                the startup reconciliation, pings the watchdog, and reloads its config on SIGHUP.
                """)

        @Option(name: .long, help: "TOML configuration file (see config/redline.toml).")
        var config: String?

        @Option(name: .long, help: "Watch this directory (repeatable); replaces the config's roots.")
        var watch: [String] = []

        @Option(name: .long, help: "Directory for feed/ and state/ (overrides data_dir).")
        var dataDir: String?

        @Option(
            name: .long,
            help: "Feed durability: always, interval (every fsync_interval_ms) or never (overrides [feed] fsync).")
        var fsync: String?

        @Option(name: .long, help: "Quiet period in milliseconds before a changed file is read (overrides settle_ms).")
        var settleMs: Int?

        @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String?

        @Flag(name: .long, help: "Check the config and its roots, print the settings, exit (0 valid, 78 invalid).")
        var checkConfig = false

        func run() throws {
            let options = self
            let load: @Sendable () throws(DaemonError) -> DaemonConfig = { () throws(DaemonError) in
                try options.loadConfig()
            }
            let config = try load()
            if checkConfig {
                try config.checkRoots()
                let fsync =
                    switch config.feed.fsync {
                    case .always: "always"
                    case .interval(let milliseconds): "interval every \(milliseconds) ms"
                    case .never: "never"
                    }
                print(
                    "configuration is valid: \(config.roots.count) root(s), data in \(config.dataDir), fsync \(fsync), "
                        + "settle \(config.settleMilliseconds) ms, log level \(config.logLevel)")
                return
            }
            let logger = makeLogger(label: "redline", level: config.logLevel)
            let daemon = Daemon(
                config: config, reload: load, setLogLevel: { LogLevel.shared.set($0) }, logger: logger)
            do {
                // Below the unit's TimeoutStopSec=30s, so the daemon, not systemd's SIGKILL, ends a stuck stop.
                try daemon.run(shutdownBudget: .seconds(20))
            } catch let error as DaemonError {
                // Logged (to the journal under systemd), then only the status is left to map.
                logger.critical("\(error.description)")
                throw CLIFailure(message: nil, status: error.exitStatus)
            } catch {
                logger.critical("\(error); exiting so the service manager restarts redline")
                throw CLIFailure(message: nil, status: 1)
            }
        }

        /// The file (or embedded default) with command-line overrides applied through the config's own checks.
        func loadConfig() throws(DaemonError) -> DaemonConfig {
            let cwd = FileManager.default.currentDirectoryPath
            var config = try DaemonConfig.load(file: self.config, currentDirectory: cwd)
            if self.config == nil {
                if watch.isEmpty {
                    try? FileManager.default.createDirectory(
                        atPath: config.roots[0].path, withIntermediateDirectories: true)
                }
            }
            var overrides = ConfigOverrides()
            overrides.watch = watch
            overrides.dataDir = dataDir
            overrides.fsync = fsync
            overrides.settleMilliseconds = settleMs
            overrides.logLevel = logLevel
            try config.apply(overrides, currentDirectory: cwd)
            return config
        }
    }
}
