import Foundation
import Testing

/// `redline diff OLD NEW`: exit codes, one-line errors naming the file, and the JSON object.
@Suite struct DiffCLITests {
    func write(_ dir: TempDir, _ name: String, _ bytes: [UInt8]) -> String {
        let url = dir.appending(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url.path
    }

    @Test func identicalFilesExitZero() throws {
        let dir = try TempDir()
        let article = try Data(contentsOf: RedlineBinary.corpusArticle)
        let a = write(dir, "a.txt", Array(article))
        let b = write(dir, "b.txt", Array(article))
        let result = try runRedline(["diff", a, b])
        #expect(result.status == 0)
        #expect(result.stdout.contains("identical"))
        let json = try runRedline(["diff", "--format", "json", a, b])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(object["significance"] is NSNull)
        #expect((object["changes"] as! [Any]).isEmpty)
    }

    @Test func differentFilesExitOneWithClassifiedJSON() throws {
        let dir = try TempDir()
        let article = String(decoding: try Data(contentsOf: RedlineBinary.corpusArticle), as: UTF8.self)
        let edited = article.replacingOccurrences(of: "ویتکاوف و جرد", with: "ویتکاف و جرد")
            .replacingOccurrences(of: "بیش از ۳۰ متحد", with: "بیش از ۳۵ متحد")
        let a = write(dir, "old.txt", Array(article.utf8))
        let b = write(dir, "new.txt", Array(edited.utf8))
        let result = try runRedline(["diff", "--format", "json", a, b])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["significance", "summary", "changes", "patch"])
        #expect(object["significance"] as? String == "substantive")
        let classes = (object["changes"] as! [[String: Any]]).compactMap { $0["class"] as? String }
        #expect(classes == ["spelling", "number"])
        let changes = object["changes"] as! [[String: Any]]
        #expect(changes[0]["old_text"] as? String == "ویتکاوف")
        #expect(changes[0]["new_text"] as? String == "ویتکاف")
        // The summary counts what the changes say.
        let summary = object["summary"] as! [String: Any]
        #expect(summary["spelling"] as? Int == 1 && summary["number"] as? Int == 1)
    }

    @Test func wordListsAreChosenOnTheCommandLine() throws {
        let dir = try TempDir()
        let a = write(dir, "old.txt", Array("an immortal deed\n".utf8))
        let b = write(dir, "new.txt", Array("an immoral deed\n".utf8))
        func verdict(_ extra: [String]) throws -> String {
            let result = try runRedline(["diff", "--format", "json", a, b] + extra)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let change = (object?["changes"] as? [[String: Any]])?.first
            return "\(change?["class"] as? String ?? "?")/\(change?["rule"] as? String ?? "-")"
        }
        // Both are words of the default English list: a real-word change.
        #expect(try verdict([]) == "wording/real_words")
        // Without word lists, one letter apart on 8 letters is the distance rules' spelling.
        #expect(try verdict(["--no-word-lists"]) == "spelling/-")
        let list = write(dir, "words.txt", Array("an\ndeed\n".utf8))
        // A list of English that knows neither word: two unknown words, one letter apart.
        #expect(try verdict(["--word-list", list]) == "spelling/unknown_words")
    }

    @Test func textOutputLabelsEachChangeWithoutColourWhenPiped() throws {
        let dir = try TempDir()
        let a = write(dir, "a.txt", Array("Shares rose on Monday.\n\nPrices “held”.\n".utf8))
        let b = write(dir, "b.txt", Array("Shares fell on Monday.\n\nPrices \"held\".\n".utf8))
        let result = try runRedline(["diff", a, b])
        #expect(result.status == 1)
        #expect(result.stdout.contains("wording"))
        #expect(result.stdout.contains("punctuation"))
        #expect(result.stdout.contains("rose"))
        #expect(!result.stdout.contains("\u{1B}["))
    }

    @Test func invalidUTF8ExitsTwoNamingFileAndOffset() throws {
        let dir = try TempDir()
        let a = write(dir, "good.txt", Array("hello\n".utf8))
        let b = write(dir, "bad.txt", Array("héllo ".utf8) + [0xFF, 0x41])
        let result = try runRedline(["diff", a, b])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.contains("bad.txt"))
        #expect(result.stderr.contains("byte 7"))
        #expect(result.stdout.isEmpty)
    }

    @Test func missingFileExitsTwoNamingIt() throws {
        let dir = try TempDir()
        let a = write(dir, "a.txt", Array("x\n".utf8))
        let missing = dir.appending("nope.txt").path
        let result = try runRedline(["diff", a, missing])
        #expect(result.status == 2)
        #expect(result.stderr.contains("nope.txt"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func nulByteExitsTwo() throws {
        let dir = try TempDir()
        let a = write(dir, "a.txt", Array("x\n".utf8))
        let b = write(dir, "b.bin", [0x61, 0x00, 0x62])
        let result = try runRedline(["diff", a, b])
        #expect(result.status == 2)
        #expect(result.stderr.contains("b.bin"))
        #expect(result.stderr.contains("byte 1"))
    }
}
