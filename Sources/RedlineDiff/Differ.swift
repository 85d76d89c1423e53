/// Compares two article texts: aligns paragraphs and words, classifies each edit, builds a patch.
///
/// See `docs/diff.md` for the algorithm, the comparison key and every classification rule.
public enum Differ {
    /// Deterministic diff + classification of two article texts.
    ///
    /// Byte-identical texts short-circuit (one hash and compare, no tokenizing): the result has
    /// `significance == nil`, no changes and an identity patch.
    /// - Parameter lexicon: the words of each script, which tell a typo from a real-word change;
    ///   it is loaded only if a change needs it. Without one (or for a script it does not cover)
    ///   the classifier uses its distance rules alone.
    /// - Parameter archive: how many articles of the archive use each word: a rare form fixed into one the
    ///   archive uses often is `spelling` (rule `archive_form`), names too.
    public static func diff(
        old: String, new: String, lexicon: LazyLexicon? = nil, archive: ArchiveWords? = nil
    ) -> TextDiff {
        var old = old
        var new = new
        return old.withUTF8 { o in
            new.withUTF8 { n in
                if o.count == n.count, memEqual(o, 0, n, 0, o.count) {
                    return TextDiff(
                        significance: nil, summary: DiffSummary(), changes: [],
                        patch: Patch(
                            oldLength: o.count, oldHash: FNV1a.hash(o), newLength: n.count,
                            operations: o.isEmpty ? [] : [.copy(start: 0, count: o.count)]))
                }
                var engine = Engine(o: o, n: n, lexicon: lexicon, archive: archive)
                return engine.run()
            }
        }
    }
}
