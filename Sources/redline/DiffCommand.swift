import ArgumentParser
import Logging
import RedlineDaemon
import RedlineDiff
import RedlineFeed
import RedlinePOSIX

#if canImport(Glibc)
    import Glibc
#endif

extension Redline {
    /// `redline diff OLD NEW`: compare two versions of an article and classify every change.
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Compare two versions of an article, or two trees of articles, and classify every change.",
            discussion: """
                With two directories, articles are paired by relative path (and moves by equal bytes), diffed on \
                every core, and each changed article is one record line in the feed's format (--format json) or \
                one readable line (text), in path order.

                Exit status: 0 the files are identical, 1 they differ, 2 trouble (unreadable file, not a \
                regular file such as a FIFO or device, invalid UTF-8 or a NUL byte: one line on stderr naming the \
                file and, for bad text, the byte offset).
                """
        )

        /// Output formats.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json
        }

        @Argument(help: "The old version of the article (or a directory of articles).")
        var old: String

        @Argument(help: "The new version of the article (or a directory of articles).")
        var new: String

        @Option(help: "Output format: text (readable, colour on a terminal) or json (one object).")
        var format: Format = .text

        @Option(
            name: .customLong("include"),
            help: "With two directories: a glob of the articles to compare (repeatable; default **/*.txt, **/*.md).")
        var include: [String] = []

        @Option(
            name: .customLong("exclude"),
            help: "With two directories: a glob to leave out (repeatable; default the daemon's editor-file globs).")
        var exclude: [String] = []

        @Option(
            name: .customLong("word-list"),
            help: ArgumentHelp(
                "A word list to classify with, instead of the daemon's default lists (repeatable).", valueName: "FILE"))
        var wordLists: [String] = []

        @Flag(help: "Classify without word lists: the distance rules alone.")
        var noWordLists = false

        @Option(
            name: .customLong("archive"),
            help: ArgumentHelp(
                "A directory of articles whose use of each word is evidence (default with two directories: OLD).",
                discussion: "A rare form fixed into a close one that at least 3 of its articles use is spelling.",
                valueName: "DIR"))
        var archive: String?

        func run() async throws {
            // The daemon's default word lists; a missing one leaves its script to the rules without
            // a lexicon, silently: a one-shot diff's stderr is for trouble with its own files.
            var quiet = Logger(label: "redline.diff")
            quiet.logLevel = .critical
            let lists = noWordLists ? [] : wordLists.isEmpty ? LexiconLoader.defaultWordLists : wordLists
            let lexicon = LexiconLoader.lazy(lists, cacheDirectory: LexiconLoader.userCacheDirectory, logger: quiet)
            if ArticleFile.stat(old)?.isDirectory == true, ArticleFile.stat(new)?.isDirectory == true {
                return try runOnTrees(lexicon: lexicon)
            }
            if let archive, ArticleFile.stat(archive)?.isDirectory != true {
                throw CLIFailure(message: "\(archive): --archive needs a directory of articles", status: 2)
            }
            let oldText = try Self.load(old)
            let newText = try Self.load(new)
            let silent = quiet
            let words = archive.map { directory in
                ArchiveWords(loading: {
                    TreeDiff.wordCounts(under: directory, filter: Self.filter([], []), logger: silent)
                })
            }
            let diff = Differ.diff(old: oldText, new: newText, lexicon: lexicon, archive: words)
            switch format {
            case .json: print(diff.json())
            case .text: print(DiffTextRenderer(colour: isatty(1) == 1).render(diff), terminator: "")
            }
            if !diff.isIdentical { throw ExitCode(1) }
        }

        /// Two directories: one record line per changed article (json), or one readable line (text).
        func runOnTrees(lexicon: LazyLexicon) throws {
            for pattern in include + exclude {
                if let problem = ArticleFilter.problem(inGlob: pattern) {
                    throw CLIFailure(message: "\"\(pattern)\" is not a valid glob: \(problem)", status: 2)
                }
            }
            let filter = Self.filter(include, exclude)
            var logger = Logger(label: "redline.diff")
            logger.logLevel = .warning
            let output = LineOutput()
            let summary: TreeDiff.Summary
            do {
                // Not a feed: no feed UUID, id or time; seq numbers the records in output order.
                var ordinal: UInt64 = 0
                summary = try TreeDiff.run(
                    old: old, new: new, filter: filter, lexicon: lexicon, archive: archive, logger: logger
                ) {
                    record in
                    var record = record
                    ordinal += 1
                    record.seq = ordinal
                    switch format {
                    case .json: try output.write(try record.line())
                    case .text: try output.write(Array(TextLine.render(record, verbose: false).utf8))
                    }
                }
                try output.flush()
            } catch let error as DaemonError {
                throw CLIFailure(message: error.message, status: 2)
            }
            if !summary.isIdentical { throw ExitCode(1) }
        }

        /// The articles a tree's walk takes: the given globs, else the daemon's defaults.
        static func filter(_ include: [String], _ exclude: [String]) -> ArticleFilter {
            ArticleFilter(
                include: include.isEmpty ? RootConfig.defaultInclude : include,
                exclude: exclude.isEmpty ? RootConfig.defaultExclude : exclude)
        }

        /// Reads (through the daemon's one article reader) and decodes one file; throws one line naming it,
        /// with exit status 2.
        static func load(_ path: String) throws -> String {
            let bytes: [UInt8]
            switch ArticleFile.read(path, maxBytes: .max, followSymlinks: true) {
            case .bytes(let read, _): bytes = read
            case .notRegular(let type): throw CLIFailure(message: "\(path): \(notRegular(type))", status: 2)
            case .missing:
                throw CLIFailure(
                    message: "\(path): cannot open: \(POSIX.describe(errno: ENOENT)); check the path and permissions",
                    status: 2)
            case .unreadable(let code):
                throw CLIFailure(
                    message: "\(path): cannot open: \(POSIX.describe(errno: code)); check the path and permissions",
                    status: 2)
            case .tooLarge: throw CLIFailure(message: "\(path): too large", status: 2)
            }
            do {
                return try ArticleText.decode(bytes)
            } catch {
                throw CLIFailure(message: "\(path): \(error)", status: 2)
            }
        }

        /// Why a file of this type (`S_IFMT` bits) is not an article.
        static func notRegular(_ type: UInt32) -> String {
            let kind: String
            switch mode_t(type) {
            case S_IFDIR: return "is a directory; give the path of an article file"
            case S_IFIFO: kind = "a FIFO"
            case S_IFSOCK: kind = "a socket"
            case S_IFCHR: kind = "a character device"
            case S_IFBLK: kind = "a block device"
            default: kind = "a special file"
            }
            return "not a regular file (\(kind)); give the path of an article file, or save the input to one first"
        }
    }
}

/// Renders a diff for people: a summary line, then one line per change labelled by its class.
///
/// Text stays in logical order; each span is wrapped in Unicode first-strong isolates
/// (U+2068 ... U+2069) so a bidi terminal shows a right-to-left span whole without reordering
/// the labels around it. Line breaks and tabs inside spans are shown as `\n`, `\r`, `\t`.
struct DiffTextRenderer {
    var colour: Bool

    func paint(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    func colourCode(_ c: ChangeClass) -> String {
        switch c.significance {
        case .cosmetic: "2"
        case .minor: "33"
        case .substantive: "31;1"
        }
    }

    func span(_ s: String?) -> String {
        guard let s else { return "" }
        var out = "\u{2068}"
        for ch in s.unicodeScalars {
            switch ch {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\u{2069}"
    }

    func render(_ diff: TextDiff) -> String {
        guard let significance = diff.significance else { return "identical\n" }
        let counts = ChangeClass.allCases.filter { diff.summary[$0] > 0 }.map { "\($0.rawValue) \(diff.summary[$0])" }
        var out =
            "\(paint(significance.rawValue, colourCode(significance == .substantive ? .wording : significance == .minor ? .spelling : .whitespace))): "
        out += "\(diff.changes.count) change\(diff.changes.count == 1 ? "" : "s")"
        if !counts.isEmpty { out += " (\(counts.joined(separator: ", ")))" }
        out += "; words +\(diff.summary.wordsAdded) -\(diff.summary.wordsRemoved)\n"
        for change in diff.changes {
            let label = change.class.rawValue + (change.rule.map { "[\($0)]" } ?? "")
            let place: String
            switch (change.oldParagraph, change.newParagraph) {
            case (let o?, let n?): place = o == n ? "¶\(n + 1)" : "¶\(o + 1)→\(n + 1)"
            case (let o?, nil): place = "¶\(o + 1)"
            case (nil, let n?): place = "¶\(n + 1)"
            default: place = "¶-"
            }
            var line = paint(label, colourCode(change.class)) + " " + place + ": "
            switch change.class {
            case .paragraphAdded: line += "+ " + span(change.newText)
            case .paragraphRemoved: line += "- " + span(change.oldText)
            case .paragraphMoved: line += span(excerpt(change.newText))
            default: line += span(change.oldText) + " → " + span(change.newText)
            }
            out += line + "\n"
        }
        return out
    }

    func excerpt(_ s: String?) -> String? {
        guard let s else { return nil }
        let words = s.split(separator: " ", omittingEmptySubsequences: true)
        return words.count <= 8 ? s : words.prefix(8).joined(separator: " ") + " …"
    }
}
