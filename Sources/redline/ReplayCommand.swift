import ArgumentParser
import Foundation
import Logging
import RedlineDaemon
import RedlineFeed
import RedlineShip

extension Redline {
    /// `redline replay`: rebuild, verify or re-emit the feed's history up to a point.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Rebuild the article tree from the feed alone, verify every version, or re-emit records.",
            discussion: """
                --to and --verify fold every record from the first one (created, patches, moves, deletes) and \
                check each version against its sha256; --since applies to --print only. Exit status: 0 ok, \
                1 a version does not rebuild or the feed is damaged, 4 history was deleted by retention. \
                --rebuild-state recreates the daemon's state store (DATA/state, a cache) from DATA/feed; it \
                refuses while a daemon holds the feed (exit 2).
                """
        )

        @OptionGroup var feed: FeedDirectoryOption

        @Option(help: ArgumentHelp("With --print, start at this seq.", valueName: "seq"))
        var since: UInt64?

        @Option(help: ArgumentHelp("Stop after this seq.", valueName: "seq"))
        var until: UInt64?

        @Option(help: ArgumentHelp("Stop at the first record appended after this RFC 3339 time.", valueName: "time"))
        var untilTime: String?

        @Option(
            help: ArgumentHelp(
                "Only articles whose path matches this glob (the config's dialect: * within a directory, ** across).",
                valueName: "glob"))
        var path: String?

        @Option(help: ArgumentHelp("Write the rebuilt tree into this new or empty directory.", valueName: "dir"))
        var to: String?

        @Flag(help: "Print the selected records' lines unchanged, for another tool.")
        var print = false

        @Flag(help: "Only check that every version rebuilds to its recorded sha256.")
        var verify = false

        @Flag(help: "Rebuild the daemon's state store (the directory above --feed, /state) from the feed.")
        var rebuildState = false

        @Option(
            help: ArgumentHelp(
                "Rebuild from this PostgreSQL database alone (with --feed UUID and --to) instead of --feed.",
                valueName: "url"))
        var postgres: String?

        func validate() throws {
            if postgres != nil {
                guard to != nil, feed.uuid != nil, !print, !verify, !rebuildState, until == nil, untilTime == nil,
                    since == nil
                else {
                    throw ValidationError("--postgres rebuilds one feed: give --feed UUID and --to DIR (and --path)")
                }
                return
            }
            guard [to != nil, print, verify, rebuildState].filter({ $0 }).count == 1 else {
                throw ValidationError("choose exactly one of --to DIR, --print, --verify, --rebuild-state")
            }
            if rebuildState && (until != nil || untilTime != nil || path != nil) {
                throw ValidationError("--rebuild-state replays the whole feed; drop --until, --until-time and --path")
            }
            if since != nil && !print {
                throw ValidationError(
                    "--since applies to --print only; --to and --verify rebuild from the first record")
            }
            if until != nil && untilTime != nil { throw ValidationError("use only one of --until, --until-time") }
            if let untilTime, FeedReplay.parseTime(untilTime) == nil {
                throw ValidationError("--until-time \(untilTime) is not an RFC 3339 time like 2026-11-29T02:03:04Z")
            }
        }

        func run() async throws {
            if let postgres, let feedUUID = feed.uuid, let to {
                let history = PostgresHistory(
                    url: try PostgresURL(postgres), logger: makeLogger(label: "redline", level: "warning"))
                let report = try await history.replay(feed: feedUUID, to: to, pathGlob: path)
                Swift.print(
                    "rebuilt \(report.articles) articles into \(to) from \(report.records) records "
                        + "(up to seq \(report.lastSeq)) of feed \(feedUUID) in PostgreSQL; \(report.versions) versions "
                        + "verified")
                return
            }
            let directory = try feed.checked(command: "replay")
            if rebuildState { return try rebuildStateStore(feed: directory) }
            var replay = FeedReplay(directory: directory)
            replay.since = since ?? 1
            replay.until = until
            replay.untilTime = untilTime.flatMap(FeedReplay.parseTime)
            replay.pathGlob = path
            do {
                if print {
                    let output = LineOutput()
                    _ = try replay.forEachRecord { raw throws(FeedError) in try output.write(line: raw) }
                    try output.flush()
                } else if let to {
                    let report = try replay.rebuild(to: to)
                    Swift.print(
                        "rebuilt \(report.articles) articles into \(to) from \(report.records) records "
                            + "(up to seq \(report.lastSeq)); \(report.versions) versions verified")
                } else {
                    let report = try replay.verify().report
                    Swift.print(
                        "ok: \(report.versions) versions verified from \(report.records) records "
                            + "(up to seq \(report.lastSeq)), \(report.articles) live articles")
                }
            } catch {
                throw error
            }
        }

        /// The state store is a cache of the feed: rebuilding it loses nothing.
        private func rebuildStateStore(feed directory: String) throws {
            let data = DataDirectory.holding(feed: directory)
            let logger = makeLogger(label: "redline", level: "warning")
            let result = try StateRebuild.run(dataDir: data.path, logger: logger)
            Swift.print("rebuilt \(data.stateStore): \(result.articles) articles up to seq \(result.lastSeq)")
        }
    }
}
