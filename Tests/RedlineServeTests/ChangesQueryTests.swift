import Hummingbird
import RedlineDiff
import RedlineFeed
import Testing

@testable import RedlineServe

@Suite struct ChangesQueryTests {
    func parse(_ query: String, lastEventID: String? = nil) throws(ServeError) -> ChangesQuery {
        let pairs = query.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        return try ChangesQuery.parse(pairs, lastEventID: lastEventID)
    }

    @Test func theDefaultIsEverythingKeptAtOnce() throws {
        let query = try parse("")
        #expect(query.mode == .normal)
        #expect(query.start == .after(0))
        #expect(query.filter.keepsEverything)
        #expect(query.heartbeatMilliseconds == nil)
        #expect(query.timeoutMilliseconds == nil)
    }

    @Test func everyParameterIsRead() throws {
        let query = try parse(
            "since=7&limit=10&feed=continuous&heartbeat=250&timeout=900&type=created,modified&type=moved"
                + "&class=spelling&path=politics/**&min_significance=minor&feed_id=abc")
        #expect(query.start == .after(7))
        #expect(query.limit == 10)
        #expect(query.mode == .continuous)
        #expect(query.heartbeatMilliseconds == 250)
        #expect(query.timeoutMilliseconds == 900)
        #expect(query.filter.types == [.created, .modified, .moved])
        #expect(query.filter.classes == [.spelling])
        #expect(query.filter.pathGlob == "politics/**")
        #expect(query.filter.minSignificance == .minor)
        #expect(query.feedID == "abc")
    }

    @Test func streamsHaveAHeartbeatAndLongpollATimeoutByDefault() throws {
        #expect(try parse("feed=eventsource").heartbeatMilliseconds == ChangesQuery.defaultHeartbeatMilliseconds)
        #expect(try parse("feed=continuous&heartbeat=false").heartbeatMilliseconds == nil)
        #expect(try parse("feed=longpoll").timeoutMilliseconds == ChangesQuery.defaultTimeoutMilliseconds)
        #expect(try parse("since=now").start == .now)
    }

    @Test func lastEventIDResumesAnEventSourceOnly() throws {
        #expect(try parse("feed=eventsource&since=3", lastEventID: "41").start == .after(41))
        #expect(try parse("feed=continuous&since=3", lastEventID: "41").start == .after(3))
        #expect(throws: ServeError.self) { try parse("feed=eventsource", lastEventID: "x1") }
    }

    @Test(arguments: [
        ("since=abc", "since: expected a seq"),
        ("since=", "since: expected a seq"),
        ("since=1e3", "since: expected a seq"),
        ("since=99999999999999999999999", "since: expected a seq"),
        ("limit=0", "limit: expected a whole number from 1"),
        ("limit=-5", "limit: expected a whole number"),
        ("heartbeat=0", "heartbeat: expected"),
        ("timeout=1.5", "timeout: expected"),
        ("feed=websocket", "feed: expected one of normal, longpoll, continuous, eventsource"),
        ("type=edited", "type: expected one of created"),
        ("class=", "class: expected one of whitespace"),
        ("min_significance=big", "min_significance: expected one of cosmetic, minor, substantive"),
        ("path=", "path: give a glob"),
        ("sinse=1", "unknown parameter \"sinse\""),
    ])
    func badParametersAreA400WithOneLineNamingTheParameter(query: String, reason: String) {
        #expect {
            _ = try parse(query)
        } throws: { error in
            let error = error as! ServeError
            return error.status == 400 && error.message.contains(reason) && !error.message.contains("\n")
        }
    }

    @Test func aHugeOrMultiLineValueIsNotEchoedWhole() {
        #expect {
            _ = try parse("since=" + String(repeating: "9a", count: 5_000) + "%0A")
        } throws: { error in
            let message = (error as! ServeError).message
            return message.count < 200
        }
        #expect(ChangesQuery.clip("a\nb") == "a?b")
    }
}

@Suite struct ChangesFormatTests {
    let record = Array(#"{"v":1,"seq":5,"crc":"00000000"}"#.utf8)

    func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    @Test func eventsCarryTheSeqAsTheirID() {
        let event = String(decoding: ChangesFormat.event(seq: 5, record), as: UTF8.self)
        #expect(event == "id: 5\ndata: {\"v\":1,\"seq\":5,\"crc\":\"00000000\"}\n\n")
        // The hub's shared frames: one entry is its frame, several are their frames in order.
        let entries = [
            HubEntry(seq: 5, bytes: record, facts: nil), HubEntry(seq: 6, bytes: Array("{}".utf8), facts: nil),
        ]
        #expect(text(ChangesFormat.joined(entries.prefix(1), events: true)) == event)
        #expect(text(ChangesFormat.joined(entries[...], events: true)) == event + "id: 6\ndata: {}\n\n")
        #expect(text(entries[0].bytes) == String(decoding: record, as: UTF8.self))
        #expect(String(decoding: ChangesFormat.eventHeartbeat, as: UTF8.self).hasPrefix(":"))
        let end = String(decoding: ChangesFormat.eventEnd("slow_subscriber", reason: "r", lastSeq: 9), as: UTF8.self)
        #expect(end.hasPrefix("id: 9\nevent: slow_subscriber\ndata: {"))
        #expect(end.hasSuffix("\"last_seq\":9}\n\n"))
    }

    @Test func continuousIsOneRecordPerLineAndEndsWithLastSeq() {
        #expect(ChangesFormat.line(record) == record + [0x0A])
        let entries = [
            HubEntry(seq: 5, bytes: record, facts: nil), HubEntry(seq: 6, bytes: Array("{}".utf8), facts: nil),
        ]
        #expect(
            text(ChangesFormat.joined(entries.prefix(1), events: false))
                == text(ByteBuffer(bytes: record + [0x0A])))
        #expect(
            text(ChangesFormat.joined(entries[...], events: false)) == String(decoding: record, as: UTF8.self)
                + "\n{}\n")
        #expect(ChangesFormat.lineHeartbeat == [0x0A])
        #expect(String(decoding: ChangesFormat.lineEnd(lastSeq: 12), as: UTF8.self) == "{\"last_seq\":12}\n")
    }

    @Test func normalIsOneJSONObject() {
        let entries = [HubEntry(seq: 5, bytes: record, facts: nil), HubEntry(seq: 6, bytes: record, facts: nil)]
        var bytes = ChangesFormat.resultsOpen
        bytes += Array(buffer: ChangesFormat.resultRows(Array(entries.prefix(1)), first: true))
        bytes += Array(buffer: ChangesFormat.resultRows(Array(entries.suffix(1)), first: false))
        bytes += ChangesFormat.resultsClose(lastSeq: 5, first: false)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.components(separatedBy: "{\"v\"").count == 3)
        #expect(text.contains("},\n{"))
        #expect(text.hasPrefix("{\"results\":[\n{"))
        #expect(text.hasSuffix("}\n],\"last_seq\":5}\n"))
        let empty = ChangesFormat.resultsOpen + ChangesFormat.resultsClose(lastSeq: 3, first: true)
        #expect(String(decoding: empty, as: UTF8.self) == "{\"results\":[\n],\"last_seq\":3}\n")
    }
}
