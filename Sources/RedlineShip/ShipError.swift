import Logging
import PostgresNIO

/// Every failure of the ship layer: what went wrong, on which feed and seq, and how to fix it.
///
/// Ship retries PostgreSQL being down or slow by itself; a ``ShipError`` is what retrying cannot fix.
public struct ShipError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is; the CLI maps it to an exit status.
    public enum Code: String, Sendable, Equatable {
        /// Another shipper ships this feed (it holds the feed's lock, or moved `feeds.shipped_seq` under us).
        case fenced
        /// A seq the local feed should hold is missing (deleted by retention, or damaged).
        case gap
        /// PostgreSQL holds different bytes for a seq of this feed than the local feed.
        case conflict
        /// The local feed cannot be read.
        case feed
        /// PostgreSQL refused a statement in a way retrying will not fix (schema, permissions, a bad URL).
        case postgres
        /// A caller passed something ship cannot use.
        case invalidArgument
    }

    /// What kind of failure this is.
    public var code: Code
    /// One line naming the feed (and seq), the problem and the fix.
    public var message: String
    /// The feed UUID involved, when there is one.
    public var feed: String?
    /// The seq involved, when there is one.
    public var seq: UInt64?

    /// Creates an error; `message` should name the feed and say how to fix it.
    public init(_ code: Code, message: String, feed: String? = nil, seq: UInt64? = nil) {
        self.code = code
        self.message = message
        self.feed = feed
        self.seq = seq
    }

    /// The message.
    public var description: String { message }
}

/// A one-line description of a PostgreSQL client error (PSQLError's own description hides the server's text).
func describe(_ error: any Error) -> String {
    if let error = error as? PSQLError {
        if let info = error.serverInfo {
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return (info[.message] ?? "server error") + state
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
    if let error = error as? PostgresTransactionError {
        return describe(error.closureError ?? error.commitError ?? error.beginError ?? error)
    }
    return "\(error)"
}

/// The SQLSTATE of a server error, if `error` is one.
func sqlState(_ error: any Error) -> String? {
    (error as? PSQLError)?.serverInfo?[.sqlState]
}

extension PostgresConnection {
    /// Runs `query` and reads its result to the end, so that its error (if any) is thrown here.
    ///
    /// postgres-nio hands back a row stream as soon as the server describes the rows, before the statement has
    /// finished: a `SELECT pg_advisory_lock(...)` whose rows are never read would seem to succeed while it is still
    /// waiting, and its timeout would be lost.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}
