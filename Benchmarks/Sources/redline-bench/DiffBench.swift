// In-process diff benchmark: `redline-bench diff OLD NEW [--runs N] [--warmup N]`.
// Reads both files once, runs `Differ.diff` warm N times, and prints one JSON object with the
// median, min and max wall time per diff in milliseconds plus what the diff found.
// Driven by Benchmarks/diff/run.sh, which puts these figures beside difflib and git.

import Foundation
import RedlineDiff

enum DiffBench {
    /// Runs the in-process benchmark on one pair of files.
    static func run(arguments: [String]) throws {
        var paths: [String] = []
        var runs = 30
        var warmup = 3
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--runs": runs = Int(iterator.next() ?? "") ?? runs
            case "--warmup": warmup = Int(iterator.next() ?? "") ?? warmup
            default: paths.append(argument)
            }
        }
        guard paths.count == 2 else {
            print("usage: redline-bench diff OLD NEW [--runs N] [--warmup N]")
            return
        }
        let old = try ArticleText.decode(try Data(contentsOf: URL(fileURLWithPath: paths[0])))
        let new = try ArticleText.decode(try Data(contentsOf: URL(fileURLWithPath: paths[1])))
        var result = Differ.diff(old: old, new: new)
        for _ in 0..<warmup { result = Differ.diff(old: old, new: new) }
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            let start = clock.now
            result = Differ.diff(old: old, new: new)
            let elapsed = start.duration(to: clock.now)
            times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
        }
        times.sort()
        let median =
            times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let patchOK = (try? result.patch.apply(to: old)).map { Array($0.utf8) == Array(new.utf8) } ?? false
        let classes = ChangeClass.allCases.map { "\"\($0.rawValue)\":\(result.summary[$0])" }.joined(separator: ",")
        print(
            "{\"median_ms\":\(median),\"min_ms\":\(times.first!),\"max_ms\":\(times.last!),\"runs\":\(times.count),"
                + "\"changes\":\(result.changes.count),\"significance\":\"\(result.significance?.rawValue ?? "identical")\","
                + "\"patch_ops\":\(result.patch.operations.count),\"patch_ok\":\(patchOK),\"classes\":{\(classes)}}")
    }
}
