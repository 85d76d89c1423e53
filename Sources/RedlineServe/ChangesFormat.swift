/// The bytes of each `/changes` answer shape; pure, so the framing is tested without a server.
///
/// Records are passed on exactly as stored (one JSON object, crc included), never re-encoded.
enum ChangesFormat {
    /// `normal` and `longpoll`: the start of `{"results":[...],"last_seq":N}`.
    static let resultsOpen = Array("{\"results\":[\n".utf8)

    /// A row of `results`; rows after the first are preceded by a comma.
    static func resultRow(_ bytes: [UInt8], first: Bool) -> [UInt8] {
        (first ? [] : Array(",\n".utf8)) + bytes
    }

    /// The end of `results`: `last_seq` is the `since` to pass next (every record up to it was examined).
    static func resultsClose(lastSeq: UInt64, first: Bool) -> [UInt8] {
        Array(((first ? "" : "\n") + "],\"last_seq\":\(lastSeq)}\n").utf8)
    }

    /// `continuous`: one record per line.
    static func line(_ bytes: [UInt8]) -> [UInt8] { bytes + [0x0A] }

    /// `continuous`: a heartbeat is an empty line.
    static let lineHeartbeat: [UInt8] = [0x0A]

    /// `continuous`: the last line, as CouchDB ends a continuous feed on timeout or limit.
    static func lineEnd(lastSeq: UInt64) -> [UInt8] { Array("{\"last_seq\":\(lastSeq)}\n".utf8) }

    /// `continuous`: the last line when the stream is cut (slow subscriber, recreated feed, damage).
    static func lineError(_ code: String, reason: String, lastSeq: UInt64, feedID: String? = nil) -> [UInt8] {
        Array((errorObject(code, reason: reason, lastSeq: lastSeq, feedID: feedID) + "\n").utf8)
    }

    /// `eventsource`: one event per record; its `id:` is the seq, which `Last-Event-ID` sends back.
    static func event(seq: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        Array("id: \(seq)\ndata: ".utf8) + bytes + [0x0A, 0x0A]
    }

    /// `eventsource`: a heartbeat is a comment line, which clients ignore.
    static let eventHeartbeat = Array(": heartbeat\n\n".utf8)

    /// `eventsource`: the first bytes, a reconnection delay for EventSource clients.
    static let eventPreamble = Array("retry: 2000\n\n".utf8)

    /// `eventsource`: a named last event (`slow`, `feed_changed`, `error`, `end`). Its `id:` is the position,
    /// so a client that reconnects resumes exactly after what was examined.
    static func eventEnd(_ name: String, reason: String, lastSeq: UInt64, feedID: String? = nil) -> [UInt8] {
        Array(
            "id: \(lastSeq)\nevent: \(name)\ndata: \(errorObject(name, reason: reason, lastSeq: lastSeq, feedID: feedID))\n\n"
                .utf8)
    }

    private static func errorObject(_ code: String, reason: String, lastSeq: UInt64, feedID: String?) -> String {
        var object = "{\"error\":\"\(code)\",\"reason\":\(JSONText.quote(reason)),\"last_seq\":\(lastSeq)"
        if let feedID { object += ",\"feed_id\":\(JSONText.quote(feedID))" }
        return object + "}"
    }
}
