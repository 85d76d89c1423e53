/// One kernel event, copied out of libinotifytools' static storage at once.
///
/// Paths are absolute and never end in `/`. Events made up by the backend (the contents of a directory that
/// appeared after the watch was set) have the same shape as kernel ones, so consumers need not tell them apart.
public struct WatchEvent: Sendable, Equatable, CustomStringConvertible {
    /// How long a `movedFrom` waits for its `movedTo` before it counts as a move out of the tree: one value
    /// for the backend (a directory's watches) and the ``Settler`` (a file's rename), so the two never
    /// disagree about the same rename. The kernel queues both halves together; this only covers our latency.
    public static let pairingTimeout: Duration = .milliseconds(500)

    /// What happened, one inotify bit each.
    public enum Kind: Sendable, Equatable {
        /// `IN_CREATE`: a file or directory appeared in a watched directory.
        case create
        /// `IN_MODIFY`: a file was written (more may follow before it is closed).
        case modify
        /// `IN_CLOSE_WRITE`: a file opened for writing was closed.
        case closeWrite
        /// `IN_MOVED_FROM`: the first half of a rename; `cookie` pairs it with its `movedTo`.
        case movedFrom
        /// `IN_MOVED_TO`: the second half of a rename; `cookie` pairs it with its `movedFrom`.
        case movedTo
        /// `IN_DELETE`: a file or directory was removed from a watched directory.
        case delete
        /// `IN_DELETE_SELF`: a watched directory itself was removed.
        case deleteSelf
        /// `IN_MOVE_SELF`: a watched directory itself was renamed.
        case moveSelf
        /// `IN_ATTRIB`: metadata (permissions, times, link count) changed.
        case attrib
        /// `IN_Q_OVERFLOW`: the kernel queue overflowed and events were lost; rescan everything.
        case overflow
        /// `IN_IGNORED`: the kernel dropped a watch (its directory was removed or the watch was removed).
        case ignored
        /// Made up by the backend: a watched root was deleted or moved away. Its watches are gone (nothing more is
        /// reported from the tree that moved), and the backend waits for a directory to appear at its path again.
        case rootLost
        /// Made up by the backend: a lost root's path holds a directory again and it is watched again. Its contents
        /// are not reported as events: the consumer compares the tree with what it knows (a rescan).
        case rootFound
    }

    /// What happened.
    public var kind: Kind
    /// Absolute path of the file or directory the event is about (`""` for `.overflow`; the root for `.rootLost`
    /// and `.rootFound`).
    public var path: String
    /// Whether `path` is a directory.
    public var isDirectory: Bool
    /// Pairs `movedFrom` with `movedTo` (0 for other kinds).
    public var cookie: UInt32

    /// Creates an event.
    public init(kind: Kind, path: String, isDirectory: Bool, cookie: UInt32 = 0) {
        self.kind = kind
        self.path = path
        self.isDirectory = isDirectory
        self.cookie = cookie
    }

    /// A compact form for logs and test failures, e.g. `closeWrite /srv/a.txt` or `movedFrom dir /srv/d #7`.
    public var description: String {
        var text = "\(kind)"
        if isDirectory { text += " dir" }
        if !path.isEmpty { text += " \(path)" }
        if cookie != 0 { text += " #\(cookie)" }
        return text
    }
}
