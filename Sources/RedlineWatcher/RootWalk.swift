import Dispatch
import RedlinePOSIX
import Synchronization

/// One root's first walk, handed to another thread while the owner thread is still walking.
///
/// The owner thread lists each directory only after its watch is in place, so a consumer that compares the
/// listings with what it knew misses nothing: a change made after a directory was listed produces an event. The
/// daemon's startup scan reads the tree this way instead of walking it a second time (git's index plays the same
/// part for `git status`: one pass of the tree, compared with a table).
public final class RootWalk: Sendable {
    /// The entries of one watched directory.
    public struct Listing: Sendable {
        /// The directory's absolute path, as the watcher reports it in events.
        public var directory: String
        /// Its entries, without `lstat` data (a consumer stats the ones it wants).
        public var entries: [POSIX.Entry]
    }

    private struct State {
        var listings: [Listing] = []
        var head = 0
        var result: Result<Int, WatchError>?
        var complete = true
    }

    /// The root, normalised as in events.
    public let root: String
    private let state = Mutex(State())
    /// Signalled once per listing and once at the end.
    private let available = DispatchSemaphore(value: 0)
    /// Signalled at the end (and passed on by each waiter).
    private let ended = DispatchSemaphore(value: 0)

    init(root: String) {
        self.root = root
    }

    /// The next listing, in walk order; nil once the walk is over (``result`` then says how it ended).
    public func next() -> Listing? {
        available.wait()
        return state.withLock { state in
            guard state.head < state.listings.count else {
                available.signal()  // the end stays visible to later calls
                return nil
            }
            let listing = state.listings[state.head]
            state.head += 1
            if state.head >= 1024 {
                state.listings.removeFirst(state.head)
                state.head = 0
            }
            return listing
        }
    }

    /// How the walk ended: the number of directories watched, or why not all of them are.
    ///
    /// Waits for the end of the walk; the listings not yet taken stay available to ``next()``.
    public var result: Result<Int, WatchError> {
        if let result = state.withLock({ $0.result }) { return result }
        ended.wait()
        ended.signal()
        return state.withLock { $0.result }!
    }

    /// Whether every directory of the tree was listed (watched or gone), known once the walk is over: false when
    /// a directory could not be watched (the watch limit, permissions), so its entries are not in the listings.
    public var isComplete: Bool {
        _ = result
        return state.withLock { $0.complete }
    }

    func markIncomplete() {
        state.withLock { $0.complete = false }
    }

    func push(_ listing: Listing) {
        state.withLock { $0.listings.append(listing) }
        available.signal()
    }

    func finish(_ result: Result<Int, WatchError>) {
        let first = state.withLock { state in
            guard state.result == nil else { return false }
            state.result = result
            return true
        }
        if first {
            available.signal()
            ended.signal()
        }
    }
}
