import ArgumentParser

extension Redline {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "(in progress)")
        func run() async throws { throw ValidationError("not built yet") }
    }
}
