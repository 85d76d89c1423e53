import Foundation
import Testing

/// The history page of a real Persian article as a real browser renders it: headless Chromium (Debian
/// `chromium`) against a running `redline serve`.
@Suite struct ServeChromiumTests {
    static let chromium = "/usr/bin/chromium"

    /// `chromium --headless` with `arguments`, in a profile of its own (CI runs as root: no sandbox there).
    static func chromium(_ arguments: [String]) throws -> ProcessResult {
        let profile = try TempDir("redline-chromium")
        return try runProcess(
            URL(fileURLWithPath: chromium),
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)"]
                + arguments)
    }

    /// Where the screenshot is kept for a person to look at: `.build/test-output/ServeChromiumTests/`.
    static let output = RedlineBinary.packageRoot.appendingPathComponent(".build/test-output/ServeChromiumTests")

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: chromium),
            "needs Chromium (Debian chromium; make test-deps installs it)"))
    func chromiumRendersEveryVersionWithItsEditsInLogicalOrder() throws {
        let feed = try ScriptedFeed()
        var text = try String(contentsOf: RedlineBinary.corpusArticle, encoding: .utf8)
        try feed.create("world/witkoff.txt", text)  // 1
        text = text.replacingOccurrences(of: "ویتکاوف و جرد", with: "ویتکاف و جرد")
        try feed.edit("world/witkoff.txt", text)  // 2: a spelling fix
        text = text.replacingOccurrences(of: "بیش از ۳۰ متحد", with: "بیش از ۳۵ متحد")
        try feed.edit("world/witkoff.txt", text)  // 3: a number
        text += "\n\nبند تازه: Witkoff روز ۲ ژانویه ۲۰۲۶ به Paris بازگشت.\n"
        try feed.edit("world/witkoff.txt", text)  // 4: a paragraph added, Persian with Latin and digits
        text = text.replacingOccurrences(of: "حمایت قوی واشنگتن", with: "حمایت قوی  واشنگتن")
        try feed.edit("world/witkoff.txt", text)  // 5: whitespace only (cosmetic)
        let index = try TempDir("redline-serve-index")
        let serve = try RunningServe(["--data-dir", feed.dir.path, "--index-dir", index.path])
        #expect(eventually { (try? serve.get("/articles").status) == 200 })
        let url = "http://127.0.0.1:\(serve.port)/articles/world/witkoff.txt/history?format=html"

        let dump = try Self.chromium(["--dump-dom", url])
        #expect(dump.status == 0, "\(dump.stderr)")
        let dom = dump.stdout
        for seq in 1...5 { #expect(dom.contains("id=\"v\(seq)\""), "version \(seq) is listed") }
        let spelling = dom.range(of: "<del class=\"c-spelling\" dir=\"auto\">ویتکاوف</del>")
        let spellingFix = dom.range(of: "<ins class=\"c-spelling\" dir=\"auto\">ویتکاف</ins>")
        #expect(spelling != nil && spellingFix != nil, "\(dom)")
        if let spelling, let spellingFix {
            #expect(spelling.upperBound <= spellingFix.lowerBound, "removed, then inserted")
        }
        #expect(dom.contains("<del class=\"c-number\" dir=\"auto\">۳۰</del>"))
        #expect(dom.contains("<ins class=\"c-number\" dir=\"auto\">۳۵</ins>"))
        #expect(
            dom.contains(
                "<ins class=\"c-paragraph_added\" dir=\"auto\">بند تازه: Witkoff روز ۲ ژانویه ۲۰۲۶ به Paris بازگشت.</ins>"
            ),
            "the added paragraph in logical order, Latin and digits where they were typed")
        // Newest first: the paragraph (v4) above the number (v3) above the spelling fix (v2).
        if let p = dom.range(of: "id=\"v4\""), let n = dom.range(of: "id=\"v3\""), let s = dom.range(of: "id=\"v2\"") {
            #expect(p.lowerBound < n.lowerBound && n.lowerBound < s.lowerBound)
        }
        #expect(dom.contains("<bdi dir=\"auto\" class=\"path\">world/witkoff.txt</bdi>"))
        #expect(dom.contains("id=\"hide-cosmetic\""), "the switch that hides cosmetic edits")
        #expect(dom.contains("edit c-whitespace cosmetic"), "cosmetic edits are shown until the switch is on")

        let hidden = try Self.chromium(["--dump-dom", url + "&hide=cosmetic"])
        #expect(hidden.stdout.contains("id=\"v5\""), "the cosmetic version is still listed")
        #expect(!hidden.stdout.contains("c-whitespace cosmetic"), "but its edit is hidden")
        #expect(hidden.stdout.contains("<ins class=\"c-number\" dir=\"auto\">۳۵</ins>"))

        try FileManager.default.createDirectory(at: Self.output, withIntermediateDirectories: true)
        let png = Self.output.appendingPathComponent("history.png")
        try? FileManager.default.removeItem(at: png)
        let shot = try Self.chromium(["--screenshot=\(png.path)", "--window-size=1200,1600", url])
        #expect(shot.status == 0, "\(shot.stderr)")
        let bytes = (try? Data(contentsOf: png)) ?? Data()
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG a person can look at: \(png.path)")
    }
}
