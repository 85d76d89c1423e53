import ArgumentParser
import Dispatch
import Foundation
import RedlineDaemon
import RedlineFeed
import RedlineShip

extension Redline {
    /// `redline ship`: the local feed into PostgreSQL, exactly once.
    struct Ship: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ship",
            abstract: "Ship every durable feed record into PostgreSQL, exactly once, and keep following the feed.",
            discussion: """
                Applies the schema's migrations itself (schema/postgres), then commits batches of records into \
                the records table, each with the feed's shipped_seq in feeds: the cursor lives in PostgreSQL. \
                PostgreSQL down or slow is retried with backoff; the local feed is the buffer. Exit status: 0 \
                stopped (SIGTERM) or caught up with --exit-when-caught-up, 2 another shipper ships this feed \
                (fenced), 4 a seq is missing locally (retention, damage), 65 PostgreSQL holds different bytes for \
                a shipped seq, 78 bad configuration, 1 other errors.
                """)

        @Option(name: .long, help: "TOML configuration file: data_dir and the [ship] section are read.")
        var config: String?

        @Option(name: .long, help: "The daemon's data directory; ship reads DATA/feed (overrides data_dir).")
        var dataDir: String?

        @Option(
            name: .long,
            help: ArgumentHelp("The feed directory (overrides [ship] feed and DATA/feed).", valueName: "dir"))
        var feed: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "The database: postgres://USER[:PASSWORD]@HOST[:PORT]/DB or postgres://USER@/DB?host=/SOCKET/DIR "
                    + "(overrides [ship] postgres).", valueName: "url"))
        var postgres: String?

        @Option(name: .long, help: "The name recorded in feeds.host (default: this machine's host name).")
        var host: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Keep ship's lag in this node_exporter textfile (default DATA/metrics/redline-ship.prom if DATA/metrics exists).",
                valueName: "file"))
        var metricsFile: String?

        @Option(name: .long, help: "Records per transaction (default 1000).")
        var batchSize: Int?

        @Flag(help: "Exit once every durable record so far is shipped, instead of following the feed.")
        var exitWhenCaughtUp = false

        @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String?

        func validate() throws {
            if let batchSize, !(1...100_000).contains(batchSize) {
                throw ValidationError("--batch-size counts from 1 to 100000")
            }
        }

        func run() async throws {
            let cwd = FileManager.default.currentDirectoryPath
            let config = try DaemonConfig.load(
                file: self.config, dataDir: dataDir, logLevel: logLevel, currentDirectory: cwd)
            guard let text = postgres ?? config.ship.postgres else {
                throw CLIFailure(message: "no database: pass --postgres URL or set [ship] postgres", status: 78)
            }
            let url: PostgresURL
            do {
                url = try PostgresURL(text)
            } catch {
                throw CLIFailure(message: error.message, status: 78)
            }
            let directory =
                feed.map { DaemonConfig.absolute($0, cwd) } ?? config.ship.feed ?? DataDirectory(config.dataDir).feed
            var options = ShipOptions(
                feedDirectory: directory, postgres: url,
                host: host ?? config.ship.host ?? ProcessInfo.processInfo.hostName)
            options.batchSize = batchSize ?? config.ship.batchSize
            // Beside the daemon's own textfile when DATA/metrics exists (node_exporter reads every *.prom there).
            let besideDaemon = DataDirectory(config.dataDir).path + "/metrics"
            options.metricsFile =
                metricsFile.map { DaemonConfig.absolute($0, cwd) } ?? config.ship.metricsFile
                ?? (FileManager.default.fileExists(atPath: besideDaemon) ? besideDaemon + "/redline-ship.prom" : nil)
            options.exitWhenCaughtUp = exitWhenCaughtUp
            let logger = makeLogger(label: "redline-ship", level: config.logLevel)
            let shipper = Shipper(options: options, logger: logger)
            let task = Task { try await shipper.run() }
            // SIGTERM and SIGINT stop at the next await: a batch is committed whole or not at all.
            let signals = [SIGTERM, SIGINT].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number)
                source.setEventHandler { task.cancel() }
                source.resume()
                return source
            }
            defer { for source in signals { source.cancel() } }
            try await task.value
        }
    }
}
