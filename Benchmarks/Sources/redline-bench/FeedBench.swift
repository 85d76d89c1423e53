// Feed benchmark: `redline-bench feed generate DIR N` writes a realistic feed of N records (new articles
// with full text, edits with patches and classified changes, moves, deletes) for `check`/`replay`/jq/wc
// to read; `redline-bench feed append DIR N POLICY [BATCH]` measures append throughput under an fsync
// policy. Driven by Benchmarks/feed/run.sh, which times the readers beside jq and wc on the same files.

import Foundation
import Logging
import RedlineDiff
import RedlineFeed

enum FeedBench {
    /// Dispatches `generate` or `append`.
    static func run(arguments: [String]) throws {
        guard let command = arguments.first else { return usage() }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "info":
            print("crc implementation: \(FeedCheck.crcImplementation)")
        case "generate" where rest.count == 2:
            let seconds = try generate(
                directory: rest[0], records: Int(rest[1]) ?? 100_000, options: .init(fsync: .never))
            print("generated \(rest[1]) records in \(String(format: "%.2f", seconds)) s")
        case "append" where rest.count >= 3:
            let n = Int(rest[1]) ?? 1000
            let batch = rest.count > 3 ? Int(rest[3]) ?? 1 : 1
            guard let policy = parsePolicy(rest[2]) else { return usage() }
            let seconds = try generate(directory: rest[0], records: n, options: .init(fsync: policy), batch: batch)
            // One parsable line: policy, batch, records, seconds, records/s.
            print(
                "append fsync=\(rest[2]) batch=\(batch) records=\(n) seconds=\(String(format: "%.3f", seconds)) "
                    + "records_per_s=\(Int(Double(n) / seconds))")
        default:
            usage()
        }
    }

    private static func usage() {
        print(
            "usage: redline-bench feed generate DIR N | redline-bench feed append DIR N always|interval:MS|never [BATCH]"
        )
    }

    private static func parsePolicy(_ text: String) -> FsyncPolicy? {
        if text == "always" { return .always }
        if text == "never" { return .never }
        if text.hasPrefix("interval:"), let ms = Int(text.dropFirst(9)) { return .interval(milliseconds: ms) }
        return nil
    }

    /// A cycle of versions of one article and the records that walk it, precomputed once.
    struct Script {
        let versions: [String]
        /// Hash and size of each version, computed once so the loop times the feed, not SHA-256.
        let infos: [VersionInfo]
        let diffs: [TextDiff]  // diffs[i]: versions[i] -> versions[(i + 1) % count]

        init(base: String) {
            let edits: [(String, String)] = [
                ("ترمپ", "ترامپ"), ("کنترول", "کنترل"), ("ویتکاوف", "ویتکاف"), ("ی", "ي"), ("۲", "۳"),
                (".", "،"), ("  ", " "), ("می", "می\u{200C}"),
            ]
            var versions = [base]
            var text = base
            for (old, new) in edits {
                if let range = text.range(of: old) {
                    text.replaceSubrange(range, with: new)
                } else {
                    text += "\n\n" + new
                }
                versions.append(text)
            }
            versions.append(versions[3] + "\n\nپاراگراف تازه با ۱۲ کلمه و یک عدد ۴۵.")
            self.versions = versions
            infos = versions.map { VersionInfo(text: $0) }
            diffs = versions.indices.map { Differ.diff(old: versions[$0], new: versions[($0 + 1) % versions.count]) }
        }
    }

    /// Appends `records` records in batches; returns the wall time of the appends alone.
    static func generate(directory: String, records: Int, options: FeedOptions, batch: Int = 1) throws -> Double {
        try? FileManager.default.removeItem(atPath: directory)
        let base = corpusText()
        let script = Script(base: base)
        let quiet = Logger(label: "redline-bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let writer = try FeedWriter(directory: directory, options: options, logger: quiet)
        let root = "/srv/news"
        let articles = max(1, records / 100)
        var state = [Int](repeating: -1, count: articles)  // version index per article; -1 = not yet created
        var paths = (0..<articles).map { "section\($0 % 10)/article-\($0).txt" }
        var pending: [FeedRecord] = []
        var written = 0
        var step = 0
        let start = Date()
        while written < records {
            let a = step % articles
            step += 1
            let record: FeedRecord
            let v = state[a]
            if v < 0 {
                let text = script.versions[0]
                record = FeedRecord(
                    type: .created, root: root, path: paths[a], after: script.infos[0], content: text)
                state[a] = 0
            } else if step % 53 == 0 {
                let to = paths[a].replacingOccurrences(of: ".txt", with: "-m.txt")
                record = FeedRecord(
                    type: .moved, root: root, path: to, fromPath: paths[a], before: script.infos[v],
                    after: script.infos[v])
                paths[a] = to
            } else if step % 97 == 0 {
                record = FeedRecord(
                    type: .deleted, root: root, path: paths[a], before: script.infos[v])
                state[a] = -1
            } else {
                let next = (v + 1) % script.versions.count
                let diff = script.diffs[v]
                record = FeedRecord(
                    type: .modified, root: root, path: paths[a], before: script.infos[v],
                    after: script.infos[next], significance: diff.significance,
                    summary: diff.summary, changes: diff.changes, patch: diff.patch)
                state[a] = next
            }
            pending.append(record)
            written += 1
            if pending.count >= batch {
                _ = try writer.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { _ = try writer.append(pending) }
        let seconds = Date().timeIntervalSince(start)
        try writer.close()
        return seconds
    }

    /// The real corpus article when present (run from the package root), else a stand-in with the same traits.
    static func corpusText() -> String {
        for path in ["../shared/corpus/000_e5aa263bf61808cb.txt", "/work/shared/corpus/000_e5aa263bf61808cb.txt"] {
            if let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) {
                return text
            }
        }
        let paragraph = "ترمپ گفت که کنترول مرزها در سهشنبه ۲ بار بررسی میکند. ویتکاوف  نیز حاضر بود."
        return Array(repeating: paragraph, count: 30).joined(separator: "\n\n")
    }
}
