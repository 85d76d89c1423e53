// The orthographic comparison key: two spans whose keys are equal differ only in how the same
// words are written, so the change is `orthography`. Each rule can be switched off, which is how a
// change learns which rule(s) it needed (a rule is named when switching it off breaks equality).

/// The normalisation rules of the comparison key, in the order their names are reported.
struct KeyRules: OptionSet, Hashable {
    let rawValue: UInt16

    /// NFKC compatibility mappings of presentation forms, ligatures and full-width forms.
    static let nfkc = KeyRules(rawValue: 1 << 0)
    /// Arabic and Urdu letters to their Persian forms: ي ى ے ۓ to ی, ك ڪ to ک, ة ە ھ ہ ۃ to ه.
    static let arabicLetter = KeyRules(rawValue: 1 << 1)
    /// Hamza seats: أ إ ٱ to ا, ؤ to و, ئ to ی; a lone ء and a hamza above/below (U+0654/0655) dropped.
    static let hamza = KeyRules(rawValue: 1 << 2)
    /// Ezafe forms: ۀ and هٔ to ه, and so the ezafe written out: ه‌ی at the end of a word, and a
    /// lone ی after a word that ends in ه (خانه ی).
    static let ezafe = KeyRules(rawValue: 1 << 3)
    /// Harakat and other Arabic diacritics (U+064B-0652, U+0656-065F, U+0670, U+06D6-06ED) dropped;
    /// the madda (U+0653) is kept: آ is not ا.
    static let diacritic = KeyRules(rawValue: 1 << 4)
    /// Tatweel (U+0640) dropped.
    static let tatweel = KeyRules(rawValue: 1 << 5)
    /// ZWNJ, ZWJ and zero-width space dropped, and spaces between the words of a span ignored,
    /// so `میکند`, `می کند` and `می‌کند` are equal.
    static let zwnj = KeyRules(rawValue: 1 << 6)
    /// Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII, `٫` to `.`, `٬` to `,`, `٪` to `%`.
    static let digitScript = KeyRules(rawValue: 1 << 7)
    /// Invisible format characters dropped: BOM, LRM/RLM, bidi embeddings and isolates, ALM,
    /// soft hyphen, word joiner.
    static let invisible = KeyRules(rawValue: 1 << 8)

    static let all: KeyRules = [
        .nfkc, .arabicLetter, .hamza, .ezafe, .diacritic, .tatweel, .zwnj, .digitScript, .invisible,
    ]

    /// Rules with their JSON names, in reporting order.
    static let named: [(KeyRules, String)] = [
        (.nfkc, "nfkc"), (.arabicLetter, "arabic_letter"), (.hamza, "hamza"), (.ezafe, "ezafe"),
        (.diacritic, "diacritic"), (.tatweel, "tatweel"), (.zwnj, "zwnj"), (.digitScript, "digit_script"),
        (.invisible, "invisible"),
    ]
}

enum OrthographicKey {
    /// U+FDFD ﷽, the basmala as one ligature. Unicode gives it no decomposition (it is a symbol, So), so it is
    /// not in the NFKC table, yet it stands for exactly these four words, and normalisers (shekar's
    /// `unify_arabic_unicode`, hazm's) write it out: ﷽ and the words written out are the same text.
    static let bismillah: [UInt32] = "بسم الله الرحمن الرحيم".unicodeScalars.map(\.value)

    /// Appends the key of one scalar to `out`.
    static func append(_ v: UInt32, rules: KeyRules, to out: inout [UInt32]) {
        if rules.contains(.nfkc), v >= 0xFB00, v <= 0xFFEF,
            let mapped = compatibilityTable[v] ?? (v == 0xFDFD ? bismillah : nil)
        {
            // A ligature of several words (﷽, ﷺ) keeps its spaces only where the span key keeps those between
            // words: not under the `zwnj` rule, which joins them.
            for m in mapped where m != 0x20 || !rules.contains(.zwnj) { appendMapped(m, rules: rules, to: &out) }
            return
        }
        appendMapped(v, rules: rules, to: &out)
    }

    @inline(__always)
    private static func appendMapped(_ v: UInt32, rules: KeyRules, to out: inout [UInt32]) {
        switch v {
        case 0x0640:
            if rules.contains(.tatweel) { return }
        case 0x064B...0x0652, 0x0656...0x065F, 0x0670, 0x06D6...0x06ED:
            if rules.contains(.diacritic) { return }
        case 0x0654, 0x0655:
            // A hamza above a heh is the ezafe (هٔ); elsewhere it is a hamza seat mark.
            if out.last == 0x0647 || out.last == 0x06D5 {
                if rules.contains(.ezafe) { return }
            } else if rules.contains(.hamza) {
                return
            }
        case 0x0621:
            if rules.contains(.hamza) { return }
        case 0x0623, 0x0625, 0x0671:
            if rules.contains(.hamza) { out.append(0x0627); return }
        case 0x0624:
            if rules.contains(.hamza) { out.append(0x0648); return }
        case 0x0626:
            if rules.contains(.hamza) { out.append(0x06CC); return }
        case 0x064A, 0x0649:
            if rules.contains(.arabicLetter) { out.append(0x06CC); return }
        case 0x0643, 0x06AA:
            if rules.contains(.arabicLetter) { out.append(0x06A9); return }
        case 0x0629, 0x06D5, 0x06BE, 0x06C1, 0x06C3:
            if rules.contains(.arabicLetter) { out.append(0x0647); return }
        case 0x06D2, 0x06D3:
            if rules.contains(.arabicLetter) { out.append(0x06CC); return }
        case 0x06C0:
            if rules.contains(.ezafe) { out.append(0x0647); return }
        case 0x200B, 0x200C, 0x200D:
            if rules.contains(.zwnj) { return }
        case 0x06F0...0x06F9:
            if rules.contains(.digitScript) { out.append(v - 0x06F0 + 0x30); return }
        case 0x0660...0x0669:
            if rules.contains(.digitScript) { out.append(v - 0x0660 + 0x30); return }
        case 0x066B:
            if rules.contains(.digitScript) { out.append(0x2E); return }
        case 0x066C:
            if rules.contains(.digitScript) { out.append(0x2C); return }
        case 0x066A:
            if rules.contains(.digitScript) { out.append(0x25); return }
        default:
            if Scalars.isInvisible(v) {
                if rules.contains(.invisible) { return }
            }
        }
        out.append(v)
    }

    /// Appends the key of the UTF-8 bytes `start..<end` of `p`.
    static func append(
        _ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, rules: KeyRules, to out: inout [UInt32]
    ) {
        var i = start
        var end = end
        if rules.contains(.ezafe), end - start >= 7, endsWithWrittenEzafe(p, start, end) { end -= 5 }
        while i < end {
            let (v, l) = Scalars.decode(p, i)
            append(v, rules: rules, to: &out)
            i += l
        }
    }

    /// Whether bytes `start..<end` end in ه + ZWNJ + ی (or Arabic ي): the ezafe written out (خانه‌ی).
    static func endsWithWrittenEzafe(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        p[end - 7] == 0xD9 && p[end - 6] == 0x87 && p[end - 5] == 0xE2 && p[end - 4] == 0x80 && p[end - 3] == 0x8C
            && isYeh(p, end - 2, end)
    }

    /// Whether bytes `start..<end` are exactly one ی (or Arabic ي).
    static func isYeh(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        end - start == 2 && ((p[start] == 0xDB && p[start + 1] == 0x8C) || (p[start] == 0xD9 && p[start + 1] == 0x8A))
    }

    /// A string from key scalars (compared with `==`, so canonically equivalent keys are equal).
    static func string(_ scalars: [UInt32]) -> String {
        var s = String.UnicodeScalarView()
        for v in scalars { if let u = Unicode.Scalar(v) { s.append(u) } }
        return String(s)
    }

    /// The numeric value written by a number key: grouping commas (groups of three) and leading
    /// zeros removed, trailing zeros after a decimal point removed. `1,200` = `1200`, `4.50` = `4.5`.
    static func numericValue(_ key: String) -> String {
        var s = Substring(key)
        // Grouping commas only if every group after a comma has exactly three digits.
        if s.contains(",") {
            let integer = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let groups = integer.split(separator: ",", omittingEmptySubsequences: false)
            if groups.count > 1, groups.dropFirst().allSatisfy({ $0.count == 3 }), !groups[0].isEmpty {
                s = Substring(s.replacing(",", with: ""))
            }
        }
        var parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        while parts[0].count > 1, parts[0].first == "0" { parts[0].removeFirst() }
        if parts.count == 2 {
            while parts[1].last == "0" { parts[1].removeLast() }
            if parts[1].isEmpty { return parts[0] }
            return parts[0] + "." + parts[1]
        }
        return parts[0]
    }
}
