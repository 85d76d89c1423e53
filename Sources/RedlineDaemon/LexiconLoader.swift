// Reading the word lists that `[diff] word_lists` names into a `Lexicon` (RedlineDiff does no
// I/O: it gets the words in memory). Formats, by file name:
// - `*.cwl.gz` / `*.cwl`: aspell's compressed word lists (aspell-fa), gzip around "prezip":
//   0x02, then each word as the number of bytes it shares with the previous one and the rest;
// - anything else: one word a line (`/usr/share/dict/*`, hunspell `.dic` with its count line;
//   affix flags after `/` are dropped, the stem alone is a word: the Persian `.dic` lists every
//   inflected form in full, and the English lists from wamerican/wbritish need no affixes).
// A list that is missing or unreadable is skipped with one warning: the classifier then runs
// with the others, or, when none of a script is left, with its rules without a lexicon.

import CZlib
import Foundation
import Logging
import RedlineDiff
import RedlineFeed

/// Loads word lists into a ``Lexicon``.
public enum LexiconLoader {
    /// The lists used when the configuration names none: Debian's wamerican-large,
    /// wbritish-large and aspell-fa (the packages `make run` and `make test` install).
    public static let defaultWordLists = [
        "/usr/share/dict/american-english-large",
        "/usr/share/dict/british-english-large",
        "/usr/share/aspell/fa-common.cwl.gz",
        "/usr/share/aspell/fa-generic.cwl.gz",
        "/usr/share/aspell/fa-scientific.cwl.gz",
    ]

    /// A lexicon that reads `paths` the first time a diff needs it, logging once per list that
    /// cannot be used and once with what was loaded.
    /// - Parameter cacheDirectory: where to keep the compiled lexicon (see ``load(_:cacheDirectory:logger:)``).
    public static func lazy(_ paths: [String], cacheDirectory: String? = nil, logger: Logger) -> LazyLexicon {
        LazyLexicon { load(paths, cacheDirectory: cacheDirectory, logger: logger) }
    }

    /// The per-user cache of compiled lexicons, for one-shot commands: `$XDG_CACHE_HOME/redline`, else
    /// `~/.cache/redline`; nil without either.
    public static var userCacheDirectory: String? {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/redline" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/redline" }
        return nil
    }

    /// Reads every list of `paths` now; a list that cannot be read is logged (warning) and skipped.
    ///
    /// With a `cacheDirectory`, the lexicon compiled from the same lists (same paths, sizes, mtimes and
    /// inodes) under the same comparison key is read from there instead, a copy of a few megabytes
    /// rather than a parse and sort of 500,000 words; a new one is written there (a cache: any failure
    /// to read or write it only means building again).
    public static func load(_ paths: [String], cacheDirectory: String? = nil, logger: Logger) -> Lexicon {
        let cached = cacheDirectory.map { $0 + "/lexicon-" + identity(paths) + ".bin" }
        if let cached, case .bytes(let bytes, _) = ArticleFile.read(cached, maxBytes: 1 << 30),
            let lexicon = Lexicon(compiled: bytes)
        {
            return lexicon
        }
        let lexicon = build(paths, logger: logger)
        if let cached, let directory = cacheDirectory {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try? Data(lexicon.compiled()).write(to: URL(fileURLWithPath: cached), options: .atomic)
        }
        return lexicon
    }

    /// Names the lists as they are now, and the comparison key, so a cached lexicon is used only for them.
    static func identity(_ paths: [String]) -> String {
        var text = "key \(Lexicon.keyFingerprint)\n"
        for path in paths {
            let stat = ArticleFile.stat(path)
            text += "\(path)\t\(stat.map { "\($0.size) \($0.mtimeNs) \($0.inode)" } ?? "missing")\n"
        }
        return String(Digest.sha256Hex(Array(text.utf8)).prefix(32))
    }

    private static func build(_ paths: [String], logger: Logger) -> Lexicon {
        var builder = Lexicon.Builder()
        var loaded: [String] = []
        for path in paths {
            switch words(of: path) {
            case .success(let bytes):
                bytes.withUnsafeBufferPointer { builder.add(lines: $0) }
                loaded.append(path)
            case .failure(let problem):
                logger.warning(
                    "word list not used, classifying without it: \(problem)", metadata: ["lexicon.path": "\(path)"])
            }
        }
        let lexicon = builder.build()
        logger.info(
            "lexicon loaded",
            metadata: [
                "lexicon.lists": "\(loaded.count)", "lexicon.latin": "\(lexicon.wordCount(.latin))",
                "lexicon.arabic": "\(lexicon.wordCount(.arabic))", "lexicon.bytes": "\(lexicon.byteCount)",
            ])
        return lexicon
    }

    /// Why a list could not be used: one line naming it and the fix.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// The line.
        public var description: String
    }

    /// The words of one list, one a line.
    static func words(of path: String) -> Result<[UInt8], Problem> {
        let bytes: [UInt8]
        switch ArticleFile.read(path, maxBytes: 256 << 20, followSymlinks: true) {
        case .bytes(let read, _): bytes = read
        case .missing:
            return .failure(
                Problem(description: "\(path): not installed; install its package or fix [diff] word_lists"))
        case .unreadable(let code):
            return .failure(
                Problem(description: "\(path): cannot read (errno \(code)); check its permissions"))
        case .notRegular:
            return .failure(Problem(description: "\(path): not a regular file; name a word list file"))
        case .tooLarge:
            return .failure(Problem(description: "\(path): larger than 256 MiB; not a word list"))
        }
        guard path.hasSuffix(".cwl") || path.hasSuffix(".cwl.gz") else { return .success(bytes) }
        var data = bytes
        if path.hasSuffix(".gz") {
            guard let inflated = gunzip(bytes) else {
                return .failure(Problem(description: "\(path): not a gzip file; reinstall its package"))
            }
            data = inflated
        }
        guard let lines = prezipLines(data) else {
            return .failure(Problem(description: "\(path): not an aspell word list (prezip); reinstall its package"))
        }
        return .success(lines)
    }

    /// The bytes of a gzip stream, or nil when it is not one.
    static func gunzip(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        // 15 window bits + 16: a gzip header.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return nil
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { src in
            stream.next_in = src.baseAddress
            stream.avail_in = uInt(src.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { dest in
                    stream.next_out = dest.baseAddress
                    stream.avail_out = uInt(dest.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, dest.count - Int(stream.avail_out))
                }
                out.append(contentsOf: chunk[0..<produced])
                if status != Z_OK { return status }
            }
        }
        return status == Z_STREAM_END ? out : nil
    }

    /// Newline-separated words from aspell's prezip form, or nil when it is not one.
    ///
    /// After the 0x02 mark each word is the count of bytes it keeps from the previous word (one byte
    /// 0x00-0x1D; or 0x1E, any 0xFF and one more byte, all summed), then its other bytes (0x1F, b+0x20
    /// escapes a byte b below 0x20); 0x1F 0xFF ends the list.
    static func prezipLines(_ data: [UInt8]) -> [UInt8]? {
        guard data.first == 0x02 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(data.count * 3)
        var previous: [UInt8] = []
        var current: [UInt8] = []
        var i = 1
        var started = false
        func finish() {
            if started {
                out.append(contentsOf: current)
                out.append(0x0A)
                previous = current
            }
        }
        while i < data.count {
            let b = data[i]
            if b <= 0x1E {
                var keep = Int(b)
                if b == 0x1E {
                    i += 1
                    while i < data.count, data[i] == 0xFF {
                        keep += 0xFF
                        i += 1
                    }
                    guard i < data.count else { return nil }
                    keep += Int(data[i])
                }
                finish()
                guard keep <= previous.count else { return nil }
                current = Array(previous[0..<keep])
                started = true
                i += 1
            } else if b == 0x1F {
                guard i + 1 < data.count else { return nil }
                if data[i + 1] == 0xFF {
                    finish()
                    return out
                }
                // Bytes below 0x20 are escaped as 0x1F, byte + 0x20 (word lists hardly have any).
                current.append(data[i + 1] &- 0x20)
                i += 2
            } else {
                current.append(b)
                i += 1
            }
        }
        finish()
        return out
    }
}
