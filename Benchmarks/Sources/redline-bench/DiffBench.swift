// Placeholder replaced by the owning engineer.
enum DiffBench {
    static func run(arguments: [String]) throws { print("not built yet") }
}
