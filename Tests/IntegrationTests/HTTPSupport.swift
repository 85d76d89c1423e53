import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `redline serve` started on a free loopback port (`--listen 127.0.0.1:0`), killed when dropped.
final class RunningServe: @unchecked Sendable {
    let process: RunningRedline
    /// The port serve printed in its "listening on 127.0.0.1:PORT" line.
    let port: Int

    /// Starts `redline serve --listen 127.0.0.1:0 arguments...` and waits for its listening line.
    init(_ arguments: [String]) throws {
        let process = try RunningRedline(["serve", "--listen", "127.0.0.1:0"] + arguments)
        self.process = process
        var port = 0
        _ = eventually {
            if let line = process.stdout.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                let p = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                port = p
                return true
            }
            return !process.process.isRunning
        }
        self.port = port
        #expect(port > 0, "serve did not start: \(process.stderr)")
    }

    /// A whole answer to `GET target` (the path and query, sent as given).
    func get(_ target: String, headers: [String: String] = [:]) throws -> HTTPReply {
        let connection = try HTTPConnection(port: port)
        try connection.send(target, headers: headers.merging(["Connection": "close"]) { a, _ in a })
        return try connection.readToEnd()
    }

    /// The `/changes` records (their seqs) of a JSON answer.
    func seqs(_ target: String) throws -> (reply: HTTPReply, seqs: [UInt64], lastSeq: UInt64?) {
        let reply = try get(target)
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any]
        let results = object?["results"] as? [[String: Any]] ?? []
        return (
            reply, results.compactMap { ($0["seq"] as? NSNumber)?.uint64Value },
            (object?["last_seq"] as? NSNumber)?.uint64Value
        )
    }
}

/// A complete HTTP response.
struct HTTPReply {
    var status: Int
    /// Header names in lowercase.
    var headers: [String: String]
    var body: String
}

/// A minimal HTTP/1.1 client over a loopback TCP socket that reads a streamed (chunked) body as it arrives,
/// so tests see what a real subscriber sees, byte for byte, and can stop reading or hang up mid-stream.
final class HTTPConnection {
    private let fd: Int32
    private var raw: [UInt8] = []
    private var headDone = false
    private var chunked = false
    private var finished = false
    /// The decoded body received so far.
    private(set) var body: [UInt8] = []
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks the socket's receive buffer (a slow client).
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { Glibc.close(fd) }

    /// Sends `GET target` with `headers`.
    func send(_ target: String, headers: [String: String] = [:]) throws {
        var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            sent += n
        }
    }

    /// Hangs up at once (as a client that is cut off).
    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Whether the server has ended the response (the last chunk, or the connection closed).
    var ended: Bool { finished }

    /// Reads until `condition` holds on the body so far, the response ends, or `seconds` pass.
    @discardableResult
    func read(until condition: (String) -> Bool, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !(headDone && condition(String(decoding: body, as: UTF8.self))) {
            if finished || Date() >= deadline { return headDone && condition(String(decoding: body, as: UTF8.self)) }
            pump(milliseconds: 100)
        }
        return true
    }

    /// Reads the whole response.
    func readToEnd(seconds: Double = 60) throws -> HTTPReply {
        read(until: { _ in false }, seconds: seconds)
        return HTTPReply(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// The body so far as text.
    var text: String { String(decoding: body, as: UTF8.self) }

    private func pump(milliseconds: Int32) {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, milliseconds) > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n <= 0 {
            finished = true
            return
        }
        raw += chunk[0..<n]
        decode()
    }

    private func decode() {
        if !headDone {
            guard let end = find([13, 10, 13, 10], in: raw, from: 0) else { return }
            let head = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
            status = Int(head[0].split(separator: " ")[1]) ?? 0
            for line in head.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                    .trimmingCharacters(in: .whitespaces)
            }
            chunked = headers["transfer-encoding"]?.contains("chunked") == true
            raw.removeFirst(end + 4)
            headDone = true
        }
        guard chunked else {
            body += raw
            raw = []
            if let length = headers["content-length"].flatMap(Int.init), body.count >= length { finished = true }
            return
        }
        while let lineEnd = find([13, 10], in: raw, from: 0) {
            let sizeText = String(decoding: raw[0..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16), raw.count >= lineEnd + 2 + size + 2 else { return }
            if size == 0 {
                finished = true
                return
            }
            body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            raw.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = from
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}

/// The `id:` of every complete event in a server-sent event stream, in order.
func eventIDs(_ stream: String) -> [UInt64] {
    stream.components(separatedBy: "\n\n").compactMap { event in
        guard event.contains("\ndata: {\"v\"") || event.hasPrefix("data: {\"v\"") else { return nil }
        return event.split(separator: "\n").first { $0.hasPrefix("id: ") }.flatMap { UInt64($0.dropFirst(4)) }
    }
}

/// The seq of every record line of an NDJSON stream.
func lineSeqs(_ stream: String) -> [UInt64] {
    stream.split(separator: "\n").compactMap { line in
        guard line.hasPrefix("{\"v\"") else { return nil }
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        return (object?["seq"] as? NSNumber)?.uint64Value
    }
}
