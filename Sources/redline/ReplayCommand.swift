import ArgumentParser

// Placeholder replaced by the owning engineer; never shipped as done.
extension Redline {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "replay", abstract: "(in progress)")
        func run() async throws { throw ValidationError("not built yet") }
    }
}
