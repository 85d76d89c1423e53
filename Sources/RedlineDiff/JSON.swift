// A direct JSON writer for diff results: the same object and keys as the Codable conformances,
// in a fixed key order, without a Foundation encoder (cheap to start, fast on large diffs).

extension TextDiff {
    /// The result as one compact JSON object: `{"significance":...,"summary":{...},"changes":[...],"patch":{...}}`.
    ///
    /// Decodes with `JSONDecoder` to an equal `TextDiff`. `significance` is `null` when identical.
    public func json() -> String {
        var w = JSONWriter()
        w.bytes.reserveCapacity(
            256 + changes.reduce(0) { $0 + 160 + ($1.oldText?.utf8.count ?? 0) + ($1.newText?.utf8.count ?? 0) })
        w.raw("{\"significance\":")
        if let significance { w.string(significance.rawValue) } else { w.raw("null") }
        w.raw(",\"summary\":")
        summary.write(to: &w)
        w.raw(",\"changes\":[")
        for (i, change) in changes.enumerated() {
            if i > 0 { w.raw(",") }
            change.write(to: &w)
        }
        w.raw("],\"patch\":")
        patch.write(to: &w)
        w.raw("}")
        return w.result
    }
}

extension Change {
    /// This change as one compact JSON object (the Codable keys, absent fields omitted).
    public func json() -> String {
        var w = JSONWriter()
        write(to: &w)
        return w.result
    }

    /// Appends this change as one compact JSON object.
    package func write(to w: inout JSONWriter) {
        w.raw("{\"class\":")
        w.string(self.class.rawValue)
        if let rule { w.key("rule"); w.string(rule) }
        if let oldParagraph { w.key("old_paragraph"); w.int(oldParagraph) }
        if let newParagraph { w.key("new_paragraph"); w.int(newParagraph) }
        if let oldText { w.key("old_text"); w.string(oldText) }
        if let newText { w.key("new_text"); w.string(newText) }
        if let oldStart { w.key("old_start"); w.int(oldStart) }
        if let oldEnd { w.key("old_end"); w.int(oldEnd) }
        if let newStart { w.key("new_start"); w.int(newStart) }
        if let newEnd { w.key("new_end"); w.int(newEnd) }
        if let oldKey { w.key("old_key"); w.string(oldKey) }
        if let newKey { w.key("new_key"); w.string(newKey) }
        w.raw("}")
    }
}

extension DiffSummary {
    /// Appends the counts as one compact JSON object: one key per class, then `words_added`, `words_removed`.
    package func write(to w: inout JSONWriter) {
        w.raw("{")
        for (i, c) in ChangeClass.allCases.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(c.rawValue)
            w.raw(":")
            w.int(self[c])
        }
        w.key("words_added")
        w.int(wordsAdded)
        w.key("words_removed")
        w.int(wordsRemoved)
        w.raw("}")
    }
}

extension Patch {
    /// This patch as one compact JSON object (see the type's documentation).
    public func json() -> String {
        var w = JSONWriter()
        write(to: &w)
        return w.result
    }

    /// Appends this patch as one compact JSON object.
    package func write(to w: inout JSONWriter) {
        w.raw("{\"old_length\":")
        w.int(oldLength)
        w.key("old_hash")
        w.string(FNV1a.hex(oldHash))
        w.key("new_length")
        w.int(newLength)
        w.raw(",\"ops\":[")
        for (i, op) in operations.enumerated() {
            if i > 0 { w.raw(",") }
            switch op {
            case .copy(let start, let count):
                w.raw("[")
                w.int(start)
                w.raw(",")
                w.int(count)
                w.raw("]")
            case .insert(let text): w.string(text)
            }
        }
        w.raw("]}")
    }
}

/// Appends compact JSON to a byte buffer: the one JSON writer of the diff and feed layers.
///
/// Strings are written as raw UTF-8 with only `"`, `\\` and control characters escaped, so right-to-left
/// text and file names stay readable in the output.
package struct JSONWriter {
    /// How a string writes the backspace and form feed characters.
    ///
    /// The diff layer has always written them as `\u0008` and `\u000c`, the feed's own fields as `\b` and `\f`.
    /// Both are fixed by bytes already stored, which the feed's crc covers, so both stay.
    package enum ControlEscapes: Sendable {
        /// `\u0008` and `\u000c`.
        case unicode
        /// `\b` and `\f`.
        case short
    }

    /// The JSON written so far.
    package var bytes: [UInt8] = []

    /// An empty writer.
    package init() {}

    /// The JSON written so far, as a string.
    package var result: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends `s` as it is (JSON punctuation and keys).
    package mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends `,"name":`.
    package mutating func key(_ name: StaticString) {
        bytes.append(UInt8(ascii: ","))
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends a decimal integer.
    package mutating func int(_ v: Int) {
        digits(UInt64(v.magnitude), negative: v < 0)
    }

    /// Appends a decimal integer.
    package mutating func int(_ v: UInt64) {
        digits(v, negative: false)
    }

    private mutating func digits(_ magnitude: UInt64, negative: Bool) {
        if magnitude < 10 && !negative {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, enough for any 64-bit integer
        let count = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
            var n = magnitude
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            } while n > 0
            if negative {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            return buffer.count - i
        }
        withUnsafeBytes(of: &digits) { buffer in
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(buffer.count - count)...]))
        }
    }

    /// Appends `s` as a JSON string literal.
    package mutating func string(_ s: String, escapes: ControlEscapes = .unicode) {
        var s = s
        s.withUTF8 { escape($0, escapes) }
    }

    /// Appends a JSON string literal: runs of plain bytes are copied whole; only `"`, `\\` and
    /// control characters are escaped (everything else, RTL text included, stays raw UTF-8).
    ///
    /// Plain bytes are skipped eight at a time: a cold start escapes every article's whole text into its
    /// `created` record, and a byte at a time that was a sixth of the pipeline thread.
    private mutating func escape(_ p: UnsafeBufferPointer<UInt8>, _ escapes: ControlEscapes) {
        let hex: StaticString = "0123456789abcdef"
        bytes.reserveCapacity(bytes.count + p.count + 2)
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        let n = p.count
        while i < n {
            if i + 8 <= n, Self.isPlain(UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                i += 8
                continue
            }
            let b = p[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C {
                i += 1
                continue
            }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i])) }
            bytes.append(0x5C)
            switch b {
            case 0x22: bytes.append(0x22)
            case 0x5C: bytes.append(0x5C)
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08 where escapes == .short: bytes.append(UInt8(ascii: "b"))
            case 0x0C where escapes == .short: bytes.append(UInt8(ascii: "f"))
            default:
                hex.withUTF8Buffer { h in
                    bytes.append(UInt8(ascii: "u"))
                    bytes.append(0x30)
                    bytes.append(0x30)
                    bytes.append(h[Int(b >> 4)])
                    bytes.append(h[Int(b & 0xF)])
                }
            }
            i += 1
            runStart = i
        }
        if runStart < n { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<n])) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether none of the eight bytes of `w` needs escaping: none below 0x20, none `"`, none `\\`. (Each test
    /// is the exact "has a byte less than" form, so a byte of 0x80 or above, UTF-8's, never counts.)
    @inline(__always)
    static func isPlain(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let control = (w &- ones &* 0x20) & ~w & high
        let quote = ((w ^ (ones &* 0x22)) &- ones) & ~(w ^ (ones &* 0x22)) & high
        let backslash = ((w ^ (ones &* 0x5C)) &- ones) & ~(w ^ (ones &* 0x5C)) & high
        return control | quote | backslash == 0
    }
}
