import RedlineDiff
import Testing

@testable import RedlineServe

/// The article routes' parsing and the page and feed renderers, without a server.
@Suite struct ArticlePagesTests {
    @Test(arguments: [
        ("/articles/a.txt/history", "a.txt", ArticlesRoutes.Resource.history),
        ("/articles/politics/a.txt/versions/12", "politics/a.txt", .version(12)),
        ("/articles/politics%2Fa.txt/diff", "politics/a.txt", .diff),
        ("/articles/%D8%A7.txt/feed.atom", "ا.txt", .atom),
        ("/articles/versions/3/versions/4", "versions/3", .version(4)),
    ])
    func anArticleURLIsAPathKeyAndAResource(raw: String, path: String, resource: ArticlesRoutes.Resource) throws {
        let parsed = try ArticlesRoutes.articleRequest(raw)
        #expect(parsed.path == path)
        #expect(parsed.resource == resource)
    }

    @Test(arguments: [
        "/articles/a.txt", "/articles//history", "/articles/a.txt/versions/0", "/articles/a.txt/versions/-1",
        "/articles/a.txt/versions/99999999999999999999", "/articles/a.txt/versions/", "/articles/a.txt/history/x",
    ])
    func otherShapesAre404(raw: String) {
        #expect(throws: ServeError.self) { try ArticlesRoutes.articleRequest(raw) }
        #expect((try? ArticlesRoutes.articleRequest(raw)) == nil)
    }

    @Test func htmlIsForBrowsersAndFormatOverridesAccept() throws {
        #expect(try ArticlesRoutes.parseHistory([], accept: nil).html == false)
        #expect(try ArticlesRoutes.parseHistory([], accept: "*/*").html == false, "curl gets JSON")
        #expect(try ArticlesRoutes.parseHistory([], accept: "text/html,application/xhtml+xml;q=0.9").html)
        #expect(try ArticlesRoutes.parseHistory([("format", "json")], accept: "text/html").html == false)
        #expect(try ArticlesRoutes.parseHistory([], accept: "application/json, text/html;q=0.1").html == false)
        #expect(try ArticlesRoutes.parseHistory([], accept: "text/html;q=0").html == false)
        #expect(
            try ArticlesRoutes.parseHistory(
                [], accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
            )
            .html)
        #expect(try ArticlesRoutes.parseHistory([("format", "html"), ("hide", "cosmetic")], accept: nil).hideCosmetic)
        #expect(throws: ServeError.self) { try ArticlesRoutes.parseHistory([("page", "2")], accept: nil) }
    }

    @Test func diffNeedsTwoSeqs() throws {
        #expect(try ArticlesRoutes.parseDiff([("from", "3"), ("to", "1")]) == (3, 1))
        for pairs in [[("from", "1")], [("from", "1"), ("to", "0")], [("from", "1"), ("to", "+2")], [("x", "1")]] {
            #expect(throws: ServeError.self) { try ArticlesRoutes.parseDiff(pairs) }
        }
    }

    @Test func markupEscapesWhatCouldOpenATagAndDropsWhatXMLForbids() {
        #expect(Markup.escape("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
        #expect(Markup.escape("a\u{1}b\u{0B}\nc") == "a\u{FFFD}b\u{FFFD}\nc")
    }

    static func version(_ seq: UInt64, _ changes: [Change]) -> ArticleIndex.Version {
        ArticleIndex.Version(
            seq: seq, time: "2026-12-01T10:00:00.000Z", type: "modified", significance: "substantive",
            classes: Array(Set(changes.map(\.class.rawValue))).sorted(), fromPath: nil, root: "/srv", changes: changes)
    }

    @Test func aThousandVersionsAreOnePageOfAFewHundredBytesEach() {
        let edit = Change(class: .number, oldParagraph: 0, newParagraph: 0, oldText: "۱۲", newText: "۱۳")
        let versions = (1...1000).map { Self.version(UInt64($0), [edit]) }
        let page = HistoryPage.render(path: "a.txt", versions, hideCosmetic: false)
        #expect(page.components(separatedBy: "<li class=\"version").count - 1 == 1000)
        #expect(page.utf8.count < 1000 * 700, "light enough to load at once: \(page.utf8.count) bytes")
        #expect(!page.contains("<script"), "no script to run or fetch")
    }

    @Test func atomSummaryCountsTheEditsByClass() {
        let v = Self.version(
            3,
            [
                Change(class: .number, oldText: "۱۲", newText: "۱۳"),
                Change(class: .spelling, oldText: "کنترول", newText: "کنترل"),
                Change(class: .number, oldText: "۱", newText: "۲"),
            ])
        #expect(AtomFeed.summaryLine(v) == "substantive: spelling 1, number 2")
    }
}
