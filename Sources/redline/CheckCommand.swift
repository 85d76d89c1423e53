import ArgumentParser
import RedlineFeed

extension Redline {
    /// `redline check`: verify every segment of the feed.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Verify every record of the feed: crc, seq continuity, feed UUID and format version.",
            discussion: """
                Prints one summary line (records, segments, first and last seq, bytes) and exits 0, or prints \
                the first bad segment, line and reason and exits 1.
                """
        )

        @OptionGroup var feed: FeedDirectoryOption

        func run() async throws {
            do {
                print(try FeedCheck.run(directory: feed.directory).summary)
            } catch {
                throw feedFailure(error, command: "check")
            }
        }
    }
}
