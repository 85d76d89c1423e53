import Foundation
import RedlineDiff

/// `GET /feed.atom` and `GET /articles/{path}/feed.atom`: the newest changes as Atom 1.0 (RFC 4287).
///
/// Each entry says what changed, not only that something did: its summary is the classified count
/// ("substantive: number 1, spelling 1") and its content the edits themselves, removed and inserted text
/// marked up as on the history page. Ids are strict and stable: the feed is `urn:uuid:<feed UUID>` (a
/// recreated feed is another feed to a reader), an entry is a tag URI (RFC 4151) minted on the day its record
/// was written, `tag:redline,<date>:<feed UUID>/<seq>`. Every date is the record's own RFC 3339 time.
enum AtomFeed {
    /// The most entries a feed may hold, and how many it holds unless `limit` says otherwise.
    static let maxLimit = 500
    static let defaultLimit = 50

    /// Parsed feed parameters.
    struct Query: Equatable {
        var minSignificance: Significance?
        var limit = defaultLimit
    }

    /// Parses `min_significance` and `limit`.
    /// - Throws: ``ServeError`` `.badRequest` naming the parameter.
    static func parse(_ pairs: [(String, String)]) throws(ServeError) -> Query {
        var query = Query()
        for (key, value) in pairs {
            switch key {
            case "min_significance":
                guard let s = Significance(rawValue: value) else {
                    throw ServeError(
                        .badRequest,
                        "min_significance: expected cosmetic, minor or substantive, got \"\(ChangesQuery.clip(value))\""
                    )
                }
                query.minSignificance = s
            case "limit":
                query.limit = try ChangesQuery.integer(value, name: "limit", range: 1...maxLimit)
            default:
                throw ServeError(
                    .badRequest,
                    "unknown parameter \"\(ChangesQuery.clip(key))\"; feed.atom accepts min_significance, limit")
            }
        }
        return query
    }

    /// One entry's facts: the version, its article, and for a created article the start of its text.
    struct Item {
        var path: String
        var version: ArticleIndex.Version
        var text: String?
    }

    /// The feed document.
    /// - Parameters:
    ///   - feedID: the feed's UUID.
    ///   - article: the article a per-article feed is about, and the time of its first version (nil: every
    ///     article).
    ///   - selfLink: the feed's own URL path and query, as requested.
    ///   - now: the time to give as `updated` when there are no entries.
    static func render(
        feedID: String, article: (path: String, since: String)?, items: [Item], selfLink: String, now: String
    ) -> String {
        let id: String
        let title: String
        if let (article, since) = article {
            // The day of the article's first version: the id stays the same as entries come and go.
            id = "tag:redline,\(day(since)):\(feedID)/articles/\(ArticlesRoutes.encodePath(article))"
            title = "Redline: changes to \(article)"
        } else {
            id = "urn:uuid:\(feedID)"
            title = "Redline: changes"
        }
        var out = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <id>\(Markup.escape(id))</id>
            <title>\(Markup.escape(title))</title>
            <updated>\(Markup.escape(items.first?.version.time ?? now))</updated>
            <author><name>redline</name></author>
            <generator>redline serve</generator>
            <link rel="self" type="application/atom+xml" href="\(Markup.escape(selfLink))"/>

            """
        for item in items { out += entry(feedID: feedID, item) }
        return out + "</feed>\n"
    }

    /// The current time in RFC 3339 UTC, the `updated` of a feed with no entries.
    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }

    private static func day(_ time: String) -> String { String(time.prefix(10)) }

    private static func entry(feedID: String, _ item: Item) -> String {
        let v = item.version
        let summary = summaryLine(v)
        let history = "/articles/\(ArticlesRoutes.encodePath(item.path))/history?format=html#v\(v.seq)"
        var out = "<entry>\n<id>tag:redline,\(day(v.time)):\(Markup.escape(feedID))/\(v.seq)</id>\n"
        out += "<title>\(Markup.escape(v.type + " " + item.path + (v.significance.map { " (\($0))" } ?? "")))</title>\n"
        out += "<updated>\(Markup.escape(v.time))</updated>\n"
        out += "<link rel=\"alternate\" type=\"text/html\" href=\"\(Markup.escape(history))\"/>\n"
        for c in v.classes { out += "<category term=\"\(Markup.escape(c))\"/>\n" }
        out += "<summary type=\"text\">\(Markup.escape(summary))</summary>\n"
        out += "<content type=\"html\">\(Markup.escape(content(item)))</content>\n"
        return out + "</entry>\n"
    }

    /// "substantive: number 1, spelling 1", or what the record is when it has no edits.
    static func summaryLine(_ v: ArticleIndex.Version) -> String {
        var counts: [ChangeClass: Int] = [:]
        for change in v.changes { counts[change.class, default: 0] += 1 }
        let parts = ChangeClass.allCases.compactMap { c in counts[c].map { "\(c.rawValue) \($0)" } }
        switch v.type {
        case "created": return "created" + (v.size.map { ", \($0) bytes" } ?? "")
        case "deleted": return "deleted"
        case "moved" where parts.isEmpty: return "moved from \(v.fromPath ?? "?")"
        default:
            let head = (v.type == "moved" ? "moved from \(v.fromPath ?? "?"), " : "") + (v.significance ?? v.type)
            return parts.isEmpty ? head : head + ": " + parts.joined(separator: ", ")
        }
    }

    /// The entry's HTML: the edits, or a created article's text.
    private static func content(_ item: Item) -> String {
        var html = "<p>\(Markup.escape(summaryLine(item.version)))</p>"
        if let text = item.text {
            html += "<pre dir=\"auto\">\(Markup.escape(text))</pre>"
        }
        if !item.version.changes.isEmpty {
            html += "<ul>" + item.version.changes.map(HistoryPage.edit).joined() + "</ul>"
        }
        return html
    }
}
