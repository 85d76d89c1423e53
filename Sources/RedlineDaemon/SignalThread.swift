import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's signals, taken synchronously by one thread (`sigwaitinfo`), as journald and PostgreSQL's
/// postmaster take theirs in their own loop: no handler runs at an arbitrary point of another thread.
enum SignalThread {
    /// The signals the daemon acts on: SIGTERM and SIGINT stop it, SIGHUP reloads its configuration.
    static var handled: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, signal) }
        return set
    }

    /// Blocks the signals in the calling thread (threads started later inherit that) and starts the thread that
    /// takes them. After the first stop request it waits at most `shutdownBudget` for the process to end.
    static func start(inbox: Inbox, shutdownBudget: Duration, logger: Logger) {
        var set = handled
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let thread = Thread {
            var set = handled
            var stopDeadline: ContinuousClock.Instant?
            while true {
                var info = siginfo_t()
                let signal: Int32
                if let deadline = stopDeadline {
                    let left = ContinuousClock.now.duration(to: deadline)
                    if left <= .zero {
                        logger.critical(
                            "the graceful stop did not finish within \(shutdownBudget); exiting with status 1")
                        exit(1)
                    }
                    var timeout = timespec(
                        tv_sec: Int(left.components.seconds),
                        tv_nsec: Int(left.components.attoseconds / 1_000_000_000))
                    signal = sigtimedwait(&set, &info, &timeout)
                } else {
                    signal = sigwaitinfo(&set, &info)
                }
                switch signal {
                case SIGHUP:
                    inbox.push(.reload)
                case SIGTERM, SIGINT:
                    inbox.push(.stop)
                    if stopDeadline == nil { stopDeadline = .now + shutdownBudget }
                default:
                    continue  // EINTR, or the timeout: the loop checks the deadline
                }
            }
        }
        thread.name = "redline-signals"
        thread.start()
    }
}
