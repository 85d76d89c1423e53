import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// The feed's high watermark: the last seq the writer has made durable (`fdatasync` returned).
///
/// Kafka's followers and consumers stop at the high watermark; Redline's readers do the same. The writer
/// publishes the mark in the file `durable` only after a sync has returned, so whatever value that file holds,
/// even after a power cut, names records that are on disk. Readers (``FeedCursor``, and through it `tail`,
/// `replay`, `serve`, `ship`) never return a record past it, so a record a consumer has seen can never be
/// taken back by a power cut, and its seq can never be given to another record.
///
/// The file is one fixed-size line, `durable <seq, 20 digits> <crc32 of those digits, 8 hex>\n`, rewritten in
/// place with one `pwrite`; the crc lets a reader that raced the write see the tear and read again.
/// It is a publication, not a commit record: it is never synced itself (losing it only hides records until
/// the writer restarts and publishes again).
enum DurableMark {
    /// The file name inside the feed directory.
    static let name = "durable"
    /// Bytes of the one line.
    static let length = 38

    /// What a reader found in the mark file.
    enum Reading: Equatable {
        /// No mark file: a feed written before marks existed, or never opened by a writer. Nothing is hidden.
        case absent
        /// The last durable seq.
        case seq(UInt64)
        /// The file exists but did not hold a valid mark (a torn read, three times over): keep the last value.
        case unreadable
    }

    /// The line for `seq`.
    static func encode(_ seq: UInt64) -> [UInt8] {
        let digits = String(seq)
        let padded = String(repeating: "0", count: 20 - digits.count) + digits
        let crc = padded.utf8.withContiguousStorageIfAvailable { CRC32.checksum($0) } ?? 0
        return Array("durable \(padded) \(hex8(crc))\n".utf8)
    }

    /// Parses one mark line; nil if it is not one (torn, or not a mark).
    static func decode(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard bytes.count == length, bytes.starts(with: Array("durable ".utf8)), bytes.last == 0x0A else {
            return nil
        }
        let start = bytes.startIndex
        let digits = bytes[(start + 8)..<(start + 28)]
        let crc = Array(bytes[(start + 29)..<(start + 37)])
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            Array(hex8(digits.withContiguousStorageIfAvailable { CRC32.checksum($0) } ?? 0).utf8) == crc
        else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }

    /// Reads the mark of the feed in `directory`.
    static func read(directory: String) -> Reading {
        let path = directory + "/" + name
        let fd: Int32
        do {
            fd = try POSIX.call("open", path: path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        } catch {
            return error.errno == ENOENT ? .absent : .unreadable
        }
        defer { Glibc.close(fd) }
        return read(fd: fd)
    }

    /// Reads the mark from an open descriptor of the mark file (three tries against a racing write).
    static func read(fd: Int32) -> Reading {
        for _ in 0..<3 {
            guard let bytes = try? FileIO.read(fd, count: length, at: 0, path: name) else { continue }
            if let seq = decode(bytes[...]) { return .seq(seq) }
        }
        return .unreadable
    }

    /// Publishes `seq` as durable. Call only after the sync that made it so has returned.
    static func publish(_ seq: UInt64, fd: Int32, path: String) throws(FeedError) {
        let line = encode(seq)
        let result = line.withUnsafeBytes { raw in
            Result { () throws(FeedError) -> Int in
                try syscall({ Glibc.pwrite(fd, raw.baseAddress, raw.count, 0) }) { code in
                    ioError("publish the durable mark in", path, fix: "check the disk and the file's permissions")(
                        code)
                }
            }
        }
        let written = try result.get()
        guard written == line.count else {
            throw FeedError(.io, path: path, message: "short write publishing the durable mark in \(path)")
        }
    }
}
