import Foundation
import Testing

/// `redline diff OLD_DIR NEW_DIR`: two snapshots of an archive, one record per changed article.
@Suite struct TreeDiffCLITests {
    func write(_ dir: TempDir, _ name: String, _ text: String) throws {
        let url = dir.appending(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    @Test func pairsArticlesByPathAndMovesByContentAndClassifiesEachEdit() throws {
        let old = try TempDir("redline-old")
        let new = try TempDir("redline-new")
        let article = String(decoding: try Data(contentsOf: RedlineBinary.corpusArticle), as: UTF8.self)
        try write(old, "2025/a.txt", article)
        try write(new, "2025/a.txt", article.replacingOccurrences(of: "ویتکاوف و جرد", with: "ویتکاف و جرد"))
        try write(old, "2025/same.txt", "unchanged\n")
        try write(new, "2025/same.txt", "unchanged\n")
        try write(old, "2025/moved.txt", "moved intact\n")
        try write(new, "archive/moved.txt", "moved intact\n")
        try write(old, "2025/gone.txt", "deleted\n")
        try write(new, "2025/fresh.txt", "created\n")
        try write(new, "2025/notes.bin", "not an article by the default globs\n")
        let result = try runRedline(["diff", "--format", "json", old.path, new.path])
        #expect(result.status == 1, "\(result.stderr)")
        let records = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let summary = records.map { "\($0["type"]!) \($0["from_path"].map { "\($0) -> " } ?? "")\($0["path"]!)" }
        #expect(
            summary == [
                "modified 2025/a.txt", "created 2025/fresh.txt", "deleted 2025/gone.txt",
                "moved 2025/moved.txt -> archive/moved.txt",
            ])
        let modified = try #require(records.first)
        #expect(modified["significance"] as? String == "minor")
        #expect((modified["changes"] as? [[String: Any]])?.compactMap { $0["class"] as? String } == ["spelling"])
        #expect(records.map { $0["seq"] as? Int } == [1, 2, 3, 4])
        #expect(records.allSatisfy { ($0["crc"] as? String)?.count == 8 })
        // The text form: one readable line per record.
        let text = try runRedline(["diff", old.path, new.path])
        #expect(text.stdout.split(separator: "\n").count == 4)
        #expect(text.stdout.contains("moved  2025/moved.txt -> archive/moved.txt"))
    }

    @Test func theOldTreeIsTheArchiveAndArchiveNamesOneForTwoFiles() throws {
        let old = try TempDir("redline-old")
        let new = try TempDir("redline-new")
        for i in 0..<3 {
            try write(old, "n\(i).txt", "News from Kyiv, day \(i).\n")
            try write(new, "n\(i).txt", "News from Kyiv, day \(i).\n")
        }
        try write(old, "x.txt", "Troops left Kyv on Monday.\n")
        try write(new, "x.txt", "Troops left Kyiv on Monday.\n")
        func verdicts(_ output: String) -> [String] {
            output.split(separator: "\n").flatMap { line -> [String] in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return (object?["changes"] as? [[String: Any]] ?? []).map {
                    "\($0["class"] as? String ?? "?")/\($0["rule"] as? String ?? "-")"
                }
            }
        }
        // Three old articles write Kyiv, none Kyv: the fix is spelling, by the archive's evidence.
        let trees = try runRedline(["diff", "--format", "json", old.path, new.path])
        #expect(verdicts(trees.stdout) == ["spelling/archive_form"], "\(trees.stderr)")
        // The same two files alone: a 3-letter word is too short to call a typo.
        let files = ["diff", "--format", "json", old.appending("x.txt").path, new.appending("x.txt").path]
        #expect(verdicts(try runRedline(files).stdout) == ["wording/-"])
        #expect(verdicts(try runRedline(files + ["--archive", old.path]).stdout) == ["spelling/archive_form"])
        let missing = try runRedline(files + ["--archive", old.appending("nowhere").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nowhere: --archive needs a directory of articles"))
    }

    @Test func identicalTreesExitZeroAndAFileBesideADirectoryIsAnError() throws {
        let old = try TempDir("redline-old")
        let new = try TempDir("redline-new")
        try write(old, "a/b.txt", "same\n")
        try write(new, "a/b.txt", "same\n")
        let same = try runRedline(["diff", old.path, new.path])
        #expect(same.status == 0)
        #expect(same.stdout.isEmpty)
        let mixed = try runRedline(["diff", old.path, new.path + "/a/b.txt"])
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains(old.path))
        let bad = try runRedline(["diff", "--include", "[a-", old.path, new.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("not a valid glob"))
    }
}
