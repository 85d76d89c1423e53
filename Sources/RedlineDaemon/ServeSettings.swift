/// The `[serve]` section of the configuration: what `redline serve` listens on and its limits.
///
/// It lives with the daemon's config so that one file describes both processes; `redline serve` reads it
/// and ignores the daemon's settings other than `data_dir`.
public struct ServeSettings: Sendable, Equatable {
    /// The address to bind: loopback by default, so nothing is exposed until a person decides to.
    public var host = "127.0.0.1"
    /// The TCP port (`listen = "127.0.0.1:8640"`); 0 binds a free one.
    public var port = ServeSettings.defaultPort
    /// Streams and long-polls open at once (`max_subscribers`).
    public var maxSubscribers = 1024
    /// Records a live subscriber may fall behind before it is dropped with its resume seq (`subscriber_buffer`).
    public var subscriberBuffer = 4096
    /// Where serve keeps its article index for `/articles` (`index_dir`); nil: no index.
    public var indexDir: String?

    /// serve's port unless `listen` or `--listen` says otherwise.
    public static let defaultPort = 8640

    /// The defaults.
    public init() {}

    /// Parses `ADDR:PORT` (`127.0.0.1:8640`, `[::1]:8640`, `localhost:0`) into host and port.
    /// - Returns: nil when it is not a host and a port from 0 to 65535 (``listenExpected`` says what is).
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        host = host.drop { $0 == " " }
        guard !host.isEmpty, !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
            let port = Int(portText), (0...65_535).contains(port)
        else { return nil }
        return (String(host), port)
    }

    /// What `listen` and `--listen` accept, for error messages.
    public static let listenExpected =
        "expected ADDR:PORT, e.g. \"127.0.0.1:\(defaultPort)\" or \"[::1]:\(defaultPort)\" (port 0 to 65535)"
}
