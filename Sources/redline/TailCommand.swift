import ArgumentParser
import Foundation
import RedlineDaemon
import RedlineDiff
import RedlineFeed
import RedlineShip

/// `--feed DIR`, shared by the feed readers.
struct FeedDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("feed"),
        help: ArgumentHelp(
            "The feed directory: the daemon's DATA/feed (DATA itself is refused, naming DATA/feed); with --postgres, "
                + "a feed's UUID.", valueName: "dir"))
    var directory = FeedDirectoryOption.defaultDirectory

    /// `--feed`'s default: the feed of `make run`.
    static let defaultDirectory = "./var/feed"

    /// With `--postgres`, `--feed` names a feed by its UUID; nil when it was not given.
    var uuid: String? { directory == Self.defaultDirectory ? nil : directory }

    /// The feed directory; prints one line and exits 1 when `--feed` names the daemon's data directory.
    ///
    /// A data directory holds no segment, so reading it as a feed would report an empty, healthy feed.
    func checked(command: String) throws -> String {
        var dir = directory
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        if DataDirectory.isDataDirectoryNotFeed(dir) {
            throw CLIFailure(
                message: "\(dir) looks like a data directory (it holds feed/), not a feed: pass --feed \(dir)/feed",
                status: 1)
        }
        return directory
    }
}

extension RecordType: ExpressibleByArgument {}

/// How a tail prints records.
enum TailFormat: String, CaseIterable, ExpressibleByArgument {
    /// The stored line, unchanged (crc included), for tools.
    case json
    /// One readable line per record.
    case text
}

/// Parses a raw value (the diff layer's enums are parsed here rather than conformed, so another command
/// file may conform them without a clash).
func parseRaw<T: RawRepresentable & CaseIterable>(_ text: String) throws -> T where T.RawValue == String {
    guard let value = T(rawValue: text) else {
        throw ValidationError(
            "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return value
}

extension Redline {
    /// `redline tail`: print feed records, optionally following the feed live.
    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tail",
            abstract: "Print feed records, optionally following new ones as they are written.",
            discussion: """
                Starts after the last record (--from-now) unless told otherwise. With --cursor-file, the next \
                seq is saved (atomically) after every record printed, and a later run resumes from it, \
                overriding --since/--from-beginning/--from-now. Exit status: 0 done, 1 damaged feed or error, \
                3 the feed was recreated (new feed UUID: resync), 4 --since is older than retention kept.
                """
        )

        @OptionGroup var feed: FeedDirectoryOption

        @Option(help: ArgumentHelp("Start at this seq (an error if retention deleted it).", valueName: "seq"))
        var since: UInt64?

        @Flag(help: "Start at the oldest record kept.")
        var fromBeginning = false

        @Flag(help: "Start after the last record written so far (the default).")
        var fromNow = false

        @Flag(name: [.short, .long], help: "Keep running and print records as they are appended (uses inotify).")
        var follow = false

        @Option(
            name: .customLong("type"), help: ArgumentHelp("Only records of this type (repeatable).", valueName: "type"))
        var types: [RecordType] = []

        @Option(
            name: .customLong("class"),
            help: ArgumentHelp("Only records with a change of this class (repeatable).", valueName: "class"),
            transform: parseRaw)
        var classes: [ChangeClass] = []

        @Option(
            help: ArgumentHelp(
                "Only articles whose path (or former path) matches this glob (the config's dialect: * within a directory, ** across).",
                valueName: "glob"))
        var path: String?

        @Option(
            help: ArgumentHelp(
                "Only edits at least this significant: cosmetic, minor, substantive (records without a significance pass).",
                valueName: "level"), transform: parseRaw)
        var minSignificance: Significance?

        @Option(help: "json: the stored lines, unchanged; text: one readable line per record.")
        var format: TailFormat = .json

        @Flag(name: .short, help: "With --format text, also print each labelled change.")
        var verbose = false

        @Option(help: ArgumentHelp("Resume from, and save the position to, this file.", valueName: "file"))
        var cursorFile: String?

        @Option(
            help: ArgumentHelp(
                "Read the merged history of every shipped feed from this PostgreSQL database instead of --feed.",
                valueName: "url"))
        var postgres: String?

        func validate() throws {
            let starts = [since != nil, fromBeginning, fromNow].filter { $0 }.count
            guard starts <= 1 else { throw ValidationError("use only one of --since, --from-beginning, --from-now") }
            if postgres != nil && since != nil {
                throw ValidationError(
                    "--since is one feed's seq; with --postgres use --cursor-file or --from-beginning")
            }

            if let since, since == 0 { throw ValidationError("--since counts from 1") }
        }

        func run() async throws {
            if let postgres { return try await runPostgres(postgres) }
            let directory = try feed.checked(command: "tail")
            var tail = FeedTail(directory: directory)
            if let since {
                tail.start = .since(since)
            } else if fromBeginning {
                tail.start = .beginning
            }
            tail.follow = follow
            tail.filter = RecordFilter(
                types: Set(types), classes: Set(classes), pathGlob: path, minSignificance: minSignificance)
            tail.decode = format == .text
            tail.cursorFile = cursorFile
            let output = LineOutput()
            do {
                if let cursorFile { try Self.refuseCursorAhead(cursorFile, feed: directory) }
                try tail.run(
                    deliver: { item throws(FeedError) in
                        if let record = item.record, format == .text {
                            try output.write(TextLine.render(record, verbose: verbose).utf8)
                        } else {
                            try output.write(line: item.raw)
                        }
                    }, flush: output.flush)
            } catch {
                throw error
            }
        }

        /// `--postgres`: every feed's records from PostgreSQL, per-feed seq cursors in `--cursor-file`.
        private func runPostgres(_ text: String) async throws {
            // notice, not warning: a follower says once when PostgreSQL is back, as it said once when it went.
            let history = PostgresHistory(
                url: try PostgresURL(text), logger: makeLogger(label: "redline", level: "notice"))
            let output = LineOutput()
            let filter = RecordFilter(
                types: Set(types), classes: Set(classes), pathGlob: path, minSignificance: minSignificance)
            try await history.tail(
                feed: feed.uuid, filter: filter, decode: format == .text, follow: follow, fromBeginning: fromBeginning,
                cursorFile: cursorFile,
                deliver: { item in
                    if let record = item.record, format == .text {
                        try output.write(TextLine.render(record, verbose: verbose).utf8)
                    } else {
                        try output.write((item.line + "\n").utf8)
                    }
                }, flush: output.flush)
        }

        /// A cursor past the feed's last seq would wait for seqs the feed already gave to nothing, or to
        /// records written again after a restore: the consumer must decide where to resume.
        static func refuseCursorAhead(_ path: String, feed directory: String) throws(FeedError) {
            guard let saved = try TailCursor.load(path) else { return }
            let reader = try FeedReader(directory: directory)
            // A cursor of another feed is FeedTail's resync error (exit 3).
            guard try reader.feedID() == saved.feed else { return }
            let last = try reader.lastSeq()
            guard saved.nextSeq > last + 1 else { return }
            throw FeedError(
                .invalidArgument, path: path,
                message: "cursor file \(path) is ahead of the feed: it resumes at seq \(saved.nextSeq) but the feed's "
                    + "last seq is \(last) (was \(reader.directory) restored from a backup?); delete \(path) and resync "
                    + "with --from-beginning, or write {\"feed\":\"\(saved.feed)\",\"next_seq\":\(last + 1)} to it")
        }
    }
}

/// The `--format text` rendering of a record.
///
/// Paths, reasons and spans are printed through ``escaped(_:)``, so a record is always exactly one line
/// (plus, with `verbose`, one per change) whatever bytes a file name holds.
enum TextLine {
    /// One line: time, type, path, significance and class counts; with `verbose`, one indented line per change.
    static func render(_ record: FeedRecord, verbose: Bool) -> String {
        var parts = [record.time, "#\(record.seq)", record.type.rawValue]
        if let from = record.fromPath {
            parts.append("\(escaped(from)) -> \(escaped(record.path))")
        } else {
            parts.append(escaped(record.path))
        }
        if let significance = record.significance { parts.append(significance.rawValue) }
        if let changes = record.changes, !changes.isEmpty {
            var counts: [ChangeClass: Int] = [:]
            for change in changes { counts[change.class, default: 0] += 1 }
            parts.append(
                ChangeClass.allCases.compactMap { c in counts[c].map { "\(c.rawValue)=\($0)" } }.joined(separator: " "))
        }
        if let reason = record.reason { parts.append("(\(escaped(reason)))") }
        var text = parts.joined(separator: "  ") + "\n"
        if verbose, let changes = record.changes {
            for change in changes {
                var line = "    " + change.class.rawValue
                if let rule = change.rule { line += " [\(escaped(rule))]" }
                switch (change.oldText, change.newText) {
                case (let old?, let new?): line += ": \(quote(old)) -> \(quote(new))"
                case (nil, let new?): line += ": + \(quote(new))"
                case (let old?, nil): line += ": - \(quote(old))"
                case (nil, nil): break
                }
                text += line + "\n"
            }
        }
        return text
    }

    /// Quotes a span, showing line breaks and shortening long paragraphs.
    private static func quote(_ s: String) -> String {
        var t = escaped(s)
        if t.count > 120 { t = String(t.prefix(117)) + "..." }
        return "\"\(t)\""
    }

    /// `s` with every character that could break or repaint a terminal line shown as an escape.
    ///
    /// `\n`, `\r` and `\t` as those two characters; a backslash doubled, so escapes stay unambiguous;
    /// other C0 controls and DEL as `\xNN`; C1 controls and the Unicode line and paragraph separators
    /// as `\u{NNNN}`. Everything else, including right-to-left text, is unchanged.
    static func escaped(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            guard needsEscape(scalar) else {
                out.append(scalar)
                continue
            }
            let escape: String
            switch scalar {
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\\": escape = "\\\\"
            default:
                let hex = String(scalar.value, radix: 16)
                escape = scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            }
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x5C, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }
}
