// Tokens: the units the word-level diff aligns. A token is a byte range of the text plus a kind.
//
// - word: letters and combining marks, with ZWNJ/ZWJ, tatweel and invisible format characters
//   inside (a ZWNJ is part of its word); an apostrophe between two letters stays inside (don't).
//   Tatweels (kashidas) that start a word or end it are not inside: they are a dash (punctuation).
// - number: a run of decimal digits of any script, with `.` `,` `٫` `٬` between digits (4.5, 1,200),
//   and a leading `-` sign at the start of a word.
// - whitespace: a run of spaces, tabs, line breaks (CR and LF), no-break and other Zs spaces.
// - punctuation: one scalar of a Unicode P* category (quotes, dashes, ، ؛ ؟), except `%` `٪` `‰`;
//   also the backtick (a quote in text), and a run of kashidas used as a dash.
// - symbol: any other single scalar (currency, math, `%`): compared like a word, never cosmetic.

/// What a token is made of.
enum TokenKind: UInt8 {
    case whitespace, word, number, punctuation, symbol
}

/// One token: a half-open byte range of its text and its kind.
struct Token {
    var start: Int
    var end: Int
    var kind: TokenKind
}

/// The class of a single scalar, as the tokenizer sees it.
enum ScalarClass: UInt8 {
    case space, letter, digit, punct, symbol
}

enum Scalars {
    /// Decodes the scalar at byte `i` of valid UTF-8 (Swift strings always are).
    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        return (
            (b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                | UInt32(p[i + 3] & 0x3F), 4
        )
    }

    /// Classes of the first 2048 scalars (Latin, Greek, Cyrillic, Arabic), computed once.
    static let lowTable: [ScalarClass] = (0..<0x800).map { classifySlow(UInt32($0)) }

    @inline(__always)
    static func classify(_ v: UInt32) -> ScalarClass {
        v < 0x800 ? lowTable[Int(v)] : classifySlow(v)
    }

    @inline(__always)
    static func classify(_ v: UInt32, _ table: UnsafeBufferPointer<ScalarClass>) -> ScalarClass {
        v < 0x800 ? table[Int(v)] : classifySlow(v)
    }

    /// Invisible format characters that never change what a reader sees (dropped by the key).
    static func isInvisible(_ v: UInt32) -> Bool {
        switch v {
        case 0xFEFF, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x00AD, 0x061C, 0x2060: true
        default: false
        }
    }

    static func classifySlow(_ v: UInt32) -> ScalarClass {
        switch v {
        case 0x09...0x0D, 0x85, 0x2028, 0x2029: return .space  // Zl and Zp are line breaks
        case 0x200B, 0x200C, 0x200D, 0x0640: return .letter
        case 0x25, 0x066A, 0x2030, 0x2031: return .symbol
        // The backtick is a modifier symbol to Unicode, but in text it is a quote (`word`, ``word'').
        case 0x60: return .punct
        default: break
        }
        if isInvisible(v) { return .letter }
        guard let scalar = Unicode.Scalar(v) else { return .symbol }
        switch scalar.properties.generalCategory {
        case .spaceSeparator: return .space
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark:
            return .letter
        case .decimalNumber: return .digit
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return .punct
        default: return .symbol
        }
    }

    static func isApostrophe(_ v: UInt32) -> Bool { v == 0x27 || v == 0x2019 }
    static func isNumberSeparator(_ v: UInt32) -> Bool { v == 0x2E || v == 0x2C || v == 0x066B || v == 0x066C }

    /// Whether a scalar belongs to the Arabic script blocks (Persian and Dari included).
    static func isArabicScript(_ v: UInt32) -> Bool {
        (0x0600...0x06FF).contains(v) || (0x0750...0x077F).contains(v) || (0xFB50...0xFDFF).contains(v)
            || (0xFE70...0xFEFF).contains(v)
    }
}

enum Tokenizer {
    /// Appends the tokens covering bytes `start..<end` of `p`, in order, with offsets into `p`.
    static func tokenize(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into tokens: inout [Token]) {
        Scalars.lowTable.withUnsafeBufferPointer { table in tokenize(p, start, end, table, into: &tokens) }
    }

    /// The end of a run of `within` scalars from `j`; a `joiner` scalar (apostrophe in `don't`,
    /// separator in `1,200`) stays in the run when another `within` scalar follows it.
    @inline(__always)
    private static func extend(
        _ p: UnsafeBufferPointer<UInt8>, from start: Int, to n: Int, _ table: UnsafeBufferPointer<ScalarClass>,
        within: ScalarClass, joiner: (UInt32) -> Bool
    ) -> Int {
        var j = start
        while j < n {
            let (w, l) = Scalars.decode(p, j)
            if Scalars.classify(w, table) == within {
                j += l
            } else if joiner(w), j + l < n, Scalars.classify(Scalars.decode(p, j + l).value, table) == within {
                j += l
            } else {
                break
            }
        }
        return j
    }

    private static func tokenize(
        _ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ table: UnsafeBufferPointer<ScalarClass>,
        into tokens: inout [Token]
    ) {
        let n = end
        var i = start
        while i < n {
            let (v, len) = Scalars.decode(p, i)
            let cls = Scalars.classify(v, table)
            var j = i + len
            let kind: TokenKind
            switch cls {
            case .space:
                while j < n {
                    let (w, l) = Scalars.decode(p, j)
                    if Scalars.classify(w, table) != .space { break }
                    j += l
                }
                kind = .whitespace
            case .letter:
                if v == 0x0640 {
                    // A kashida that starts a run is not stretching a letter: it is a dash
                    // (۱۱ـ۲۳, ـکه ... ـ), so the run of them is punctuation.
                    while j + 1 < n, p[j] == 0xD9, p[j + 1] == 0x80 { j += 2 }
                    kind = .punctuation
                    break
                }
                j = extend(p, from: j, to: n, table, within: .letter, joiner: Scalars.isApostrophe)
                // Kashidas at the end of a word, before a space or punctuation, are a dash too.
                var k = j
                while k - 2 > i, p[k - 2] == 0xD9, p[k - 1] == 0x80 { k -= 2 }
                if k < j, j == n || Scalars.classify(Scalars.decode(p, j).value, table) != .letter {
                    tokens.append(Token(start: i, end: k, kind: .word))
                    tokens.append(Token(start: k, end: j, kind: .punctuation))
                    i = j
                    continue
                }
                kind = .word
            case .digit:
                j = extend(p, from: j, to: n, table, within: .digit, joiner: Scalars.isNumberSeparator)
                kind = .number
            case .punct:
                // A hyphen-minus right before a digit, at the start of a word, is a sign: part of
                // the number (-5 to 5 is a number change, not punctuation).
                if v == 0x2D, j < n, Scalars.classify(Scalars.decode(p, j).value, table) == .digit,
                    i == start || p[i - 1] == 0x20 || p[i - 1] == 0x0A || p[i - 1] == 0x09 || p[i - 1] == 0x28
                {
                    while j < n {
                        let (w, l) = Scalars.decode(p, j)
                        let c = Scalars.classify(w, table)
                        if c == .digit {
                            j += l
                        } else if Scalars.isNumberSeparator(w), j + l < n,
                            Scalars.classify(Scalars.decode(p, j + l).value, table) == .digit
                        {
                            j += l
                        } else {
                            break
                        }
                    }
                    kind = .number
                } else {
                    kind = .punctuation
                }
            case .symbol:
                kind = .symbol
            }
            tokens.append(Token(start: i, end: j, kind: kind))
            i = j
        }
    }
}
