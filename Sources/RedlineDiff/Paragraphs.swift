// One text being compared, and where its paragraphs are: found on the bytes, before any tokenizing.

/// One text being compared.
///
/// Paragraphs are found on the bytes; only paragraphs that are not byte-identical to one on the
/// other side are ever tokenized, so a near-identical text costs one scan and one hash per paragraph.
struct ComparedText {
    let p: UnsafeBufferPointer<UInt8>
    /// Byte ranges of the paragraphs (first to last non-whitespace scalar).
    var paragraphs: [Range<Int>] = []
    /// Tokens of every tokenized block, blocks in the order they were tokenized.
    var tokens: [Token] = []
    var ids: [Int32] = []
    /// Token range of each paragraph once tokenized.
    var paragraphTokens: [Range<Int>?] = []

    init(_ p: UnsafeBufferPointer<UInt8>) {
        self.p = p
        splitParagraphs()
        paragraphTokens = Array(repeating: nil, count: paragraphs.count)
    }

    /// Tokenizes `bytes` as a new block, interning each token as one of `side`; returns its token range.
    mutating func tokenize(
        _ bytes: Range<Int>, as side: Side, of texts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>),
        interner: inout Interner
    ) -> Range<Int> {
        let first = tokens.count
        Tokenizer.tokenize(p, bytes.lowerBound, bytes.upperBound, into: &tokens)
        for t in first..<tokens.count {
            ids.append(interner.id(texts, side: side, tokens[t].start, tokens[t].end))
        }
        return first..<tokens.count
    }

    /// Byte range of a token range (an empty range gives an empty byte range).
    func byteRange(_ r: Range<Int>) -> Range<Int> {
        r.isEmpty ? 0..<0 : tokens[r.lowerBound].start..<tokens[r.upperBound - 1].end
    }

    /// Byte range of a token range inside a block; an empty range sits between its neighbours.
    func byteRange(_ r: Range<Int>, in block: Range<Int>) -> Range<Int> {
        if !r.isEmpty { return byteRange(r) }
        let at = r.lowerBound > block.lowerBound ? tokens[r.lowerBound - 1].end : tokens[block.lowerBound].start
        return at..<at
    }

    func text(_ bytes: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[bytes]), as: UTF8.self)
    }

    /// Whether a whitespace token separates paragraphs: two line breaks (LF, CRLF, lone CR,
    /// U+2028, U+0085), or a U+2029 paragraph separator.
    func isSeparator(_ t: Token) -> Bool {
        guard t.kind == .whitespace else { return false }
        var breaks = 0
        var i = t.start
        while i < t.end {
            let (v, l) = Scalars.decode(p, i)
            switch v {
            case 0x0A, 0x2028, 0x85: breaks += 1
            case 0x0D: if !(i + 1 < t.end && p[i + 1] == 0x0A) { breaks += 1 }
            case 0x2029: breaks += 2
            default: break
            }
            i += l
        }
        return breaks >= 2
    }

    /// Whether any byte of `w` is below 0x20, 0x7F, 0xC2 or 0xE1-0xE3 (exact, SWAR).
    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & high }
        let below = (w &- ones &* 0x20) & ~w & high
        return
            (below | zero(w ^ (ones &* 0x7F)) | zero(w ^ (ones &* 0xC2)) | zero(w ^ (ones &* 0xE1))
            | zero(w ^ (ones &* 0xE2)) | zero(w ^ (ones &* 0xE3))) != 0
    }

    /// Paragraphs: maximal runs of text between whitespace runs holding a blank line.
    mutating func splitParagraphs() {
        let n = p.count
        var i = 0
        var start = -1
        var lastEnd = -1
        var breaks = 0
        while i < n {
            let b = p[i]
            // Fast path: from a non-space byte, a run of bytes that are ASCII spaces or can only
            // belong to non-space scalars (anything from 0x20 up except DEL and the lead bytes of
            // the few non-ASCII spaces), eight at a time; trailing ASCII spaces are given back.
            if b > 0x20, b != 0x7F, b != 0xC2, b < 0xE1 || b > 0xE3 {
                if start >= 0, breaks >= 2 {
                    paragraphs.append(start..<lastEnd)
                    start = -1
                }
                if start < 0 { start = i }
                i += 1
                if let base = p.baseAddress {
                    while i + 8 <= n {
                        if Self.hasSpecialByte(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) { break }
                        i += 8
                    }
                }
                while i < n {
                    let c = p[i]
                    if c < 0x20 || c == 0x7F || c == 0xC2 || (c >= 0xE1 && c <= 0xE3) { break }
                    i += 1
                }
                var end = i
                while p[end - 1] == 0x20 { end -= 1 }
                lastEnd = end
                breaks = 0
                continue
            }
            var length = 1
            if b < 0x80 {
                switch b {
                case 0x20, 0x09, 0x0B, 0x0C:
                    i += 1
                    continue
                case 0x0A:
                    breaks += 1
                    i += 1
                    continue
                case 0x0D:
                    if !(i + 1 < n && p[i + 1] == 0x0A) { breaks += 1 }
                    i += 1
                    continue
                default: break
                }
            } else {
                // Only a few non-ASCII scalars are spaces; Arabic-script lead bytes (D8-DB) never are.
                let lead = b
                length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                if lead == 0xC2 || lead == 0xE1 || lead == 0xE2 || lead == 0xE3 {
                    let (v, _) = Scalars.decode(p, i)
                    switch v {
                    case 0x2029:
                        breaks += 2
                        i += length
                        continue
                    case 0x2028, 0x85:
                        breaks += 1
                        i += length
                        continue
                    case 0xA0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000:
                        i += length
                        continue
                    default: break
                    }
                }
            }
            if start >= 0, breaks >= 2 {
                paragraphs.append(start..<lastEnd)
                start = -1
            }
            if start < 0 { start = i }
            i += length
            lastEnd = i
            breaks = 0
        }
        if start >= 0 { paragraphs.append(start..<lastEnd) }
    }

    /// The paragraph index containing byte `offset`, searched among `candidates` (ascending).
    func paragraph(containingByte offset: Int, in candidates: ClosedRange<Int>) -> Int {
        for i in candidates where offset <= paragraphs[i].upperBound { return i }
        return candidates.upperBound
    }
}
