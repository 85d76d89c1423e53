import Hummingbird

/// The bytes of each `/changes` answer shape; pure, so the framing is tested without a server.
///
/// Records are passed on exactly as stored (one JSON object, crc included), never re-encoded.
enum ChangesFormat {
    /// `normal` and `longpoll`: the start of `{"results":[...],"last_seq":N}`.
    static let resultsOpen = Array("{\"results\":[\n".utf8)

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
        var frame = eventFrame(seq: seq, bytes).frame
        return frame.readBytes(length: frame.readableBytes) ?? []
    }

    /// ``event(seq:_:)`` as one buffer, and where `bytes` start in it; the line and its `\n` are slices of it.
    static func eventFrame(seq: UInt64, _ bytes: [UInt8]) -> (frame: ByteBuffer, lineStart: Int) {
        let head = "id: \(seq)\ndata: "
        var frame = ByteBuffer()
        frame.reserveCapacity(head.utf8.count + bytes.count + 2)
        let lineStart = frame.writeString(head)
        frame.writeBytes(bytes)
        frame.writeBytes([0x0A, 0x0A])
        return (frame, lineStart)
    }

    /// Some entries' frames (`event`) or lines (`continuous`) in one buffer: one copy of shared bytes.
    /// By index, never copying an entry out.
    static func joined(_ entries: ArraySlice<HubEntry>, events: Bool) -> ByteBuffer {
        if entries.count == 1 {
            return events ? entries[entries.startIndex].event : entries[entries.startIndex].line
        }
        var out = ByteBuffer()
        var size = 0
        for i in entries.indices { size += events ? entries[i].eventBytes : entries[i].lineBytes }
        out.reserveCapacity(size)
        for i in entries.indices {
            if events { entries[i].writeEvent(into: &out) } else { out.writeImmutableBuffer(entries[i].line) }
        }
        return out
    }

    /// ``joined(_:events:)`` of the entries from `from` on, as many as fit in `maxBytes` (at least one), and the
    /// index of the first entry left out.
    static func joined(_ entries: [HubEntry], from: Int, events: Bool, maxBytes: Int) -> (ByteBuffer, Int) {
        var end = from
        var bytes = 0
        while end < entries.count {
            let size = events ? entries[end].eventBytes : entries[end].lineBytes
            if end > from && bytes + size > maxBytes { break }
            bytes += size
            end += 1
        }
        return (joined(entries[from..<end], events: events), end)
    }

    /// Rows of `results` in one buffer; rows after the first are preceded by a comma.
    static func resultRows(_ entries: [HubEntry], first: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        var size = 0
        for i in entries.indices { size += entries[i].lineBytes + 1 }
        out.reserveCapacity(size)
        // By index: `enumerated()` copies each entry out and destroys the copy, a retain and release of its
        // buffer and record per row (7% of a catch-up's CPU).
        for i in entries.indices {
            if !(first && i == 0) { out.writeString(",\n") }
            entries[i].withBytes { _ = out.writeBytes($0) }
        }
        return out
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
