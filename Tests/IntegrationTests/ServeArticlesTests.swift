import Foundation
import RedlineFeed
import Testing

/// `/articles` and `/articles/{path}/history` over serve's own index, against a real feed.
@Suite struct ServeArticlesTests {
    private let text = "ترمپ گفت که کنترول مرزها اولویت است.\n\nاین خبر ۱۲ بار تکرار شد."

    private func json(_ reply: HTTPReply) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any]) ?? [:]
    }

    private func paths(_ reply: HTTPReply) -> [String] {
        (json(reply)["articles"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    }

    private func scripted() throws -> ScriptedFeed {
        let feed = try ScriptedFeed()
        try feed.create("politics/a.txt", text)  // 1
        try feed.edit("politics/a.txt", text.replacingOccurrences(of: "کنترول", with: "کنترل"))  // 2
        try feed.edit(
            "politics/a.txt",
            text.replacingOccurrences(of: "کنترول", with: "کنترل").replacingOccurrences(of: "۱۲", with: "۱۳"))  // 3
        try feed.create("sport/b.txt", "گل")  // 4
        try feed.move("sport/b.txt", "archive/b.txt")  // 5
        try feed.create("world/ایران.txt", "خبر")  // 6
        try feed.create("gone.txt", "x")  // 7
        try feed.delete("gone.txt")  // 8
        return feed
    }

    @Test func articlesListsCurrentArticlesWithTheirLastChangeAndPages() throws {
        let feed = try scripted()
        let index = try TempDir("redline-serve-index")
        let serve = try RunningServe(["--data-dir", feed.dir.path, "--index-dir", index.path])
        var all: HTTPReply!
        #expect(
            eventually {
                all = try? serve.get("/articles"); return all?.status == 200
            }, "\(all?.body ?? "")")
        #expect(paths(all) == ["archive/b.txt", "politics/a.txt", "world/ایران.txt"])
        let politics = (json(all)["articles"] as? [[String: Any]])?.first { $0["path"] as? String == "politics/a.txt" }
        #expect((politics?["seq"] as? NSNumber)?.intValue == 3)
        #expect(politics?["significance"] as? String == "substantive")
        #expect(politics?["classes"] as? [String] == ["number"])
        #expect(politics?["type"] as? String == "modified")
        #expect(paths(try serve.get("/articles?prefix=politics/")) == ["politics/a.txt"])
        #expect(
            paths(
                try serve.get(
                    "/articles?prefix=" + "world/ایران".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)
            ) == ["world/ایران.txt"])
        #expect(paths(try serve.get("/articles?prefix=%25")) == [], "a prefix is literal, not a LIKE pattern")
        // Pages of one: each article exactly once, then no cursor.
        var seen: [String] = []
        var cursor: String? = ""
        while let c = cursor {
            let page = try serve.get(
                "/articles?limit=1&cursor=" + c.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            seen += paths(page)
            cursor = json(page)["next_cursor"] as? String
        }
        #expect(seen == ["archive/b.txt", "politics/a.txt", "world/ایران.txt"])
        // A live record reaches the index.
        try feed.create("politics/c.txt", "تازه")
        #expect(
            eventually {
                (try? paths(serve.get("/articles?prefix=politics/"))) == ["politics/a.txt", "politics/c.txt"]
            })
    }

    @Test func historyListsEveryVersionAndTraversalIsJustAnUnknownKey() throws {
        let feed = try scripted()
        let index = try TempDir("redline-serve-index")
        let serve = try RunningServe(["--data-dir", feed.dir.path, "--index-dir", index.path])
        #expect(eventually { (try? serve.get("/articles").status) == 200 })
        let history = try serve.get("/articles/politics/a.txt/history")
        #expect(history.status == 200, "\(history.body)")
        let versions = json(history)["versions"] as? [[String: Any]] ?? []
        #expect(versions.compactMap { ($0["seq"] as? NSNumber)?.intValue } == [1, 2, 3])
        #expect(versions.map { $0["type"] as? String } == ["created", "modified", "modified"])
        #expect(versions.last?["classes"] as? [String] == ["number"])
        #expect(
            try serve.get("/articles/politics%2Fa.txt/history").body == history.body, "an encoded slash is the same key"
        )
        let persian = try serve.get(
            "/articles/" + "world/ایران.txt".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)! + "/history"
        )
        #expect(persian.status == 200 && persian.body.contains("\"path\":\"world/ایران.txt\""), "\(persian.body)")
        let moved = try serve.get("/articles/archive/b.txt/history")
        #expect((json(moved)["versions"] as? [[String: Any]])?.first?["from_path"] as? String == "sport/b.txt")
        for target in [
            "/articles/../../etc/passwd/history", "/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd/history",
            "/articles//etc/passwd/history", "/articles/%2Fetc%2Fpasswd/history", "/articles/nope.txt/history",
            "/articles/politics/a.txt", "/articles/politics/a.txt/history/x",
        ] {
            let reply = try serve.get(target)
            #expect(reply.status == 404, "\(target): \(reply.body)")
            #expect(!reply.body.contains("root:"))
            #expect(reply.body.split(separator: "\n").count == 1)
        }
        #expect(try serve.get("/articles/%ff/history").status == 400)
        #expect(try serve.get("/articles?limit=0").status == 400)
        #expect(try serve.get("/articles?sort=path").status == 400)
    }

    @Test func aRestartCatchesTheIndexUpFromItsLastSeq() throws {
        let feed = try scripted()
        let index = try TempDir("redline-serve-index")
        do {
            let first = try RunningServe(["--data-dir", feed.dir.path, "--index-dir", index.path])
            #expect(eventually { first.process.stderr.contains("article index caught up") }, "\(first.process.stderr)")
            #expect(first.process.stderr.contains("index.from=0"))
            first.process.signal(SIGTERM)
            #expect(first.process.waitForExit() == 0)
        }
        try feed.create("later.txt", "بعد")  // 9
        let second = try RunningServe(["--data-dir", feed.dir.path, "--index-dir", index.path])
        #expect(eventually { second.process.stderr.contains("article index caught up") }, "\(second.process.stderr)")
        #expect(second.process.stderr.contains("index.from=8"), "only the record written while it was down is read")
        #expect(paths(try second.get("/articles?prefix=later")) == ["later.txt"])
    }

    @Test func withoutAnIndexArticlesSaysHowToTurnItOn() throws {
        let feed = try scripted()
        let serve = try RunningServe(["--data-dir", feed.dir.path])
        let reply = try serve.get("/articles")
        #expect(reply.status == 404)
        #expect(reply.body.contains("--index-dir"))
    }
}
