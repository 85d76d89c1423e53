import RedlineDiff
import RedlineFeed

/// Every failure of `redline serve`: what went wrong in one line, and the HTTP status a client gets for it.
///
/// The reason is meant for a person reading a `curl` response or a log line: it names the parameter or file
/// and what would work instead.
public struct ServeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; it decides the HTTP status.
    public enum Code: String, Sendable, Equatable {
        /// A parameter or header the request got wrong (400).
        case badRequest = "bad_request"
        /// No such endpoint, article or version (404).
        case notFound = "not_found"
        /// `since` is older than what retention kept (410): resync from the oldest record kept.
        case gone
        /// The feed was recreated: the client's `feed_id` is not the feed's any more (409).
        case feedChanged = "feed_changed"
        /// Too many subscribers, or the feed cannot be read right now (503).
        case unavailable
        /// The feed is damaged or a system call failed (500).
        case failed
        /// serve cannot start: a bad setting or a missing data directory.
        case config
    }

    /// What kind of failure this is.
    public var code: Code
    /// One line naming the problem and the fix.
    public var message: String

    /// Creates an error; `message` should say what to do instead.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status for the error.
    public var status: Int {
        switch code {
        case .badRequest: 400
        case .notFound: 404
        case .gone: 410
        case .feedChanged: 409
        case .unavailable: 503
        case .failed, .config: 500
        }
    }

    /// The message.
    public var description: String { message }

    /// The feed layer's error as serve reports it: retention is 410, a recreated feed 409, the rest 500.
    init(_ error: FeedError) {
        switch error.code {
        case .retention: self.init(.gone, error.message)
        case .feedChanged: self.init(.feedChanged, error.message)
        case .notFound: self.init(.unavailable, error.message)
        default: self.init(.failed, error.description)
        }
    }

    /// The JSON body every error response carries, CouchDB's shape: `{"error":"<code>","reason":"<message>"}`.
    public var jsonBody: String {
        "{\"error\":\"\(code.rawValue)\",\"reason\":\(JSONText.quote(message))}\n"
    }
}

/// Minimal JSON text helpers for the few objects serve writes itself (records are passed on as stored).
enum JSONText {
    /// `s` as a JSON string literal, escaped as the feed's records are (``JSONWriter``).
    static func quote(_ s: String) -> String {
        var writer = JSONWriter()
        writer.string(s)
        return writer.result
    }
}
