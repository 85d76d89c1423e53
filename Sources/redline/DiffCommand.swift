import ArgumentParser
import RedlineDiff

#if canImport(Glibc)
    import Glibc
#endif

extension Redline {
    /// `redline diff OLD NEW`: compare two versions of an article and classify every change.
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Compare two versions of an article and classify every change.",
            discussion: """
                Exit status: 0 the files are identical, 1 they differ, 2 trouble (unreadable file, not a \
                regular file such as a FIFO or device, invalid UTF-8 or a NUL byte: one line on stderr naming the \
                file and, for bad text, the byte offset).
                """
        )

        /// Output formats.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json
        }

        @Argument(help: "The old version of the article.")
        var old: String

        @Argument(help: "The new version of the article.")
        var new: String

        @Option(help: "Output format: text (readable, colour on a terminal) or json (one object).")
        var format: Format = .text

        func run() async throws {
            let oldText = try Self.load(old)
            let newText = try Self.load(new)
            let diff = Differ.diff(old: oldText, new: newText)
            switch format {
            case .json: print(diff.json())
            case .text: print(DiffTextRenderer(colour: isatty(1) == 1).render(diff), terminator: "")
            }
            if !diff.isIdentical { throw ExitCode(1) }
        }

        /// Reads and decodes one file, or prints one line naming it and exits 2.
        static func load(_ path: String) throws -> String {
            let bytes: [UInt8]
            switch readFile(path) {
            case .success(let b): bytes = b
            case .failure(let message):
                throw CLIFailure(message: "\(path): \(message)", status: 2)
            }
            do {
                return try ArticleText.decode(bytes)
            } catch {
                throw CLIFailure(message: "\(path): \(error)", status: 2)
            }
        }

        /// Why a file of this type is not an article, or nil for a regular file.
        static func notRegular(_ info: stat) -> String? {
            let kind: String
            switch info.st_mode & S_IFMT {
            case S_IFREG: return nil
            case S_IFDIR: return "is a directory; give the path of an article file"
            case S_IFIFO: kind = "a FIFO"
            case S_IFSOCK: kind = "a socket"
            case S_IFCHR: kind = "a character device"
            case S_IFBLK: kind = "a block device"
            default: kind = "a special file"
            }
            return "not a regular file (\(kind)); give the path of an article file, or save the input to one first"
        }

        enum ReadResult {
            case success([UInt8])
            case failure(String)
        }

        /// Reads a whole regular file with plain system calls (retrying EINTR).
        ///
        /// Anything else is refused before it is read: a FIFO would block until a writer came, a device
        /// might never end. The open is non-blocking too, so a FIFO swapped in after the `stat` cannot hang it.
        static func readFile(_ path: String) -> ReadResult {
            var info = stat()
            if stat(path, &info) == 0, let problem = notRegular(info) { return .failure(problem) }
            var fd: Int32
            repeat { fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } while fd < 0 && errno == EINTR
            if fd < 0 {
                return .failure("cannot open: \(String(cString: strerror(errno))); check the path and permissions")
            }
            defer { close(fd) }
            guard fstat(fd, &info) == 0 else { return .failure("cannot stat: \(String(cString: strerror(errno)))") }
            if let problem = notRegular(info) { return .failure(problem) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(max(info.st_size, 0)) + 1)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return .failure("cannot read: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                bytes.append(contentsOf: chunk[0..<n])
            }
            return .success(bytes)
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
