import Dispatch
import Foundation
import Logging
import RedlineDiff
import RedlineFeed
import RedlineState

/// Keeps the daemon's ``ArchiveWords`` level with the articles the feed holds: how many of the watched
/// articles use each word, the classifier's evidence for `archive_form`.
///
/// Counting runs on a background thread of its own, in the order the pipeline's batches became durable, so
/// the pipeline never tokenizes a whole article for it. The counts are a cache like the state store:
/// - a clean stop writes them to `DATA/cache/archive-words.bin`, stamped with the feed and seq the store had;
/// - a start whose store (after catching up with the feed) has that stamp loads them;
/// - any other start counts again from the store's texts, on this thread, from a snapshot taken once the
///   startup scan is in the store: the scan's changes are not handed over one by one (a cold start's 100,000
///   texts, counted while the scan ran, took a core from it), and no article is counted twice. Until that is
///   done a diff sees fewer articles using a word, which only ever makes `archive_form` rarer (the classes
///   stay the stricter ones).
final class ArchiveCounter: @unchecked Sendable {
    /// The counts the pipeline's diffs consult.
    let words = ArchiveWords()
    private let worker = WorkerThread(name: "redline-words", background: true)
    private let file: String
    private let logger: Logger

    /// A counter whose cache lives in `cacheDirectory`; it counts nothing until ``start(state:)``.
    init(cacheDirectory: String, logger: Logger) {
        file = cacheDirectory + "/archive-words.bin"
        self.logger = logger
    }

    deinit { worker.stop() }

    private static func stamp(_ position: (feedID: String?, lastSeq: UInt64)) -> String {
        "\(position.feedID ?? "-"):\(position.lastSeq)"
    }

    /// Set by ``start(state:)`` when there were no saved counts: the startup scan's changes are dropped, and
    /// ``scanned(state:)`` recounts the store. Used on the pipeline's thread only.
    private var recountAfterScan = false

    /// Loads the counts saved for the store's position; without them, counts the store's texts once the startup
    /// scan is done (``scanned(state:)``).
    /// - Throws: `StateError` when the store's position cannot be read.
    func start(state: StateStore) throws {
        let stamp = Self.stamp(try state.position())
        if let bytes = FileManager.default.contents(atPath: file),
            let saved = ArchiveWords.decode(compiled: [UInt8](bytes), stamp: stamp)
        {
            worker.async { [words] in words.merge(saved) }
            return
        }
        recountAfterScan = true
    }

    /// The startup scan is done and `state` has every change it made: without saved counts, count its texts now,
    /// in the background. `state` is only asked for then (making it level with the feed waits for its writes).
    func scanned(state: @autoclosure () throws -> StateStore) rethrows {
        guard recountAfterScan else { return }
        recountAfterScan = false
        recount(try state())
    }

    /// Counts the store's texts on the counting thread. The snapshot is taken before this returns, so the writes
    /// after it are counted once, by `changed`, in order behind it.
    private func recount(_ state: StateStore) {
        let taken = DispatchSemaphore(value: 0)
        worker.async { [words, logger] in
            var counts: [UInt64: UInt32] = [:]
            var articles = 0
            var signalled = false
            do {
                try state.forEachText(snapshotTaken: {
                    signalled = true
                    taken.signal()
                }) { text in
                    ArchiveWords.count(ArchiveWords.words(of: text), into: &counts)
                    articles += 1
                }
            } catch {
                logger.warning("cannot count the archive's words from the state store: \(error)")
            }
            if !signalled { taken.signal() }
            words.merge(counts)
            logger.info(
                "counted the archive's words",
                metadata: ["archive.articles": "\(articles)", "archive.words": "\(counts.count)"])
        }
        taken.wait()
    }

    /// Articles changed from `old` to `new` (nil: it did not exist, or no longer does), one batch's worth;
    /// counted after the changes given before. One hand-off per batch, not per article: a cold start's 100,000
    /// `created` records cost 100,000 wake-ups of this thread otherwise.
    func changed(_ changes: [(old: String?, new: String?)]) {
        // The recount after the scan will find these in the store.
        guard !changes.isEmpty, !recountAfterScan else { return }
        worker.async { [words] in
            for (old, new) in changes {
                if let old, let new {
                    let (removing, adding) = ArchiveWords.change(from: old, to: new)
                    words.update(removing: removing, adding: adding)
                } else {
                    words.update(
                        removing: old.map(ArchiveWords.words(of:)) ?? [],
                        adding: new.map(ArchiveWords.words(of:)) ?? [])
                }
            }
        }
    }

    /// Waits for the counting given so far, then writes the counts stamped with the store's position (a clean
    /// stop: the store is level with the feed). A failure only costs a recount at the next start.
    func save(state: StateStore) {
        worker.sync()
        guard let position = try? state.position() else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(words.compiled(stamp: Self.stamp(position))).write(
                to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            logger.debug("archive word counts not saved: \(error)", metadata: ["file": "\(file)"])
        }
    }
}
