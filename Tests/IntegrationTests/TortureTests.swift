import Foundation
import Testing

/// `make torture`: the daemon's whole life under a random workload and random SIGKILLs, with small
/// segments and retention, so kills land before, during and after rotations, snapshots and starts.
///
/// The short mode runs in `make test` (`REDLINE_TORTURE_KILLS` unset: 24 kills); `make torture` runs
/// 500. `REDLINE_TORTURE_SEED` replays one run's workload and kill schedule (the seed is printed).
@Suite(.serialized) struct TortureTests {
    @Test func theFeedSurvivesRandomKillsThroughRotationsAndRetention() throws {
        let environment = ProcessInfo.processInfo.environment
        let kills = Int(environment["REDLINE_TORTURE_KILLS"] ?? "") ?? 24
        let seed = UInt64(environment["REDLINE_TORTURE_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max / 2)
        let settleMs = 50
        let life = try DaemonLife(fsync: "always", segmentBytes: 4096, settleMs: settleMs, retainSegments: 3)
        let workload = Workload(root: life.articles, seed: seed, clock: { life.now })
        var random = SplitMix(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        var rotations = Set<String>()
        func countSegments() {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: life.feed)) ?? []
            where name.hasPrefix("changes-") && !name.hasSuffix(".tmp") {
                rotations.insert(name.hasSuffix(".gz") ? String(name.dropLast(3)) : name)
            }
        }

        #expect(try life.start(), "first start: \(life.refusedStarts.last ?? "")")
        // A consumer that follows the whole life: it sees every record before retention deletes it.
        let consumer = try RunningRedline(["tail", "--feed", life.feed, "--from-beginning", "--follow"])
        let thread = Thread { workload.run() }
        thread.start()
        var done = 0
        while done < kills {
            if random.next(100) < 25 {
                // A kill while the daemon opens the feed, folds, reconciles: before it is ready.
                life.kill9()
                try life.spawnAndKill(afterMicroseconds: 1_000 + UInt32(random.next(250_000)))
            } else {
                if life.daemon == nil { #expect(try life.start(), "start \(done): \(life.refusedStarts.last ?? "")") }
                usleep(700_000 + UInt32(random.next(1_800_000)))
                life.kill9()
            }
            done += 1
            countSegments()
            usleep(UInt32(random.next(400_000)))
            if life.daemon == nil { #expect(try life.start(), "start \(done): \(life.refusedStarts.last ?? "")") }
        }
        workload.stop()
        while !workload.finished { usleep(10_000) }
        if life.daemon == nil { #expect(try life.start(), "final start: \(life.refusedStarts.last ?? "")") }
        life.waitQuiet(seconds: 1.5)
        life.stop()
        countSegments()
        let end = life.now

        let kept = try life.records()
        let lastSeq = kept.last?["seq"] as? Int ?? 0
        _ = eventually(seconds: 30) {
            consumer.stdout.hasSuffix("\n") && consumer.stdout.contains("\"seq\":\(lastSeq),")
        }
        consumer.signal(SIGKILL)
        consumer.waitForExit()
        var bySeq: [Int: String] = [:]
        var replaced = 0
        for line in consumer.stdout.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let seq = object["seq"] as? Int
            else { continue }
            if let earlier = bySeq[seq], earlier != String(line) { replaced += 1 }
            bySeq[seq] = String(line)
        }
        let records = bySeq.keys.sorted().compactMap {
            try? JSONSerialization.jsonObject(with: Data(bySeq[$0]!.utf8)) as? [String: Any]
        }
        #expect(replaced == 0, "a seq the consumer saw named another record later")
        for record in kept {
            guard let seq = record["seq"] as? Int else { continue }
            #expect(bySeq[seq] != nil, "the consumer saw seq \(seq)")
        }
        #expect(!kept.isEmpty && (kept.first?["seq"] as? Int ?? 0) > 1, "retention deleted old segments")
        let check = try runRedline(["check", "--feed", life.feed])
        #expect(check.status == 0, "check: \(check.stdout)\(check.stderr)")
        let seqs = records.compactMap { $0["seq"] as? Int }
        let contiguous = seqs == Array(1...max(1, seqs.count))
        #expect(contiguous, "the consumer saw seqs 1...\(seqs.count) with no gap")
        let replayEqual = try life.replayEqualsTree()
        #expect(replayEqual, "replay --to equals the final tree")

        // Every version that sat on disk longer than the settle time (and a second's slack) while the
        // daemon was ready must be in the feed, under its path, with its sha256.
        let recorded = Set(
            records.compactMap { record -> String? in
                guard let type = record["type"] as? String, ["created", "modified", "moved"].contains(type),
                    let path = record["path"] as? String, let after = record["after"] as? [String: Any],
                    let sha = after["sha256"] as? String
                else { return nil }
                return path + "\u{0}" + sha
            })
        let required = workload.stableVersions(up: life.upIntervals, end: end, slack: Double(settleMs) / 1000 + 1.0)
        let lost = required.filter { !recorded.contains($0.path + "\u{0}" + $0.sha) }
        #expect(lost.isEmpty, "versions never recorded: \(lost.prefix(5).map { "\($0.path)@\($0.from)" })")
        for version in lost.prefix(3) {
            // What the workload did around the lost version and what the feed says about it, so a red run
            // in CI can be read without replaying it.
            print("torture: lost \(version.path) sha \(version.sha.prefix(12)) held \(version.from)...\(version.to)")
            print("torture: life began \(life.began) (workload times are seconds since)")
            print("torture: up intervals \(life.upIntervals.map { "\($0.from)...\($0.to)" })")
            for line in workload.history(around: version) { print("torture: workload \(line)") }
            for record in records {
                let after = (record["after"] as? [String: Any])?["sha256"] as? String
                let before = (record["before"] as? [String: Any])?["sha256"] as? String
                guard
                    record["path"] as? String == version.path || record["from_path"] as? String == version.path
                        || after == version.sha || before == version.sha || record["type"] as? String == "rescan"
                else { continue }
                print(
                    "torture: record seq \(record["seq"] ?? "") \(record["type"] ?? "") "
                        + "\(record["from_path"].map { "\($0) -> " } ?? "")\(record["path"] ?? "") "
                        + "after \(after?.prefix(12) ?? "-") at \(record["time"] ?? "")")
            }
        }
        let duplicated = Self.duplicatedTransitions(records)
        #expect(duplicated.isEmpty, "transitions recorded twice: seqs \(duplicated.prefix(10))")
        #expect(life.refusedStarts.isEmpty, "refused starts: \(life.refusedStarts.map { $0.suffix(300) })")
        #expect(rotations.count >= 5, "at least 5 rotations (saw \(rotations.count))")
        #expect(done >= 20)

        let row =
            "| \(kills >= 100 ? "long" : "short") | \(seed) | \(done) | \(rotations.count) | \(workload.operations) "
            + "| \(records.count) | \(lost.count) | \(duplicated.count) | \(life.refusedStarts.count) "
            + "| \(replayEqual && check.status == 0 ? "yes" : "no") |"
        print(
            "torture: | mode | seed | kills | rotations | edits | records | lost | duplicated | refused starts | replay equal |"
        )
        print("torture: \(row)")
        if let out = environment["REDLINE_TORTURE_RESULTS"] {
            let line = row + " \(ISO8601DateFormatter().string(from: Date())) |\n"
            if let handle = FileHandle(forWritingAtPath: out) {
                handle.seekToEndOfFile()
                handle.write(Data(line.utf8))
                handle.closeFile()
            } else {
                try Data(line.utf8).write(to: URL(fileURLWithPath: out))
            }
        }
    }

    /// Seqs of records that change nothing in the folded tree: the same transition recorded again.
    static func duplicatedTransitions(_ records: [[String: Any]]) -> [Int] {
        var live: [String: String] = [:]
        var duplicated: [Int] = []
        for record in records {
            guard let type = record["type"] as? String, let path = record["path"] as? String,
                let seq = record["seq"] as? Int
            else { continue }
            let after = (record["after"] as? [String: Any])?["sha256"] as? String
            switch type {
            case "created", "modified":
                if let after, live[path] == after { duplicated.append(seq) }
                live[path] = after
            case "moved":
                let from = record["from_path"] as? String ?? ""
                if live[from] == nil, live[path] == after { duplicated.append(seq) }
                live[from] = nil
                live[path] = after
            case "deleted":
                if live[path] == nil { duplicated.append(seq) }
                live[path] = nil
            default:
                break
            }
        }
        return duplicated
    }
}

/// A small, seedable generator (SplitMix64), so a run's workload and kill schedule can be replayed.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<bound.
    mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Random creates, edits, atomic saves, file and directory moves, deletes and root removals at a steady
/// pace, with a log of every version each path held and when.
final class Workload: @unchecked Sendable {
    /// One path holding one text (sha nil: the path is gone) from `from` on.
    struct Held {
        var path: String
        var sha: String?
        var from: Double
    }

    /// A version that must be in the feed.
    struct Version {
        var path: String
        var sha: String
        var from: Double
        var to: Double
    }

    private let root: URL
    private var random: SplitMix
    private let clock: () -> Double
    private let lock = NSLock()
    private var log: [Held] = []
    private var texts: [String: String] = [:]
    private var directories: [String] = [""]
    private var stopping = false
    private(set) var finished = false
    private(set) var operations = 0
    private var counter = 0

    init(root: URL, seed: UInt64, clock: @escaping () -> Double) {
        self.root = root
        self.random = SplitMix(seed: seed)
        self.clock = clock
    }

    func stop() { lock.withLock { stopping = true } }

    func run() {
        while !lock.withLock({ stopping }) {
            step()
            operations += 1
            usleep(30_000 + UInt32(random.next(50_000)))
        }
        lock.withLock { finished = true }
    }

    private static let words = [
        "ویتکاوف", "ویتکاف", "ترمپ", "ترامپ", "کنترول", "کنترل", "می‌گوید", "گفت", "خبر", "۱۲", "۲۰۲۶", "Kabul",
        "said", "the", "minister", "report", "7", "agreement", "talks", "news",
    ]

    private func sentence() -> String {
        (0..<(4 + random.next(8))).map { _ in Self.words[random.next(Self.words.count)] }.joined(separator: " ")
            + "."
    }

    private func article() -> String {
        (0..<(1 + random.next(4))).map { _ in sentence() }.joined(separator: "\n\n") + "\n"
    }

    private func record(_ path: String, _ text: String?) {
        lock.withLock {
            texts[path] = text
            log.append(Held(path: path, sha: text.map(sha256Hex), from: clock()))
        }
    }

    private func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    private func step() {
        let files = Array(texts.keys).sorted()
        let roll = random.next(1000)
        do {
            if files.count < 8 || roll < 180 {
                counter += 1
                let dir = directories[random.next(directories.count)]
                let path = (dir.isEmpty ? "" : dir + "/") + "n\(counter).txt"
                let text = article()
                try Data(text.utf8).write(to: url(path))
                record(path, text)
            } else if roll < 480 {
                // An edit in place: a word changed, a paragraph added or dropped.
                let path = files[random.next(files.count)]
                var paragraphs = texts[path]!.split(separator: "\n\n").map(String.init)
                switch random.next(3) {
                case 0: paragraphs.append(sentence() + "\n")
                case 1 where paragraphs.count > 1: paragraphs.remove(at: random.next(paragraphs.count))
                default: paragraphs[0] = sentence() + (paragraphs.count == 1 ? "\n" : "")
                }
                let text = paragraphs.joined(separator: "\n\n")
                let handle = try FileHandle(forWritingTo: url(path))
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: Data(text.utf8))
                try handle.close()
                record(path, text)
            } else if roll < 650 {
                // An editor's atomic save: a temp file renamed over the article.
                let path = files[random.next(files.count)]
                let text = texts[path]! + sentence() + "\n"
                let tmp = url(path).deletingLastPathComponent().appendingPathComponent(".save-\(counter).tmp")
                try Data(text.utf8).write(to: tmp)
                guard rename(tmp.path, url(path).path) == 0 else { return }
                record(path, text)
            } else if roll < 760 {
                let path = files[random.next(files.count)]
                counter += 1
                let dir = directories[random.next(directories.count)]
                let to = (dir.isEmpty ? "" : dir + "/") + "m\(counter).txt"
                guard rename(url(path).path, url(to).path) == 0 else { return }
                let text = texts[path]
                record(path, nil)
                record(to, text)
            } else if roll < 800 {
                // A new directory, or a whole directory moved.
                counter += 1
                if directories.count < 4 || random.next(2) == 0 {
                    let dir = "d\(counter)"
                    try FileManager.default.createDirectory(at: url(dir), withIntermediateDirectories: true)
                    directories.append(dir)
                } else {
                    let index = 1 + random.next(directories.count - 1)
                    let old = directories[index]
                    let new = "d\(counter)"
                    guard rename(url(old).path, url(new).path) == 0 else { return }
                    directories[index] = new
                    for path in files where path.hasPrefix(old + "/") {
                        let text = texts[path]
                        record(path, nil)
                        record(new + path.dropFirst(old.count), text)
                    }
                }
            } else if roll < 995 {
                let path = files[random.next(files.count)]
                try FileManager.default.removeItem(at: url(path))
                record(path, nil)
            } else {
                // The whole root removed (moved away, then deleted) and made again, empty.
                let gone = root.deletingLastPathComponent().appendingPathComponent("gone-\(counter)")
                guard rename(root.path, gone.path) == 0 else { return }
                for path in files { record(path, nil) }
                usleep(300_000)
                try FileManager.default.removeItem(at: gone)
                try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
                directories = [""]
            }
        } catch {
            Issue.record("workload: \(error)")
        }
    }

    /// The log entries of `version`'s path and of its text wherever it was, with their times: what a lost
    /// version's report prints.
    func history(around version: Version) -> [String] {
        lock.withLock { log }.filter { $0.path == version.path || $0.sha == version.sha }.map {
            "\($0.from) \($0.path) \($0.sha.map { String($0.prefix(12)) } ?? "gone")"
        }
    }

    /// Versions that stayed at their path at least `slack` seconds inside one interval the daemon was ready.
    func stableVersions(up: [(from: Double, to: Double)], end: Double, slack: Double) -> [Version] {
        let entries = lock.withLock { log }
        var byPath: [String: [Held]] = [:]
        for entry in entries { byPath[entry.path, default: []].append(entry) }
        var versions: [Version] = []
        for (path, held) in byPath {
            for (i, entry) in held.enumerated() {
                guard let sha = entry.sha else { continue }
                let to = i + 1 < held.count ? held[i + 1].from : end
                let stable = up.contains { interval in min(to, interval.to) - max(entry.from, interval.from) >= slack }
                if stable { versions.append(Version(path: path, sha: sha, from: entry.from, to: to)) }
            }
        }
        return versions
    }
}
