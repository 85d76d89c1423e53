import Foundation
import RedlineFeed
import Testing

/// An article's history page, its versions' texts, diffs between versions and the Atom feeds, over real HTTP
/// against a real feed.
@Suite struct ServeArticlePagesTests {
    static let base = "ترمپ گفت که کنترول مرزها اولویت است.\n\nاین خبر ۱۲ بار تکرار شد."

    /// The versions of `politics/a.txt`, by seq, and the feed that wrote them.
    struct Scripted {
        var feed: ScriptedFeed
        var texts: [UInt64: String]
        /// serve's own index directory, alive as long as the feed.
        var index: TempDir
    }

    static func scripted() throws -> Scripted {
        let feed = try ScriptedFeed()
        var texts: [UInt64: String] = [:]
        var text = base
        texts[try feed.create("politics/a.txt", text)] = text  // 1
        text = text.replacingOccurrences(of: "کنترول", with: "کنترل")
        texts[try feed.edit("politics/a.txt", text)] = text  // 2: spelling
        text = text.replacingOccurrences(of: "۱۲", with: "۱۳")
        texts[try feed.edit("politics/a.txt", text)] = text  // 3: number
        text = text.replacingOccurrences(of: "است.", with: "است .")
        texts[try feed.edit("politics/a.txt", text)] = text  // 4: whitespace (cosmetic)
        text += "\n\nیک بند تازه با <b>markup</b> & \"quotes\"."
        texts[try feed.edit("politics/a.txt", text)] = text  // 5: paragraph added
        try feed.create("sport/b.txt", "گل")  // 6
        texts[try feed.move("sport/b.txt", "archive/b.txt", editedTo: "دو گل")] = "دو گل"  // 7
        try feed.delete("politics/a.txt")  // 8
        return Scripted(feed: feed, texts: texts, index: try TempDir("redline-serve-index"))
    }

    static func start(_ s: Scripted) throws -> RunningServe {
        let serve = try RunningServe(["--data-dir", s.feed.dir.path, "--index-dir", s.index.path])
        #expect(eventually { (try? serve.get("/articles").status) == 200 })
        return serve
    }

    private func json(_ body: String) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]) ?? [:]
    }

    @Test func historyIsAnHTMLPageForBrowsersWithEveryVersionAndItsEditsInline() throws {
        let s = try Self.scripted()
        let serve = try Self.start(s)
        let page = try serve.get("/articles/politics/a.txt/history", headers: ["Accept": "text/html,*/*;q=0.8"])
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        for seq in 1...5 { #expect(page.body.contains("id=\"v\(seq)\""), "version \(seq) is listed") }
        #expect(page.body.contains("id=\"v8\""), "the deletion is listed too")
        #expect(page.body.contains("href=\"versions/3\""), "each version links to its text")
        #expect(!page.body.contains("href=\"versions/8\""), "a deletion has no text to link to")
        #expect(page.body.contains("<del class=\"c-spelling\" dir=\"auto\">کنترول</del>"), "\(page.body)")
        #expect(page.body.contains("<ins class=\"c-spelling\" dir=\"auto\">کنترل</ins>"))
        #expect(page.body.contains("<del class=\"c-number\" dir=\"auto\">۱۲</del>"))
        #expect(page.body.contains("<ins class=\"c-number\" dir=\"auto\">۱۳</ins>"))
        #expect(page.body.contains("&lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;"), "article text is escaped")
        #expect(!page.body.contains("<b>markup"))
        #expect(page.body.contains("<bdi dir=\"auto\" class=\"path\">politics/a.txt</bdi>"))
        #expect(page.body.contains("id=\"hide-cosmetic\""), "the switch is there")
        #expect(page.body.contains("edit c-whitespace cosmetic"), "cosmetic edits are shown by default")
        // Tools still get JSON by default, and ?format= overrides Accept both ways.
        let tool = try serve.get("/articles/politics/a.txt/history")
        #expect(tool.headers["content-type"] == "application/json")
        #expect((json(tool.body)["versions"] as? [Any])?.count == 6)
        #expect(try serve.get("/articles/politics/a.txt/history?format=html").body == page.body)
        #expect(
            try serve.get("/articles/politics/a.txt/history?format=json", headers: ["Accept": "text/html"]).body
                == tool.body)
        let hidden = try serve.get("/articles/politics/a.txt/history?format=html&hide=cosmetic").body
        #expect(!hidden.contains("c-whitespace cosmetic"), "hide=cosmetic leaves cosmetic edits out")
        #expect(hidden.contains("id=\"v4\""), "the version itself stays listed")
        #expect(hidden.contains("1 cosmetic edit hidden"))
        #expect(hidden.contains(" checked"))
        #expect(hidden.contains("<ins class=\"c-number\" dir=\"auto\">۱۳</ins>"))
        #expect(try serve.get("/articles/politics/a.txt/history?format=xml").status == 400)
        #expect(try serve.get("/articles/politics/a.txt/history?hide=all").status == 400)
    }

    @Test func everyVersionsTextIsRebuiltFromTheFeedAndUnknownOnesAre404() throws {
        let s = try Self.scripted()
        let serve = try Self.start(s)
        for (seq, text) in s.texts where seq != 7 {
            let reply = try serve.get("/articles/politics/a.txt/versions/\(seq)")
            #expect(reply.status == 200, "seq \(seq): \(reply.body)")
            #expect(reply.headers["content-type"] == "text/plain; charset=utf-8")
            #expect(reply.body == text, "seq \(seq)")
        }
        #expect(try serve.get("/articles/archive/b.txt/versions/7").body == "دو گل", "a move continues its history")
        #expect(try serve.get("/articles/sport/b.txt/versions/6").body == "گل")
        for target in [
            "/articles/politics/a.txt/versions/8", "/articles/politics/a.txt/versions/6",
            "/articles/politics/a.txt/versions/99", "/articles/nope.txt/versions/1",
            "/articles/politics/a.txt/versions/x", "/articles/../feed/changes.jsonl/versions/1",
        ] {
            let reply = try serve.get(target)
            #expect(reply.status == 404, "\(target): \(reply.body)")
            #expect(json(reply.body)["error"] as? String == "not_found", "\(target): \(reply.body)")
            #expect(json(reply.body)["reason"] is String)
        }
    }

    @Test func aVersionPastRetentionIsRebuiltFromTheSnapshot() throws {
        let feed = try ScriptedFeed(options: FeedOptions(fsync: .always, segmentBytes: 1500, retainSegments: 1))
        var text = Self.base
        try feed.create("a.txt", text)
        var last: UInt64 = 0
        for i in 1...12 {
            text += "\n\nبند \(i)"
            last = try feed.edit("a.txt", text)
        }
        #expect(!FileManager.default.fileExists(atPath: feed.path + "/changes.00000000000000000001.jsonl"))
        let first = try #require(try FeedReader(directory: feed.path).cursor(since: 1, strict: false).next()?.seq)
        #expect(first > 1, "retention deleted the record that created the article")
        let index = try TempDir("redline-serve-index")
        let serve = try RunningServe(["--data-dir", feed.dir.path, "--index-dir", index.path])
        #expect(eventually { (try? serve.get("/articles").status) == 200 })
        let reply = try serve.get("/articles/a.txt/versions/\(last)")
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.body == text)
        #expect(try serve.get("/articles/a.txt/versions/1").status == 404, "not in the index any more")
    }

    @Test func diffBetweenAnyTwoVersionsIsClassifiedByTheEngine() throws {
        let s = try Self.scripted()
        let serve = try Self.start(s)
        let reply = try serve.get("/articles/politics/a.txt/diff?from=1&to=3")
        #expect(reply.status == 200, "\(reply.body)")
        let body = json(reply.body)
        #expect((body["from"] as? NSNumber)?.intValue == 1 && (body["to"] as? NSNumber)?.intValue == 3)
        let diff = body["diff"] as? [String: Any] ?? [:]
        let changes = diff["changes"] as? [[String: Any]] ?? []
        #expect(Set(changes.compactMap { $0["class"] as? String }) == ["spelling", "number"], "\(reply.body)")
        #expect(changes.contains { $0["old_text"] as? String == "۱۲" && $0["new_text"] as? String == "۱۳" })
        #expect(diff["significance"] as? String == "substantive")
        let back = json(try serve.get("/articles/politics/a.txt/diff?from=5&to=1").body)["diff"] as? [String: Any]
        #expect(
            (back?["changes"] as? [[String: Any]] ?? []).contains { $0["class"] as? String == "paragraph_removed" },
            "any two versions, either way")
        #expect(try serve.get("/articles/politics/a.txt/diff?from=1").status == 400)
        #expect(try serve.get("/articles/politics/a.txt/diff?from=1&to=x").status == 400)
        #expect(try serve.get("/articles/politics/a.txt/diff?from=1&to=99").status == 404)
    }

    /// Runs Python's feedparser over an Atom document and returns what it made of it, as JSON.
    static func feedparser(_ xml: String) throws -> [String: Any] {
        let script = """
            import json, sys, feedparser
            d = feedparser.parse(sys.stdin.buffer.read())
            print(json.dumps({
                "bozo": d.bozo, "exception": str(d.get("bozo_exception", "")), "version": d.version,
                "id": d.feed.get("id"), "updated": bool(d.feed.get("updated_parsed")),
                "entries": [{"id": e.get("id"), "title": e.get("title"), "summary": e.get("summary"),
                             "content": e.content[0].value if e.get("content") else None,
                             "updated": bool(e.get("updated_parsed")), "link": e.get("link")}
                            for e in d.entries]}))
            """
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script], stdin: xml)
        #expect(result.status == 0, "\(result.stderr)")
        return ((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]) ?? [:]
    }

    @Test(
        .enabled(
            if: (try? runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", "import feedparser"]))?.status == 0,
            "needs Python's feedparser (Debian python3-feedparser; make test-deps installs it)"))
    func atomFeedsAreValidForFeedparserAndCarryTheEdits() throws {
        let s = try Self.scripted()
        let serve = try Self.start(s)
        let all = try serve.get("/feed.atom")
        #expect(all.status == 200)
        #expect(all.headers["content-type"] == "application/atom+xml; charset=utf-8")
        let parsed = try Self.feedparser(all.body)
        #expect(parsed["bozo"] as? Int == 0, "\(parsed["exception"] ?? "")\n\(all.body)")
        #expect(parsed["version"] as? String == "atom10")
        let feedID = try FeedReader(directory: s.feed.path).feedID() ?? ""
        #expect(parsed["id"] as? String == "urn:uuid:\(feedID)")
        let entries = parsed["entries"] as? [[String: Any]] ?? []
        #expect(entries.count == 8, "every article change, newest first")
        #expect(entries.allSatisfy { $0["updated"] as? Bool == true })
        let ids = entries.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == 8 && ids.allSatisfy { $0.hasPrefix("tag:redline,") && $0.contains(feedID) })
        let number = entries.first { ($0["id"] as? String)?.hasSuffix("/3") == true }
        #expect((number?["summary"] as? String)?.contains("number 1") == true, "\(number ?? [:])")
        #expect((number?["content"] as? String)?.contains("۱۲") == true, "the changed text, not just that it changed")
        #expect((number?["content"] as? String)?.contains("۱۳") == true)
        let created = entries.first { ($0["id"] as? String)?.hasSuffix("/1") == true }
        #expect((created?["content"] as? String)?.contains("کنترول مرزها") == true, "a new article's text")

        let substantive = try Self.feedparser(try serve.get("/feed.atom?min_significance=substantive").body)
        let kept = (substantive["entries"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(!kept.contains { $0.hasSuffix("/2") || $0.hasSuffix("/4") }, "minor and cosmetic edits left out")
        #expect(kept.contains { $0.hasSuffix("/3") } && kept.contains { $0.hasSuffix("/5") })

        let one = try serve.get("/articles/archive/b.txt/feed.atom")
        let article = try Self.feedparser(one.body)
        #expect(article["bozo"] as? Int == 0, "\(article["exception"] ?? "")\n\(one.body)")
        #expect((article["entries"] as? [[String: Any]])?.count == 1)
        #expect((article["id"] as? String)?.hasPrefix("tag:redline,") == true)
        #expect(try serve.get("/feed.atom?min_significance=huge").status == 400)
        #expect(try serve.get("/articles/nope.txt/feed.atom").status == 404)
    }
}
