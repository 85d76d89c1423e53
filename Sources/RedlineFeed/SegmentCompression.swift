import CZlib
import Foundation
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Sealed segments kept gzipped, as journald compresses archived journals and logrotate old logs.
///
/// A compressed segment is `changes-<first seq, 20 digits>.jsonl.gz`: one standard gzip member (`zcat`,
/// `zgrep` and `jq` through `zcat` read it), whose header comment says `redline segment first=F last=L
/// records=N`. The writer makes it in the background after a segment is sealed: it checks every line of
/// the plain segment, deflates it into a temp file, syncs that, renames it into place, syncs the directory and
/// only then unlinks the plain segment. Until then, and if both exist after a crash, the plain file is the
/// one read. A segment gzipped by hand, without that comment, reads the same; it is only slower to open.
///
/// Readers inflate transparently: the cursor (tail, replay, the snapshot fold) streams, `check` inflates a
/// segment whole and also verifies the gzip CRC, and the loader trusts the header's last seq, which was
/// written from the checked plain segment, so a warm start does not inflate the feed.
enum SegmentCompression {
    /// The suffix of a compressed segment's name.
    static let suffix = ".gz"

    /// What the header comment records.
    struct Header: Equatable {
        /// First and last seq of the segment.
        var first: UInt64
        var last: UInt64
        /// Records in it.
        var records: Int
    }

    /// Whether `path` names a compressed segment.
    static func isCompressed(_ path: String) -> Bool { path.hasSuffix(suffix) }

    /// Compresses the sealed segment `source` into `destination` (created, written and synced, not renamed).
    ///
    /// - Parameter stop: asked between chunks; true abandons the work (the temp file is removed).
    /// - Returns: the header written, or nil when `source` is not a whole valid segment of `feedID` starting
    ///   at `firstSeq` (it stays plain, for `check` to name) or when `stop` said so.
    static func compress(
        _ source: String, to destination: String, feedID: String, firstSeq: UInt64, level: Int32,
        stop: () -> Bool
    ) throws(FeedError) -> Header? {
        let fd = try FileIO.open(source, O_RDONLY)
        defer { Glibc.close(fd) }
        let size = try FileIO.fileSize(fd, path: source)
        let out = try FileIO.open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, what: "create")
        var written: Header?
        do throws(FeedError) {
            written = try FileIO.withContents(fd, size: size, path: source) { bytes in
                Result { () throws(FeedError) -> Header? in
                    let scan = SegmentScan.scanInParallel(bytes, feedID: feedID, expectedFirst: firstSeq)
                    guard scan.damage == nil, scan.validBytes == bytes.count, let first = scan.firstSeq,
                        let last = scan.lastSeq, first == firstSeq
                    else { return nil }
                    let header = Header(first: first, last: last, records: scan.records)
                    return try deflate(
                        bytes, header: header, level: level, into: out, path: destination, stop: stop) ? header : nil
                }
            }.get()
            if written != nil {
                _ = try syscall({ fsync(out) }, orThrow: ioError("sync", destination, fix: "check the disk (dmesg)"))
            }
        } catch {
            Glibc.close(out)
            unlink(destination)
            throw error
        }
        Glibc.close(out)
        if written == nil { unlink(destination) }
        return written
    }

    /// Deflates `bytes` as one gzip member with `header` in its comment; false if `stop` said so.
    private static func deflate(
        _ bytes: UnsafeBufferPointer<UInt8>, header: Header, level: Int32, into fd: Int32, path: String,
        stop: () -> Bool
    ) throws(FeedError) -> Bool {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard redline_deflate_init_gzip(stream, level) == Z_OK else {
            throw FeedError(.io, path: path, message: "cannot start zlib to compress \(path): out of memory?")
        }
        defer { deflateEnd(stream) }
        var comment =
            Array(
                "redline segment first=\(header.first) last=\(header.last) records=\(header.records)".utf8) + [0]
        var name =
            Array(((path as NSString).lastPathComponent.split(separator: ".").first ?? "").utf8)
            + Array(
                ".jsonl".utf8) + [0]
        var gz = gz_header()
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 18)
        defer { output.deallocate() }
        return try comment.withUnsafeMutableBufferPointer { commentBytes throws(FeedError) -> Bool in
            try name.withUnsafeMutableBufferPointer { nameBytes throws(FeedError) -> Bool in
                gz.comment = commentBytes.baseAddress
                gz.name = nameBytes.baseAddress
                gz.os = 3  // Unix
                deflateSetHeader(stream, &gz)
                var offset = 0
                while true {
                    if stop() { return false }
                    let chunk = min(1 << 20, bytes.count - offset)
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress.map { $0 + offset })
                    stream.pointee.avail_in = UInt32(chunk)
                    offset += chunk
                    let flush = offset == bytes.count ? Z_FINISH : Z_NO_FLUSH
                    var status = Z_OK
                    repeat {
                        stream.pointee.next_out = output
                        stream.pointee.avail_out = 1 << 18
                        status = CZlib.deflate(stream, flush)
                        let produced = (1 << 18) - Int(stream.pointee.avail_out)
                        try FileIO.writeAll(fd, UnsafeRawBufferPointer(start: output, count: produced), path: path)
                    } while stream.pointee.avail_out == 0 && status == Z_OK
                    if flush == Z_FINISH {
                        guard status == Z_STREAM_END else {
                            throw FeedError(.io, path: path, message: "zlib failed (\(status)) compressing \(path)")
                        }
                        return true
                    }
                }
            }
        }
    }

    /// The header comment of a segment compressed by the writer, or nil (not gzip, or gzipped by hand).
    static func header(_ path: String) -> Header? {
        guard let bytes = try? FileIO.readPrefix(raw: path, 512), bytes.count > 10, bytes[0] == 0x1F,
            bytes[1] == 0x8B, bytes[2] == 8
        else { return nil }
        let flags = bytes[3]
        var i = 10
        if flags & 4 != 0 {
            guard i + 2 <= bytes.count else { return nil }
            i += 2 + Int(bytes[i]) + Int(bytes[i + 1]) << 8
        }
        func zeroTerminated() -> [UInt8]? {
            guard i < bytes.count, let end = bytes[i...].firstIndex(of: 0) else { return nil }
            defer { i = end + 1 }
            return Array(bytes[i..<end])
        }
        if flags & 8 != 0 { guard zeroTerminated() != nil else { return nil } }
        guard flags & 16 != 0, let comment = zeroTerminated() else { return nil }
        var fields: [Substring: Substring] = [:]
        let text = String(decoding: comment, as: UTF8.self)
        guard text.hasPrefix("redline segment ") else { return nil }
        for pair in text.split(separator: " ").dropFirst(2) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let first = fields["first"].flatMap({ UInt64($0) }), let last = fields["last"].flatMap({ UInt64($0) }),
            let records = fields["records"].flatMap({ Int($0) }), first <= last
        else { return nil }
        return Header(first: first, last: last, records: records)
    }

    /// The whole inflated contents of a compressed segment, and what damage stopped it early, if any.
    static func inflateAll(_ path: String) throws(FeedError) -> (bytes: [UInt8], damage: String?) {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        let reader = try GzipReader(fd: fd, path: path)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { reader.inflate(into: $0) }
            bytes += chunk[0..<n]
            if n == 0 { return (bytes, reader.damage) }
        }
    }
}

/// Streams the inflated bytes of one gzip file from a descriptor it does not own.
final class GzipReader {
    /// The file, for messages.
    let path: String
    /// What stopped the stream early: a truncated file, a bad CRC or bad data; nil while it is whole.
    private(set) var damage: String?
    private let fd: Int32
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutablePointer<UInt8>
    private let inputSize = 1 << 18
    private var ended = false

    /// Starts inflating `fd` from its current offset.
    /// - Parameter checksCRC: verify the gzip trailer's CRC-32 of the whole member. A reader that checks every
    ///   line's own CRC before using it (the cursor) passes false: the second CRC over the same bytes was a
    ///   quarter of inflating's cost, and damage is still caught, per line, before a record is returned.
    init(fd: Int32, path: String, checksCRC: Bool = true) throws(FeedError) {
        self.fd = fd
        self.path = path
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(capacity: inputSize)
        guard redline_inflate_init_gzip(stream) == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw FeedError(.io, path: path, message: "cannot start zlib to read \(path): out of memory?")
        }
        if !checksCRC { _ = inflateValidate(stream, 0) }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Inflates up to `buffer.count` bytes; 0 at the end of the stream or at damage (see ``damage``).
    func inflate(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard !ended, damage == nil, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = base.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 {
                let n = (try? POSIX.call("read", path: path) { Glibc.read(fd, input, inputSize) }) ?? -1
                if n <= 0 {
                    damage =
                        n == 0
                        ? "the gzip stream ends early (the file is truncated)"
                        : "it cannot be read: \(POSIX.describe(errno: errno))"
                    break
                }
                stream.pointee.next_in = input
                stream.pointee.avail_in = UInt32(n)
            }
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                ended = true
                break
            }
            if status != Z_OK && !(status == Z_BUF_ERROR && stream.pointee.avail_in == 0) {
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                damage = "its gzip data is damaged (\(reason))"
                break
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }

    /// ``inflate(into:)`` that throws at damage instead of returning 0.
    func read(into buffer: UnsafeMutableRawBufferPointer, feed directory: String) throws(FeedError) -> Int {
        let n = inflate(into: buffer)
        if n == 0, let damage {
            throw FeedError(
                .corrupt, path: path,
                message: "\(path) is damaged: \(damage); run `redline check --feed \(directory)`, then "
                    + "restore it from a backup or run `redline check --repair --feed \(directory)`")
        }
        return n
    }
}
