import Logging

/// The wait between attempts to reach PostgreSQL: exponential from 0.25 s up to 5 s, with jitter.
///
/// Shared by the shipper, the `tail --postgres --follow` follower and its LISTEN connection, so every client of
/// the database backs off the same way. Each wait is a random point between half and all of the step, so the
/// shippers and followers of many hosts do not reconnect in step after a restart.
struct Backoff {
    static let first = 0.25
    static let limit = 5.0
    private var step = Backoff.first

    /// Back to the first step, after a success.
    mutating func reset() { step = Self.first }

    /// Sleeps for the jittered step (less if cancelled), then doubles it.
    mutating func wait() async {
        try? await Task.sleep(for: .seconds(step * Double.random(in: 0.5...1.0)))
        step = min(step * 2, Self.limit)
    }
}

/// Whether PostgreSQL answered the last attempt, logged once per change of state (gone, back), never per retry.
struct Reachability {
    private let logger: Logger
    private let metadata: Logger.Metadata
    private let gone: Logger.Message
    private let back: Logger.Message
    /// Whether the last attempt failed.
    private(set) var down = false

    /// Logs `gone` (a warning) when an attempt fails after a success, `back` (a notice) on the next success.
    init(postgres: PostgresURL, logger: Logger, gone: Logger.Message, back: Logger.Message) {
        self.logger = logger
        self.metadata = ["postgres": "\(postgres)"]
        self.gone = gone
        self.back = back
    }

    /// An attempt failed with `error`, to be retried.
    mutating func failed(_ error: any Error) {
        guard !down else { return }
        var metadata = self.metadata
        metadata["error"] = "\(describe(error))"
        logger.warning(gone, metadata: metadata)
        down = true
    }

    /// An attempt succeeded.
    mutating func reached() {
        guard down else { return }
        logger.notice(back, metadata: metadata)
        down = false
    }
}

/// SQLSTATE classes retrying cannot fix: syntax or access rule violations, bad data, privileges.
func isPermanent(_ error: any Error) -> Bool {
    guard let state = sqlState(error) else { return false }
    return ["42", "22", "28", "3D", "3F", "0A"].contains(String(state.prefix(2)))
}
