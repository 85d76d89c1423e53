import RedlineFeed
import RedlinePOSIX
import RedlineState
import RedlineWatcher

#if canImport(Glibc)
    import Glibc
#endif

/// The error shape of the daemon layer: a code the CLI maps to an exit status, one line that
/// names the file and the fix, and the errno when a system call failed.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, which decides the exit status.
    public enum Code: Sendable, Equatable {
        /// The configuration is invalid (exit 78, EX_CONFIG, so systemd does not restart in a loop).
        case config
        /// Another process already writes this feed, or the data directory is unusable (exit 2).
        case unavailable
        /// A system call failed (exit 1; systemd restarts us).
        case io
        /// The feed is damaged in a way a crash cannot explain (exit 65, EX_DATAERR; the unit does not
        /// restart on it): a person restores it or runs `redline check --repair`.
        case damaged
        /// Shutdown was requested while the daemon waited (for disk space): not a failure (exit 0).
        case stopped
    }

    /// The kind of failure.
    public var code: Code
    /// One line naming the file and the fix.
    public var message: String
    /// The errno of the failed system call, if any.
    public var errno: Int32?
    /// The file or directory involved, when there is one.
    public var path: String?
    /// The lower layer's error this one stands for (a `FeedError`, `WatchError` or `StateError`), as a value:
    /// callers decide on its fields, never on its wording.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, path: String? = nil, errno: Int32? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
        self.underlying = underlying
    }

    /// Stands for a feed error: its message, path and errno, and the error itself as ``underlying``.
    public init(_ code: Code, feed error: FeedError) {
        self.init(code, error.message, path: error.path, errno: error.errno, underlying: error)
    }

    /// Stands for a watcher error.
    public init(_ code: Code, watch error: WatchError) {
        self.init(code, error.message, path: error.path, errno: error.errno == 0 ? nil : error.errno, underlying: error)
    }

    /// Stands for a state store error.
    public init(_ code: Code, state error: StateError) {
        self.init(code, error.description, path: error.path, underlying: error)
    }

    /// The process exit status for this error.
    public var exitStatus: Int32 {
        switch code {
        case .config: 78
        case .unavailable: 2
        case .io: 1
        case .damaged: 65
        case .stopped: 0
        }
    }

    /// The one-line message, with the errno text when there is one.
    public var description: String {
        guard let errno else { return message }
        return "\(message) (\(POSIX.describe(errno: errno)))"
    }
}
