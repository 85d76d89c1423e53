#if canImport(Glibc)
    import Glibc
#endif

/// Speaks systemd's notify protocol (sd_notify(3)): one datagram per message to `$NOTIFY_SOCKET`.
///
/// Implemented directly rather than linking libsystemd: it is a single `sendto`, and the daemon
/// then has no dependency that `make run` outside systemd would need.
public struct SystemdNotifier: Sendable {
    private let socketPath: String?
    /// Half of `$WATCHDOG_USEC`, when systemd asked for keep-alives.
    public let watchdogInterval: Duration?

    /// Reads `$NOTIFY_SOCKET` and `$WATCHDOG_USEC`/`$WATCHDOG_PID` from the environment.
    public init() {
        socketPath = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        var interval: Duration?
        if let usec = getenv("WATCHDOG_USEC").flatMap({ Int64(String(cString: $0)) }), usec > 0 {
            let pid = getenv("WATCHDOG_PID").flatMap { Int32(String(cString: $0)) }
            if pid == nil || pid == getpid() { interval = .microseconds(usec / 2) }
        }
        watchdogInterval = interval
    }

    /// Whether a notify socket is configured (i.e. we run under `Type=notify`).
    public var isActive: Bool { socketPath != nil }

    /// Sends `state` (e.g. `"READY=1\nSTATUS=watching 12 articles"`); a no-op outside systemd.
    public func notify(_ state: String) {
        guard var path = socketPath, !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count + (abstract ? 1 : 0) < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            if abstract {
                // An abstract socket name starts with a NUL byte instead of '@'.
                raw.copyBytes(from: [0] + bytes)
            }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { buffer in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), sa, length)
                }
            }
        }
    }
}
