import Foundation
import RedlinePOSIX

/// A thread of its own that runs jobs one at a time: now, in the order given, or once a delay has passed.
///
/// The daemon's background work (gzipping sealed segments, the `interval` fsync, state store writes) runs here rather than on a
/// libdispatch queue: on Linux, libdispatch's worker pool arms a one-second monitor timer the first time any
/// queue or task needs a worker, and keeps it for the life of the process, so an idle daemon would wake every
/// second. An idle `WorkerThread` waits on its condition with no timeout: it never wakes by itself.
public final class WorkerThread: @unchecked Sendable {
    /// Every field below is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var delayed: [(due: ContinuousClock.Instant, job: @Sendable () -> Void)] = []
    private var stopped = false

    /// Starts the thread, named `name` in `top -H` (at most 15 characters).
    /// - Parameter background: run at nice 19, behind every other thread of the process (as libdispatch's utility
    ///   QoS did for the queue this replaces).
    public init(name: String, background: Bool = false) {
        let thread = Thread { [self] in
            if background { POSIX.yieldThreadPriority() }
            loop()
        }
        thread.name = name
        thread.start()
    }

    /// Runs `job` on the thread after the jobs already given; after ``stop()``, on the caller's thread at once.
    public func async(_ job: @escaping @Sendable () -> Void) {
        let queued = condition.withLock {
            guard !stopped else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }
        if !queued { job() }
    }

    /// Runs `job` on the thread once `delay` has passed (and the jobs due before it have run).
    public func async(after delay: Duration, _ job: @escaping @Sendable () -> Void) {
        condition.withLock {
            delayed.append((ContinuousClock.now + delay, job))
            condition.signal()
        }
    }

    /// Waits until every job given so far without a delay has run.
    public func sync() {
        let done = DispatchSemaphore(value: 0)
        async { done.signal() }
        done.wait()
    }

    /// Ends the thread after the jobs given so far without a delay; delayed jobs not yet due never run.
    public func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func loop() {
        while let job = next() { job() }
    }

    /// The next job to run, waiting for one; nil once stopped with nothing left to run now.
    private func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if !jobs.isEmpty { return jobs.removeFirst() }
            if stopped { return nil }  // and `async` runs later jobs itself
            let now = ContinuousClock.now
            if let soonest = delayed.indices.min(by: { delayed[$0].due < delayed[$1].due }) {
                if delayed[soonest].due <= now { return delayed.remove(at: soonest).job }
                let wait = now.duration(to: delayed[soonest].due)
                let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18
                _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
            } else {
                condition.wait()
            }
        }
    }
}
