import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// The one error shape of the watcher module: what failed, on which path, how to fix it, and the errno.
public struct WatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, for code that reacts to it (the daemon falls back to rescans on `.watchLimitReached`).
    public enum Code: Sendable, Equatable {
        /// `inotify_init` failed (usually `fs.inotify.max_user_instances` is reached).
        case initFailed
        /// Another `InotifyWatcher` still owns libinotifytools' process-wide state.
        case busy
        /// The path does not exist.
        case notFound
        /// The path is not a directory.
        case notADirectory
        /// Permission denied.
        case permissionDenied
        /// `ENOSPC` from `inotify_add_watch`: `fs.inotify.max_user_watches` is reached. What was watched stays watched.
        case watchLimitReached
        /// The watcher was stopped.
        case stopped
        /// Any other system error.
        case system
    }

    /// The kind of failure.
    public var code: Code
    /// The path concerned (`""` when none).
    public var path: String
    /// One line naming the path and the fix.
    public var message: String
    /// The underlying errno (0 when none).
    public var errno: Int32
    /// For `.watchLimitReached`: how many directories of the root are watched despite the error.
    public var watchedDirectories: Int

    /// Creates an error.
    public init(code: Code, path: String, message: String, errno: Int32 = 0, watchedDirectories: Int = 0) {
        self.code = code
        self.path = path
        self.message = message
        self.errno = errno
        self.watchedDirectories = watchedDirectories
    }

    /// The message, plus the errno's name when there is one.
    public var description: String {
        guard errno != 0 else { return message }
        return "\(message) (\(POSIX.describe(errno: errno)))"
    }

    /// The error for `ENOSPC` on `path`: names `fs.inotify.max_user_watches` and its current value.
    public static func watchLimit(path: String, watched: Int) -> WatchError {
        watchFailed(path: path, errno: ENOSPC, watched: watched)
    }

    /// The error for a failed `inotify_add_watch` (or walk) on `path`, with a message that says what to do.
    static func watchFailed(path: String, errno: Int32, watched: Int = 0) -> WatchError {
        switch errno {
        case ENOSPC:
            let limit = readProcInt("/proc/sys/fs/inotify/max_user_watches").map(String.init) ?? "unknown"
            return WatchError(
                code: .watchLimitReached,
                path: path,
                message: "cannot watch \(path): the inotify watch limit (\(limit)) is reached; raise "
                    + "fs.inotify.max_user_watches (sysctl -w fs.inotify.max_user_watches=524288); "
                    + "the rest of the tree is covered by periodic rescans only",
                errno: errno,
                watchedDirectories: watched
            )
        case EACCES, EPERM:
            return WatchError(
                code: .permissionDenied,
                path: path,
                message: "cannot watch \(path): permission denied; give the redline user read and execute "
                    + "permission on it",
                errno: errno,
                watchedDirectories: watched
            )
        case ENOENT:
            return WatchError(
                code: .notFound,
                path: path,
                message: "cannot watch \(path): it does not exist; create it or fix the watched path",
                errno: errno,
                watchedDirectories: watched
            )
        case ENOTDIR:
            return WatchError(
                code: .notADirectory,
                path: path,
                message: "cannot watch \(path): it is not a directory; watch the directory that holds the articles",
                errno: errno,
                watchedDirectories: watched
            )
        default:
            return WatchError(
                code: .system,
                path: path,
                message: "cannot watch \(path)",
                errno: errno,
                watchedDirectories: watched
            )
        }
    }
}

/// Reads the first integer of a small `/proc` file, e.g. `/proc/sys/fs/inotify/max_user_watches`.
func readProcInt(_ path: String) -> Int? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 64)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return Int(String(decoding: bytes, as: UTF8.self).filter(\.isNumber))
}
