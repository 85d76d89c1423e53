import Foundation
import RedlineFeed
import Testing

/// Input that used to be accepted but did the wrong thing: each is now one line on stderr and a non-zero exit,
/// or is handled correctly.
@Suite(.serialized) struct InputValidationTests {
    /// Asserts a failed run printed exactly one stderr line containing every `needle`.
    func expectOneLineError(
        _ result: ProcessResult, _ needles: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status != 0, "exited 0: \(result.stdout)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        for needle in needles {
            #expect(result.stderr.contains(needle), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func checkConfigRefusesARootThatDoesNotExist() throws {
        let dir = try TempDir()
        let result = try runRedline(["run", "--check-config", "--watch", dir.path + "/nope", "--data-dir", dir.path])
        expectOneLineError(result, [dir.path + "/nope", "no such directory"])
    }

    @Test func checkConfigRefusesARootThatIsAFile() throws {
        let dir = try TempDir()
        _ = FileManager.default.createFile(atPath: dir.path + "/file.txt", contents: Data("x".utf8))
        let config = dir.path + "/redline.toml"
        try "data_dir = \"\(dir.path)/var\"\n[[root]]\npath = \"\(dir.path)/file.txt\"\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try runRedline(["run", "--check-config", "--config", config])
        expectOneLineError(result, [dir.path + "/file.txt", "not a directory"])
    }

    @Test func anInvalidGlobIsRefusedWithFileLineAndKey() throws {
        let dir = try TempDir()
        let config = dir.path + "/redline.toml"
        try "data_dir = \"\(dir.path)/var\"\n[[root]]\npath = \"\(dir.path)\"\ninclude = [\"[a-\"]\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try runRedline(["run", "--check-config", "--config", config])
        expectOneLineError(result, [config + ":4: include:", "[a-"])
    }

    @Test func nestedRootsAreRefusedNamingBoth() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/w/sub", withIntermediateDirectories: true)
        let result = try runRedline([
            "run", "--check-config", "--watch", dir.path + "/w", "--watch", dir.path + "/w/sub", "--data-dir",
            dir.path + "/var",
        ])
        expectOneLineError(result, [dir.path + "/w and " + dir.path + "/w/sub", "overlap"])
    }

    @Test func anUnknownLogLevelIsRefusedListingTheValidOnes() throws {
        let dir = try TempDir()
        let result = try runRedline([
            "run", "--check-config", "--watch", dir.path, "--data-dir", dir.path + "/var", "--log-level", "loud",
        ])
        expectOneLineError(result, ["--log-level", "loud", "trace, debug, info, notice, warning, error, critical"])
    }

    @Test func fsyncIntervalFromTheCommandLineKeepsTheFilesInterval() throws {
        let dir = try TempDir()
        let config = dir.path + "/redline.toml"
        try """
        data_dir = "\(dir.path)/var"
        [feed]
        fsync = "always"
        fsync_interval_ms = 50
        [[root]]
        path = "\(dir.path)"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try runRedline(["run", "--check-config", "--config", config, "--fsync", "interval"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("fsync interval every 50 ms"), "\(result.stdout)")
    }

    @Test func checkOnADataDirectoryPointsAtItsFeed() throws {
        let feed = try ScriptedFeed()
        try feed.create("a.txt", "text")
        let dataDir = feed.dir.path
        let result = try runRedline(["check", "--feed", dataDir])
        expectOneLineError(result, ["looks like a data directory", "--feed \(dataDir)/feed"])
        #expect(!result.stdout.contains("ok"))
    }

    @Test func diffOfAFIFOExits2WithoutWaitingForAWriter() throws {
        let dir = try TempDir()
        let fifo = dir.path + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        _ = FileManager.default.createFile(atPath: dir.path + "/x.txt", contents: Data("text\n".utf8))
        let process = try RunningRedline(["diff", fifo, dir.path + "/x.txt"])
        // The deadline only stops a hanging binary from hanging the suite.
        let status = process.waitForExit(seconds: 20)
        #expect(status == 2, "diff on a FIFO did not exit 2 (still running: \(status == nil))")
        #expect(process.stderr.contains(fifo) && process.stderr.contains("not a regular file"), "\(process.stderr)")
        #expect(process.stderr.split(separator: "\n").count == 1)
    }

    @Test func aCursorAheadOfTheFeedIsAnError() throws {
        let feed = try ScriptedFeed()
        for i in 0..<3 { try feed.create("a\(i).txt", "text \(i)") }
        let dir = try TempDir()
        let cursor = dir.path + "/cursor"
        try "{\"feed\":\"\(feed.writer.feedID)\",\"next_seq\":10}\n".write(
            toFile: cursor, atomically: true, encoding: .utf8)
        let result = try runRedline(["tail", "--feed", feed.path, "--cursor-file", cursor])
        expectOneLineError(result, [cursor, "ahead of the feed", "last seq is 3"])
        #expect(result.stdout.isEmpty)
    }

    @Test func aCursorAtTheEndOfTheFeedIsFine() throws {
        let feed = try ScriptedFeed()
        for i in 0..<3 { try feed.create("a\(i).txt", "text \(i)") }
        let dir = try TempDir()
        let cursor = dir.path + "/cursor"
        try "{\"feed\":\"\(feed.writer.feedID)\",\"next_seq\":4}\n".write(
            toFile: cursor, atomically: true, encoding: .utf8)
        let result = try runRedline(["tail", "--feed", feed.path, "--cursor-file", cursor])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func tailTextPrintsEveryRecordOnOneLineWhateverThePathHolds() throws {
        let feed = try ScriptedFeed()
        try feed.create("line\nbreak.txt", "one")
        try feed.create("bell\u{07}tab\tesc\u{1B}[31m.txt", "two")
        try feed.move("line\nbreak.txt", "moved\r\nagain.txt")
        let result = try runRedline(["tail", "--feed", feed.path, "--from-beginning", "--format", "text"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.first?.contains("line\\nbreak.txt") == true)
        #expect(lines.dropFirst().first?.contains("bell\\x07tab\\tesc\\x1b[31m.txt") == true)
        #expect(lines.last?.contains("line\\nbreak.txt -> moved\\r\\nagain.txt") == true)
        #expect(!result.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }
}
