import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// File metadata the reconciliation compares before deciding to hash.
public struct FileStat: Sendable, Equatable {
    /// Inode number.
    public var inode: UInt64
    /// Size in bytes.
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNs: Int64
    /// Status-change time in nanoseconds since the epoch.
    public var ctimeNs: Int64
    /// File type bits (`S_IFMT`).
    public var type: UInt32

    /// A regular file (not a FIFO, socket, device, directory or symlink).
    public var isRegular: Bool { type == UInt32(S_IFREG) }
    /// A directory.
    public var isDirectory: Bool { type == UInt32(S_IFDIR) }

    init(_ st: stat) {
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctimeNs = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        type = UInt32(st.st_mode) & UInt32(S_IFMT)
    }
}

/// The read+decode edge: what reading one article file produced.
public enum ArticleRead: Sendable, Equatable {
    /// The file is gone (deleted or renamed away before we looked).
    case missing
    /// Not a regular file (FIFO, socket, device, directory, symlink): never opened for reading. `type` holds
    /// its `S_IFMT` bits.
    case notRegular(type: UInt32)
    /// Larger than the configured limit.
    case tooLarge(FileStat)
    /// Could not be opened or read (permission denied, I/O error).
    case unreadable(errno: Int32)
    /// The bytes and the metadata of the descriptor they were read from.
    case bytes([UInt8], FileStat)
}

/// Reads articles without ever blocking on a FIFO or following a symlink.
public enum ArticleFile {
    /// `lstat` of `path`, or nil when it does not exist (or cannot be looked at).
    public static func stat(_ path: String) -> FileStat? {
        var st = Glibc.stat()
        while PathName.withCString(path, { lstat($0, &st) }) != 0 {
            if errno != EINTR { return nil }
        }
        return FileStat(st)
    }

    /// Reads `path` whole, up to `maxBytes`.
    ///
    /// `lstat`s first and never opens what is not a regular file: opening a socket fails with
    /// `ENXIO`, which is no permission problem, and opening a device can have side effects (a tape
    /// rewinds). Then opens with `O_NOFOLLOW | O_NONBLOCK` (opening a FIFO would otherwise block
    /// forever) and checks the descriptor's own type with `fstat`, so a file swapped for a FIFO,
    /// socket or symlink between the `lstat` and the read is still refused.
    ///
    /// The one reader of article files: the daemon's (symlinks are never followed out of a tree) and
    /// `redline diff`'s (`followSymlinks`: a path a user typed may be a link; FIFOs and devices are still
    /// refused, never opened).
    public static func read(_ path: String, maxBytes: Int, followSymlinks: Bool = false) -> ArticleRead {
        var before = Glibc.stat()
        while PathName.withCString(path, { followSymlinks ? statFollowing($0, &before) : lstat($0, &before) }) != 0 {
            switch errno {
            case EINTR: continue
            case ENOENT, ENOTDIR: return .missing
            case let err: return .unreadable(errno: err)
            }
        }
        guard FileStat(before).isRegular else { return .notRegular(type: FileStat(before).type) }
        var fd: Int32
        repeat {
            fd = PathName.withCString(path) {
                open($0, O_RDONLY | (followSymlinks ? 0 : O_NOFOLLOW) | O_NONBLOCK | O_CLOEXEC)
            }
        } while fd < 0 && errno == EINTR
        if fd < 0 {
            switch errno {
            case ENOENT, ENOTDIR: return .missing
            // Replaced since the lstat: by a symlink (ELOOP) or by a socket (ENXIO).
            case ELOOP: return .notRegular(type: UInt32(S_IFLNK))
            case ENXIO: return .notRegular(type: UInt32(S_IFSOCK))
            case let err: return .unreadable(errno: err)
            }
        }
        defer { close(fd) }
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { return .unreadable(errno: errno) }
        let info = FileStat(st)
        guard info.isRegular else { return .notRegular(type: info.type) }
        if info.size > maxBytes { return .tooLarge(info) }
        // Read until EOF rather than trusting st_size: the file may grow between fstat and read.
        var bytes = [UInt8](repeating: 0, count: Int(info.size) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count))) }
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .unreadable(errno: errno)
            }
            if n == 0 { break }
            count += n
            if count > maxBytes {
                var grown = info
                grown.size = Int64(count)
                return .tooLarge(grown)
            }
        }
        bytes.removeLast(bytes.count - count)
        var final = info
        final.size = Int64(count)
        return .bytes(bytes, final)
    }
}

/// `stat(2)` (following symlinks), out of `ArticleFile`, whose own `stat` hides it.
private func statFollowing(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>) -> Int32 {
    stat(path, buffer)
}
