import ArgumentParser
import Foundation
import RedlineFeed

extension Redline {
    /// `redline check`: verify every segment of the feed.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Verify every record of the feed: crc, seq continuity, feed UUID and format version.",
            discussion: """
                Each line's crc covers its bytes, so a line whose crc matches is exactly what the writer \
                serialised (valid JSON); --deep also parses every record. \
                Prints one summary line (records, segments, first and last seq, bytes) and exits 0, or prints \
                the first bad segment, line and reason and exits 1. --repair makes a damaged feed whole again \
                without renumbering any record (see schema/README.md, "Damage and repair").
                """
        )

        @OptionGroup var feed: FeedDirectoryOption

        @Flag(help: "Also decode every record in full (JSON syntax and field types), not just its crc; slower.")
        var deep = false

        @Flag(
            help: """
                Repair a damaged feed (the daemon must be stopped): damaged lines go to FEED/quarantine/, every \
                intact record keeps its seq, and each lost seq gets a `recovered` record with detail.lost; the \
                daemon then resyncs the articles they touched.
                """)
        var repair = false

        func run() async throws {
            let directory = try feed.checked(command: "check")
            do {
                if repair {
                    let done = try FeedRepair.run(directory: directory)
                    if done.changed {
                        let lost = done.lost.map {
                            $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)..\($0.upperBound)"
                        }
                        print(
                            "repaired: lost seqs \(lost.isEmpty ? "none" : lost.joined(separator: ",")); "
                                + "quarantined \(done.quarantined.count) damaged spans; rewrote "
                                + "\(done.rewritten.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))"
                        )
                    } else {
                        print("nothing to repair")
                    }
                }
                let report = try FeedCheck.run(directory: directory)
                if deep { try FeedCheck.decodeAll(directory: directory) }
                print(report.summary)
            } catch {
                throw error
            }
        }
    }
}

extension FeedCheckReport {
    /// The one summary line `check` prints.
    var summary: String {
        let range = firstSeq.map { "seq \($0)..\(lastSeq ?? $0)" } ?? "no seq"
        let snapshot = snapshotSeq.map { ", history before them in a verified snapshot of seq \($0)" } ?? ""
        return "ok: \(records) records in \(segments) segments, \(range), \(bytes) bytes\(snapshot)"
    }
}
