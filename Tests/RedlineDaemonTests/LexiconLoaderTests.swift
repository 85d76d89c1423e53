import Foundation
import Logging
import RedlineDaemon
import RedlineDiff
import Testing

/// Collects log messages, to count what a user would see in the journal.
final class CollectingLogHandler: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(Logger.Level, String)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line =
            event.message.description + " " + (event.metadata ?? [:]).map { "\($0)=\($1)" }.joined(separator: " ")
        lock.withLock { lines.append((event.level, line)) }
    }

    /// Messages at warning or above.
    var warnings: [String] { lock.withLock { lines.filter { $0.0 >= .warning }.map(\.1) } }
}

@Suite struct LexiconLoaderTests {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("redline-lexicon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aMissingWordListIsLoggedOnceAndTheOthersAreUsed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let list = dir.appendingPathComponent("words")
        try "complement\ncompliment\n".write(to: list, atomically: true, encoding: .utf8)
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let missing = dir.appendingPathComponent("not-installed.dic").path
        let lexicon = LexiconLoader.lazy([missing, list.path], logger: logger)
        for _ in 0..<3 {
            let diff = Differ.diff(old: "a complement\n", new: "a compliment\n", lexicon: lexicon)
            #expect(diff.changes.map(\.class) == [.wording])
        }
        #expect(handler.warnings.count == 1)
        #expect(handler.warnings.first?.contains(missing) == true)
    }

    @Test func noWordListAtAllLeavesTheRulesWithoutALexicon() throws {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let lexicon = LexiconLoader.lazy(["/nonexistent/a", "/nonexistent/b"], logger: logger)
        let diff = Differ.diff(old: "a complement\n", new: "a compliment\n", lexicon: lexicon)
        #expect(diff.changes.map(\.class) == [.spelling])
        #expect(handler.warnings.count == 2)
    }

    @Test func aCompiledLexiconIsReusedUntilItsListChanges() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let list = dir.appendingPathComponent("words")
        let cache = dir.appendingPathComponent("cache").path
        try "complement\ncompliment\n".write(to: list, atomically: true, encoding: .utf8)
        let logger = Logger(label: "test") { _ in CollectingLogHandler() }
        let first = LexiconLoader.load([list.path], cacheDirectory: cache, logger: logger)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(files.count == 1)
        // The compiled copy gives the same lexicon back.
        #expect(LexiconLoader.load([list.path], cacheDirectory: cache, logger: logger) == first)
        // A changed list is read again, not served stale from the cache.
        try "complement\n".write(to: list, atomically: true, encoding: .utf8)
        let second = LexiconLoader.load([list.path], cacheDirectory: cache, logger: logger)
        #expect(second.contains("complement") && !second.contains("compliment"))
        // A damaged cache file is only a cache: the lists are read again.
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: cache + "/" + name))
        }
        #expect(LexiconLoader.load([list.path], cacheDirectory: cache, logger: logger) == second)
        #expect(Lexicon(compiled: second.compiled()) == second)
        #expect(Lexicon(compiled: Array(second.compiled().dropLast())) == nil)
    }

    @Test func readsAspellCompressedLists() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // prezip: 0x02, then per word the bytes kept from the previous word and the rest; 0x1F 0xFF ends.
        var prezip: [UInt8] = [0x02, 0x00]
        prezip += Array("house".utf8) + [0x05] + Array("hold".utf8) + [0x05] + Array("s".utf8) + [0x1F, 0xFF]
        let raw = dir.appendingPathComponent("en.cwl")
        try Data(prezip).write(to: raw)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", raw.path]
        try gzip.run()
        gzip.waitUntilExit()
        for path in [raw.path, raw.path + ".gz"] {
            let words = LexiconLoader.load([path], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            #expect(words.contains("house") && words.contains("household") && words.contains("houses"))
            #expect(words.wordCount(.latin) == 3)
        }
    }
}
