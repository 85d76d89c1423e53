import ArgumentParser
import Foundation
import RedlineDaemon
import RedlineServe

extension Redline {
    /// `redline serve`: the feed over HTTP.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract:
                "Serve the feed over HTTP (read-only): /changes, /articles and each article's history, versions, "
                + "diff and Atom feed, /feed.atom, /metrics, /healthz.",
            discussion: """
                A separate process from the daemon, read-only over its data directory (the feed is DATA/feed). \
                Listens on 127.0.0.1:\(ServeSettings.defaultPort) unless [serve] listen or --listen says \
                otherwise, and prints "listening on ADDR:PORT" once the socket is open (port 0 binds a free \
                one). GET /changes follows CouchDB's _changes: since (exclusive), limit, \
                feed=normal|longpoll|continuous|eventsource, heartbeat, timeout, and tail's filters type, class, \
                path, min_significance. See the README for every status and signal.
                """)

        @Option(name: .long, help: "TOML configuration file: data_dir and the [serve] section are read.")
        var config: String?

        @Option(name: .long, help: "The daemon's data directory, holding feed/ (overrides data_dir).")
        var dataDir: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Address to listen on (overrides [serve] listen; default 127.0.0.1:\(ServeSettings.defaultPort)).",
                valueName: "addr:port"))
        var listen: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Keep the article index for /articles here (overrides [serve] index_dir; never the data directory).",
                valueName: "dir"))
        var indexDir: String?

        @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String?

        func validate() throws {
            if let listen, ServeSettings.parseListen(listen) == nil {
                throw ValidationError("--listen: \(ServeSettings.listenExpected), got \"\(listen)\"")
            }
        }

        func run() async throws {
            let cwd = FileManager.default.currentDirectoryPath
            let config = try DaemonConfig.load(
                file: self.config, dataDir: dataDir, logLevel: logLevel, currentDirectory: cwd)
            var options = ServeOptions(
                dataDir: config.dataDir, host: config.serve.host, port: config.serve.port,
                maxSubscribers: config.serve.maxSubscribers, subscriberBuffer: config.serve.subscriberBuffer,
                indexDir: indexDir.map { DaemonConfig.absolute($0, cwd) } ?? config.serve.indexDir)
            if let listen, let (host, port) = ServeSettings.parseListen(listen) {
                options.host = host
                options.port = port
            }
            let logger = makeLogger(label: "redline-serve", level: config.logLevel)
            // The daemon's word lists, so /articles/{path}/diff classifies as the feed's records do; loaded on
            // the first diff, not at start, and compiled into serve's own directory (never the data directory).
            let lexicon = LexiconLoader.lazy(
                config.wordLists, cacheDirectory: options.indexDir ?? LexiconLoader.userCacheDirectory, logger: logger)
            let server: RedlineServer
            do {
                server = try RedlineServer(options: options, lexicon: lexicon, logger: logger)
            } catch {
                throw CLIFailure(message: error.message, status: 78)
            }
            do {
                try await server.run { host, port in
                    // One line on stdout, so scripts and tests learn a port 0 binding.
                    print("listening on \(host.contains(":") ? "[\(host)]" : host):\(port)")
                    fflush(nil)
                }
            } catch {
                throw CLIFailure(
                    message: "cannot listen on \(options.host):\(options.port): \(error); pick another --listen",
                    status: 1)
            }
        }
    }
}
