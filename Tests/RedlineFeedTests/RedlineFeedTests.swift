import Foundation
import RedlineDiff
import Testing

@testable import RedlineFeed

@Suite struct WriterReaderTests {
    @Test func appendedRecordsReadBackInOrderWithEnvelope() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        let out = try w.append([created("a.txt", "سلام\n\nدنیا"), created("b.txt", "x")])
        #expect(out.map(\.seq) == [1, 2])
        #expect(out[0].id == "\(w.feedID):1")
        #expect(out[0].time == "2026-11-18T11:06:40.123Z")
        _ = try w.append([modified("a.txt", "سلام\n\nدنیا", "سلام\n\nدنیای ما")])
        try w.close()
        let records = try FeedReader(directory: feed.path).records(since: 1)
        #expect(records.map(\.seq) == [1, 2, 3])
        #expect(records.map(\.type) == [.created, .created, .modified])
        #expect(records[0].content == "سلام\n\nدنیا")
        #expect(records[2].patch != nil)
        #expect(Set(records.map(\.feed)) == [w.feedID])
        #expect(try FeedReader(directory: feed.path).records(since: 3).map(\.seq) == [3])
    }

    @Test func historyRebuildsEveryVersion() throws {
        let feed = TempFeed()
        let w = try writer(feed)
        let v1 = "ترمپ گفت.\n\nکنترول"
        let v2 = "ترامپ گفت.\n\nکنترل"
        _ = try w.append([created("a.txt", v1)])
        _ = try w.append([modified("a.txt", v1, v2)])
        _ = try w.append([moved("a.txt", "b.txt", v2, v2 + "\n\nتازه")])
        try w.close()
        var history = ArticleHistory()
        for r in try FeedReader(directory: feed.path).records(since: 1) { try history.apply(r) }
        #expect(history.articles[ArticleKey(root: "/srv/news", path: "b.txt")]?.text == v2 + "\n\nتازه")
        #expect(history.articles[ArticleKey(root: "/srv/news", path: "a.txt")] == nil)
    }
}
