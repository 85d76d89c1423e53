import Foundation
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// The names of a feed directory's files that other layers need.
public enum FeedFiles {
    /// The feed UUID file: present once the feed exists.
    public static let id = "feed.id"
}

/// Small file helpers over raw descriptors; every call goes through ``syscall(_:orThrow:)``.
enum FileIO {
    /// The name of the active segment.
    static let activeName = "changes.jsonl"
    /// The feed UUID file.
    static let feedIDName = FeedFiles.id
    /// Present only after a clean shutdown.
    static let cleanName = "clean-shutdown"
    /// The writer's lock file (holds its pid).
    static let lockName = "writer.lock"

    /// `changes-<firstSeq as 20 digits>.jsonl`.
    static func sealedName(firstSeq: UInt64) -> String {
        let digits = String(firstSeq)
        return "changes-" + String(repeating: "0", count: 20 - digits.count) + digits + ".jsonl"
    }

    /// The first seq of a sealed segment name, plain or compressed (``SegmentCompression``), or nil if `name`
    /// is not one.
    static func sealedFirstSeq(_ name: String) -> UInt64? {
        let plain = name.hasSuffix(SegmentCompression.suffix) ? String(name.dropLast(3)) : name
        guard plain.hasPrefix("changes-"), plain.hasSuffix(".jsonl") else { return nil }
        let digits = plain.dropFirst(8).dropLast(6)
        guard digits.count == 20, digits.allSatisfy(\.isASCII) else { return nil }
        return UInt64(digits)
    }

    /// Sealed segments of `directory`, ordered by first seq. Where a segment exists both plain and compressed
    /// (a crash while compressing it), the plain file is listed.
    static func sealedSegments(_ directory: String) throws(FeedError) -> [(firstSeq: UInt64, path: String)] {
        let entries: [POSIX.Entry]
        do {
            entries = try POSIX.entries(of: directory)
        } catch {
            if error.errno == ENOENT {
                throw FeedError(
                    .notFound, path: directory,
                    message: "feed directory \(directory) does not exist: pass the daemon's feed directory with --feed",
                    errno: error.errno)
            }
            throw ioError("list", directory, fix: "check its permissions")(error.errno)
        }
        var bySeq: [UInt64: String] = [:]
        for entry in entries {
            guard let seq = sealedFirstSeq(entry.name) else { continue }
            if bySeq[seq] == nil || !SegmentCompression.isCompressed(entry.name) {
                bySeq[seq] = directory + "/" + entry.name
            }
        }
        return bySeq.sorted { $0.key < $1.key }.map { (firstSeq: $0.key, path: $0.value) }
    }

    /// Opens a sealed segment for reading; if the plain file was compressed and unlinked since it was listed,
    /// opens the compressed one instead.
    static func openSegment(_ path: String) throws(FeedError) -> (fd: Int32, path: String) {
        do {
            return (try open(path, O_RDONLY), path)
        } catch {
            guard error.code == .notFound, !SegmentCompression.isCompressed(path),
                sealedFirstSeq((path as NSString).lastPathComponent) != nil
            else { throw error }
            let compressed = path + SegmentCompression.suffix
            return (try open(compressed, O_RDONLY), compressed)
        }
    }

    /// The bytes of a segment, inflated if it is compressed.
    /// - Throws: ``FeedError`` `.corrupt` if a compressed segment is damaged.
    static func segmentContents(_ path: String) throws(FeedError) -> [UInt8] {
        guard SegmentCompression.isCompressed(path) else { return try readAll(path) }
        let (bytes, damage) = try SegmentCompression.inflateAll(path)
        if let damage {
            throw FeedError(
                .corrupt, path: path,
                message: "\(path) is damaged: \(damage); restore it from a backup, or run "
                    + "`redline check --repair --feed \((path as NSString).deletingLastPathComponent)`")
        }
        return bytes
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644, what: String = "open") throws(FeedError)
        -> Int32
    {
        try syscall({ PathName.withCString(path) { Glibc.open($0, flags | O_CLOEXEC, mode) } }) { code in
            if code == ENOENT {
                return FeedError(.notFound, path: path, message: "\(path) does not exist", errno: code)
            }
            return ioError(what, path, fix: "check that the directory exists and is writable by this user")(code)
        }
    }

    /// Writes all of `bytes` at the end of `fd` (opened with `O_APPEND`), retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(FeedError) {
        var done = 0
        while done < bytes.count {
            let n = try syscall({ Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }) { code in
                FeedError(
                    .io, path: path,
                    message: "cannot append to \(path): free disk space or fix the file system, then restart",
                    errno: code)
            }
            done += n
        }
    }

    /// Reads `count` bytes at `offset` (fewer at end of file).
    static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String)
        throws(FeedError) -> Int
    {
        var done = 0
        while done < buffer.count {
            let n = try syscall({
                Glibc.pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }) { code in ioError("read", path, fix: "check the disk and the file's permissions")(code) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Up to `count` bytes at `offset` (fewer at end of file).
    static func read(_ fd: Int32, count: Int, at offset: Int, path: String) throws(FeedError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(FeedError) -> Int in try pread(fd, into: buffer, at: offset, path: path) }
        }
        let n = try result.get()
        bytes.removeLast(count - n)
        return bytes
    }

    /// Writes all of `bytes` (see ``writeAll(_:_:path:)``).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FeedError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(FeedError) in try writeAll(fd, raw, path: path) }
        }
        try result.get()
    }

    /// The whole file.
    static func readAll(_ path: String) throws(FeedError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        return try read(fd, count: try fileSize(fd, path: path), at: 0, path: path)
    }

    static func fileSize(_ fd: Int32, path: String) throws(FeedError) -> Int {
        var st = stat()
        _ = try syscall({ fstat(fd, &st) }, orThrow: ioError("stat", path, fix: "check the file system"))
        return Int(st.st_size)
    }

    static func inode(_ fd: Int32, path: String) throws(FeedError) -> (dev: UInt, ino: UInt) {
        var st = stat()
        _ = try syscall({ fstat(fd, &st) }, orThrow: ioError("stat", path, fix: "check the file system"))
        return (UInt(st.st_dev), UInt(st.st_ino))
    }

    /// The inode of `path`, or nil if it does not exist.
    static func inode(path: String) -> (dev: UInt, ino: UInt)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt(st.st_dev), UInt(st.st_ino))
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// `fsync` on a directory so renames, creations and unlinks in it are durable.
    static func syncDirectory(_ directory: String) throws(FeedError) {
        do {
            try POSIX.syncDirectory(directory)
        } catch {
            throw ioError("sync directory", directory, fix: "check the disk (dmesg)")(error.errno)
        }
    }

    /// Replaces `path` atomically: temp file, write, fsync, rename, fsync of the directory.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(FeedError) {
        let tmp = path + ".tmp.\(getpid())"
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND)
        do throws(FeedError) {
            try writeAll(fd, bytes, path: tmp)
            _ = try syscall({ fsync(fd) }, orThrow: ioError("sync", tmp, fix: "check the disk (dmesg)"))
        } catch {
            Glibc.close(fd)
            unlink(tmp)
            throw error
        }
        Glibc.close(fd)
        _ = try syscall({ rename(tmp, path) }, orThrow: ioError("rename \(tmp) to", path, fix: "check permissions"))
        let parent = (path as NSString).deletingLastPathComponent
        try syncDirectory(parent.isEmpty ? "." : parent)
    }

    /// Creates `directory` and its parents.
    /// Calls `body` with the first `size` bytes of `fd`, mapped read-only (read into memory where the file
    /// system cannot map).
    static func withContents<T>(
        _ fd: Int32, size: Int, path: String, _ body: (UnsafeBufferPointer<UInt8>) -> T
    ) throws(FeedError) -> T {
        guard size > 0 else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            let bytes = try read(fd, count: size, at: 0, path: path)
            return bytes.withUnsafeBufferPointer(body)
        }
        defer { munmap(map, size) }
        _ = madvise(map, size, MADV_SEQUENTIAL)
        return body(UnsafeBufferPointer(start: map.assumingMemoryBound(to: UInt8.self), count: size))
    }

    /// Paths are ``PathName`` strings: a replayed article's directory may have a name that is not UTF-8.
    static func makeDirectories(_ directory: String) throws(FeedError) {
        var prefix = ""
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += (prefix.isEmpty && !directory.hasPrefix("/") ? "" : "/") + component
            let made = PathName.withCString(prefix) { mkdir($0, 0o755) }
            if made == 0 || errno == EEXIST { continue }
            let code = errno
            throw FeedError(
                .io, path: directory,
                message: "cannot create directory \(prefix): \(POSIX.describe(errno: code)); "
                    + "create it or fix its parent's permissions", errno: code)
        }
    }

    /// The last complete line of a file of `size` bytes (without its `\n`), or nil if there is none.
    static func lastLine(_ fd: Int32, size: Int, path: String) throws(FeedError) -> [UInt8]? {
        guard size > 0 else { return nil }
        var chunk = 64 * 1024
        while true {
            let start = max(0, size - chunk)
            let bytes = try read(fd, count: size - start, at: start, path: path)
            guard bytes.last == UInt8(ascii: "\n") else { return nil }
            if let previous = bytes.dropLast().lastIndex(of: UInt8(ascii: "\n")) {
                return Array(bytes[(previous + 1)..<(bytes.count - 1)])
            }
            if start == 0 { return Array(bytes.dropLast()) }
            chunk *= 4
        }
    }
}
