import Foundation

/// `GET /articles` and `GET /articles/{path}/history`: parsing and the JSON answers, over ``ArticleIndex``.
///
/// The article path in a URL is percent-decoded and then only looked up in the index; nothing here touches
/// the file system, so `..`, absolute paths and encoded slashes are just keys the index does not hold (404).
enum ArticlesRoutes {
    /// The parameters `/articles` accepts.
    static let parameters = ["prefix", "limit", "cursor"]
    /// Articles per page unless `limit` says otherwise, and the most a page may hold.
    static let defaultLimit = 100
    static let maxLimit = 1000

    /// Parsed `/articles` parameters.
    struct ListQuery: Equatable {
        var prefix = ""
        var limit = defaultLimit
        var cursor: String?
    }

    /// Parses `/articles`'s query pairs.
    /// - Throws: ``ServeError`` `.badRequest` naming the parameter.
    static func parseList(_ pairs: [(String, String)]) throws(ServeError) -> ListQuery {
        var query = ListQuery()
        for (key, value) in pairs {
            switch key {
            case "prefix": query.prefix = value
            case "cursor": query.cursor = value.isEmpty ? nil : value
            case "limit":
                guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value),
                    (1...maxLimit).contains(n)
                else {
                    throw ServeError(
                        .badRequest,
                        "limit: expected a whole number from 1 to \(maxLimit), got \"\(ChangesQuery.clip(value))\"")
                }
                query.limit = n
            default:
                throw ServeError(
                    .badRequest,
                    "unknown parameter \"\(ChangesQuery.clip(key))\"; /articles accepts \(parameters.joined(separator: ", "))"
                )
            }
        }
        return query
    }

    /// The article path of `/articles/{path}/history`, from the raw (percent-encoded) request path.
    /// - Throws: ``ServeError`` `.notFound` when the path is not of that shape, `.badRequest` when it is
    ///   not valid percent-encoded UTF-8.
    static func historyPath(_ rawPath: String) throws(ServeError) -> String {
        let head = "/articles/"
        let tail = "/history"
        guard rawPath.hasPrefix(head), rawPath.hasSuffix(tail), rawPath.count > head.count + tail.count else {
            throw ServeError(
                .notFound,
                "no such endpoint; serve answers /changes, /articles, /articles/{path}/history, /metrics and /healthz")
        }
        let encoded = String(rawPath.dropFirst(head.count).dropLast(tail.count))
        guard let path = encoded.removingPercentEncoding, !path.isEmpty else {
            throw ServeError(.badRequest, "the article path is not valid percent-encoded UTF-8")
        }
        return path
    }

    /// `{"articles":[...],"next_cursor":...}`; `next_cursor` is null on the last page.
    static func listJSON(_ articles: [ArticleIndex.Article], limit: Int) -> String {
        let rows = articles.map { a in
            "{\"path\":\(JSONText.quote(a.path)),\"root\":\(JSONText.quote(a.root)),\(fields(a.last))}"
        }
        let next = articles.count == limit ? articles.last.map { JSONText.quote($0.path) } ?? "null" : "null"
        return "{\"articles\":[" + rows.joined(separator: ",\n") + "],\"next_cursor\":\(next)}\n"
    }

    /// `{"path":...,"versions":[...]}`, oldest first.
    static func historyJSON(path: String, _ versions: [ArticleIndex.Version]) -> String {
        let rows = versions.map { "{\(fields($0))}" }
        return "{\"path\":\(JSONText.quote(path)),\"versions\":[" + rows.joined(separator: ",\n") + "]}\n"
    }

    private static func fields(_ v: ArticleIndex.Version) -> String {
        var out = "\"seq\":\(v.seq),\"time\":\(JSONText.quote(v.time)),\"type\":\(JSONText.quote(v.type))"
        out += ",\"significance\":" + (v.significance.map(JSONText.quote) ?? "null")
        out += ",\"classes\":[" + v.classes.map(JSONText.quote).joined(separator: ",") + "]"
        if let from = v.fromPath { out += ",\"from_path\":\(JSONText.quote(from))" }
        return out
    }
}
