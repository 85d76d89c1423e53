import RedlineFeed
import TOMLKit

/// One watched tree and which of its files are articles.
public struct RootConfig: Sendable, Equatable {
    /// Absolute path of the tree.
    public var path: String
    /// Globs (relative to the root) a file must match to be an article.
    public var include: [String]
    /// Globs that exclude files or, ending in `/`, whole directories.
    public var exclude: [String]

    /// Articles are text and Markdown files anywhere in the tree.
    public static let defaultInclude = ["**/*.txt", "**/*.md"]
    /// Editor swap and backup files, temp files, VCS directories.
    public static let defaultExclude = [
        ".*.swp", ".*.swx", "*~", ".#*", "#*#", "*.tmp", "4913", ".git/", ".hg/", ".svn/",
    ]

    /// Creates a root with the default globs unless given.
    public init(path: String, include: [String] = defaultInclude, exclude: [String] = defaultExclude) {
        self.path = path
        self.include = include
        self.exclude = exclude
    }
}

/// The settings `redline run` takes on its command line; each replaces the file's.
public struct ConfigOverrides: Sendable, Equatable {
    /// `--watch`: replaces every root (default globs).
    public var watch: [String] = []
    /// `--data-dir`.
    public var dataDir: String?
    /// `--fsync`: `always`, `interval` or `never`.
    public var fsync: String?
    /// `--settle-ms`.
    public var settleMilliseconds: Int?
    /// `--log-level`.
    public var logLevel: String?

    /// No overrides.
    public init() {}
}

/// Everything `redline run` needs, from the TOML file, the command line, or the embedded default.
public struct DaemonConfig: Sendable, Equatable {
    /// Watched trees.
    public var roots: [RootConfig]
    /// Holds `feed/` and `state/`.
    public var dataDir: String
    /// Feed durability, segment size and retention.
    public var feed: FeedOptions
    /// `fsync_interval_ms`: the period `fsync = "interval"` uses, kept even while another policy is chosen so
    /// that `--fsync interval` on the command line gets the file's value.
    public var fsyncIntervalMilliseconds = 200
    /// Quiet period per path before a change is read.
    public var settleMilliseconds: Int
    /// Larger files are rejected, not diffed.
    public var maxFileBytes: Int
    /// Full rescan period in seconds (0: only after an overflow).
    public var rescanIntervalSeconds: Int
    /// Rescan period in seconds while the inotify watch limit leaves part of a tree unwatched.
    public var limitRescanIntervalSeconds: Int = 60
    /// Events the pipeline may have queued before newer ones are dropped for a rescan (`event_queue`).
    public var eventQueueCapacity: Int = 100_000
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public var logLevel: String
    /// `[diff] word_lists`: the word lists that tell the classifier which strings are words (an empty
    /// list: the rules without a lexicon). A missing one is logged once and skipped.
    public var wordLists: [String] = LexiconLoader.defaultWordLists
    /// `[diff] archive_words`: count how many watched articles use each word, the evidence of the
    /// `archive_form` rule (docs/diff.md, "Rules with the archive"); false: no counting thread, no rule.
    public var archiveWords = true
    /// `[serve]`: what `redline serve` listens on and its limits (the daemon itself ignores it).
    public var serve = ServeSettings()
    /// `[ship]`: where `redline ship` sends the feed (the daemon itself ignores it).
    public var ship = ShipSettings()

    /// The names `log_level` and `--log-level` accept, least severe first.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// What `fsync` and `--fsync` accept.
    public static let fsyncPolicies = ["always", "interval", "never"]
    /// What `settle_ms` and `--settle-ms` accept.
    public static let settleRange = 0...60_000

    /// The embedded default used by `make run`: `./articles` watched, feed and state in `./var`.
    public static func embeddedDefault(currentDirectory: String) -> DaemonConfig {
        DaemonConfig(
            roots: [RootConfig(path: currentDirectory + "/articles")], dataDir: currentDirectory + "/var",
            feed: FeedOptions(), settleMilliseconds: 50, maxFileBytes: 10 << 20, rescanIntervalSeconds: 0,
            logLevel: "info")
    }

    /// Creates a configuration.
    public init(
        roots: [RootConfig], dataDir: String, feed: FeedOptions, settleMilliseconds: Int, maxFileBytes: Int,
        rescanIntervalSeconds: Int, logLevel: String
    ) {
        self.roots = roots
        self.dataDir = dataDir
        self.feed = feed
        self.settleMilliseconds = settleMilliseconds
        self.maxFileBytes = maxFileBytes
        self.rescanIntervalSeconds = rescanIntervalSeconds
        self.logLevel = logLevel
    }
}

extension DaemonConfig {
    /// Parses and validates a TOML configuration.
    ///
    /// Every problem is one line naming `file`, the line when known, the key and what is expected;
    /// an unknown key is an error (a typo must not silently fall back to a default).
    /// - Parameters:
    ///   - text: the TOML document.
    ///   - file: the file name used in messages.
    ///   - currentDirectory: relative paths in the file are resolved against it.
    public static func parse(toml text: String, file: String, currentDirectory: String) throws(DaemonError)
        -> DaemonConfig
    {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw DaemonError(.config, "\(file):\(error.source.begin.line): \(error.description)")
        } catch {
            throw DaemonError(.config, "\(file): \(error)")
        }
        let reader = TOMLReader(file: file, text: text)
        var config = embeddedDefault(currentDirectory: currentDirectory)
        config.roots = []
        try reader.allowOnly(
            [
                "data_dir", "settle_ms", "max_file_bytes", "rescan_interval_s", "limit_rescan_interval_s", "log_level",
                "event_queue", "feed", "diff", "serve", "ship", "root",
            ], in: table,
            section: nil)
        if let dir = try reader.string(table, "data_dir") { config.dataDir = absolute(dir, currentDirectory) }
        if let v = try reader.int(table, "settle_ms", range: settleRange) { config.settleMilliseconds = v }
        if let v = try reader.int(table, "max_file_bytes", range: 1...(1 << 40)) { config.maxFileBytes = v }
        if let v = try reader.int(table, "rescan_interval_s", range: 0...86_400) { config.rescanIntervalSeconds = v }
        if let v = try reader.int(table, "limit_rescan_interval_s", range: 1...86_400) {
            config.limitRescanIntervalSeconds = v
        }
        if let v = try reader.int(table, "event_queue", range: 16...100_000_000) { config.eventQueueCapacity = v }
        if let v = try reader.string(table, "log_level") {
            guard logLevels.contains(v) else {
                throw reader.error("log_level", "expected one of \(logLevels.joined(separator: ", ")), got \"\(v)\"")
            }
            config.logLevel = v
        }
        if let feed = try reader.table(table, "feed") {
            try reader.allowOnly(
                ["fsync", "fsync_interval_ms", "segment_bytes", "retain_segments", "compress_sealed"], in: feed,
                section: "feed")
            if let v = try reader.int(feed, "fsync_interval_ms", range: 1...60_000) {
                config.fsyncIntervalMilliseconds = v
            }
            let fsync = try reader.string(feed, "fsync") ?? "always"
            guard config.setFsync(fsync) else {
                throw reader.error("fsync", "expected \"always\", \"interval\" or \"never\", got \"\(fsync)\"")
            }
            if let v = try reader.int(feed, "segment_bytes", range: 4096...(1 << 40)) { config.feed.segmentBytes = v }
            if let v = try reader.int(feed, "retain_segments", range: 0...1_000_000) {
                config.feed.retainSegments = v == 0 ? nil : v
            }
            if let v = try reader.bool(feed, "compress_sealed") { config.feed.compressSealed = v }
        }
        if let diff = try reader.table(table, "diff") {
            try reader.allowOnly(["word_lists", "archive_words"], in: diff, section: "diff")
            if let v = try reader.bool(diff, "archive_words") { config.archiveWords = v }
            if let lists = try reader.strings(diff, "word_lists") {
                for path in lists where path.isEmpty || path.hasSuffix("/") {
                    throw reader.error(
                        "word_lists",
                        "\"\(path)\" is not a file path; give the path of a word list (e.g. "
                            + "\"/usr/share/dict/american-english-large\") or remove it")
                }
                config.wordLists = lists.map { absolute($0, currentDirectory) }
            }
        }
        if let serve = try reader.table(table, "serve") {
            try reader.allowOnly(
                ["listen", "max_subscribers", "subscriber_buffer", "index_dir"], in: serve, section: "serve")
            if let dir = try reader.string(serve, "index_dir") {
                config.serve.indexDir = absolute(dir, currentDirectory)
            }
            if let listen = try reader.string(serve, "listen") {
                guard let (host, port) = ServeSettings.parseListen(listen) else {
                    throw reader.error("listen", "\(ServeSettings.listenExpected), got \"\(listen)\"")
                }
                config.serve.host = host
                config.serve.port = port
            }
            if let v = try reader.int(serve, "max_subscribers", range: 1...1_000_000) {
                config.serve.maxSubscribers = v
            }
            if let v = try reader.int(serve, "subscriber_buffer", range: 1...10_000_000) {
                config.serve.subscriberBuffer = v
            }
        }
        if let ship = try reader.table(table, "ship") {
            try reader.allowOnly(["postgres", "feed", "host", "metrics_file", "batch_size"], in: ship, section: "ship")
            config.ship.postgres = try reader.string(ship, "postgres")
            config.ship.feed = try reader.string(ship, "feed").map { absolute($0, currentDirectory) }
            config.ship.host = try reader.string(ship, "host")
            config.ship.metricsFile = try reader.string(ship, "metrics_file").map { absolute($0, currentDirectory) }
            if let v = try reader.int(ship, "batch_size", range: 1...100_000) { config.ship.batchSize = v }
        }
        guard let roots = table["root"] else {
            throw DaemonError(
                .config, "\(file): no [[root]] given; add at least one [[root]] with path = \"/srv/articles\"")
        }
        guard let array = roots.array else { throw reader.error("root", "expected an array of tables [[root]]") }
        for value in array {
            guard let root = value.table else { throw reader.error("root", "expected an array of tables [[root]]") }
            try reader.allowOnly(["path", "include", "exclude"], in: root, section: "root")
            guard let path = try reader.string(root, "path") else {
                throw reader.error("root", "every [[root]] needs path = \"/some/dir\"")
            }
            var rootConfig = RootConfig(path: absolute(path, currentDirectory))
            if let include = try reader.globs(root, "include") { rootConfig.include = include }
            if let exclude = try reader.globs(root, "exclude") { rootConfig.exclude = exclude }
            config.roots.append(rootConfig)
        }
        if let (outer, inner) = overlap(config.roots) {
            throw DaemonError(.config, "\(file): \(overlapMessage(outer, inner))")
        }
        return config
    }

    /// Applies command-line settings on top of the file (or embedded default), with the file's own checks.
    ///
    /// `--fsync interval` takes the period from `fsync_interval_ms`; `--watch` replaces every root.
    /// - Throws: `DaemonError` `.config`: one line naming the option, what it accepts and what it got.
    public mutating func apply(_ overrides: ConfigOverrides, currentDirectory: String) throws(DaemonError) {
        if !overrides.watch.isEmpty {
            roots = overrides.watch.map { RootConfig(path: Self.absolute($0, currentDirectory)) }
            if let (outer, inner) = Self.overlap(roots) {
                throw DaemonError(.config, "--watch: \(Self.overlapMessage(outer, inner))")
            }
        }
        if let dir = overrides.dataDir { dataDir = Self.absolute(dir, currentDirectory) }
        if let fsync = overrides.fsync, !setFsync(fsync) {
            throw DaemonError(
                .config, "--fsync: expected \(Self.fsyncPolicies.joined(separator: ", ")), got \"\(fsync)\"")
        }
        if let ms = overrides.settleMilliseconds {
            guard Self.settleRange.contains(ms) else {
                throw DaemonError(
                    .config,
                    "--settle-ms: expected an integer from \(Self.settleRange.lowerBound) to "
                        + "\(Self.settleRange.upperBound), got \(ms)")
            }
            settleMilliseconds = ms
        }
        if let level = overrides.logLevel {
            guard Self.logLevels.contains(level) else {
                throw DaemonError(
                    .config, "--log-level: expected one of \(Self.logLevels.joined(separator: ", ")), got \"\(level)\"")
            }
            logLevel = level
        }
    }

    /// Checks that every root is an existing directory (at start and for `--check-config`).
    /// - Throws: `DaemonError` `.config` naming the root and the fix.
    public func checkRoots() throws(DaemonError) {
        for root in roots {
            guard let stat = ArticleFile.stat(root.path) else {
                throw DaemonError(
                    .config, "cannot watch \(root.path): no such directory; create it or fix the root's path")
            }
            guard stat.isDirectory else {
                throw DaemonError(
                    .config,
                    "cannot watch \(root.path): not a directory; a root is the directory that holds the articles")
            }
        }
    }

    /// Sets the fsync policy by name; false when the name is unknown.
    private mutating func setFsync(_ name: String) -> Bool {
        switch name {
        case "always": feed.fsync = .always
        case "interval": feed.fsync = .interval(milliseconds: fsyncIntervalMilliseconds)
        case "never": feed.fsync = .never
        default: return false
        }
        return true
    }

    /// Two roots where one is the other or lies inside it: every file below the inner one would be recorded twice.
    static func overlap(_ roots: [RootConfig]) -> (String, String)? {
        for (i, a) in roots.enumerated() {
            for b in roots[(i + 1)...] {
                if a.path == b.path || b.path.hasPrefix(a.path == "/" ? "/" : a.path + "/") { return (a.path, b.path) }
                if a.path.hasPrefix(b.path == "/" ? "/" : b.path + "/") { return (b.path, a.path) }
            }
        }
        return nil
    }

    private static func overlapMessage(_ outer: String, _ inner: String) -> String {
        "roots \(outer) and \(inner) overlap, so every article under \(inner) would be recorded twice; "
            + "keep only one of them"
    }

    /// Resolves `path` against `base` unless it is absolute, and drops a trailing slash.
    public static func absolute(_ path: String, _ base: String) -> String {
        var result = path.hasPrefix("/") ? path : (base == "/" ? "" : base) + "/" + path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        if result.hasSuffix("/.") { result.removeLast(2) }
        return result
    }
}

/// Typed access to a parsed TOML table with messages that name the file, line and key.
private struct TOMLReader {
    let file: String
    let text: String

    /// The 1-based line where `key` is first assigned, when it can be found.
    func line(of key: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(key) {
                let rest = trimmed.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }
                if rest.hasPrefix("=") || (key == "root" && rest.hasPrefix("]]")) { return index + 1 }
            }
            if trimmed.hasPrefix("[[\(key)]]") || trimmed.hasPrefix("[\(key)]") { return index + 1 }
        }
        return nil
    }

    func error(_ key: String, _ expected: String) -> DaemonError {
        let location = line(of: key).map { "\(file):\($0)" } ?? file
        return DaemonError(.config, "\(location): \(key): \(expected)")
    }

    func allowOnly(_ keys: Set<String>, in table: TOMLTable, section: String?) throws(DaemonError) {
        for key in table.keys where !keys.contains(key) {
            let known = keys.sorted().joined(separator: ", ")
            let place = section.map { " in [\($0)]" } ?? ""
            throw error(key, "unknown key\(place); known keys are \(known)")
        }
    }

    func string(_ table: TOMLTable, _ key: String) throws(DaemonError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else { throw error(key, "expected a string, got \(value.type)") }
        return string
    }

    func bool(_ table: TOMLTable, _ key: String) throws(DaemonError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else { throw error(key, "expected true or false, got \(value.type)") }
        return bool
    }

    func int(_ table: TOMLTable, _ key: String, range: ClosedRange<Int>) throws(DaemonError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int else { throw error(key, "expected an integer, got \(value.type)") }
        guard range.contains(int) else {
            throw error(key, "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(int)")
        }
        return int
    }

    func table(_ table: TOMLTable, _ key: String) throws(DaemonError) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let inner = value.table else { throw error(key, "expected a table [\(key)], got \(value.type)") }
        return inner
    }

    /// A glob list; a pattern that could never match as meant (an unclosed `[`, an empty pattern) is an error.
    func globs(_ table: TOMLTable, _ key: String) throws(DaemonError) -> [String]? {
        guard let patterns = try strings(table, key) else { return nil }
        for pattern in patterns {
            if let problem = ArticleFilter.problem(inGlob: pattern) {
                throw error(key, "\"\(pattern)\" is not a valid glob: \(problem)")
            }
        }
        return patterns
    }

    func strings(_ table: TOMLTable, _ key: String) throws(DaemonError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key, "expected an array of strings, got \(value.type)") }
        var result: [String] = []
        for element in array {
            guard let string = element.string else {
                throw error(key, "expected an array of strings, found \(element.type)")
            }
            result.append(string)
        }
        return result
    }
}

extension DaemonConfig {
    /// The configuration in `file`, or the embedded default when there is none; what `run` and `serve` start from.
    /// - Throws: ``DaemonError`` `.config` naming the file when it cannot be read or is not valid.
    public static func load(file: String?, currentDirectory: String) throws(DaemonError) -> DaemonConfig {
        guard let file else { return embeddedDefault(currentDirectory: currentDirectory) }
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw DaemonError(.config, "cannot read config \(file): check the path and its permissions")
        }
        return try parse(toml: text, file: file, currentDirectory: currentDirectory)
    }

    /// ``load(file:currentDirectory:)`` with `--data-dir` and `--log-level` applied through the config's own
    /// checks: what the readers of a data directory (`serve`, `ship`) start from.
    public static func load(file: String?, dataDir: String?, logLevel: String?, currentDirectory: String)
        throws(DaemonError) -> DaemonConfig
    {
        var config = try load(file: file, currentDirectory: currentDirectory)
        var overrides = ConfigOverrides()
        overrides.dataDir = dataDir
        overrides.logLevel = logLevel
        try config.apply(overrides, currentDirectory: currentDirectory)
        return config
    }
}
