import ArgumentParser

// Placeholder replaced by the owning engineer; never shipped as done.
extension Redline {
    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tail", abstract: "(in progress)")
        func run() async throws { throw ValidationError("not built yet") }
    }
}
