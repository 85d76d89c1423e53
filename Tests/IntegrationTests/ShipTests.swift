import Foundation
import RedlineFeed
import Testing

/// `redline ship` into a real PostgreSQL 15, and `tail`/`replay --postgres` reading it back (issue 14).
@Suite(.serialized, .enabled(if: PostgresServer.installed, "PostgreSQL 15 is not installed (make test-deps)"))
struct ShipTests {
    /// Starts `redline ship` of `feed` into `server`, following the feed.
    static func ship(_ feed: String, _ server: PostgresServer, host: String, extra: [String] = []) throws
        -> RunningRedline
    {
        try RunningRedline(["ship", "--feed", feed, "--postgres", server.url, "--host", host] + extra)
    }

    /// The feed's UUID.
    static func feedID(_ feed: String) throws -> String {
        try String(contentsOfFile: feed + "/feed.id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every durable line of the local feed, as `tail --from-beginning` prints them.
    static func localLines(_ feed: String) throws -> [String] {
        let result = try runRedline(["tail", "--feed", feed, "--from-beginning"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// `feeds.shipped_seq` of `feed`, or -1 while it has no row (or PostgreSQL is down).
    static func shipped(_ feed: String, _ server: PostgresServer) -> Int {
        Int((try? server.psql("SELECT shipped_seq FROM feeds WHERE feed_uuid = '\(feed)'")) ?? "") ?? -1
    }

    /// PostgreSQL holds exactly the local records of `feed`: same count, seqs 1...n, same bytes, no duplicates.
    static func expectSame(_ feed: String, in server: PostgresServer) throws {
        let uuid = try feedID(feed)
        let local = try localLines(feed)
        let rows = try server.lines(feed: uuid)
        #expect(rows.count == local.count, "feed \(uuid): \(rows.count) rows, \(local.count) local records")
        #expect(rows.map(\.seq) == Array(0..<local.count).map { $0 + 1 }, "feed \(uuid): seqs differ")
        #expect(rows.map(\.line) == local, "feed \(uuid): bytes differ")
        let distinct = try server.psql(
            "SELECT count(DISTINCT seq) || ' ' || count(*) FROM records WHERE feed_uuid = '\(uuid)'")
        #expect(distinct == "\(local.count) \(local.count)")
        #expect(try server.psql("SELECT shipped_seq FROM feeds WHERE feed_uuid = '\(uuid)'") == "\(local.count)")
    }

    // In about 2 runs of 5 a shipper whose connection was in use when PostgreSQL stopped ("fast") used to hang for
    // good on an await postgres-nio never completed; the stall watchdog (`watched`, Stall.swift) now closes such a
    // connection and reconnects.
    @Test
    func threeHostsShipEveryRecordExactlyOnceThroughKillsAndPostgresRestarts() throws {
        let server = try PostgresServer()
        let hosts = try (0..<3).map { _ in try DaemonLife(fsync: "interval", segmentBytes: 16_384) }
        for host in hosts { #expect(try host.start(), "\(host.refusedStarts)") }
        var shippers = try hosts.enumerated().map { i, host in try Self.ship(host.feed, server, host: "host-\(i)") }
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for round in 0..<60 {
            for (i, host) in hosts.enumerated() {
                let text = "Round \(round) on host \(i).\n\nThe council met on day \(round % 9) and voted \(round).\n"
                try Data(text.utf8).write(to: host.articles.appendingPathComponent("article-\(round % 7).txt"))
            }
            usleep(60_000)
            if round % 10 == 5 || Int.random(in: 0..<8, using: &rng) == 0 {
                let i = Int.random(in: 0..<3, using: &rng)
                shippers[i].signal(SIGKILL)
                shippers[i].waitForExit()
                shippers[i] = try Self.ship(hosts[i].feed, server, host: "host-\(i)")
                kills += 1
            }
            // A crash and restart of PostgreSQL mid-run, then an outage while the daemons keep writing.
            if round == 20 {
                try server.stop(mode: "immediate")
                try server.start()
            }
            if round == 40 {
                try server.stop(mode: "fast")
                usleep(1_500_000)
            }
            if round == 50 { try server.start() }
        }
        for host in hosts {
            host.waitQuiet()
            host.stop()
        }
        for (i, host) in hosts.enumerated() {
            let uuid = try Self.feedID(host.feed)
            let count = try Self.localLines(host.feed).count
            #expect(count > 10)
            let caughtUp = eventually(seconds: 120) { Self.shipped(uuid, server) == count }
            #expect(
                caughtUp, "feed \(uuid) shipped \(Self.shipped(uuid, server)) of \(count): \(shippers[i].stderr)")
            try Self.expectSame(host.feed, in: server)
        }
        #expect(try server.psql("SELECT count(*) FROM feeds") == "3")
        #expect(try server.psql("SELECT string_agg(host, ',' ORDER BY host) FROM feeds") == "host-0,host-1,host-2")
        #expect(kills >= 6)
        for shipper in shippers {
            shipper.signal(SIGTERM)
            #expect(shipper.waitForExit(seconds: 30) == 0, "\(shipper.stderr)")
        }
    }

    @Test func aSecondShipperOfTheSameFeedIsFencedOut() throws {
        let server = try PostgresServer()
        let feed = try ScriptedFeed()
        for i in 0..<5 { try feed.create("a\(i).txt", "Article \(i).\n") }
        let uuid = try Self.feedID(feed.path)
        let first = try Self.ship(feed.path, server, host: "one")
        #expect(eventually(seconds: 60) { Self.shipped(uuid, server) == 5 }, "\(first.stderr)")

        let second = try runRedline(
            ["ship", "--feed", feed.path, "--postgres", server.url, "--host", "two", "--log-level", "error"])
        #expect(second.status == 2)
        let lines = second.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(second.stderr)")
        #expect(second.stderr.contains("feed \(uuid) is being shipped by another redline ship"))
        #expect(second.stderr.contains("fenced out"))

        // The first shipper still ships.
        try feed.edit("a0.txt", "Article 0, corrected.\n")
        #expect(eventually(seconds: 60) { Self.shipped(uuid, server) == 6 }, "\(first.stderr)")
        #expect(first.process.isRunning)

        // The seq fence: a batch only commits from shipped_seq = its first seq - 1. Another writer moving it (a
        // shipper that got past the lock) fences this one out at its next batch, with nothing committed.
        try server.psql("UPDATE feeds SET shipped_seq = 5 WHERE feed_uuid = '\(uuid)'")
        try feed.edit("a1.txt", "Article 1, corrected.\n")
        #expect(first.waitForExit(seconds: 60) == 2, "\(first.stderr)")
        #expect(first.stderr.contains("feeds.shipped_seq in"))
        #expect(first.stderr.contains("is no longer 6"))
        #expect(try server.psql("SELECT count(*) FROM records WHERE feed_uuid = '\(uuid)'") == "6")
    }

    @Test func aRetentionGapStopsShipNamingTheFeedAndSeq() throws {
        let server = try PostgresServer()
        let feed = try ScriptedFeed(
            options: FeedOptions(fsync: .always, segmentBytes: 4096, retainSegments: 2, compressSealed: false))
        try feed.create("a.txt", "The first version.\n")
        for i in 0..<5 { try feed.edit("a.txt", "Version \(i) of the article, with some words.\n") }
        let uuid = try Self.feedID(feed.path)
        let caughtUp = try runRedline(["ship", "--feed", feed.path, "--postgres", server.url, "--exit-when-caught-up"])
        #expect(caughtUp.status == 0, "\(caughtUp.stderr)")
        #expect(Self.shipped(uuid, server) == 6)

        // While ship is not running, retention deletes segments past what it shipped.
        func oldestKept() -> UInt64 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: feed.path)) ?? []
            return names.filter { $0.hasPrefix("changes-") }.compactMap {
                UInt64($0.dropFirst("changes-".count).prefix(20))
            }.min() ?? 1
        }
        var i = 0
        while oldestKept() <= 7 && i < 2000 {
            try feed.edit("a.txt", "Edit \(i): " + String(repeating: "a longer paragraph of words ", count: 20) + "\n")
            i += 1
        }
        #expect(oldestKept() > 7)
        let stopped = try runRedline(["ship", "--feed", feed.path, "--postgres", server.url, "--exit-when-caught-up"])
        #expect(stopped.status == 4, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("feed \(uuid) seq 7 is missing from \(feed.path)"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("deleted by retention"))
        #expect(Self.shipped(uuid, server) == 6)
    }

    /// Three shippers commit concurrently while PostgreSQL crashes and restarts, then stays down while the feeds
    /// grow: a `tail --postgres --follow` started before it all prints every record of every feed exactly once,
    /// each feed in seq order, and logs each outage once (gone, back). A resumed `--cursor-file` reader does too.
    @Test func replayAndTailFromPostgresMatchTheLocalFeeds() throws {
        let server = try PostgresServer()
        let feeds = try (0..<3).map { _ in try ScriptedFeed() }
        for (i, feed) in feeds.enumerated() {
            try feed.create("news/lead.txt", "Lead story \(i).\n\nزبان فارسی\u{200C}ها در متن.\n")
        }
        let uuids = try feeds.map { try Self.feedID($0.path) }
        let follower = try RunningRedline(["tail", "--postgres", server.url, "--from-beginning", "--follow"])
        let shippers = try feeds.enumerated().map { i, feed in try Self.ship(feed.path, server, host: "h\(i)") }
        let cursor = TempDir.cursorPath()
        let resume = ["tail", "--postgres", server.url, "--from-beginning", "--cursor-file", cursor]
        var resumed: [String] = []
        let gone = "PostgreSQL is unavailable"
        for round in 0..<6 {
            // An outage spanning a round of edits: the follower must notice it (its connection is cut) and resume.
            if round == 3 {
                try server.stop(mode: "fast")
                #expect(eventually(seconds: 60) { follower.stderr.contains(gone) }, "\(follower.stderr)")
            }
            for (i, feed) in feeds.enumerated() {
                try feed.edit("news/lead.txt", "Lead story \(i), update \(round).\n\nزبان فارسی\u{200C}ها در متن.\n")
                try feed.create("news/r\(round).txt", "Brief \(round) on host \(i).\n")
                if round % 2 == 1 { try feed.move("news/r\(round - 1).txt", "archive/r\(round - 1).txt") }
                if round == 4 { try feed.delete("news/r1.txt") }
            }
            // A crash (no shutdown checkpoint) and restart while shippers and the follower are connected.
            if round == 1 {
                try server.stop(mode: "immediate")
                try server.start()
            }
            if round == 3 {
                usleep(2_000_000)
                try server.start()
            }
            // A reader that stops and resumes from its cursor file while the shippers commit.
            if round == 2 || round == 4 {
                let out = try runRedline(resume)
                #expect(out.status == 0, "\(out.stderr)")
                resumed += out.stdout.split(separator: "\n").map(String.init)
            }
        }
        for (feed, uuid) in zip(feeds, uuids) {
            let count = try Self.localLines(feed.path).count
            #expect(eventually(seconds: 60) { Self.shipped(uuid, server) == count })
            try Self.expectSame(feed.path, in: server)
        }
        // The typed columns are the record's: classes of every modified record (this script makes wording and
        // number edits), none for the others.
        #expect(
            try server.psql("SELECT string_agg(DISTINCT c, ',' ORDER BY c) FROM records, unnest(classes) AS c")
                == "number,wording")
        #expect(try server.psql("SELECT count(*) FROM records WHERE type = 'modified' AND classes = '{}'") == "0")
        #expect(try server.psql("SELECT count(*) FROM records WHERE type <> 'modified' AND classes <> '{}'") == "0")
        #expect(
            try server.psql(
                "SELECT count(*) FROM records WHERE type <> record ->> 'type' OR path <> record ->> 'path' "
                    + "OR from_path IS DISTINCT FROM record ->> 'from_path' OR time <> (record ->> 'time')::timestamptz"
            )
                == "0")
        let last = try runRedline(resume)
        resumed += last.stdout.split(separator: "\n").map(String.init)
        let all = try feeds.flatMap { try Self.localLines($0.path) }
        #expect(resumed.count == all.count, "resumed tail: \(resumed.count) lines of \(all.count)")
        #expect(Set(resumed) == Set(all))
        #expect(eventually(seconds: 120) { follower.stdout.split(separator: "\n").count >= all.count })
        let followed = follower.stdout.split(separator: "\n").map(String.init)
        #expect(followed.count == all.count, "tail --follow: \(followed.count) lines of \(all.count)")
        // Exactly once: the same multiset of lines (a repeat and a miss would not cancel out), and every feed's
        // records in seq order.
        #expect(followed.sorted() == all.sorted(), "tail --follow missed or repeated records")
        for feed in feeds {
            let own = Set(try Self.localLines(feed.path))
            #expect(followed.filter(own.contains) == (try Self.localLines(feed.path)), "a feed out of seq order")
        }
        #expect(follower.process.isRunning, "\(follower.stderr)")
        // Once per change of state: one "gone" per outage it saw (the crash may pass unseen), each followed by
        // "back".
        let log = follower.stderr
        let downs = log.components(separatedBy: gone).count - 1
        let backs = log.components(separatedBy: "PostgreSQL is reachable again").count - 1
        #expect((1...2).contains(downs) && backs == downs, "\(log)")
        follower.signal(SIGTERM)

        for (feed, uuid) in zip(feeds, uuids) {
            let fromPostgres = try TempDir("redline-replay-pg")
            let fromFeed = try TempDir("redline-replay-feed")
            try FileManager.default.removeItem(at: fromPostgres.url)
            let pg = try runRedline(
                ["replay", "--postgres", server.url, "--feed", uuid, "--to", fromPostgres.path])
            #expect(pg.status == 0, "\(pg.stderr)")
            let local = try runRedline(["replay", "--feed", feed.path, "--to", fromFeed.path])
            #expect(local.status == 0, "\(local.stderr)")
            let rebuilt = try readTree(fromPostgres.path)
            #expect(rebuilt == (try readTree(fromFeed.path)))
            #expect(rebuilt == feed.tree.mapValues { Data($0.utf8) })
        }
        for shipper in shippers {
            shipper.signal(SIGTERM)
            #expect(shipper.waitForExit(seconds: 30) == 0, "\(shipper.stderr)")
        }
    }
}

extension TempDir {
    /// A path for a cursor file that does not exist yet, in the system's temporary directory.
    static func cursorPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("redline-cursor-\(UUID().uuidString)").path
    }
}
