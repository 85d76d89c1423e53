import Foundation
import RedlineDiff

/// The byte layout of one feed line, shared by the writer and every reader.
///
/// A line is `{"v":1,"feed":"<uuid>","seq":N,"id":"<uuid>:N","time":"...","type":"...",...,"crc":"xxxxxxxx"}\n`
/// with the envelope first in a fixed order and `crc` last: the CRC-32 (lowercase hex, 8 digits) of the line
/// with the 18-byte tail `,"crc":"xxxxxxxx"}` replaced by `}`. Readers check it on the raw bytes, without
/// parsing, and read `v`, `feed` and `seq` from the fixed-order prefix (see `schema/README.md`).
enum LineFormat {
    /// `,"crc":"` + 8 hex digits + `"}`.
    static let crcTailLength = 18
    static let crcTagBytes: [UInt8] = Array(#","crc":""#.utf8)
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    /// `,"crc":"` read as a little-endian `UInt64`.
    static let crcTagWord: UInt64 = #","crc":""#.utf8.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    /// `"}` read as a little-endian `UInt16`.
    static let crcCloseWord = UInt16(UInt8(ascii: "\"")) | UInt16(UInt8(ascii: "}")) << 8

    /// What a reader learns from a line without decoding it.
    struct Envelope {
        /// Format version.
        var v: Int
        /// Byte range of the feed UUID within the line.
        var feedRange: Range<Int>
        /// Sequence number.
        var seq: UInt64
    }

    /// Checks the crc and reads the envelope of one line (without its `\n`); returns the reason it is bad otherwise.
    static func inspect(_ line: UnsafeBufferPointer<UInt8>) -> Result<Envelope, LineDamage> {
        let n = line.count
        guard let base = line.baseAddress, n > crcTailLength + 8 else {
            return .failure(n == 0 ? .empty : .malformed("too short to be a record"))
        }
        if base[0] == 0 { return .failure(.nulBytes) }
        let tail = UnsafeRawPointer(base + (n - crcTailLength))
        // `,"crc":"` as one little-endian word, then `"}` as another: two compares instead of ten.
        guard tail.loadUnaligned(as: UInt64.self) == crcTagWord,
            tail.loadUnaligned(fromByteOffset: 16, as: UInt16.self) == crcCloseWord
        else {
            return .failure(.malformed("does not end with a \"crc\" field"))
        }
        var stored: UInt32 = 0
        var ok = true
        for i in 8..<16 {
            let c = tail.load(fromByteOffset: i, as: UInt8.self)
            let digit = c &- 48  // '0'
            let letter = c &- 97  // 'a'
            if digit < 10 {
                stored = stored << 4 | UInt32(digit)
            } else if letter < 6 {
                stored = stored << 4 | UInt32(letter &+ 10)
            } else {
                ok = false
            }
        }
        guard ok else { return .failure(.malformed("crc is not 8 lowercase hex digits")) }
        var closing = UInt8(ascii: "}")
        let computed = CRC32.update(CRC32.update(0, base, n - crcTailLength), &closing, 1)
        guard computed == stored else {
            return .failure(.crc(stored: stored, computed: computed))
        }
        return parsePrefix(line)
    }

    /// Reads `{"v":N,"feed":"...","seq":N,` from the start of a line whose crc already matched.
    static func parsePrefix(_ line: UnsafeBufferPointer<UInt8>) -> Result<Envelope, LineDamage> {
        var i = 0
        let n = line.count
        func expect(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard i + count <= n else { return false }
            let p = literal.utf8Start
            for k in 0..<count where line[i + k] != p[k] { return false }
            i += count
            return true
        }
        func number() -> UInt64? {
            var value: UInt64 = 0
            let start = i
            while i < n, line[i] >= UInt8(ascii: "0"), line[i] <= UInt8(ascii: "9") {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(line[i] - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                value = a
                i += 1
            }
            return i > start ? value : nil
        }
        guard expect(#"{"v":"#), let v = number(), v <= Int.max else {
            return .failure(.malformed("does not start with \"v\""))
        }
        guard expect(#","feed":""#) else { return .failure(.malformed("no \"feed\" after \"v\"")) }
        let feedStart = i
        while i < n, line[i] != UInt8(ascii: "\"") { i += 1 }
        let feedEnd = i
        guard expect(#"","seq":"#), let seq = number(), expect(",") else {
            return .failure(.malformed("no \"seq\" after \"feed\""))
        }
        return .success(Envelope(v: Int(v), feedRange: feedStart..<feedEnd, seq: seq))
    }
}

/// Why a line is not a valid record.
enum LineDamage: Error, Equatable, CustomStringConvertible {
    case empty
    case nulBytes
    case malformed(String)
    case crc(stored: UInt32, computed: UInt32)

    var description: String {
        switch self {
        case .empty: return "empty line"
        case .nulBytes: return "NUL bytes (a torn write after power loss)"
        case .malformed(let why): return "not a record: \(why)"
        case .crc(let stored, let computed):
            return "crc mismatch: line says \(hex8(stored)), content has \(hex8(computed))"
        }
    }
}

func hex8(_ value: UInt32) -> String {
    let s = String(value, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}

/// Serialises records into feed lines by hand, in the fixed field order (no Foundation encoder: it was most of
/// the append cost), with the diff layer's ``JSONWriter``.
struct LineEncoder {
    /// Appends `record` as one complete line (with crc and `\n`) to `out`.
    func append(_ record: FeedRecord, to out: inout [UInt8]) throws(FeedError) {
        var w = JSONWriter()
        // Write into `out` itself: the writer batches many lines into one buffer.
        swap(&w.bytes, &out)
        defer { swap(&w.bytes, &out) }
        let start = w.bytes.count
        w.raw(#"{"v":"#)
        w.int(record.v)
        field("feed", record.feed, &w)
        w.key("seq")
        w.int(record.seq)
        field("id", record.id, &w)
        field("time", record.time, &w)
        field("type", record.type.rawValue, &w)
        field("root", record.root, &w)
        field("path", record.path, &w)
        if let v = record.fromPath { field("from_path", v, &w) }
        if let v = record.before { version("before", v, &w) }
        if let v = record.after { version("after", v, &w) }
        if let v = record.significance { field("significance", v.rawValue, &w) }
        if let v = record.summary {
            w.key("summary")
            v.write(to: &w)
        }
        if let v = record.changes {
            w.key("changes")
            w.raw("[")
            for (i, change) in v.enumerated() {
                if i > 0 { w.raw(",") }
                change.write(to: &w)
            }
            w.raw("]")
        }
        if let v = record.content { field("content", v, &w) }
        if let v = record.patch {
            w.key("patch")
            v.write(to: &w)
        }
        if let v = record.reason { field("reason", v, &w) }
        if let v = record.detail {
            w.key("detail")
            w.raw("{")
            for (i, key) in v.keys.sorted().enumerated() {
                if i > 0 { w.raw(",") }
                w.string(key, escapes: .short)
                w.raw(":")
                w.string(v[key]!, escapes: .short)
            }
            w.raw("}")
        }
        w.raw("}")
        let crc = w.bytes.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[start...])) }
        w.bytes.removeLast()
        w.bytes.append(contentsOf: LineFormat.crcTagBytes)
        var shift: UInt32 = 28
        for _ in 0..<8 {
            w.bytes.append(LineFormat.hexDigits[Int((crc >> shift) & 0xf)])
            shift &-= 4
        }
        w.raw("\"}\n")
    }

    /// `,"name":"value"`; the record's own strings write `\b` and `\f` short, as they always have.
    private func field(_ name: StaticString, _ value: String, _ w: inout JSONWriter) {
        w.key(name)
        w.string(value, escapes: .short)
    }

    private func version(_ name: StaticString, _ v: VersionInfo, _ w: inout JSONWriter) {
        w.key(name)
        w.raw(#"{"sha256":"#)
        w.string(v.sha256, escapes: .short)
        w.key("size")
        w.int(v.size)
        w.raw("}")
    }
}

/// Formats a time as RFC 3339 UTC with milliseconds: `2026-11-29T02:03:04.567Z`.
func rfc3339(millisecondsSince1970 ms: Int64) -> String {
    var seconds = time_t(ms / 1000)
    let millis = Int(ms % 1000)
    var tm = tm()
    gmtime_r(&seconds, &tm)
    func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
        + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
}

extension FeedRecord {
    /// The record as one line of the feed's format (the key order, the crc and the `\n` a writer gives
    /// it), for tools that emit records outside a feed, such as `redline diff OLD_DIR NEW_DIR`.
    public func line() throws(FeedError) -> [UInt8] {
        var out: [UInt8] = []
        try LineEncoder().append(self, to: &out)
        return out
    }
}
