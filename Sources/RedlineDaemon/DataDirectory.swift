import Foundation
import RedlineFeed

/// A data directory and the names in it: the one place that spells them (the daemon, `replay
/// --rebuild-state` and the CLI's `--feed` checks all ask it).
///
/// ```
/// DATA/feed/                 the feed (the source of truth; its own files are RedlineFeed's)
/// DATA/feed/feed.id          the feed UUID: present once the feed has been created
/// DATA/state/redline.sqlite  the state store (a cache, rebuilt from the feed)
/// ```
public struct DataDirectory: Sendable, Equatable {
    /// The directory.
    public let path: String

    /// The data directory at `path`.
    public init(_ path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// The feed directory.
    public var feed: String { path + "/feed" }
    /// The state store's database file.
    public var stateStore: String { path + "/state/redline.sqlite" }
    /// Derived files that only save work (the compiled lexicon); deleting them costs a rebuild, nothing else.
    public var cache: String { path + "/cache" }
    /// Whether the feed has been created here (its UUID file exists): the daemon has run on this directory.
    public var hasFeed: Bool { FileManager.default.fileExists(atPath: feed + "/" + FeedFiles.id) }

    /// The data directory a feed directory belongs to: the parent of `DATA/feed`.
    public static func holding(feed directory: String) -> DataDirectory {
        DataDirectory(URL(fileURLWithPath: directory).standardizedFileURL.deletingLastPathComponent().path)
    }

    /// Whether `directory` is a data directory rather than a feed: it holds `feed/` and no `feed.id` of its own
    /// (so a user who passed it as `--feed` can be told the right path).
    public static func isDataDirectoryNotFeed(_ directory: String) -> Bool {
        var isDirectory: ObjCBool = false
        let manager = FileManager.default
        return !manager.fileExists(atPath: directory + "/" + FeedFiles.id)
            && manager.fileExists(atPath: directory + "/feed", isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
