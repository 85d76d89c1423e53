#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, on which path, and errno, as a value the callers' errors carry.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call, e.g. `"open"`.
    public var call: String
    /// The path it was given ("" when none).
    public var path: String
    /// The errno it failed with.
    public var errno: Int32

    /// Creates the error.
    public init(call: String, path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// `open /srv/news/a.txt: Permission denied (EACCES)`.
    public var description: String { "\(call) \(path): \(POSIX.describe(errno: errno))" }
}

/// The one boundary for system calls: every call retries `EINTR` and turns errno into a
/// ``SystemCallError`` here, as swift-nio's `syscall(blocking:where:)` does; errno is formatted once.
public enum POSIX {
    /// Runs `body` until it does not fail with `EINTR`; a `-1` result throws with the errno.
    @inline(__always)
    public static func call<T: FixedWidthInteger>(_ name: String, path: String = "", _ body: () -> T)
        throws(SystemCallError) -> T
    {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemCallError(call: name, path: path, errno: code)
        }
    }

    /// `Permission denied (EACCES)`: the text and the symbolic name, written once for every module.
    public static func describe(errno code: Int32) -> String {
        let text = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        guard let name = names[code] else { return text }
        return "\(text) (\(name))"
    }

    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", EMFILE: "EMFILE", ENFILE: "ENFILE", EFBIG: "EFBIG",
        ENOSPC: "ENOSPC", EROFS: "EROFS", ELOOP: "ELOOP", ENAMETOOLONG: "ENAMETOOLONG", EDQUOT: "EDQUOT",
        ESTALE: "ESTALE", ENOTEMPTY: "ENOTEMPTY",
    ]

    /// What kind of entry a directory listing found.
    public enum EntryKind: Sendable, Equatable {
        case directory, regular, symlink, other
    }

    /// One entry of a directory: its name (``PathName``) and kind, without following symlinks.
    public struct Entry: @unchecked Sendable {
        /// The entry's name, decoded with ``PathName``.
        public var name: String
        /// What it is (`lstat` decides when the file system does not say).
        public var kind: EntryKind
        /// Its `lstat` data, when the caller asked for it (``entries(of:statRegular:)``).
        public var info: stat?
    }

    /// The entries of `directory` other than `.` and `..`: the one readdir loop of the watcher, the tree
    /// walker and the feed.
    /// - Throws: ``SystemCallError`` from `opendir` (ENOENT, EACCES, ENOTDIR, ...).
    /// - Parameter statRegular: regular files whose name it accepts get their `lstat` data, taken relative to the
    ///   open directory (`fstatat`), so the kernel does not walk the whole path again for each file.
    public static func entries(of directory: String, statRegular: ((String) -> Bool)? = nil)
        throws(SystemCallError) -> [Entry]
    {
        var handle: OpaquePointer?
        while true {
            handle = PathName.withCString(directory) { opendir($0) }
            if handle != nil || errno != EINTR { break }
        }
        guard let handle else { throw SystemCallError(call: "opendir", path: directory, errno: errno) }
        defer { closedir(handle) }
        return entries(handle, directory: directory, statRegular: statRegular)
    }

    /// A directory opened for listing, with the device and inode its descriptor's `fstat` gave.
    public struct OpenDirectory: Sendable {
        /// The descriptor; ``entries(of:path:)`` closes it, ``closeDirectory(_:)`` otherwise.
        public let fd: Int32
        /// `st_dev` of the directory.
        public let device: UInt64
        /// `st_ino` of the directory.
        public let inode: UInt64
    }

    /// Opens `directory` for listing and `fstat`s the descriptor: the watcher's walk takes one path lookup per
    /// directory where `lstat` and then `opendir` took two.
    /// - Parameter follow: follow a symlink at `directory` itself (a root); otherwise a symlink is ENOTDIR, as
    ///   `lstat` would have shown it.
    /// - Throws: ``SystemCallError`` from `open` (ENOENT, EACCES, ENOTDIR, ...).
    public static func openDirectory(_ directory: String, follow: Bool) throws(SystemCallError) -> OpenDirectory {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)
        var fd: Int32 = -1
        repeat {
            fd = PathName.withCString(directory) { open($0, flags) }
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            throw SystemCallError(call: "open", path: directory, errno: errno == ELOOP ? ENOTDIR : errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SystemCallError(call: "fstat", path: directory, errno: code)
        }
        return OpenDirectory(fd: fd, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Closes a directory opened with ``openDirectory(_:follow:)`` without listing it.
    public static func closeDirectory(_ directory: OpenDirectory) { Glibc.close(directory.fd) }

    /// The entries of an open directory other than `.` and `..`; closes its descriptor.
    /// - Parameter path: the directory's path, for the names of entries whose kind needs an `lstat`.
    public static func entries(of directory: OpenDirectory, path: String) throws(SystemCallError) -> [Entry] {
        guard let handle = fdopendir(directory.fd) else {
            let code = errno
            Glibc.close(directory.fd)
            throw SystemCallError(call: "fdopendir", path: path, errno: code)
        }
        defer { closedir(handle) }
        return entries(handle, directory: path, statRegular: nil)
    }

    private static func entries(_ handle: OpaquePointer, directory: String, statRegular: ((String) -> Bool)?)
        -> [Entry]
    {
        var result: [Entry] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                PathName.decode(raw.prefix { $0 != 0 })
            }
            if name == "." || name == ".." { continue }
            var kind: EntryKind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_REG): kind = .regular
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN):
                var info = stat()
                let child = directory == "/" ? "/" + name : directory + "/" + name
                guard PathName.withCString(child, { Glibc.lstat($0, &info) }) == 0 else { continue }
                kind =
                    switch info.st_mode & S_IFMT {
                    case S_IFDIR: .directory
                    case S_IFREG: .regular
                    case S_IFLNK: .symlink
                    default: .other
                    }
            default: kind = .other
            }
            var info: stat?
            if kind == .regular, let statRegular, statRegular(name) {
                var st = stat()
                let fd = dirfd(handle)
                let done = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    raw.withMemoryRebound(to: CChar.self) { fstatat(fd, $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) }
                }
                if done == 0 { info = st } else { continue }  // gone since readdir
            }
            result.append(Entry(name: name, kind: kind, info: info))
        }
        return result
    }

    /// The `lstat` data of each of `names` in `directory`, taken relative to one open descriptor of it (`fstatat`),
    /// so the kernel does not walk the whole path again for each file. Names gone since they were listed, and
    /// every name when the directory cannot be opened, are left out.
    public static func lstat(_ names: [String], in directory: String) -> [(name: String, info: stat)] {
        guard !names.isEmpty else { return [] }
        var fd: Int32 = -1
        repeat {
            fd = PathName.withCString(directory) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var result: [(name: String, info: stat)] = []
        result.reserveCapacity(names.count)
        for name in names {
            var info = stat()
            if PathName.withCString(name, { fstatat(fd, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 {
                result.append((name, info))
            }
        }
        return result
    }

    /// Makes the calling thread (only it) the last to get a core: nice 19. For background work (gzipping sealed
    /// segments) that must never delay the pipeline's reads, diffs and appends; best effort, it cannot fail.
    public static func yieldThreadPriority() {
        // Under Linux the nice value is per thread, and `who` 0 is the calling one (setpriority(2), BUGS).
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
    }

    /// Replaces `path` with `bytes` so that a reader sees the old contents or the new, never half: a temp file
    /// beside it, then `rename`. Nothing is synced: for files that are figures, not records (a power cut may
    /// leave the old file, or an empty one, which the next write replaces). A sync would block the caller on
    /// the disk, which an idle daemon's first turn after READY=1 did.
    public static func replaceFile(_ path: String, with bytes: [UInt8]) throws(SystemCallError) {
        let temp = path + ".tmp"
        let fd = try call("open", path: temp) {
            PathName.withCString(temp) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemCallError) -> Int in
                    try call("write", path: temp) { write(fd, buffer.baseAddress! + written, buffer.count - written) }
                }
            }
            switch result {
            case .success(let count):
                written += count
            case .failure(let error):
                close(fd)
                unlink(temp)
                throw error
            }
        }
        close(fd)
        _ = try call("rename", path: path) {
            PathName.withCString(temp) { from in PathName.withCString(path) { rename(from, $0) } }
        }
    }

    /// `fsync` of a directory, so the names created, renamed or unlinked in it are durable.
    public static func syncDirectory(_ directory: String) throws(SystemCallError) {
        let fd = try call("open", path: directory) {
            PathName.withCString(directory) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
        defer { close(fd) }
        _ = try call("fsync", path: directory) { fsync(fd) }
    }
}
