// The public value types of the diff engine: what the daemon, the feed and the CLI exchange.
// Every type here is Codable with stable snake_case keys, written by hand so that any encoder
// (JSONEncoder with default settings, or a hand-rolled one) produces the same field names.

/// The kind of one change; the raw value is the JSON string.
public enum ChangeClass: String, Sendable, Codable, CaseIterable, Hashable {
    /// Only spaces, line breaks or CRLF changed.
    case whitespace
    /// Only punctuation or quotation marks changed.
    case punctuation
    /// Equal under the orthographic comparison key (see `OrthographicKey`); `rule` names why.
    case orthography
    /// A close variant of the same word (a typo or transliteration fix), not a number.
    case spelling
    /// A numeric value changed.
    case number
    /// Any other edit inside a paragraph: words inserted, deleted or replaced.
    case wording
    /// A paragraph present only in the new text.
    case paragraphAdded = "paragraph_added"
    /// A paragraph present only in the old text.
    case paragraphRemoved = "paragraph_removed"
    /// A paragraph whose position relative to the others changed.
    case paragraphMoved = "paragraph_moved"

    /// The significance this class alone implies.
    public var significance: Significance {
        switch self {
        case .whitespace, .punctuation, .orthography: .cosmetic
        case .spelling, .paragraphMoved: .minor
        case .number, .wording, .paragraphAdded, .paragraphRemoved: .substantive
        }
    }
}

/// How much a change (or a whole record) matters to a reader; ordered cosmetic < minor < substantive.
public enum Significance: String, Sendable, Codable, Comparable, CaseIterable {
    /// Only whitespace, punctuation or orthography changed.
    case cosmetic
    /// Spelling fixes or moved paragraphs, no new facts.
    case minor
    /// Numbers, wording, or whole paragraphs changed.
    case substantive

    private var rank: Int {
        switch self {
        case .cosmetic: 0
        case .minor: 1
        case .substantive: 2
        }
    }

    /// Orders by severity.
    public static func < (lhs: Significance, rhs: Significance) -> Bool { lhs.rank < rhs.rank }
}

/// One classified change.
///
/// JSON keys: `class` (always), `rule`, `old_paragraph`, `new_paragraph`, `old_text`, `new_text`,
/// `old_start`, `old_end`, `new_start`, `new_end`, `old_key`, `new_key`; absent fields are omitted.
/// Paragraph indices are 0-based positions among the non-blank paragraphs of each text.
/// Offsets are **UTF-8 byte offsets** into the whole old/new text, half-open `[start, end)`.
public struct Change: Sendable, Equatable, Codable {
    /// The class of the change.
    public var `class`: ChangeClass
    /// For `orthography`: the key rule(s) that make both sides equal, comma-separated in a fixed
    /// order (`nfkc`, `arabic_letter`, `hamza`, `ezafe`, `diacritic`, `tatweel`, `zwnj`,
    /// `digit_script`, `invisible`); `nfc` when the sides are only canonically equivalent;
    /// `number_format` for the same number written differently. For `spelling`: `letter_case`,
    /// `compound`, and with a lexicon `typo_fixed`, `regional_variant` or `unknown_words` (nil for
    /// other respellings). For `wording`: `real_words` when both sides are words of the lexicon. For `whitespace`: `paragraph_split` or
    /// `paragraph_merge` when a blank line appeared or disappeared (nil otherwise).
    public var rule: String?
    /// Index of the old paragraph the change is in (nil for `paragraph_added`).
    public var oldParagraph: Int?
    /// Index of the new paragraph the change is in (nil for `paragraph_removed`).
    public var newParagraph: Int?
    /// The old text of the span (empty for a pure insertion; nil for `paragraph_added`).
    public var oldText: String?
    /// The new text of the span (empty for a pure deletion; nil for `paragraph_removed`).
    public var newText: String?
    /// UTF-8 byte offset where the span starts in the old text.
    public var oldStart: Int?
    /// UTF-8 byte offset where the span ends in the old text (exclusive).
    public var oldEnd: Int?
    /// UTF-8 byte offset where the span starts in the new text.
    public var newStart: Int?
    /// UTF-8 byte offset where the span ends in the new text (exclusive).
    public var newEnd: Int?
    /// For `orthography`/`spelling`: the old span under the comparison key.
    public var oldKey: String?
    /// For `orthography`/`spelling`: the new span under the comparison key.
    public var newKey: String?

    /// Creates a change; every field but the class is optional.
    public init(
        class changeClass: ChangeClass, rule: String? = nil,
        oldParagraph: Int? = nil, newParagraph: Int? = nil,
        oldText: String? = nil, newText: String? = nil,
        oldStart: Int? = nil, oldEnd: Int? = nil, newStart: Int? = nil, newEnd: Int? = nil,
        oldKey: String? = nil, newKey: String? = nil
    ) {
        self.class = changeClass
        self.rule = rule
        self.oldParagraph = oldParagraph
        self.newParagraph = newParagraph
        self.oldText = oldText
        self.newText = newText
        self.oldStart = oldStart
        self.oldEnd = oldEnd
        self.newStart = newStart
        self.newEnd = newEnd
        self.oldKey = oldKey
        self.newKey = newKey
    }

    private enum CodingKeys: String, CodingKey {
        case `class`, rule
        case oldParagraph = "old_paragraph", newParagraph = "new_paragraph"
        case oldText = "old_text", newText = "new_text"
        case oldStart = "old_start", oldEnd = "old_end", newStart = "new_start", newEnd = "new_end"
        case oldKey = "old_key", newKey = "new_key"
    }
}

/// Counts per class and words added/removed across one diff.
///
/// JSON: one integer per class under its raw value (`whitespace`, ..., `paragraph_moved`),
/// plus `words_added` and `words_removed`: word and number tokens of `wording` and `number`
/// changes and of added/removed paragraphs (respelled, moved or re-punctuated words do not count).
public struct DiffSummary: Sendable, Equatable, Codable {
    /// Number of `whitespace` changes.
    public var whitespace = 0
    /// Number of `punctuation` changes.
    public var punctuation = 0
    /// Number of `orthography` changes.
    public var orthography = 0
    /// Number of `spelling` changes.
    public var spelling = 0
    /// Number of `number` changes.
    public var number = 0
    /// Number of `wording` changes.
    public var wording = 0
    /// Number of `paragraph_added` changes.
    public var paragraphAdded = 0
    /// Number of `paragraph_removed` changes.
    public var paragraphRemoved = 0
    /// Number of `paragraph_moved` changes.
    public var paragraphMoved = 0
    /// Word and number tokens present only in the new text.
    public var wordsAdded = 0
    /// Word and number tokens present only in the old text.
    public var wordsRemoved = 0

    /// An empty summary.
    public init() {}

    /// The count for one class.
    public subscript(_ changeClass: ChangeClass) -> Int {
        get {
            switch changeClass {
            case .whitespace: whitespace
            case .punctuation: punctuation
            case .orthography: orthography
            case .spelling: spelling
            case .number: number
            case .wording: wording
            case .paragraphAdded: paragraphAdded
            case .paragraphRemoved: paragraphRemoved
            case .paragraphMoved: paragraphMoved
            }
        }
        set {
            switch changeClass {
            case .whitespace: whitespace = newValue
            case .punctuation: punctuation = newValue
            case .orthography: orthography = newValue
            case .spelling: spelling = newValue
            case .number: number = newValue
            case .wording: wording = newValue
            case .paragraphAdded: paragraphAdded = newValue
            case .paragraphRemoved: paragraphRemoved = newValue
            case .paragraphMoved: paragraphMoved = newValue
            }
        }
    }

    /// Total number of changes.
    public var changeCount: Int { ChangeClass.allCases.reduce(0) { $0 + self[$1] } }

    private enum CodingKeys: String, CodingKey {
        case whitespace, punctuation, orthography, spelling, number, wording
        case paragraphAdded = "paragraph_added", paragraphRemoved = "paragraph_removed"
        case paragraphMoved = "paragraph_moved"
        case wordsAdded = "words_added", wordsRemoved = "words_removed"
    }
}

/// The result of comparing two texts.
///
/// JSON: `{"significance": ..., "summary": {...}, "changes": [...], "patch": {...}}`;
/// `significance` is `null`/absent when the texts are identical.
public struct TextDiff: Sendable, Equatable, Codable {
    /// The highest significance among the changes; nil when the texts are identical.
    public var significance: Significance?
    /// Counts per class and words added/removed.
    public var summary: DiffSummary
    /// Every change, in new-text order (removed paragraphs at their old position).
    public var changes: [Change]
    /// Rebuilds the new text from the old one, byte for byte.
    public var patch: Patch

    /// Whether the two texts were byte-for-byte identical.
    public var isIdentical: Bool { patch.isIdentity }

    /// Creates a diff result.
    public init(significance: Significance?, summary: DiffSummary, changes: [Change], patch: Patch) {
        self.significance = significance
        self.summary = summary
        self.changes = changes
        self.patch = patch
    }
}
