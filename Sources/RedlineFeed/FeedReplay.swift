import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `redline replay`: re-reads the feed up to a point and selects, verifies or rebuilds the article tree.
public struct FeedReplay {
    /// The feed directory.
    public var directory: String
    /// First seq to print (`--print` only; rebuilding always starts at the first record).
    public var since: UInt64 = 1
    /// Last seq to include.
    public var until: UInt64?
    /// Include records appended at or before this time (RFC 3339); stops at the first later one.
    public var untilTime: Date?
    /// Only print (or rebuild) articles whose path matches this `fnmatch(3)` pattern.
    public var pathGlob: String?

    /// A replay of the feed in `directory` over all its records.
    public init(directory: String) {
        self.directory = directory
    }

    /// What a verify or rebuild went through.
    public struct Report: Sendable, Equatable {
        /// Records read.
        public var records = 0
        /// Versions rebuilt and checked against their sha256.
        public var versions = 0
        /// Live articles at the end (matching the path filter).
        public var articles = 0
        /// Last seq included.
        public var lastSeq: UInt64 = 0
    }

    /// Hands the selected records, from `since`, to `body` in feed order (`--print` re-emits their lines unchanged).
    /// - Returns: the number of records handed over.
    public func forEachRecord(_ body: (RawRecord) throws(FeedError) -> Void) throws(FeedError) -> Int {
        let cursor = try FeedReader(directory: directory).cursor(since: since, strict: true)
        let limit = try timeLimit()
        var count = 0
        let decoder = JSONDecoder()
        while let raw = try cursor.next() {
            if let until, raw.seq > until { break }
            if limit != nil || pathGlob != nil {
                let record = try raw.decode(with: decoder)
                if let limit, record.time > limit { break }
                if let glob = pathGlob, !RecordFilter(pathGlob: glob).matches(record) { continue }
            }
            try body(raw)
            count += 1
        }
        return count
    }

    /// Folds every selected record into an ``ArticleHistory``, verifying each version's sha256.
    public func verify() throws(FeedError) -> (history: ArticleHistory, report: Report) {
        // After retention the fold starts at the snapshot that replaced the deleted segments.
        var (history, since) = try FeedSnapshot.start(directory: directory, until: until)
        // Fail here, with the reader's message, if the feed is missing.
        _ = try FeedReader(directory: directory).cursor(since: since, strict: true)
        let limit = try timeLimit()
        var report = Report()
        // Reading and JSON decoding run on two more threads, folding on this one: decoding is most of the work.
        let pipeline = DecodePipeline(directory: directory, since: since, until: until)
        defer { pipeline.cancel() }
        while let record = try pipeline.next() {
            if let limit, record.time > limit { break }
            try history.apply(record)
            report.records += 1
            report.lastSeq = record.seq
        }
        report.versions = history.versionsVerified
        report.articles = selected(history).count
        return (history, report)
    }

    /// Rebuilds the article tree as of the selected point into `target` (new or empty), byte for byte.
    ///
    /// With one watch root in the feed, articles go to `target/<path>`; with several, to
    /// `target/<root without its leading "/">/<path>`.
    public func rebuild(to target: String) throws(FeedError) -> Report {
        try Self.requireEmpty(target)
        let (history, report) = try verify()
        try Self.write(selected(history), to: target)
        return report
    }

    /// Refuses a `target` that exists and is not empty: a rebuild writes a whole tree.
    static func requireEmpty(_ target: String) throws(FeedError) {
        if FileIO.exists(target) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? ["?"]
            guard entries.isEmpty else {
                throw FeedError(
                    .invalidArgument, path: target,
                    message: "\(target) is not empty; replay --to writes a whole tree, so give it a new or empty "
                        + "directory")
            }
        }
    }

    /// Writes `articles` under `target`: `target/<path>` with one watch root, `target/<root>/<path>` with several.
    static func write(_ articles: [(key: ArticleKey, value: ArticleVersion)], to target: String) throws(FeedError) {
        let roots = Set(articles.map(\.key.root))
        try FileIO.makeDirectories(target)
        for (key, version) in articles.sorted(by: { $0.key < $1.key }) {
            let components = key.path.split(separator: "/")
            guard !key.path.hasPrefix("/"), !components.contains(".."), !components.isEmpty else {
                throw FeedError(
                    .corrupt, path: key.path,
                    message: "article path \(key.path) (seq \(version.seq)) escapes its root; refusing to write it")
            }
            var base = target
            if roots.count > 1 { base += "/" + key.root.drop(while: { $0 == "/" }) }
            let path = base + "/" + key.path
            try FileIO.makeDirectories((path as NSString).deletingLastPathComponent)
            let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, what: "create")
            do throws(FeedError) {
                try FileIO.writeAll(fd, Array(version.text.utf8), path: path)
            } catch {
                close(fd)
                throw error
            }
            close(fd)
        }
    }

    func selected(_ history: ArticleHistory) -> [(key: ArticleKey, value: ArticleVersion)] {
        history.articles.filter { entry in pathGlob.map { RecordFilter.glob($0, entry.key.path) } ?? true }
            .map { (key: $0.key, value: $0.value) }
    }

    /// `untilTime` in the feed's own time format, so record times compare as strings.
    private func timeLimit() throws(FeedError) -> String? {
        guard let untilTime else { return nil }
        return rfc3339(millisecondsSince1970: Int64((untilTime.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// Parses an RFC 3339 time (`2026-11-29T02:03:04Z`, with optional fraction and offset) or a date (`2026-11-29`).
    public static func parseTime(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = full.date(from: text) { return d }
        full.formatOptions = [.withInternetDateTime]
        if let d = full.date(from: text) { return d }
        full.formatOptions = [.withFullDate]
        return full.date(from: text)
    }
}

/// Reads and decodes records on two background threads, handing them to one consumer in feed order.
///
/// Both workers read every line (crc checks are cheap) with their own cursor and decode alternate chunks
/// of 256 records; the consumer takes chunk 0 from worker 0, chunk 1 from worker 1, and so on. Decoding
/// is most of replay's work, so this keeps both cores busy. A chunk shorter than 256 is the last one its
/// worker sends before its end marker (the feed's end, `until`, or an error), so errors surface in order.
final class DecodePipeline: @unchecked Sendable {
    private enum Item {
        case chunk([FeedRecord])
        case end(FeedError?)
    }

    private static let chunkSize = 256
    private let condition = NSCondition()
    private var queues: [[Item]] = [[], []]
    private var cancelled = false
    private var turn = 0
    private var current: [FeedRecord] = []
    private var index = 0
    private var done: FeedError?? = nil

    /// Starts decoding the records of the feed in `directory` from `since` up to `until`.
    init(directory: String, since: UInt64 = 1, until: UInt64?) {
        for worker in 0..<2 {
            let thread = Thread { [self] in self.work(worker, directory: directory, since: since, until: until) }
            thread.start()
        }
    }

    private func work(_ worker: Int, directory: String, since: UInt64, until: UInt64?) {
        let decoder = JSONDecoder()
        decoder.userInfo[FeedRecord.foldOnly] = true
        var chunk: [FeedRecord] = []
        var position = 0  // index of the line in the stream
        do throws(FeedError) {
            let cursor = try FeedReader(directory: directory).cursor(since: since, strict: true)
            while let raw = try cursor.next() {
                if let until, raw.seq > until { break }
                defer { position += 1 }
                guard (position / DecodePipeline.chunkSize) % 2 == worker else { continue }
                if let record = raw.bytes.withUnsafeBufferPointer({ FoldParser.parse($0) }) {
                    chunk.append(record)
                } else {
                    chunk.append(try raw.decode(with: decoder))
                }
                if chunk.count == DecodePipeline.chunkSize {
                    guard push(.chunk(chunk), worker) else { return }
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if !chunk.isEmpty { _ = push(.chunk(chunk), worker) }
            _ = push(.end(nil), worker)
        } catch {
            if !chunk.isEmpty { _ = push(.chunk(chunk), worker) }
            _ = push(.end(error), worker)
        }
    }

    private func push(_ item: Item, _ worker: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queues[worker].count >= 4 && !cancelled { condition.wait() }
        if cancelled { return false }
        queues[worker].append(item)
        condition.broadcast()
        return true
    }

    /// Stops the workers early.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next record in feed order, nil at the end; throws the readers' error where it happened.
    func next() throws(FeedError) -> FeedRecord? {
        if index < current.count {
            index += 1
            return current[index - 1]
        }
        if let done {
            if let error = done { throw error }
            return nil
        }
        condition.lock()
        while queues[turn].isEmpty { condition.wait() }
        let item = queues[turn].removeFirst()
        condition.broadcast()
        condition.unlock()
        switch item {
        case .end(let error):
            done = .some(error)
            if let error { throw error }
            return nil
        case .chunk(let records):
            // A short chunk is its worker's last: its end marker comes next from the same worker.
            if records.count == DecodePipeline.chunkSize { turn = 1 - turn }
            current = records
            index = 1
            return records[0]
        }
    }
}
