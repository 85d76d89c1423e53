import Foundation
import Logging
import RedlineDiff
import RedlineFeed

/// Builds feeds for the feed CLI tests without the daemon: a scripted tree plus the records that describe it.
final class ScriptedFeed: @unchecked Sendable {
    let dir: TempDir
    let writer: FeedWriter
    let root = "/srv/news"
    /// The tree as the watcher would see it after each step.
    private(set) var tree: [String: String] = [:]
    /// The tree after every appended batch, keyed by the last seq of that batch.
    private(set) var snapshots: [(seq: UInt64, tree: [String: String])] = []

    var path: String { dir.path + "/feed" }

    // `always`: readers only see synced records, and these tests read what they just appended.
    init(options: FeedOptions = FeedOptions(fsync: .always)) throws {
        dir = try TempDir("redline-feed")
        writer = try FeedWriter(directory: dir.path + "/feed", options: options, logger: Logger(label: "test"))
    }

    deinit { try? writer.close() }

    @discardableResult
    func create(_ path: String, _ text: String) throws -> UInt64 {
        tree[path] = text
        return try append(
            FeedRecord(type: .created, root: root, path: path, after: VersionInfo(text: text), content: text))
    }

    @discardableResult
    func edit(_ path: String, _ text: String) throws -> UInt64 {
        let old = tree[path]!
        tree[path] = text
        let diff = Differ.diff(old: old, new: text)
        return try append(
            FeedRecord(
                type: .modified, root: root, path: path, before: VersionInfo(text: old), after: VersionInfo(text: text),
                significance: diff.significance, summary: diff.summary, changes: diff.changes, patch: diff.patch))
    }

    @discardableResult
    func move(_ from: String, _ to: String, editedTo text: String? = nil) throws -> UInt64 {
        let old = tree.removeValue(forKey: from)!
        let new = text ?? old
        tree[to] = new
        var record = FeedRecord(
            type: .moved, root: root, path: to, fromPath: from, before: VersionInfo(text: old),
            after: VersionInfo(text: new))
        if new != old {
            let diff = Differ.diff(old: old, new: new)
            record.significance = diff.significance
            record.summary = diff.summary
            record.changes = diff.changes
            record.patch = diff.patch
        }
        return try append(record)
    }

    @discardableResult
    func delete(_ path: String) throws -> UInt64 {
        let old = tree.removeValue(forKey: path)!
        return try append(FeedRecord(type: .deleted, root: root, path: path, before: VersionInfo(text: old)))
    }

    @discardableResult
    func append(_ record: FeedRecord) throws -> UInt64 {
        let seq = try writer.append([record])[0].seq
        snapshots.append((seq, tree))
        return seq
    }

    /// The lines of every segment in order.
    func lines() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("changes") }
            .filter { $0.hasSuffix(".jsonl") }
            .sorted { a, b in a == "changes.jsonl" ? false : (b == "changes.jsonl" ? true : a < b) }
        return try names.flatMap { name in
            try String(contentsOfFile: path + "/" + name, encoding: .utf8).split(separator: "\n").map(String.init)
        }
    }
}

/// Every regular file under `dir`, relative path to contents.
func readTree(_ dir: String) throws -> [String: Data] {
    var result: [String: Data] = [:]
    guard let walker = FileManager.default.enumerator(atPath: dir) else { return result }
    while let relative = walker.nextObject() as? String {
        var isDir: ObjCBool = false
        let full = dir + "/" + relative
        if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
            result[relative] = try Data(contentsOf: URL(fileURLWithPath: full))
        }
    }
    return result
}

/// The seqs of JSON lines printed by `tail`/`replay --print`.
func seqs(_ output: String) -> [Int] {
    output.split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
    }
}
