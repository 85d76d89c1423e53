import ArgumentParser

// Placeholder replaced by the owning engineer; never shipped as done.
extension Redline {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "(in progress)")
        func run() async throws { throw ValidationError("not built yet") }
    }
}
