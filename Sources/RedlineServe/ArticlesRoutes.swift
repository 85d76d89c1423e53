import Foundation
import RedlineDiff

/// `GET /articles` and `GET /articles/{path}/...`: parsing and the JSON answers, over ``ArticleIndex``.
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
                query.limit = try ChangesQuery.integer(value, name: "limit", range: 1...maxLimit)
            default:
                throw ServeError(
                    .badRequest,
                    "unknown parameter \"\(ChangesQuery.clip(key))\"; /articles accepts \(parameters.joined(separator: ", "))"
                )
            }
        }
        return query
    }

    /// What a request under `/articles/{path}/` asks for.
    enum Resource: Equatable {
        /// `/history`: every version.
        case history
        /// `/versions/{seq}`: the text of one version.
        case version(UInt64)
        /// `/diff`: the classified diff between two versions.
        case diff
        /// `/feed.atom`: the article's changes as Atom.
        case atom
    }

    /// The endpoints serve answers, for the 404 of a path it does not know.
    static let endpoints =
        "no such endpoint; serve answers /changes, /articles, /articles/{path}/history, /articles/{path}/versions/{seq}, "
        + "/articles/{path}/diff, /articles/{path}/feed.atom, /feed.atom, /metrics and /healthz"

    /// The article path and the resource of `/articles/{path}/...`, from the raw (percent-encoded) request path.
    /// - Throws: ``ServeError`` `.notFound` when the path is not of that shape, `.badRequest` when it is
    ///   not valid percent-encoded UTF-8.
    static func articleRequest(_ rawPath: String) throws(ServeError) -> (path: String, resource: Resource) {
        let head = "/articles/"
        guard rawPath.hasPrefix(head) else { throw ServeError(.notFound, endpoints) }
        let rest = rawPath.dropFirst(head.count)
        var encoded: Substring
        let resource: Resource
        if rest.hasSuffix("/history") {
            encoded = rest.dropLast("/history".count)
            resource = .history
        } else if rest.hasSuffix("/diff") {
            encoded = rest.dropLast("/diff".count)
            resource = .diff
        } else if rest.hasSuffix("/feed.atom") {
            encoded = rest.dropLast("/feed.atom".count)
            resource = .atom
        } else if let slash = rest.lastIndex(of: "/"), rest[..<slash].hasSuffix("/versions") {
            let digits = rest[rest.index(after: slash)...]
            guard !digits.isEmpty, digits.count <= 19, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let seq = UInt64(digits), seq > 0
            else {
                throw ServeError(.notFound, "/articles/{path}/versions/{seq}: seq is a whole number from 1")
            }
            encoded = rest[..<slash].dropLast("/versions".count)
            resource = .version(seq)
        } else {
            throw ServeError(.notFound, endpoints)
        }
        guard !encoded.isEmpty else { throw ServeError(.notFound, endpoints) }
        guard let path = String(encoded).removingPercentEncoding, !path.isEmpty else {
            throw ServeError(.badRequest, "the article path is not valid percent-encoded UTF-8")
        }
        return (path, resource)
    }

    /// The article path percent-encoded for a URL path: `/` stays, everything else outside unreserved is encoded.
    static func encodePath(_ path: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(0x80)))
        allowed.insert(charactersIn: "-._~/")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    /// Parsed `/articles/{path}/history` parameters.
    struct HistoryQuery: Equatable {
        /// HTML rather than JSON (`format=html`, or a browser's `Accept`).
        var html: Bool
        /// Leave cosmetic edits out (`hide=cosmetic`; the page's switch).
        var hideCosmetic = false
    }

    /// Parses `/articles/{path}/history`'s query pairs and `Accept` header: `format=json|html` wins over
    /// `Accept`, which picks HTML only when it ranks `text/html` first (a browser), so tools get JSON by default.
    /// - Throws: ``ServeError`` `.badRequest` naming the parameter.
    static func parseHistory(_ pairs: [(String, String)], accept: String?) throws(ServeError) -> HistoryQuery {
        var query = HistoryQuery(html: accept.map(prefersHTML) ?? false)
        for (key, value) in pairs {
            switch key {
            case "format":
                switch value {
                case "html": query.html = true
                case "json": query.html = false
                default:
                    throw ServeError(.badRequest, "format: expected html or json, got \"\(ChangesQuery.clip(value))\"")
                }
            case "hide":
                switch value {
                case "cosmetic": query.hideCosmetic = true
                case "": query.hideCosmetic = false
                default: throw ServeError(.badRequest, "hide: expected cosmetic, got \"\(ChangesQuery.clip(value))\"")
                }
            default:
                throw ServeError(
                    .badRequest,
                    "unknown parameter \"\(ChangesQuery.clip(key))\"; /articles/{path}/history accepts format, hide")
            }
        }
        return query
    }

    /// Whether an `Accept` header ranks `text/html` above JSON: a browser's `text/html,...,*/*;q=0.8` does,
    /// curl's `*/*` does not (HTML only when asked for by name), nor `application/json, text/html;q=0.1`.
    static func prefersHTML(_ accept: String) -> Bool {
        var html = 0.0
        var json = 0.0
        for item in accept.lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let type = parts.first else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            switch type {
            case "text/html", "application/xhtml+xml": html = max(html, q)
            case "application/json", "application/*", "*/*": json = max(json, q)
            default: break
            }
        }
        return html > 0 && html >= json
    }

    /// Parses `/articles/{path}/diff`'s `from` and `to` (both required seqs).
    /// - Throws: ``ServeError`` `.badRequest` naming the parameter.
    static func parseDiff(_ pairs: [(String, String)]) throws(ServeError) -> (from: UInt64, to: UInt64) {
        var from: UInt64?
        var to: UInt64?
        for (key, value) in pairs {
            guard key == "from" || key == "to" else {
                throw ServeError(
                    .badRequest,
                    "unknown parameter \"\(ChangesQuery.clip(key))\"; /articles/{path}/diff accepts from, to")
            }
            guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seq = UInt64(value), seq > 0 else {
                throw ServeError(
                    .badRequest, "\(key): expected the seq of a version, got \"\(ChangesQuery.clip(value))\"")
            }
            if key == "from" { from = seq } else { to = seq }
        }
        guard let from, let to else {
            throw ServeError(.badRequest, "/articles/{path}/diff needs from=SEQ and to=SEQ (two versions' seqs)")
        }
        return (from, to)
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

    /// `{"path":...,"from":SEQ,"to":SEQ,"diff":{...}}`: the diff engine's object as `redline diff --format json`
    /// prints it.
    static func diffJSON(path: String, from: UInt64, to: UInt64, _ diff: TextDiff) -> String {
        "{\"path\":\(JSONText.quote(path)),\"from\":\(from),\"to\":\(to),\"diff\":" + diff.json() + "}\n"
    }

    private static func fields(_ v: ArticleIndex.Version) -> String {
        var out = "\"seq\":\(v.seq),\"time\":\(JSONText.quote(v.time)),\"type\":\(JSONText.quote(v.type))"
        out += ",\"significance\":" + (v.significance.map(JSONText.quote) ?? "null")
        out += ",\"classes\":[" + v.classes.map(JSONText.quote).joined(separator: ",") + "]"
        if let from = v.fromPath { out += ",\"from_path\":\(JSONText.quote(from))" }
        return out
    }
}
