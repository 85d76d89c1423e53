// Benchmark harness: `redline-bench <suite> [args...]`; each suite is driven by Benchmarks/<suite>/run.sh.
#if canImport(Glibc)
    import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
let suites: [String: ([String]) throws -> Void] = [
    "diff": DiffBench.run(arguments:),
    "feed": FeedBench.run(arguments:),
]
guard let name = arguments.first, let suite = suites[name] else {
    print("usage: redline-bench <\(suites.keys.sorted().joined(separator: "|"))> [args...]")
    exit(2)
}
do {
    try suite(Array(arguments.dropFirst()))
} catch {
    print("redline-bench \(name): \(error)")
    exit(1)
}
