import ArgumentParser

/// The `redline` command: a thin front over the library targets.
///
/// Each subcommand lives in its own file as an extension of this type and only parses
/// arguments, calls one library entry point, and maps errors to an exit status.
struct Redline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redline",
        abstract: "Watch a tree of articles and log every classified edit to a durable JSON Lines feed.",
        version: "0.1.0",
        subcommands: [Run.self, Tail.self, Replay.self, Diff.self, Check.self, Serve.self, Ship.self]
    )
}
