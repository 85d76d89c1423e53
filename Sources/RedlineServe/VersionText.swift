import RedlineFeed

/// The text of one version of an article, rebuilt from the feed with RedlineFeed's own fold
/// (``ArticleHistory``, and ``FeedSnapshot`` where retention deleted the start), so every version served is
/// checked against the sha256 its record carries.
///
/// Only the records of the article's chain are decoded and folded: one cursor walks from the chain's first
/// seq to the version asked for and skips every other record on its seq, without decoding it.
enum VersionText {
    /// The text of `versions.last`, given its chain from ``ArticleIndex/chain(path:seq:)``.
    /// - Parameter complete: whether the chain starts at a `created` record; if not, the fold starts at the
    ///   feed's snapshot, which holds the article as retention left it.
    /// - Throws: ``ServeError`` `.gone` when retention deleted what the version needs, `.failed` when the feed
    ///   does not rebuild it (a damaged feed).
    static func rebuild(
        directory: String, versions: [ArticleIndex.Version], complete: Bool, path: String
    ) throws(ServeError) -> String {
        guard let target = versions.last, let first = versions.first else {
            throw ServeError(.notFound, "no such version")
        }
        let wanted = Set(versions.map(\.seq))
        do throws(FeedError) {
            var history = ArticleHistory()
            var since = first.seq
            if !complete {
                (history, since) = try FeedSnapshot.start(directory: directory, until: target.seq)
                since = max(since, first.seq)
            }
            let cursor = try FeedReader(directory: directory).cursor(since: since, strict: true)
            while let raw = try cursor.next(), raw.seq <= target.seq {
                guard wanted.contains(raw.seq) else { continue }
                try history.apply(try raw.decode())
            }
            guard let version = history.articles[ArticleKey(root: target.root, path: path)],
                version.seq == target.seq
            else {
                throw FeedError(
                    .mismatch, path: path,
                    message: "the feed does not rebuild \(path) at seq \(target.seq); run `redline check` on it")
            }
            return version.text
        } catch {
            throw ServeError(error)
        }
    }
}
