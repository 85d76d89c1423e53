import ArgumentParser
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
                the first bad segment, line and reason and exits 1.
                """
        )

        @OptionGroup var feed: FeedDirectoryOption

        @Flag(help: "Also decode every record in full (JSON syntax and field types), not just its crc; slower.")
        var deep = false

        func run() async throws {
            do {
                let report = try FeedCheck.run(directory: feed.directory)
                if deep { try FeedCheck.decodeAll(directory: feed.directory) }
                print(report.summary)
            } catch {
                throw feedFailure(error, command: "check")
            }
        }
    }
}
