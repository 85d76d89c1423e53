import Foundation
import Logging
import RedlineWatcher

/// What the pipeline thread is told.
enum Input: Sendable {
    case event(WatchEvent)
    case reload
    case stop
}

/// A blocking, bounded mailbox for the pipeline thread.
///
/// At most `capacity` watch events wait in it. When the pipeline is that far behind, newer events are
/// dropped and the next ``take(until:)`` ends with one synthetic `.overflow`: the pipeline rescans every
/// root, as after a kernel queue overflow, so memory stays bounded and nothing is lost (the kernel's
/// own queue, `fs.inotify.max_queued_events`, is handled the same way). Reloads and stops are never dropped.
///
/// `@unchecked Sendable`: every field is guarded by `condition` (a `Mutex` has no condition variable, and
/// the pipeline thread must block until something arrives).
final class Inbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Input] = []
    private var events = 0
    private var dropped = 0
    private var stopping = false
    private let capacity: Int
    private let logger: Logger

    init(capacity: Int = 100_000, logger: Logger = Logger(label: "redline.inbox")) {
        self.capacity = capacity
        self.logger = logger
    }

    /// Whether `.stop` was pushed (a long reconciliation checks this between files).
    var stopRequested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Adds an input and wakes the pipeline; a watch event past the capacity is dropped (and rescanned for).
    func push(_ input: Input) {
        condition.lock()
        defer { condition.unlock() }
        switch input {
        case .stop: stopping = true
        case .event:
            guard events < capacity else {
                if dropped == 0 {
                    logger.warning(
                        """
                        the pipeline is \(capacity) events behind (event_queue); dropping newer events and \
                        rescanning every root once it catches up
                        """)
                }
                dropped += 1
                return
            }
            events += 1
        case .reload: break
        }
        items.append(input)
        condition.signal()
    }

    /// Waits until `.stop` is pushed or `deadline` passes, leaving whatever else arrives queued.
    /// - Returns: whether shutdown was requested.
    func waitForStop(until deadline: ContinuousClock.Instant) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !stopping {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { break }
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) * 1e-18
            _ = condition.wait(until: Date().addingTimeInterval(seconds))
        }
        return stopping
    }

    /// Everything queued, waiting until something arrives or `deadline` passes.
    func take(until deadline: ContinuousClock.Instant?) -> [Input] {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty {
            guard let deadline else {
                condition.wait()
                continue
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { break }
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) * 1e-18
            if !condition.wait(until: Date().addingTimeInterval(seconds)) { break }
        }
        var taken = items
        items.removeAll(keepingCapacity: true)
        events = 0
        if dropped > 0 {
            // After every event that was kept: the rescan sees the tree as it is by then.
            taken.append(.event(WatchEvent(kind: .overflow, path: "", isDirectory: false)))
            dropped = 0
        }
        return taken
    }
}
