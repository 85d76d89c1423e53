import RedlineWatcher
import Testing

/// One data-driven settle case, in the spirit of notify-debouncer-full's `test_cases`: events at times relative
/// to the start (milliseconds on a virtual clock), and every change the settler reports, in order.
struct SettleCase: Sendable, CustomTestStringConvertible {
    var name: String
    var events: [(ms: Int, event: WatchEvent)]
    var expected: [SettledChange]

    var testDescription: String { name }
}

// Short builders keep the cases readable.
private let root = "/srv/news"
private func p(_ relative: String) -> String { root + "/" + relative }
private func create(_ path: String) -> WatchEvent { WatchEvent(kind: .create, path: p(path), isDirectory: false) }
private func modify(_ path: String) -> WatchEvent { WatchEvent(kind: .modify, path: p(path), isDirectory: false) }
private func closeWrite(_ path: String) -> WatchEvent {
    WatchEvent(kind: .closeWrite, path: p(path), isDirectory: false)
}
private func attrib(_ path: String) -> WatchEvent { WatchEvent(kind: .attrib, path: p(path), isDirectory: false) }
private func delete(_ path: String, dir: Bool = false) -> WatchEvent {
    WatchEvent(kind: .delete, path: p(path), isDirectory: dir)
}
private func movedFrom(_ path: String, _ cookie: UInt32, dir: Bool = false) -> WatchEvent {
    WatchEvent(kind: .movedFrom, path: p(path), isDirectory: dir, cookie: cookie)
}
private func movedTo(_ path: String, _ cookie: UInt32, dir: Bool = false) -> WatchEvent {
    WatchEvent(kind: .movedTo, path: p(path), isDirectory: dir, cookie: cookie)
}
private func mkdir(_ path: String) -> WatchEvent { WatchEvent(kind: .create, path: p(path), isDirectory: true) }
private let overflow = WatchEvent(kind: .overflow, path: "", isDirectory: false)
private func changed(_ path: String) -> SettledChange { .changed(path: p(path)) }
private func moved(_ from: String, _ to: String) -> SettledChange { .moved(from: p(from), to: p(to)) }

let settleCases: [SettleCase] = [
    SettleCase(
        name: "single write",
        events: [(0, create("a.txt")), (1, modify("a.txt")), (2, closeWrite("a.txt"))],
        expected: [changed("a.txt")]
    ),
    SettleCase(
        name: "a burst of writes settles once",
        events: (0..<40).map { ($0 * 10, modify("a.txt")) } + [(400, closeWrite("a.txt"))],
        expected: [changed("a.txt")]
    ),
    SettleCase(
        name: "writes apart by more than the quiet period are two changes",
        events: [(0, closeWrite("a.txt")), (500, closeWrite("a.txt"))],
        expected: [changed("a.txt"), changed("a.txt")]
    ),
    SettleCase(
        name: "two files come out in the order they were first touched",
        events: [(0, modify("b.txt")), (0, modify("a.txt")), (1, closeWrite("a.txt")), (1, closeWrite("b.txt"))],
        expected: [changed("b.txt"), changed("a.txt")]
    ),
    SettleCase(
        name: "touch without content is still a change to look at",
        events: [(0, attrib("a.txt"))],
        expected: [changed("a.txt")]
    ),
    SettleCase(
        name: "atomic save through a temp file is one rename onto the article",
        events: [
            (0, create(".a.txt.tmp")), (1, modify(".a.txt.tmp")), (2, closeWrite(".a.txt.tmp")),
            (3, movedFrom(".a.txt.tmp", 7)), (3, movedTo("a.txt", 7)),
        ],
        expected: [moved(".a.txt.tmp", "a.txt")]
    ),
    SettleCase(
        name: "atomic save right after a write to the article reports the article once",
        events: [
            (0, closeWrite("a.txt")), (10, create("a.txt.tmp")), (11, closeWrite("a.txt.tmp")),
            (12, movedFrom("a.txt.tmp", 9)), (12, movedTo("a.txt", 9)),
        ],
        expected: [moved("a.txt.tmp", "a.txt")]
    ),
    SettleCase(
        name: "a rename paired by cookie with other events between the halves",
        events: [(0, movedFrom("a.txt", 1)), (1, closeWrite("b.txt")), (5, movedTo("c.txt", 1))],
        expected: [changed("b.txt"), moved("a.txt", "c.txt")]
    ),
    SettleCase(
        name: "interleaved renames pair by cookie, not by position",
        events: [
            (0, movedFrom("a.txt", 1)), (0, movedFrom("b.txt", 2)), (1, movedTo("y.txt", 2)),
            (1, movedTo("x.txt", 1)),
        ],
        expected: [moved("b.txt", "y.txt"), moved("a.txt", "x.txt")]
    ),
    SettleCase(
        name: "a file written then renamed is one rename",
        events: [(0, closeWrite("a.txt")), (10, movedFrom("a.txt", 3)), (10, movedTo("b.txt", 3))],
        expected: [moved("a.txt", "b.txt")]
    ),
    SettleCase(
        name: "an unpaired moved-from is a delete after the pairing timeout",
        events: [(0, movedFrom("a.txt", 4))],
        expected: [changed("a.txt")]
    ),
    SettleCase(
        name: "an unpaired moved-to is a create",
        events: [(0, movedTo("a.txt", 5))],
        expected: [changed("a.txt")]
    ),
    SettleCase(
        name: "a directory moved out of the tree removes everything below it",
        events: [(0, movedFrom("2024", 6, dir: true))],
        expected: [.directoryRemoved(path: p("2024"))]
    ),
    SettleCase(
        name: "a directory moved in from outside reports nothing by itself (its contents come as events)",
        events: [(0, movedTo("2024", 6, dir: true)), (1, create("2024/a.txt")), (1, closeWrite("2024/a.txt"))],
        expected: [changed("2024/a.txt")]
    ),
    SettleCase(
        name: "a directory renamed within the tree",
        events: [(0, movedFrom("2024", 8, dir: true)), (0, movedTo("archive", 8, dir: true))],
        expected: [.directoryMoved(from: p("2024"), to: p("archive"))]
    ),
    SettleCase(
        name: "a pending write inside a renamed directory follows it to the new name",
        events: [
            (0, closeWrite("2024/a.txt")), (10, movedFrom("2024", 8, dir: true)),
            (10, movedTo("archive", 8, dir: true)),
        ],
        expected: [changed("archive/a.txt"), .directoryMoved(from: p("2024"), to: p("archive"))]
    ),
    SettleCase(
        name: "new directory with files: only the files",
        events: [
            (0, mkdir("a")), (0, mkdir("a/b")), (1, create("a/b/new.txt")), (1, closeWrite("a/b/new.txt")),
        ],
        expected: [changed("a/b/new.txt")]
    ),
    SettleCase(
        name: "overflow drops pending work and is reported once, first",
        events: [
            (0, closeWrite("a.txt")), (1, closeWrite("b.txt")), (2, overflow), (2, overflow),
            (4, closeWrite("c.txt")),
        ],
        expected: [.overflow, changed("c.txt")]
    ),
    SettleCase(
        name: "delete",
        events: [(0, delete("a.txt"))],
        expected: [changed("a.txt")]
    ),
    SettleCase(
        name: "rm -r of a directory is one removal",
        events: [
            (0, delete("d/x.txt")), (0, delete("d/y.txt")), (1, delete("d", dir: true)),
            (1, WatchEvent(kind: .deleteSelf, path: p("d"), isDirectory: true)),
            (1, WatchEvent(kind: .ignored, path: p("d"), isDirectory: true)),
        ],
        expected: [.directoryRemoved(path: p("d"))]
    ),
    SettleCase(
        name: "a rename chain keeps the origin and reports the displaced name",
        events: [
            (0, movedFrom("a.txt", 1)), (0, movedTo("b.txt", 1)), (5, movedFrom("b.txt", 2)),
            (5, movedTo("c.txt", 2)),
        ],
        expected: [changed("b.txt"), moved("a.txt", "c.txt")]
    ),
    SettleCase(
        name: "vim-style save (rename to backup, write anew, delete backup) looks at both names",
        events: [
            (0, movedFrom("a.txt", 3)), (0, movedTo("a.txt~", 3)), (1, create("a.txt")), (2, modify("a.txt")),
            (3, closeWrite("a.txt")), (4, delete("a.txt~")),
        ],
        expected: [changed("a.txt~"), changed("a.txt")]
    ),
    SettleCase(
        name: "a directory renamed onto one just removed: the old contents go first",
        events: [
            (0, delete("d/x.txt")), (0, delete("d", dir: true)), (1, movedFrom("e", 4, dir: true)),
            (1, movedTo("d", 4, dir: true)),
        ],
        expected: [.directoryRemoved(path: p("d")), .directoryMoved(from: p("e"), to: p("d"))]
    ),
    SettleCase(
        name: "self events of directories report nothing",
        events: [
            (0, WatchEvent(kind: .moveSelf, path: p("d"), isDirectory: true)),
            (0, WatchEvent(kind: .ignored, path: p("d"), isDirectory: true)),
        ],
        expected: []
    ),
    SettleCase(
        name: "a root lost and found comes out at once, in order, ahead of what is still settling",
        events: [
            (0, closeWrite("a.txt")), (1, WatchEvent(kind: .rootLost, path: root, isDirectory: true)),
            (2, WatchEvent(kind: .rootFound, path: root, isDirectory: true)),
        ],
        expected: [.rootLost(root: root), .rootFound(root: root), changed("a.txt")]
    ),
]

/// Runs `events` through a settler on a virtual clock, calling `due` at every deadline, and returns everything
/// it reported, in order.
func settle(_ events: [(ms: Int, event: WatchEvent)]) -> [SettledChange] {
    var settler = Settler(settle: .milliseconds(50), pairTimeout: .milliseconds(100))
    let start = ContinuousClock.now
    var reported: [SettledChange] = []
    func drain(until limit: ContinuousClock.Instant?) {
        var rounds = 0
        while let deadline = settler.nextDeadline, limit.map({ deadline <= $0 }) ?? true, rounds < 1000 {
            reported += settler.due(at: deadline)
            rounds += 1
        }
        // A consumer sleeping until `nextDeadline` must not be woken forever for nothing.
        #expect(rounds < 1000, "the settler keeps asking to be woken without making progress")
    }
    for (ms, event) in events {
        let now = start + .milliseconds(ms)
        drain(until: now)
        settler.observe(event, at: now)
    }
    drain(until: nil)
    return reported
}

@Suite struct SettlerTests {
    @Test(arguments: settleCases)
    func settlesLikeTheCaseSays(_ testCase: SettleCase) {
        #expect(settle(testCase.events) == testCase.expected)
    }

    @Test func nothingIsDueBeforeTheQuietPeriodEnds() {
        var settler = Settler(settle: .milliseconds(50))
        let start = ContinuousClock.now
        settler.observe(closeWrite("a.txt"), at: start)
        #expect(settler.due(at: start + .milliseconds(10)).isEmpty)
        settler.observe(modify("a.txt"), at: start + .milliseconds(40))
        #expect(settler.due(at: start + .milliseconds(60)).isEmpty)
        #expect(settler.due(at: start + .milliseconds(90)) == [changed("a.txt")])
        #expect(settler.nextDeadline == nil)
        #expect(settler.isIdle)
    }

    @Test func aBurstOfThousandsOfFilesSettlesEachOnce() {
        let events = (0..<3000).flatMap { i in
            [
                (i / 10, create("burst/\(i).txt")), (i / 10, modify("burst/\(i).txt")),
                (i / 10, closeWrite("burst/\(i).txt")),
            ]
        }
        #expect(settle(events) == (0..<3000).map { changed("burst/\($0).txt") })
    }

    @Test func aRenameSourceWaitsForItsPartner() {
        // The source's own quiet period ends before the movedTo comes: it must not be reported as a delete.
        var settler = Settler(settle: .milliseconds(10), pairTimeout: .milliseconds(100))
        let start = ContinuousClock.now
        settler.observe(closeWrite("a.txt"), at: start)
        settler.observe(movedFrom("a.txt", 1), at: start + .milliseconds(1))
        #expect(settler.due(at: start + .milliseconds(30)).isEmpty)
        settler.observe(movedTo("b.txt", 1), at: start + .milliseconds(40))
        #expect(settler.due(at: start + .milliseconds(60)) == [moved("a.txt", "b.txt")])
    }
}
