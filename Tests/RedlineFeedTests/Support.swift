import Foundation
import Logging
import RedlineDiff

@testable import RedlineFeed

/// A temporary feed directory, removed when dropped.
final class TempFeed: @unchecked Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("redline-feed-\(UUID().uuidString)").path
    }

    func file(_ name: String) -> String { path + "/" + name }

    func bytes(_ name: String) -> [UInt8] { (try? FileIO.readAll(file(name))) ?? [] }

    func write(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: file(name))) }

    func append(_ name: String, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file(name)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    func names() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let testLogger = Logger(label: "redline.feed.test")

/// A fixed clock so record times are predictable.
let fixedClock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_795_000_000.123) }

/// A writer on `feed`; by default its sealed segments stay plain, so a test may drop it as a crash and open
/// the next at once (a compression in progress would hold the lock until it finishes), and may damage
/// their bytes. CompressionTests covers the gzipped ones.
func writer(_ feed: TempFeed, _ options: FeedOptions = .init(fsync: .never, compressSealed: false)) throws
    -> FeedWriter
{
    try FeedWriter(directory: feed.path, options: options, clock: fixedClock, logger: testLogger)
}

/// A `created` record for `text`.
func created(_ path: String, _ text: String, root: String = "/srv/news") -> FeedRecord {
    FeedRecord(type: .created, root: root, path: path, after: VersionInfo(text: text), content: text)
}

/// A `modified` record from `old` to `new`, with the diff engine's patch and classification.
func modified(_ path: String, _ old: String, _ new: String, root: String = "/srv/news") -> FeedRecord {
    let diff = Differ.diff(old: old, new: new)
    return FeedRecord(
        type: .modified, root: root, path: path, before: VersionInfo(text: old), after: VersionInfo(text: new),
        significance: diff.significance, summary: diff.summary, changes: diff.changes, patch: diff.patch)
}

/// A `moved` record, optionally with an edit.
func moved(_ from: String, _ to: String, _ old: String, _ new: String? = nil, root: String = "/srv/news") -> FeedRecord
{
    let text = new ?? old
    var record = FeedRecord(
        type: .moved, root: root, path: to, fromPath: from, before: VersionInfo(text: old),
        after: VersionInfo(text: text))
    if let new, new != old {
        let diff = Differ.diff(old: old, new: new)
        record.significance = diff.significance
        record.summary = diff.summary
        record.changes = diff.changes
        record.patch = diff.patch
    }
    return record
}

/// A `deleted` record.
func deleted(_ path: String, _ old: String, root: String = "/srv/news") -> FeedRecord {
    FeedRecord(type: .deleted, root: root, path: path, before: VersionInfo(text: old))
}
