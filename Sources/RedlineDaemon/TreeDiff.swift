import Dispatch
import Foundation
import Logging
import RedlineDiff
import RedlineFeed
import RedlinePOSIX

/// Two snapshots of an archive compared article by article (`redline diff OLD_DIR NEW_DIR`).
///
/// Articles are paired by relative path; an article only in the old tree and one only in the new tree with
/// the same bytes are a move, as git pairs exact renames. Each changed article becomes one record in the
/// feed's format (`modified`, `created`, `deleted`, `moved`, or `rejected` for a file that is not UTF-8
/// text), emitted in path order. Reading, hashing and diffing run on every core; only the output is serial.
public enum TreeDiff {
    /// What the comparison found.
    public struct Summary: Sendable, Equatable {
        /// Articles at the same path in both trees.
        public var paired = 0
        /// Of those, how many differ.
        public var modified = 0
        /// Only in the new tree.
        public var created = 0
        /// Only in the old tree.
        public var deleted = 0
        /// Moved with their bytes unchanged.
        public var moved = 0
        /// Not UTF-8 text on one side (reported as `rejected`).
        public var rejected = 0

        /// Whether the trees hold the same articles with the same bytes.
        public var isIdentical: Bool { modified + created + deleted + moved + rejected == 0 }
    }

    /// One article's place in both trees.
    private enum Pair {
        case both(String)
        case created(String)
        case deleted(String)
        case moved(from: String, to: String)
    }

    /// Compares the articles under `old` and `new` that `filter` takes.
    /// - Parameters:
    ///   - archive: the directory whose articles' use of each word is the classifier's `archive_form` evidence
    ///     (`old` by default).
    ///   - jobs: how many articles are read and diffed at once (the core count by default).
    ///   - emit: called on the calling thread with each record, in path order.
    /// - Throws: ``DaemonError`` `.watch` when a tree cannot be listed; whatever `emit` throws.
    public static func run(
        old: String, new: String, filter: ArticleFilter, lexicon: LazyLexicon? = nil, archive: String? = nil,
        jobs: Int = ProcessInfo.processInfo.activeProcessorCount, logger: Logger, emit: (FeedRecord) throws -> Void
    ) throws -> Summary {
        for root in [old, new] where ArticleFile.stat(root).map({ !$0.isDirectory }) ?? true {
            throw DaemonError(.io, "\(root) is not a directory; give two directories, or two files", path: root)
        }
        let before = Dictionary(
            TreeWalker.articles(under: old, filter: filter, logger: logger).map { ($0.0, $0.1) },
            uniquingKeysWith: { a, _ in a })
        let after = TreeWalker.articles(under: new, filter: filter, logger: logger)
        var pairs: [Pair] = []
        var onlyNew: [String] = []
        for (path, _) in after {
            if before[path] != nil { pairs.append(.both(path)) } else { onlyNew.append(path) }
        }
        let afterPaths = Set(after.map(\.0))
        let onlyOld = before.keys.filter { !afterPaths.contains($0) }.sorted()
        pairs += matchMoves(old: old, new: new, onlyOld: onlyOld, onlyNew: onlyNew, before: before, after: after)
        pairs.sort { key($0) < key($1) }

        // The old tree is the archive by default: how many of its articles use each word, counted the first time
        // a diff has a change only the archive can judge.
        let archiveDirectory = archive ?? old
        let words = ArchiveWords(loading: { wordCounts(under: archiveDirectory, filter: filter, logger: logger) })
        var summary = Summary()
        let chunk = max(64, jobs * 16)
        var start = 0
        while start < pairs.count {
            let slice = Array(pairs[start..<min(start + chunk, pairs.count)])
            let results = Results<FeedRecord>(count: slice.count)
            DispatchQueue.concurrentPerform(iterations: min(jobs, slice.count)) { worker in
                for i in stride(from: worker, to: slice.count, by: min(jobs, slice.count)) {
                    results.set(i, record(slice[i], old: old, new: new, lexicon: lexicon, archive: words))
                }
            }
            for case let record? in results.values {
                count(record, into: &summary)
                try emit(record)
            }
            summary.paired += slice.reduce(0) { if case .both = $1 { $0 + 1 } else { $0 } }
            start += chunk
        }
        return summary
    }

    /// The counts of the articles under `directory` that `filter` takes, read on every core: the archive of a
    /// one-shot `redline diff`.
    public static func wordCounts(under directory: String, filter: ArticleFilter, logger: Logger) -> [UInt64: UInt32] {
        let paths = TreeWalker.articles(under: directory, filter: filter, logger: logger).map { directory + "/" + $0.0 }
        let jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let partial = Results<[UInt64: UInt32]>(count: jobs)
        DispatchQueue.concurrentPerform(iterations: jobs) { worker in
            var counts: [UInt64: UInt32] = [:]
            for i in stride(from: worker, to: paths.count, by: jobs) {
                if case .bytes(let bytes, _) = ArticleFile.read(paths[i], maxBytes: .max),
                    let text = try? ArticleText.decode(bytes)
                {
                    ArchiveWords.count(ArchiveWords.words(of: text), into: &counts)
                }
            }
            partial.set(worker, counts)
        }
        var total: [UInt64: UInt32] = [:]
        for counts in partial.values.compactMap({ $0 }) { total.merge(counts, uniquingKeysWith: +) }
        return total
    }

    /// Pairs articles only on one side whose size and sha256 are equal.
    private static func matchMoves(
        old: String, new: String, onlyOld: [String], onlyNew: [String], before: [String: FileStat],
        after: [(String, FileStat)]
    ) -> [Pair] {
        let newStats = Dictionary(after.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        let oldSizes = Set(onlyOld.compactMap { before[$0]?.size })
        // Only files whose size matches one on the other side are hashed.
        let candidatesNew = onlyNew.filter { newStats[$0].map { oldSizes.contains($0.size) } ?? false }
        let newSizes = Set(candidatesNew.compactMap { newStats[$0]?.size })
        let candidatesOld = onlyOld.filter { before[$0].map { newSizes.contains($0.size) } ?? false }
        let oldHashes = hashes(candidatesOld.map { old + "/" + $0 })
        let newHashes = hashes(candidatesNew.map { new + "/" + $0 })
        var byHash: [String: [String]] = [:]
        for (path, hash) in zip(candidatesOld, oldHashes) { if let hash { byHash[hash, default: []].append(path) } }
        var movedFrom = Set<String>()
        var pairs: [Pair] = []
        for (path, hash) in zip(candidatesNew, newHashes) {
            if let hash, var sources = byHash[hash], !sources.isEmpty {
                let from = sources.removeFirst()
                byHash[hash] = sources
                movedFrom.insert(from)
                pairs.append(.moved(from: from, to: path))
            } else {
                pairs.append(.created(path))
            }
        }
        let candidateSet = Set(candidatesNew)
        pairs += onlyNew.filter { !candidateSet.contains($0) }.map { .created($0) }
        pairs += onlyOld.filter { !movedFrom.contains($0) }.map { .deleted($0) }
        return pairs
    }

    private static func hashes(_ paths: [String]) -> [String?] {
        let results = Results<String>(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            if case .bytes(let bytes, _) = ArticleFile.read(paths[i], maxBytes: .max) {
                results.set(i, Digest.sha256Hex(bytes))
            }
        }
        return results.values
    }

    private static func key(_ pair: Pair) -> String {
        switch pair {
        case .both(let p), .created(let p), .deleted(let p), .moved(_, let p): p
        }
    }

    /// The record for one pair, or nil when the article is unchanged (or vanished meanwhile).
    private static func record(
        _ pair: Pair, old: String, new: String, lexicon: LazyLexicon?, archive: ArchiveWords
    ) -> FeedRecord? {
        switch pair {
        case .both(let path):
            guard let a = read(old + "/" + path), let b = read(new + "/" + path) else { return nil }
            guard a != b else { return nil }
            guard let oldText = text(a), let newText = text(b) else { return rejected(new, path, a, b) }
            var record = FeedRecord(
                type: .modified, root: new, path: path,
                before: VersionInfo(sha256: Digest.sha256Hex(a), size: a.count),
                after: VersionInfo(sha256: Digest.sha256Hex(b), size: b.count))
            record.attach(Differ.diff(old: oldText, new: newText, lexicon: lexicon, archive: archive))
            return record
        case .created(let path):
            guard let b = read(new + "/" + path) else { return nil }
            guard let newText = text(b) else { return rejected(new, path, nil, b) }
            return FeedRecord(
                type: .created, root: new, path: path, after: VersionInfo(sha256: Digest.sha256Hex(b), size: b.count),
                content: newText)
        case .deleted(let path):
            guard let a = read(old + "/" + path) else { return nil }
            return FeedRecord(
                type: .deleted, root: new, path: path, before: VersionInfo(sha256: Digest.sha256Hex(a), size: a.count))
        case .moved(let from, let to):
            guard let b = read(new + "/" + to) else { return nil }
            let version = VersionInfo(sha256: Digest.sha256Hex(b), size: b.count)
            return FeedRecord(type: .moved, root: new, path: to, fromPath: from, before: version, after: version)
        }
    }

    private static func rejected(_ root: String, _ path: String, _ a: [UInt8]?, _ b: [UInt8]) -> FeedRecord {
        let bad = text(b) == nil ? b : (a ?? b)
        let reason: String
        do {
            _ = try ArticleText.decode(bad)
            reason = "not UTF-8 text"
        } catch {
            reason = "\(error); save the file as UTF-8 text"
        }
        return FeedRecord(
            type: .rejected, root: root, path: path, after: VersionInfo(sha256: Digest.sha256Hex(b), size: b.count),
            reason: (bad == b ? "" : "the old version: ") + reason)
    }

    private static func read(_ path: String) -> [UInt8]? {
        if case .bytes(let bytes, _) = ArticleFile.read(path, maxBytes: .max) { return bytes }
        return nil
    }

    private static func text(_ bytes: [UInt8]) -> String? { try? ArticleText.decode(bytes) }

    private static func count(_ record: FeedRecord, into summary: inout Summary) {
        switch record.type {
        case .modified: summary.modified += 1
        case .created: summary.created += 1
        case .deleted: summary.deleted += 1
        case .moved: summary.moved += 1
        default: summary.rejected += 1
        }
    }
}

/// Slots filled by concurrent workers, each slot by one worker.
final class Results<Value>: @unchecked Sendable {
    private var storage: [Value?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value?) { lock.withLock { storage[index] = value } }

    var values: [Value?] { lock.withLock { storage } }
}
