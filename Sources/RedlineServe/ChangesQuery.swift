import RedlineDiff
import RedlineFeed

/// How `GET /changes` answers, CouchDB's `feed=` parameter.
public enum ChangesMode: String, Sendable, Equatable, CaseIterable {
    /// One JSON object with the records after `since`, at once.
    case normal
    /// As `normal`, but waits (up to `timeout`) until there is at least one record to return.
    case longpoll
    /// NDJSON: one stored record per line, forever (or until `timeout`/`limit`); blank lines are heartbeats.
    case continuous
    /// Server-sent events: `id:` is the seq, `Last-Event-ID` resumes; heartbeats are comments.
    case eventsource
}

/// Where a `/changes` request starts.
public enum ChangesStart: Sendable, Equatable {
    /// After this seq (exclusive, as CouchDB's `since`): `since=0` is everything retention kept.
    case after(UInt64)
    /// After the last durable record when the request arrives (`since=now`).
    case now
}

/// The parsed parameters of one `GET /changes` request.
///
/// Parsing is pure (pairs in, a value or a one-line reason out), so every bad input is tested without HTTP.
public struct ChangesQuery: Sendable, Equatable {
    /// The answer's shape.
    public var mode: ChangesMode = .normal
    /// Where to start.
    public var start: ChangesStart = .after(0)
    /// At most this many records (a stream ends after them).
    public var limit: Int?
    /// How often a stream says it is alive when there is nothing to send; nil: never.
    public var heartbeatMilliseconds: Int?
    /// How long `longpoll` waits for a record, or a stream runs; nil: a stream runs until the client leaves.
    public var timeoutMilliseconds: Int?
    /// `type`, `class`, `path`, `min_significance`: the same filter as `redline tail`.
    public var filter = RecordFilter()
    /// The feed UUID the client's position belongs to; a different one is answered 409 (the feed was recreated).
    public var feedID: String?

    /// The parameters `/changes` accepts; any other is a 400, so a typo never silently means "no filter".
    public static let parameters = [
        "since", "limit", "feed", "heartbeat", "timeout", "type", "class", "path", "min_significance", "feed_id",
    ]
    /// `longpoll` waits this long by default, as CouchDB does.
    public static let defaultTimeoutMilliseconds = 60_000
    /// Streams send a heartbeat this often unless told otherwise, so proxies keep an idle stream open.
    public static let defaultHeartbeatMilliseconds = 30_000
    /// The longest `timeout` and `heartbeat` accepted: one day.
    public static let maxMilliseconds = 86_400_000

    /// Creates the default query: everything kept, as one JSON object.
    public init() {}

    /// Parses the query string's pairs (already percent-decoded) and the `Last-Event-ID` header.
    ///
    /// `type` and `class` may repeat or hold a comma-separated list. In `eventsource` mode a `Last-Event-ID`
    /// header (the last seq the client got) replaces `since`.
    /// - Throws: ``ServeError`` `.badRequest` naming the parameter, what it accepts and what it got.
    public static func parse(_ pairs: [(String, String)], lastEventID: String? = nil) throws(ServeError)
        -> ChangesQuery
    {
        var query = ChangesQuery()
        var types: Set<RecordType> = []
        var classes: Set<ChangeClass> = []
        var heartbeat: Int??
        for (key, value) in pairs {
            switch key {
            case "since":
                query.start = value == "now" ? .now : .after(try seq(value, name: "since"))
            case "limit": query.limit = try integer(value, name: "limit", range: 1...10_000_000)
            case "feed":
                guard let mode = ChangesMode(rawValue: value) else {
                    throw bad("feed", expected: "one of normal, longpoll, continuous, eventsource", got: value)
                }
                query.mode = mode
            case "heartbeat":
                // CouchDB's `heartbeat=true` means the default period; `false` turns heartbeats off.
                switch value {
                case "true": heartbeat = .some(defaultHeartbeatMilliseconds)
                case "false": heartbeat = .some(nil)
                default: heartbeat = .some(try integer(value, name: "heartbeat", range: 1...maxMilliseconds))
                }
            case "timeout": query.timeoutMilliseconds = try integer(value, name: "timeout", range: 0...maxMilliseconds)
            case "type":
                for name in list(value) {
                    guard let type = RecordType(rawValue: name) else {
                        throw bad("type", expected: names(RecordType.allCases.map(\.rawValue)), got: name)
                    }
                    types.insert(type)
                }
            case "class":
                for name in list(value) {
                    guard let changeClass = ChangeClass(rawValue: name) else {
                        throw bad("class", expected: names(ChangeClass.allCases.map(\.rawValue)), got: name)
                    }
                    classes.insert(changeClass)
                }
            case "path":
                guard !value.isEmpty else {
                    throw ServeError(.badRequest, "path: give a glob such as politics/** or *.txt, or leave it out")
                }
                query.filter.pathGlob = value
            case "min_significance":
                guard let level = Significance(rawValue: value) else {
                    throw bad("min_significance", expected: names(Significance.allCases.map(\.rawValue)), got: value)
                }
                query.filter.minSignificance = level
            case "feed_id":
                guard !value.isEmpty else {
                    throw ServeError(.badRequest, "feed_id: give the feed UUID from the X-Redline-Feed header")
                }
                query.feedID = value
            default:
                throw ServeError(
                    .badRequest,
                    "unknown parameter \"\(clip(key))\"; /changes accepts \(parameters.joined(separator: ", "))")
            }
        }
        query.filter.types = types
        query.filter.classes = classes
        if query.mode == .eventsource, let lastEventID {
            query.start = .after(try seq(lastEventID, name: "Last-Event-ID"))
        }
        if query.mode == .continuous || query.mode == .eventsource {
            query.heartbeatMilliseconds = heartbeat ?? defaultHeartbeatMilliseconds
        }
        if query.mode == .longpoll && query.timeoutMilliseconds == nil {
            query.timeoutMilliseconds = defaultTimeoutMilliseconds
        }
        return query
    }

    private static func seq(_ value: String, name: String) throws(ServeError) -> UInt64 {
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seq = UInt64(value) else {
            throw bad(
                name, expected: "a seq (a whole number, 0 for the start)" + (name == "since" ? " or now" : ""),
                got: value)
        }
        return seq
    }

    /// A whole number in `range`, or the one 400 reason every route gives for a bad one.
    static func integer(_ value: String, name: String, range: ClosedRange<Int>) throws(ServeError) -> Int {
        guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value), range.contains(n) else {
            throw bad(name, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)", got: value)
        }
        return n
    }

    private static func list(_ value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    private static func names(_ all: [String]) -> String { "one of " + all.joined(separator: ", ") }

    private static func bad(_ name: String, expected: String, got: String) -> ServeError {
        ServeError(.badRequest, "\(name): expected \(expected), got \"\(clip(got))\"")
    }

    /// A client's value shortened and kept on one line, so a reason never echoes a huge or multi-line input.
    static func clip(_ s: String) -> String {
        let flat = String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return flat.count > 64 ? String(flat.prefix(61)) + "..." : flat
    }
}
