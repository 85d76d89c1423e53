// Placeholder replaced by the owning engineer.
enum FeedBench {
    static func run(arguments: [String]) throws { print("not built yet") }
}
