import ArgumentParser
import Dispatch
import RedlineDaemon
import RedlineFeed
import RedlineShip

#if canImport(Glibc)
    import Glibc
#endif

/// A failure a subcommand reports as it is: one line (nil when already logged) and an exit status.
struct CLIFailure: Error {
    /// The line for stderr, naming the file and the fix; nil when the command has logged it already.
    var message: String?
    /// The exit status.
    var status: Int32
}

/// The one place errors become an exit status and one line on stderr, as swift-argument-parser's
/// `MessageInfo` does for its own errors; subcommands only throw.
///
/// - `FeedError`: 1 (damaged feed, I/O, bad input), 3 (the feed was recreated, a new feed UUID: resync),
///   4 (the requested records were deleted by retention).
/// - `DaemonError`: its own status (78 config, 2 unavailable, 65 damaged feed, 1 I/O, 0 stopped).
/// - `ShipError`: 2 (fenced: another shipper ships the feed), 4 (a seq is missing locally), 65 (PostgreSQL holds
///   different bytes for a shipped seq), 1 (anything else).
/// - ``CLIFailure``: its status. Anything else is swift-argument-parser's to report.
enum ExitStatus {
    /// Reports `error` for `command` and returns its status, or nil when it is not one of ours.
    static func report(_ error: any Error, command: String?) -> Int32? {
        switch error {
        case let failure as CLIFailure:
            if let message = failure.message { printError(message, command: command) }
            return failure.status
        case let error as FeedError:
            printError(error.description, command: command)
            switch error.code {
            case .feedChanged: return 3
            case .retention: return 4
            default: return 1
            }
        case let error as ShipError:
            printError(error.description, command: command)
            switch error.code {
            case .fenced: return 2
            case .gap: return 4
            case .conflict: return 65
            case .feed, .postgres, .invalidArgument: return 1
            }
        case let error as DaemonError:
            printError(error.description)
            return error.exitStatus
        default:
            return nil
        }
    }
}

/// The process's entry point: parses, runs, and maps whatever the subcommand throws through ``ExitStatus``.
///
/// Synchronous on purpose: a synchronous command (`redline run`) runs on the main thread with no Swift task and
/// no libdispatch worker in the process (their one-second workqueue monitor would wake an idle daemon); the
/// others run as one task while the main thread services the main queue (`dispatchMain`).
@main
enum Entry {
    static func main() {
        let parsed: any ParsableCommand
        do {
            parsed = try Redline.parseAsRoot()
        } catch {
            fail(error, command: nil)
        }
        guard let asyncCommand = parsed as? any AsyncParsableCommand else {
            var command = parsed
            do {
                try command.run()
            } catch {
                fail(error, command: command)
            }
            Glibc.exit(0)
        }
        let box = CommandBox(asyncCommand)
        Task {
            do {
                try await box.command.run()
            } catch {
                fail(error, command: box.command)
            }
            Glibc.exit(0)
        }
        dispatchMain()
    }

    /// Reports `error` (ours through ``ExitStatus``, the parser's through swift-argument-parser) and exits.
    private static func fail(_ error: any Error, command: (any ParsableCommand)?) -> Never {
        let name = command.map { type(of: $0).configuration.commandName } ?? nil
        if let status = ExitStatus.report(error, command: name) { Glibc.exit(status) }
        Redline.exit(withError: error)
    }
}

/// Hands the parsed command to the task that runs it (it is used there only).
private final class CommandBox: @unchecked Sendable {
    var command: any AsyncParsableCommand
    init(_ command: any AsyncParsableCommand) { self.command = command }
}
