import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Every failure of the feed layer: what went wrong, on which path, and how to fix it.
public struct FeedError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is; callers map it to an exit status.
    public enum Code: String, Sendable, Equatable {
        /// A system call failed (see ``errno``).
        case io
        /// Another writer holds the feed's lock.
        case locked
        /// The feed directory or a file in it does not exist.
        case notFound
        /// A record is damaged: not JSON, wrong crc, a seq gap, an unknown format version.
        case corrupt
        /// The requested records were deleted by retention.
        case retention
        /// The feed was recreated (a different feed UUID than the consumer's cursor).
        case feedChanged
        /// A rebuilt version does not match the hash the feed recorded, or a patch does not apply.
        case mismatch
        /// A caller passed something the feed cannot use.
        case invalidArgument
    }

    /// What kind of failure this is.
    public var code: Code
    /// The file or directory involved.
    public var path: String
    /// One line naming the path, the problem and the fix.
    public var message: String
    /// The underlying `errno`, if a system call failed.
    public var errno: Int32?

    /// The 1-based line of the damaged record in `path`, when the error is about one.
    public var line: Int?
    /// The byte offset of that line in `path`.
    public var offset: Int?

    /// Creates an error; `message` should name `path` and say how to fix it.
    public init(
        _ code: Code, path: String, message: String, errno: Int32? = nil, line: Int? = nil, offset: Int? = nil
    ) {
        self.code = code
        self.path = path
        self.message = message
        self.errno = errno
        self.line = line
        self.offset = offset
    }

    /// The message, with the system error text when there is one.
    public var description: String {
        guard let errno else { return message }
        return "\(message) (\(POSIX.describe(errno: errno)))"
    }
}

/// Runs a system call, retrying `EINTR`; a `-1` result becomes a ``FeedError`` built by `error`.
///
/// Every system call in this module goes through here (like swift-nio's `syscall(blocking:where:)`),
/// so `EINTR` is never mistaken for a failure and errno never leaks unlabelled.
@inline(__always)
func syscall<T: FixedWidthInteger>(
    _ body: () -> T, orThrow error: (_ errno: Int32) -> FeedError
) throws(FeedError) -> T {
    do {
        return try POSIX.call("", body)
    } catch let failure {
        throw error(failure.errno)
    }
}

/// Shorthand for an I/O error whose message is `"<what> <path>: <fix>"`.
func ioError(_ what: String, _ path: String, fix: String) -> (Int32) -> FeedError {
    { code in
        FeedError(.io, path: path, message: "cannot \(what) \(path): \(fix)", errno: code)
    }
}
