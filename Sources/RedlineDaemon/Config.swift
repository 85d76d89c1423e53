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

/// Everything `redline run` needs, from the TOML file, the command line, or the embedded default.
public struct DaemonConfig: Sendable, Equatable {
    /// Watched trees.
    public var roots: [RootConfig]
    /// Holds `feed/` and `state/`.
    public var dataDir: String
    /// Feed durability, segment size and retention.
    public var feed: FeedOptions
    /// Quiet period per path before a change is read.
    public var settleMilliseconds: Int
    /// Larger files are rejected, not diffed.
    public var maxFileBytes: Int
    /// Full rescan period in seconds (0: only after an overflow).
    public var rescanIntervalSeconds: Int
    /// Rescan period in seconds while the inotify watch limit leaves part of a tree unwatched.
    public var limitRescanIntervalSeconds: Int = 60
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public var logLevel: String

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
                "feed", "root",
            ], in: table,
            section: nil)
        if let dir = try reader.string(table, "data_dir") { config.dataDir = absolute(dir, currentDirectory) }
        if let v = try reader.int(table, "settle_ms", range: 0...60_000) { config.settleMilliseconds = v }
        if let v = try reader.int(table, "max_file_bytes", range: 1...(1 << 40)) { config.maxFileBytes = v }
        if let v = try reader.int(table, "rescan_interval_s", range: 0...86_400) { config.rescanIntervalSeconds = v }
        if let v = try reader.int(table, "limit_rescan_interval_s", range: 1...86_400) {
            config.limitRescanIntervalSeconds = v
        }
        if let v = try reader.string(table, "log_level") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(v) else {
                throw reader.error("log_level", "expected one of \(levels.joined(separator: ", ")), got \"\(v)\"")
            }
            config.logLevel = v
        }
        if let feed = try reader.table(table, "feed") {
            try reader.allowOnly(
                ["fsync", "fsync_interval_ms", "segment_bytes", "retain_segments"], in: feed, section: "feed")
            let interval = try reader.int(feed, "fsync_interval_ms", range: 1...60_000) ?? 200
            switch try reader.string(feed, "fsync") {
            case nil, "always": config.feed.fsync = .always
            case "interval": config.feed.fsync = .interval(milliseconds: interval)
            case "never": config.feed.fsync = .never
            case let other?:
                throw reader.error("fsync", "expected \"always\", \"interval\" or \"never\", got \"\(other)\"")
            }
            if let v = try reader.int(feed, "segment_bytes", range: 4096...(1 << 40)) { config.feed.segmentBytes = v }
            if let v = try reader.int(feed, "retain_segments", range: 0...1_000_000) {
                config.feed.retainSegments = v == 0 ? nil : v
            }
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
            if let include = try reader.strings(root, "include") { rootConfig.include = include }
            if let exclude = try reader.strings(root, "exclude") { rootConfig.exclude = exclude }
            config.roots.append(rootConfig)
        }
        return config
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
