import Foundation
import PostgresNIO
import Synchronization

/// When a watched body last made progress: the ship loop beats it once per turn (a turn takes at most a batch's
/// transaction, or a quarter second when the feed is idle); a body of one statement need not beat it at all.
final class Heartbeat: Sendable {
    private let last = Mutex(ContinuousClock.now)

    func beat() { last.withLock { $0 = .now } }

    var age: Duration { last.withLock { $0.duration(to: .now) } }
}

/// A watched body (the ship loop, one statement of a follower) made no progress for the stall limit: its connection
/// is closed and a new one is tried.
struct Stalled: Error, CustomStringConvertible {
    var limit: Duration
    var description: String {
        "no reply from PostgreSQL for \(limit); the connection was closed and is opened again"
    }
}

/// Runs `body` on `connection` under a watchdog: when `body` makes no progress (its ``Heartbeat``) for `limit`,
/// the connection is closed and ``Stalled`` is thrown at once, without waiting for `body`.
///
/// An await on a connection the server dropped can stay pending for good (seen when PostgreSQL stops with
/// `pg_ctl -m fast` during a statement); giving up on it, rather than waiting, is what lets the shipper and the
/// `tail --postgres --follow` follower reconnect and catch up. A batch given up on is never half shipped: its
/// transaction dies with the connection, and the fence makes any late reply of the old connection harmless. A
/// result given up on is never returned: only the first outcome (the body's or the watchdog's) counts, so a
/// follower never delivers rows of a query it already abandoned.
func watched<T: Sendable>(
    _ connection: PostgresConnection, limit: Duration, _ body: @escaping @Sendable (Heartbeat) async throws -> T
) async throws -> T {
    let heartbeat = Heartbeat()
    let outcome = Outcome<T>()
    let work = Task { () async -> Void in
        do {
            outcome.finish(.success(try await body(heartbeat)))
        } catch {
            outcome.finish(.failure(error))
        }
    }
    let watchdog = Task { () async -> Void in
        while !outcome.isFinished {
            try? await Task.sleep(for: .seconds(1))
            if heartbeat.age > limit {
                Task { try? await connection.close() }
                work.cancel()
                outcome.finish(.failure(Stalled(limit: limit)))
                return
            }
        }
    }
    defer { watchdog.cancel() }
    return try await withTaskCancellationHandler {
        try await outcome.wait()
    } onCancel: {
        work.cancel()
        // A cancelled shipper (SIGTERM) stops at the next await; if that await never returns, it stops anyway.
        outcome.finish(.failure(CancellationError()))
    }
}

/// The first result of the work and its watchdog, handed to the one waiter.
private final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }
    private let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.result != nil } }

    func finish(_ result: Result<T, any Error>) {
        let waiter: CheckedContinuation<T, any Error>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let ready: Result<T, any Error>? = state.withLock { state in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
