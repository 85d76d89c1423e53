import Foundation
import Logging
import RedlineFeed
import RedlineState
import RedlineWatcher
import Testing

@testable import RedlineDaemon

/// The pipeline above the kernel: settled changes in, feed records out, on real files.
@Suite struct PipelineTests {
    final class Fixture {
        let dir: URL
        let root: String
        let pipeline: Pipeline
        let feed: FeedWriter

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("redline-pipeline-\(UUID().uuidString)")
            root = dir.appendingPathComponent("articles").path
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            var config = DaemonConfig.embeddedDefault(currentDirectory: dir.path)
            config.roots = [RootConfig(path: root)]
            let logger = Logger(label: "test")
            feed = try FeedWriter(
                directory: dir.path + "/var/feed", options: FeedOptions(fsync: .always), logger: logger)
            let state = try StateStore(path: dir.path + "/var/state/redline.sqlite")
            pipeline = Pipeline(config: config, feed: feed, state: state, logger: logger)
        }

        deinit { try? FileManager.default.removeItem(at: dir) }

        func write(_ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        /// Feeds `changes` (paths relative to the root) and returns the records they produced.
        func handle(_ changes: [SettledChange]) throws -> [String] {
            let before = feed.lastSeq
            try pipeline.handle(changes)
            return try FeedReader(directory: feed.directory).records(since: before + 1).map { record in
                record.fromPath.map { "\(record.type.rawValue) \($0) -> \(record.path)" }
                    ?? "\(record.type.rawValue) \(record.path)"
            }
        }

        func abs(_ path: String) -> String { root + "/" + path }
    }

    @Test func aTouchOrIdenticalResaveIsNotAnEdit() throws {
        let f = try Fixture()
        try f.write("a.txt", "same\n")
        #expect(try f.handle([.changed(path: f.abs("a.txt"))]) == ["created a.txt"])
        try f.write("a.txt", "same\n")
        #expect(try f.handle([.changed(path: f.abs("a.txt")), .changed(path: f.abs("a.txt"))]) == [])
    }

    @Test func aRenameOfAnUntrackedTempFileOverAnArticleIsOneModified() throws {
        let f = try Fixture()
        try f.write("story.txt", "one\n")
        _ = try f.handle([.changed(path: f.abs("story.txt"))])
        try f.write("story.txt", "two\n")  // as if the temp file had been renamed over it
        #expect(try f.handle([.moved(from: f.abs(".story.txt.swp"), to: f.abs("story.txt"))]) == ["modified story.txt"])
    }

    @Test func aFileRenamedToANonArticleNameIsDeletedAndBackIsCreated() throws {
        let f = try Fixture()
        try f.write("a.txt", "text\n")
        _ = try f.handle([.changed(path: f.abs("a.txt"))])
        try FileManager.default.moveItem(atPath: f.abs("a.txt"), toPath: f.abs("a.bak"))
        #expect(try f.handle([.moved(from: f.abs("a.txt"), to: f.abs("a.bak"))]) == ["deleted a.txt"])
        try FileManager.default.moveItem(atPath: f.abs("a.bak"), toPath: f.abs("b.txt"))
        #expect(try f.handle([.moved(from: f.abs("a.bak"), to: f.abs("b.txt"))]) == ["created b.txt"])
    }

    @Test func aRenameOverAnotherArticleDeletesTheReplacedOne() throws {
        let f = try Fixture()
        try f.write("a.txt", "A\n")
        try f.write("b.txt", "B\n")
        _ = try f.handle([.changed(path: f.abs("a.txt")), .changed(path: f.abs("b.txt"))])
        try FileManager.default.removeItem(atPath: f.abs("b.txt"))
        try FileManager.default.moveItem(atPath: f.abs("a.txt"), toPath: f.abs("b.txt"))
        #expect(
            try f.handle([.moved(from: f.abs("a.txt"), to: f.abs("b.txt"))]) == [
                "deleted b.txt", "moved a.txt -> b.txt",
            ])
    }

    @Test func directoryMovesAndRemovalsApplyToEveryArticleBelow() throws {
        let f = try Fixture()
        try f.write("w/x.txt", "x\n")
        try f.write("w/sub/y.txt", "y\n")
        _ = try f.handle([.changed(path: f.abs("w/x.txt")), .changed(path: f.abs("w/sub/y.txt"))])
        try FileManager.default.moveItem(atPath: f.abs("w"), toPath: f.abs("v"))
        #expect(
            try f.handle([.directoryMoved(from: f.abs("w"), to: f.abs("v"))]) == [
                "moved w/sub/y.txt -> v/sub/y.txt", "moved w/x.txt -> v/x.txt",
            ])
        try FileManager.default.removeItem(atPath: f.abs("v"))
        #expect(try f.handle([.directoryRemoved(path: f.abs("v"))]) == ["deleted v/sub/y.txt", "deleted v/x.txt"])
    }

    /// The startup scan stats a directory's files after the watcher listed it: renamed in between, its articles
    /// are taken for deleted, and the rename's event is all that is left to find them under the new name.
    @Test func aDirectoryRenamedUnderTheStartupScanIsFoundUnderItsNewName() throws {
        let f = try Fixture()
        try f.write("w/x.txt", "x\n")
        _ = try f.handle([.changed(path: f.abs("w/x.txt"))])
        try FileManager.default.moveItem(atPath: f.abs("w"), toPath: f.abs("v"))
        #expect(try f.handle([.changed(path: f.abs("w/x.txt"))]) == ["deleted w/x.txt"])
        #expect(try f.handle([.directoryMoved(from: f.abs("w"), to: f.abs("v"))]) == ["created v/x.txt"])
    }

    @Test func anOverflowRescansAndSaysSo() throws {
        let f = try Fixture()
        try f.write("a.txt", "a\n")
        try f.write("b.txt", "b\n")
        #expect(try f.handle([.overflow]) == ["created a.txt", "created b.txt", "rescan "])
    }
}
