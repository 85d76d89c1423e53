import Foundation
import RedlineState
import Testing

@Suite struct StateStoreTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("redline-state-\(UUID().uuidString)")
    var dbPath: String { dir.appendingPathComponent("state/redline.sqlite").path }

    func article(_ path: String, _ text: String, seq: UInt64) -> ArticleState {
        ArticleState(
            root: "/r", path: path, inode: 7, size: Int64(text.utf8.count), sha256: "h\(seq)", text: text,
            lastSeq: seq)
    }

    @Test func remembersArticlesAndPositionAcrossReopen() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let store = try StateStore(path: dbPath)
            try store.apply([.upsert(article("a.txt", "سلام", seq: 1))], feedID: "F", lastSeq: 1)
            try store.apply([.upsert(article("b.txt", "two", seq: 2))], feedID: "F", lastSeq: 2)
        }
        let store = try StateStore(path: dbPath)
        let position = try store.position()
        #expect(position.feedID == "F")
        #expect(position.lastSeq == 2)
        #expect(try store.article(root: "/r", path: "a.txt")?.text == "سلام")
        #expect(try store.articles().map(\.path) == ["a.txt", "b.txt"])
    }

    @Test func moveReplacesTheTargetAndDeleteForgets() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StateStore(path: dbPath)
        try store.apply(
            [.upsert(article("a.txt", "A", seq: 1)), .upsert(article("b.txt", "B", seq: 2))], feedID: "F", lastSeq: 2)
        try store.apply([.move(root: "/r", from: "a.txt", to: "b.txt")], feedID: "F", lastSeq: 3)
        #expect(try store.articles().map(\.text) == ["A"])
        #expect(try store.article(root: "/r", path: "b.txt")?.text == "A")
        try store.apply([.delete(root: "/r", path: "b.txt")], feedID: "F", lastSeq: 4)
        #expect(try store.count() == 0)
        #expect(try store.position().lastSeq == 4)
    }

    @Test func aCorruptFileIsReportedWithTheFixNotACrash() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("state"), withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: dbPath))
        #expect {
            _ = try StateStore(path: dbPath)
        } throws: { error in
            "\(error)".contains(dbPath) && "\(error)".contains("rebuilds it from the feed")
        }
    }

    @Test func aStoreWithTheTextInlineIsMigratedKeepingEveryArticle() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("state"), withIntermediateDirectories: true)
        // The v1 and v2 schema as an older redline wrote them, with one article.
        let sql = """
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1'), ('v2-rejected');
            CREATE TABLE article (root TEXT NOT NULL, path TEXT NOT NULL, inode INTEGER NOT NULL,
              size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,
              text TEXT NOT NULL, last_seq INTEGER NOT NULL, PRIMARY KEY (root, path)) WITHOUT ROWID;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE rejected (root TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL,
              PRIMARY KEY (root, path)) WITHOUT ROWID;
            INSERT INTO article VALUES ('/r', 'a.txt', 7, 8, 11, 12, 'h1', 'سلام', 1);
            INSERT INTO meta VALUES ('feed', 'F'), ('last_seq', '1');
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [dbPath, sql]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let store = try StateStore(path: dbPath)
        #expect(try store.article(root: "/r", path: "a.txt")?.text == "سلام")
        #expect(
            try store.stats(root: "/r") == [ArticleStat(path: "a.txt", inode: 7, size: 8, mtimeNs: 11, ctimeNs: 12)])
        #expect(try store.position().lastSeq == 1)
    }

    @Test func aTextDeflatedByZlibAsOlderReleasesStoredItReadsBackWhole() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = "ویتکاف گفت ۱۲ روز.\n\nA second paragraph.\n"
        do {
            let store = try StateStore(path: dbPath)
            try store.apply([.upsert(article("a.txt", "placeholder", seq: 1))], feedID: "F", lastSeq: 1)
        }
        // The body as releases before libdeflate wrote it: zlib's compress2, level 6, after a 4-byte length.
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = [
            "-c",
            "import sys, zlib; t = sys.argv[1].encode(); "
                + "print((len(t).to_bytes(4, 'little') + zlib.compress(t, 6)).hex())",
            text,
        ]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        python.waitUntilExit()
        let hex = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hex.count > 8)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [dbPath, "UPDATE article_body SET body = X'\(hex)' WHERE path = 'a.txt'"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        #expect(try StateStore(path: dbPath).article(root: "/r", path: "a.txt")?.text == text)
    }

    @Test func theStoreKeepsTextsDeflatedAndGivesThemBackWhole() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let paragraph = "ویتکاف، فرستادهٔ ویژهٔ ترامپ، گفت کنترل گذرگاه‌ها ۱۲ روز دیگر واگذار می‌شود.\n\n"
        var total = 0
        do {
            let store = try StateStore(path: dbPath)
            var updates: [StateUpdate] = []
            for i in 0..<200 {
                let text = "\(i)\n\n" + String(repeating: paragraph, count: 60)
                total += text.utf8.count
                updates.append(.upsert(article("a\(i).txt", text, seq: UInt64(i + 1))))
            }
            try store.apply(updates, feedID: "F", lastSeq: 200)
        }
        let store = try StateStore(path: dbPath)
        let text = try #require(try store.article(root: "/r", path: "a7.txt")?.text)
        #expect(text == "7\n\n" + String(repeating: paragraph, count: 60))
        let files = ["", "-wal"].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: dbPath + $0)[.size] as? Int) ?? nil
        }
        let bytes = files.reduce(0, +)
        #expect(bytes < total / 3, "the store (\(bytes) bytes) holds less than a third of the texts (\(total) bytes)")
    }

    /// Articles built from a shared stock of 14 paragraphs, six each, as a tree of one outlet's articles shares
    /// names, phrases and whole paragraphs.
    func sharedParagraphArticles(_ count: Int, from first: Int = 0) -> [ArticleState] {
        let words = (0..<300).map { "واژه\($0)" + ($0 % 3 == 0 ? " word\($0)" : "") }
        var seed: UInt64 = 42
        let paragraphs = (0..<14).map { _ in
            (0..<90).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return words[Int(seed >> 33) % words.count]
            }.joined(separator: " ")
        }
        return (first..<first + count).map { i in
            let text = "\(i)\n\n" + (0..<6).map { paragraphs[(i * 5 + $0 * 3) % 14] }.joined(separator: "\n\n")
            return article("a\(i).txt", text, seq: UInt64(i + 1))
        }
    }

    func storeBytes() -> Int {
        ["", "-wal"].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: dbPath + $0)[.size] as? Int) ?? nil
        }
        .reduce(0, +)
    }

    @Test func articlesThatShareParagraphsTakeAFractionOfWhatEachTakesCompressedAlone() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // The first texts come before the store has seen enough to make a dictionary from.
        let early = sharedParagraphArticles(3)
        let rest = sharedParagraphArticles(1_997, from: 3)
        let total = (early + rest).reduce(0) { $0 + $1.text.utf8.count }
        do {
            let store = try StateStore(path: dbPath)
            try store.apply(early.map { .upsert($0) }, feedID: "F", lastSeq: 3)
            for start in stride(from: 0, to: rest.count, by: 500) {
                let batch = rest[start..<min(rest.count, start + 500)]
                try store.apply(batch.map { .upsert($0) }, feedID: "F", lastSeq: batch.last!.lastSeq)
            }
        }
        let store = try StateStore(path: dbPath)
        // Every text reads back whole after a reopen: the ones written before the dictionary and after it.
        #expect(try store.articles().count == 2_000)
        for expected in [early[0], early[2], rest[0], rest[1_000], rest[1_996]] {
            #expect(try store.article(root: "/r", path: expected.path)?.text == expected.text)
        }
        // Compressed one by one, each of these texts takes over half of itself; against the store's dictionary, the
        // whole store (keys, stat columns and B-tree pages included) is a twentieth of the texts.
        let bytes = storeBytes()
        #expect(bytes < total / 20, "the store (\(bytes) bytes) holds under 1/20 of the texts (\(total) bytes)")
    }

    @Test func aDamagedTextIsReportedWithTheFixNeverReturnedWrong() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let store = try StateStore(path: dbPath)
            try store.apply(sharedParagraphArticles(200).map { .upsert($0) }, feedID: "F", lastSeq: 200)
        }
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            dbPath,
            "UPDATE article_body SET body = substr(body, 1, 12) || X'5A5A' || substr(body, 15) WHERE path = 'a7.txt'",
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        let store = try StateStore(path: dbPath, verify: false)
        #expect(try store.article(root: "/r", path: "a8.txt") != nil)
        #expect {
            _ = try store.article(root: "/r", path: "a7.txt")
        } throws: { error in
            "\(error)".contains(dbPath) && "\(error)".contains("rebuild it from the feed")
        }
    }
}
