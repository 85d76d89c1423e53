import ArgumentParser

// Placeholder replaced by the owning engineer; never shipped as done.
extension Redline {
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "diff", abstract: "(in progress)")
        func run() async throws { throw ValidationError("not built yet") }
    }
}
