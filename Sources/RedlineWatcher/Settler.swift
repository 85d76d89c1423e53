/// What the pipeline should do about the tree, once events have settled. Pure values.
public enum SettledChange: Sendable, Equatable, CustomStringConvertible {
    /// Look at this file now: it was created, modified or deleted. The consumer `lstat`s it and compares it with
    /// what it knows (a missing file is a delete; unchanged content is nothing).
    case changed(path: String)
    /// A file was renamed (halves paired by cookie). The consumer compares the content at `to` with what it knew
    /// at `from`; `from` may be a file it never tracked (the temp file of an atomic save).
    case moved(from: String, to: String)
    /// A directory was renamed within the watched tree: every article below `from` is now below `to`.
    case directoryMoved(from: String, to: String)
    /// A directory was deleted or moved out of the tree: every article below it is gone.
    case directoryRemoved(path: String)
    /// The kernel queue overflowed and events were lost: rescan everything.
    case overflow
    /// A watched root was deleted or moved away: every article under it is gone (rescan it).
    case rootLost(root: String)
    /// A lost root is back and watched again: what it holds now is new to the consumer (rescan it).
    case rootFound(root: String)

    /// A compact form for logs and test failures.
    public var description: String {
        switch self {
        case .changed(let path): return "changed \(path)"
        case .moved(let from, let to): return "moved \(from) -> \(to)"
        case .directoryMoved(let from, let to): return "directoryMoved \(from) -> \(to)"
        case .directoryRemoved(let path): return "directoryRemoved \(path)"
        case .overflow: return "overflow"
        case .rootLost(let root): return "rootLost \(root)"
        case .rootFound(let root): return "rootFound \(root)"
        }
    }
}

/// Pure settle/coalesce step: a function of `WatchEvent`s and a clock, with no I/O and no kernel.
///
/// Rules:
/// - **Quiet period.** A path is reported once no event has touched it for `settle` (the deadline moves with
///   every event on the path), so a burst of writes gives one `.changed`.
/// - **Renames.** A `movedFrom` waits up to `pairTimeout` for the `movedTo` with the same cookie; the halves need
///   not be adjacent. A paired file rename is one `.moved(from:to:)`, settled at its destination; events that were
///   pending on the source are folded into it (the consumer compares content anyway). A paired directory rename is
///   one `.directoryMoved`, and pending paths below the old name move to the new one.
/// - **Unpaired halves.** A `movedFrom` with no partner after `pairTimeout` is `.changed(from)` (the file is gone,
///   a delete) or `.directoryRemoved(from)`. A `movedTo` with no partner is `.changed(to)` (a create); for a
///   directory nothing is reported here, because the backend emits its contents as synthetic events.
/// - **Atomic save.** Write `tmp`, rename `tmp` over `article`: the temp file's own events fold into the rename,
///   which replaces anything pending on `article`, so the result is one `.moved(from: tmp, to: article)` and no
///   separate report of either path.
/// - **Chains.** `a -> b` then `b -> c` is `.moved(a, c)` plus `.changed(b)` (whatever was at `b` before is gone).
///   A file moved in and then deleted is `.changed` of both names.
/// - **Directories.** A deleted directory (`delete` or `deleteSelf`) is `.directoryRemoved`, which absorbs the
///   pending changes below it. A created directory reports nothing by itself (its contents come as events).
/// - **Overflow** drops all pending work and reports `.overflow` once, first, after the quiet period (so a storm
///   of overflows is one rescan).
/// - `moveSelf` and `ignored` carry nothing the parent directory's events do not, and are not reported.
/// - **Roots.** `rootLost` and `rootFound` come out at the next `due`, without a quiet period and ahead of other
///   changes: the consumer rescans the root, which settles whatever was pending below it. A pending root change is
///   dropped by an overflow, whose rescan covers it.
///
/// Within one `due` call, changes come out in the order their paths were first seen (ties cannot happen).
public struct Settler: Sendable {
    /// What is pending on one output path.
    private enum Pending: Sendable, Equatable {
        case changed
        case moved(from: String)
        case directoryMoved(from: String)
        case directoryRemoved
    }

    private struct Entry: Sendable {
        var pending: Pending
        var deadline: ContinuousClock.Instant
        var order: UInt64
    }

    private struct HalfMove: Sendable {
        var path: String
        var isDirectory: Bool
        var deadline: ContinuousClock.Instant
    }

    /// The quiet period a path needs before it is reported.
    public let settle: Duration
    /// How long a `movedFrom` waits for its `movedTo`.
    public let pairTimeout: Duration

    private var entries: [String: Entry] = [:]
    /// Every entry's deadline, earliest first; a deadline change pushes a new item and the old one goes
    /// stale (dropped when popped), so `due` touches only what is due instead of every pending path.
    private var queue = DeadlineQueue()
    private var halves: [UInt32: HalfMove] = [:]
    private var overflowAt: ContinuousClock.Instant?
    /// Changes that must come out at the next `due`, ahead of what replaced them on the same path.
    private var displaced: [SettledChange] = []
    /// No pending deadline is earlier than this (nil when nothing is pending). A cheap lower bound, made exact at
    /// every `due` that does work, so `due` and `nextDeadline` cost nothing between deadlines while a burst keeps
    /// thousands of paths pending.
    private var bound: ContinuousClock.Instant?
    private var counter: UInt64 = 0

    /// Creates a settler with the given quiet period and rename-pairing timeout.
    public init(settle: Duration = .milliseconds(50), pairTimeout: Duration = WatchEvent.pairingTimeout) {
        self.settle = settle
        self.pairTimeout = pairTimeout
    }

    /// Whether nothing is pending.
    public var isIdle: Bool { entries.isEmpty && halves.isEmpty && overflowAt == nil && displaced.isEmpty }

    /// When `due` should next be called (nil when nothing is pending).
    public var nextDeadline: ContinuousClock.Instant? {
        [overflowAt, bound].compactMap { $0 }.min()
    }

    /// Feeds one event observed at `now`.
    public mutating func observe(_ event: WatchEvent, at now: ContinuousClock.Instant) {
        switch event.kind {
        case .overflow:
            entries.removeAll()
            queue.removeAll()
            halves.removeAll()
            displaced.removeAll()
            bound = nil
            // Waiting out the quiet period folds a storm of overflows into one rescan.
            if overflowAt == nil { overflowAt = now + settle }
        case .create where event.isDirectory:
            // The backend reports what is inside; the directory itself is no article.
            break
        case .create, .modify, .closeWrite, .attrib:
            touch(event.path, at: now)
        case .delete, .deleteSelf:
            if event.isDirectory {
                removeDirectory(event.path, at: now)
            } else if event.kind == .delete {
                deleteFile(event.path, at: now)
            }
        case .movedFrom:
            halves[event.cookie] = HalfMove(
                path: event.path,
                isDirectory: event.isDirectory,
                deadline: now + pairTimeout
            )
            lower(to: now + pairTimeout)
        case .movedTo:
            if let from = halves.removeValue(forKey: event.cookie) {
                if from.isDirectory || event.isDirectory {
                    moveDirectory(from: from.path, to: event.path, at: now)
                } else {
                    moveFile(from: from.path, to: event.path, at: now)
                }
            } else if !event.isDirectory {
                touch(event.path, at: now)
            }
        case .moveSelf, .ignored:
            break
        case .rootLost:
            displaced.append(.rootLost(root: event.path))
            lower(to: now)
        case .rootFound:
            displaced.append(.rootFound(root: event.path))
            lower(to: now)
        }
    }

    /// Changes whose quiet period has passed at `now`, in a deterministic order; they are no longer pending.
    public mutating func due(at now: ContinuousClock.Instant) -> [SettledChange] {
        if overflowAt.map({ $0 > now }) ?? true, displaced.isEmpty, bound.map({ now < $0 }) ?? true {
            return []
        }
        defer { recomputeBound() }
        var result: [SettledChange] = []
        if let at = overflowAt, at <= now {
            overflowAt = nil
            result.append(.overflow)
        }
        result += displaced
        displaced.removeAll()
        // Unpaired halves whose partner did not come: the file or directory left the tree.
        let expired = halves.filter { $0.value.deadline <= now }.sorted { $0.key < $1.key }
        for (cookie, half) in expired {
            halves.removeValue(forKey: cookie)
            if half.isDirectory {
                removeDirectory(half.path, at: now, quiet: false)
            } else {
                deleteFile(half.path, at: now, quiet: false)
            }
        }
        // A path that is the source of a rename still in flight waits for the rename to resolve.
        let inFlight = Dictionary(halves.values.map { ($0.path, $0.deadline) }, uniquingKeysWith: min)
        var ready: [(String, Entry)] = []
        var taken: Set<String> = []
        while let item = queue.first, item.key <= now {
            queue.removeFirst()
            // Stale (the entry moved on), or a second item for the same deadline.
            guard let entry = entries[item.path], entry.deadline == item.stamp, !taken.contains(item.path) else {
                continue
            }
            if let waitUntil = inFlight[item.path] {
                // Expired halves were resolved above, so `waitUntil` is still ahead: look again then.
                queue.insert(DeadlineQueue.Item(key: waitUntil, path: item.path, stamp: item.stamp))
                continue
            }
            taken.insert(item.path)
            ready.append((item.path, entry))
        }
        ready.sort { $0.1.order < $1.1.order }
        for (path, entry) in ready {
            entries.removeValue(forKey: path)
            switch entry.pending {
            case .changed: result.append(.changed(path: path))
            case .moved(let from): result.append(.moved(from: from, to: path))
            case .directoryMoved(let from): result.append(.directoryMoved(from: from, to: path))
            case .directoryRemoved: result.append(.directoryRemoved(path: path))
            }
        }
        return result
    }

    // MARK: - Rules

    private mutating func lower(to deadline: ContinuousClock.Instant) {
        bound = min(bound ?? deadline, deadline)
    }

    /// The exact earliest deadline. An entry whose path is the source of a rename in flight does not count: it
    /// waits for the half's deadline instead (`due` re-queues it at that deadline).
    private mutating func recomputeBound() {
        while let item = queue.first, entries[item.path]?.deadline != item.stamp { queue.removeFirst() }
        var result = queue.first?.key
        for half in halves.values { result = min(result ?? half.deadline, half.deadline) }
        bound = result
    }

    /// Records that `path`'s entry now has `deadline`.
    private mutating func enqueue(_ path: String, _ deadline: ContinuousClock.Instant) {
        queue.insert(DeadlineQueue.Item(key: deadline, path: path, stamp: deadline))
        lower(to: deadline)
    }

    private mutating func nextOrder() -> UInt64 {
        counter += 1
        return counter
    }

    /// Marks `path` as changed (keeping a pending rename into it) and restarts its quiet period.
    private mutating func touch(_ path: String, at now: ContinuousClock.Instant) {
        if let entry = entries[path] {
            if entry.deadline != now + settle {
                entries[path]!.deadline = now + settle
                enqueue(path, now + settle)
            }
        } else {
            set(path, .changed, deadline: now + settle)
        }
    }

    private mutating func set(_ path: String, _ pending: Pending, deadline: ContinuousClock.Instant) {
        let order = entries[path]?.order ?? nextOrder()
        entries[path] = Entry(pending: pending, deadline: deadline, order: order)
        enqueue(path, deadline)
    }

    /// A file is gone from `path`: report the path, and the source of a rename into it (that content is gone too).
    private mutating func deleteFile(_ path: String, at now: ContinuousClock.Instant, quiet: Bool = true) {
        let deadline = quiet ? now + settle : now
        if case .moved(let from)? = entries[path]?.pending, from != path {
            mergeChanged(from, deadline: deadline)
        }
        set(path, .changed, deadline: deadline)
    }

    /// Adds a `.changed` on `path` unless something stronger is already pending there.
    private mutating func mergeChanged(_ path: String, deadline: ContinuousClock.Instant) {
        if let existing = entries[path] {
            if deadline > existing.deadline {
                entries[path]!.deadline = deadline
                enqueue(path, deadline)
            }
        } else {
            set(path, .changed, deadline: deadline)
        }
    }

    private mutating func moveFile(from: String, to: String, at now: ContinuousClock.Instant) {
        guard from != to else { return touch(to, at: now) }
        let deadline = now + settle
        var source = from
        if let pending = entries.removeValue(forKey: from)?.pending {
            if case .moved(let earlier) = pending {
                // a -> from -> to: the content started at `a`; whatever `from` held before is gone.
                source = earlier
                set(from, .changed, deadline: deadline)
            }
        }
        if case .moved(let displaced)? = entries[to]?.pending, displaced != source {
            // Something renamed into `to` earlier is overwritten now: its source is gone as well.
            mergeChanged(displaced, deadline: deadline)
        }
        if source == to {
            set(to, .changed, deadline: deadline)
        } else {
            set(to, .moved(from: source), deadline: deadline)
        }
    }

    private mutating func moveDirectory(from: String, to: String, at now: ContinuousClock.Instant) {
        let deadline = now + settle
        let prefix = from + "/"
        // Pending work below the old name now lives below the new one.
        for (path, entry) in entries where path.hasPrefix(prefix) {
            entries.removeValue(forKey: path)
            let moved = to + "/" + path.dropFirst(prefix.count)
            entries[moved] = entry
            enqueue(moved, entry.deadline)
        }
        if case .directoryRemoved? = entries[to]?.pending {
            // `rm -r d; mv e d`: the old articles below `d` go before the moved ones arrive.
            displaced.append(.directoryRemoved(path: to))
            entries.removeValue(forKey: to)
        }
        if case .directoryMoved(let earlier)? = entries.removeValue(forKey: from)?.pending {
            set(to, .directoryMoved(from: earlier), deadline: deadline)
        } else {
            set(to, .directoryMoved(from: from), deadline: deadline)
        }
    }

    private mutating func removeDirectory(_ path: String, at now: ContinuousClock.Instant, quiet: Bool = true) {
        let deadline = quiet ? now + settle : now
        let prefix = path + "/"
        for (child, entry) in entries where child.hasPrefix(prefix) {
            entries.removeValue(forKey: child)
            // A file renamed into the doomed directory left its old name: that name still needs a look.
            if case .moved(let from) = entry.pending, !from.hasPrefix(prefix) {
                mergeChanged(from, deadline: deadline)
            }
        }
        if case .directoryMoved(let from)? = entries[path]?.pending {
            // Moved in and then removed: the old name is what the consumer knows.
            entries.removeValue(forKey: path)
            set(from, .directoryRemoved, deadline: deadline)
            return
        }
        set(path, .directoryRemoved, deadline: deadline)
    }
}

/// A binary min-heap of deadlines (the standard library has none, and this is the settler's only need).
struct DeadlineQueue: Sendable {
    struct Item: Sendable {
        /// When the item comes due.
        var key: ContinuousClock.Instant
        var path: String
        /// The entry's deadline when the item was queued; an item whose entry moved on is stale.
        var stamp: ContinuousClock.Instant
    }

    private var items: [Item] = []

    var first: Item? { items.first }

    mutating func removeAll() { items.removeAll() }

    mutating func insert(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].key < items[parent].key else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeFirst() {
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left].key < items[smallest].key { smallest = left }
            if right < items.count && items[right].key < items[smallest].key { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
