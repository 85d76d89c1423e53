import RedlineDiff

/// A hand-written parser for the fields replay needs (``FeedRecord/foldOnly``), several times faster than
/// `JSONDecoder` on feed lines.
///
/// It is strict about the shape the writer produces; on anything else (an unknown key, whitespace, an odd
/// number) it returns nil and the caller decodes the line with `JSONDecoder` instead, so it can only make
/// replay faster, never change what it accepts.
struct FoldParser {
    private let p: UnsafePointer<UInt8>
    private let end: Int
    private var i = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        p = bytes.baseAddress!
        end = bytes.count
    }

    /// The record in `bytes` (one line without `\n`), with `summary` and `changes` left out; nil to fall back.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> FeedRecord? {
        guard bytes.count > 2 else { return nil }
        var parser = FoldParser(bytes)
        return parser.record()
    }

    private mutating func byte(_ b: UInt8) -> Bool {
        guard i < end, p[i] == b else { return false }
        i += 1
        return true
    }

    private mutating func record() -> FeedRecord? {
        var record = FeedRecord(type: .created, root: "", path: "")
        var seen = 0
        guard byte(UInt8(ascii: "{")) else { return nil }
        repeat {
            guard let key = string() else { return nil }
            guard byte(UInt8(ascii: ":")) else { return nil }
            switch key {
            case "v":
                guard let v = integer(), v <= Int.max else { return nil }
                record.v = Int(v)
                seen |= 1
            case "feed":
                guard let v = string() else { return nil }
                record.feed = v
                seen |= 2
            case "seq":
                guard let v = integer() else { return nil }
                record.seq = v
                seen |= 4
            case "id":
                guard let v = string() else { return nil }
                record.id = v
                seen |= 8
            case "time":
                guard let v = string() else { return nil }
                record.time = v
                seen |= 16
            case "type":
                guard let v = string(), let type = RecordType(rawValue: v) else { return nil }
                record.type = type
                seen |= 32
            case "root":
                guard let v = string() else { return nil }
                record.root = v
                seen |= 64
            case "path":
                guard let v = string() else { return nil }
                record.path = v
                seen |= 128
            case "from_path":
                guard let v = string() else { return nil }
                record.fromPath = v
            case "before", "after":
                guard let v = version() else { return nil }
                if key == "before" { record.before = v } else { record.after = v }
            case "significance":
                guard let v = string(), let s = Significance(rawValue: v) else { return nil }
                record.significance = s
            case "summary", "changes", "crc":
                guard skipValue() else { return nil }
            case "content":
                guard let v = string() else { return nil }
                record.content = v
            case "patch":
                guard let v = patch() else { return nil }
                record.patch = v
            case "reason":
                guard let v = string() else { return nil }
                record.reason = v
            case "detail":
                guard let v = stringMap() else { return nil }
                record.detail = v
            default:
                return nil
            }
        } while byte(UInt8(ascii: ","))
        guard byte(UInt8(ascii: "}")), i == end, seen == 255 else { return nil }
        return record
    }

    private mutating func version() -> VersionInfo? {
        guard byte(UInt8(ascii: "{")), string() == "sha256", byte(UInt8(ascii: ":")), let sha = string(),
            byte(UInt8(ascii: ",")), string() == "size", byte(UInt8(ascii: ":")), let size = integer(),
            size <= Int.max, byte(UInt8(ascii: "}"))
        else { return nil }
        return VersionInfo(sha256: sha, size: Int(size))
    }

    private mutating func patch() -> Patch? {
        var oldLength: Int?
        var newLength: Int?
        var oldHash: UInt64?
        var operations: [Patch.Operation]?
        guard byte(UInt8(ascii: "{")) else { return nil }
        repeat {
            guard let key = string(), byte(UInt8(ascii: ":")) else { return nil }
            switch key {
            case "old_length":
                guard let v = integer(), v <= Int.max else { return nil }
                oldLength = Int(v)
            case "new_length":
                guard let v = integer(), v <= Int.max else { return nil }
                newLength = Int(v)
            case "old_hash":
                guard let hex = string(), hex.utf8.count == 16, let v = UInt64(hex, radix: 16) else { return nil }
                oldHash = v
            case "ops":
                guard byte(UInt8(ascii: "[")) else { return nil }
                var ops: [Patch.Operation] = []
                if !byte(UInt8(ascii: "]")) {
                    repeat {
                        if i < end, p[i] == UInt8(ascii: "\"") {
                            guard let text = string() else { return nil }
                            ops.append(.insert(text))
                        } else {
                            guard byte(UInt8(ascii: "[")), let start = integer(), byte(UInt8(ascii: ",")),
                                let count = integer(), byte(UInt8(ascii: "]")), start <= Int.max, count <= Int.max
                            else { return nil }
                            ops.append(.copy(start: Int(start), count: Int(count)))
                        }
                    } while byte(UInt8(ascii: ","))
                    guard byte(UInt8(ascii: "]")) else { return nil }
                }
                operations = ops
            default:
                return nil
            }
        } while byte(UInt8(ascii: ","))
        guard byte(UInt8(ascii: "}")), let oldLength, let newLength, let oldHash, let operations else { return nil }
        return Patch(oldLength: oldLength, oldHash: oldHash, newLength: newLength, operations: operations)
    }

    private mutating func stringMap() -> [String: String]? {
        var map: [String: String] = [:]
        guard byte(UInt8(ascii: "{")) else { return nil }
        if byte(UInt8(ascii: "}")) { return map }
        repeat {
            guard let key = string(), byte(UInt8(ascii: ":")), let value = string() else { return nil }
            map[key] = value
        } while byte(UInt8(ascii: ","))
        return byte(UInt8(ascii: "}")) ? map : nil
    }

    /// A non-negative decimal integer without sign, fraction or exponent.
    private mutating func integer() -> UInt64? {
        let start = i
        var value: UInt64 = 0
        while i < end, p[i] &- 48 < 10 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(p[i] &- 48))
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        guard i > start, i - start == 1 || p[start] != UInt8(ascii: "0") else { return nil }
        if i < end, p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            return nil
        }
        return value
    }

    /// A JSON string, unescaped; nil on invalid escapes or control characters.
    private mutating func string() -> String? {
        guard byte(UInt8(ascii: "\"")) else { return nil }
        let start = i
        while i < end, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\") {
            if p[i] < 0x20 { return nil }
            i += 1
        }
        guard i < end else { return nil }
        if p[i] == UInt8(ascii: "\"") {
            let s = String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)
            i += 1
            return s
        }
        var out = Array(UnsafeBufferPointer(start: p + start, count: i - start))
        while i < end {
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { return nil }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            i += 1
            guard i < end else { return nil }
            let e = p[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {
                    guard byte(UInt8(ascii: "\\")), byte(UInt8(ascii: "u")), let low = hex4(),
                        (0xDC00..<0xE000).contains(low)
                    else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: String(Character(unicode)).utf8)
            default:
                return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard i + 4 <= end else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - 55
            default: return nil
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    /// Skips any JSON value (for fields replay does not need).
    private mutating func skipValue() -> Bool {
        guard i < end else { return false }
        switch p[i] {
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < end {
                switch p[i] {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                default: break
                }
                i += 1
            }
            return false
        default:
            let start = i
            while i < end, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: "}"), p[i] != UInt8(ascii: "]") { i += 1 }
            return i > start
        }
    }
}
