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
enum LineDamage: Error, CustomStringConvertible {
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
/// the append cost).
struct LineEncoder {
    /// Appends `record` as one complete line (with crc and `\n`) to `out`.
    func append(_ record: FeedRecord, to out: inout [UInt8]) throws(FeedError) {
        let start = out.count
        out.append(contentsOf: #"{"v":"#.utf8)
        appendInt(record.v, to: &out)
        field("feed", string: record.feed, &out)
        out.append(contentsOf: #","seq":"#.utf8)
        out.append(contentsOf: String(record.seq).utf8)
        field("id", string: record.id, &out)
        field("time", string: record.time, &out)
        field("type", string: record.type.rawValue, &out)
        field("root", string: record.root, &out)
        field("path", string: record.path, &out)
        if let v = record.fromPath { field("from_path", string: v, &out) }
        if let v = record.before { version("before", v, &out) }
        if let v = record.after { version("after", v, &out) }
        if let v = record.significance { field("significance", string: v.rawValue, &out) }
        if let v = record.summary {
            // Hand-written like the rest of the line; the diff layer's own writers serialise changes and patch.
            out.append(contentsOf: #","summary":{"#.utf8)
            for changeClass in ChangeClass.allCases {
                appendString(changeClass.rawValue, to: &out)
                out.append(UInt8(ascii: ":"))
                appendInt(v[changeClass], to: &out)
                out.append(UInt8(ascii: ","))
            }
            out.append(contentsOf: #""words_added":"#.utf8)
            appendInt(v.wordsAdded, to: &out)
            out.append(contentsOf: #","words_removed":"#.utf8)
            appendInt(v.wordsRemoved, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        if let v = record.changes {
            out.append(contentsOf: #","changes":["#.utf8)
            for (i, change) in v.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: change.json().utf8)
            }
            out.append(UInt8(ascii: "]"))
        }
        if let v = record.content { field("content", string: v, &out) }
        if let v = record.patch {
            out.append(contentsOf: #","patch":"#.utf8)
            out.append(contentsOf: v.json().utf8)
        }
        if let v = record.reason { field("reason", string: v, &out) }
        if let v = record.detail {
            out.append(contentsOf: #","detail":{"#.utf8)
            for (i, key) in v.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendString(v[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        let crc = out.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[start...])) }
        out.removeLast()
        out.append(contentsOf: LineFormat.crcTagBytes)
        var shift: UInt32 = 28
        for _ in 0..<8 {
            out.append(LineFormat.hexDigits[Int((crc >> shift) & 0xf)])
            shift &-= 4
        }
        out.append(contentsOf: "\"}\n".utf8)
    }

    private func field(_ name: String, string: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        appendString(name, to: &out)
        out.append(UInt8(ascii: ":"))
        appendString(string, to: &out)
    }

    private func version(_ name: String, _ v: VersionInfo, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        appendString(name, to: &out)
        out.append(contentsOf: #":{"sha256":"#.utf8)
        appendString(v.sha256, to: &out)
        out.append(contentsOf: #","size":"#.utf8)
        appendInt(v.size, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}

/// Appends a decimal integer.
func appendInt(_ value: Int, to out: inout [UInt8]) {
    out.append(contentsOf: String(value).utf8)
}

/// Appends `s` as a JSON string: quotes, backslashes and control characters escaped, everything else raw UTF-8.
func appendString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { bytes in
        var runStart = 0
        for (i, b) in bytes.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            runStart = i + 1
            out.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0c: out.append(UInt8(ascii: "f"))
            default:
                out.append(contentsOf: "u00".utf8)
                out.append(LineFormat.hexDigits[Int(b >> 4)])
                out.append(LineFormat.hexDigits[Int(b & 0xf)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }
    out.append(UInt8(ascii: "\""))
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
