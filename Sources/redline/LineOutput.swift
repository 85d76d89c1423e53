import RedlineFeed

#if canImport(Glibc)
    import Glibc
#endif

/// Buffered writes of whole lines to a file descriptor (stdout), flushed explicitly.
final class LineOutput {
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Writes to `fd` (1 = stdout).
    init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(1 << 18)
    }

    /// Queues bytes; flushes when the buffer is large.
    func write(_ bytes: some Collection<UInt8>) throws(FeedError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 18 { try flush() }
    }

    /// Queues a stored feed line and its `\n`.
    func write(line raw: RawRecord) throws(FeedError) {
        try write(raw.bytes)
        try write(CollectionOfOne(UInt8(ascii: "\n")))
    }

    /// Writes everything queued, retrying short writes and `EINTR`.
    ///
    /// - Throws: ``FeedError`` `.io`, so a closed output exits like any other feed command failure.
    func flush() throws(FeedError) {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FeedError(
                    .io, path: "standard output",
                    message: "cannot append to standard output: free disk space or fix the file system, then restart",
                    errno: code)
            }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
