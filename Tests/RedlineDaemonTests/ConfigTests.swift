import Foundation
import RedlineDaemon
import RedlineFeed
import Testing

@Suite struct ConfigTests {
    func parse(_ toml: String) throws(DaemonError) -> DaemonConfig {
        try DaemonConfig.parse(toml: toml, file: "/etc/redline/redline.toml", currentDirectory: "/work")
    }

    @Test func theShippedExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("config/redline.toml"), encoding: .utf8)
        let config = try parse(text)
        #expect(config.roots.map(\.path) == ["/srv/news"])
        #expect(config.dataDir == "/var/lib/redline")
        #expect(config.feed.fsync == .always)
        #expect(config.roots[0].include == RootConfig.defaultInclude)
    }

    @Test func everyKeyIsRead() throws {
        let config = try parse(
            """
            data_dir = "data"
            settle_ms = 20
            max_file_bytes = 1000
            rescan_interval_s = 30
            limit_rescan_interval_s = 5
            log_level = "debug"
            [feed]
            fsync = "interval"
            fsync_interval_ms = 50
            segment_bytes = 1048576
            retain_segments = 3
            [[root]]
            path = "a/"
            include = ["*.txt"]
            [[root]]
            path = "/b"
            exclude = ["drafts/"]
            """)
        #expect(config.dataDir == "/work/data")
        #expect(config.settleMilliseconds == 20)
        #expect(config.maxFileBytes == 1000)
        #expect(config.rescanIntervalSeconds == 30)
        #expect(config.limitRescanIntervalSeconds == 5)
        #expect(config.logLevel == "debug")
        #expect(config.feed.fsync == .interval(milliseconds: 50))
        #expect(config.feed.segmentBytes == 1_048_576)
        #expect(config.feed.retainSegments == 3)
        #expect(config.roots.map(\.path) == ["/work/a", "/b"])
        #expect(config.roots[0].include == ["*.txt"])
        #expect(config.roots[1].exclude == ["drafts/"])
    }

    @Test(arguments: [
        ("settle_ms = 50\nsetle_ms = 3\n[[root]]\npath = \"/a\"", "redline.toml:2: setle_ms: unknown key"),
        ("settle_ms = \"soon\"\n[[root]]\npath = \"/a\"", "redline.toml:1: settle_ms: expected an integer, got string"),
        ("settle_ms = 5", "no [[root]] given"),
        ("[[root]]\ninclude = [\"*.txt\"]", "every [[root]] needs path"),
        ("[feed]\nfsync = \"sometimes\"\n[[root]]\npath = \"/a\"", "redline.toml:2: fsync: expected \"always\""),
        ("[[root]]\npath = \"/a\"\ninclude = [1]", "include: expected an array of strings"),
        ("data_dir = [", "redline.toml:1:"),
        ("[[root]]\npath = \"/a\"\ninclude = [\"[a-\"]", "redline.toml:3: include: \"[a-\" is not a valid glob"),
        ("[[root]]\npath = \"/a\"\nexclude = [\"x/[b\"]", "redline.toml:3: exclude: \"x/[b\" is not a valid glob"),
        ("[[root]]\npath = \"/a\"\ninclude = [\"\"]", "redline.toml:3: include: \"\" is not a valid glob"),
        ("[[root]]\npath = \"/w\"\n[[root]]\npath = \"/w/sub\"", "roots /w and /w/sub overlap"),
        ("[[root]]\npath = \"/w\"\n[[root]]\npath = \"/w/\"", "roots /w and /w overlap"),
        ("[serve]\nlisten = \"localhost\"\n[[root]]\npath = \"/a\"", "redline.toml:2: listen: expected ADDR:PORT"),
        (
            "[serve]\nlisten = \"127.0.0.1:70000\"\n[[root]]\npath = \"/a\"",
            "redline.toml:2: listen: expected ADDR:PORT"
        ),
        ("[serve]\nport = 80\n[[root]]\npath = \"/a\"", "redline.toml:2: port: unknown key in [serve]"),
        (
            "[serve]\nsubscriber_buffer = 0\n[[root]]\npath = \"/a\"",
            "redline.toml:2: subscriber_buffer: expected an integer"
        ),
    ])
    func invalidConfigsAreOneLineNamingFileLineAndKey(toml: String, expected: String) {
        #expect {
            _ = try parse(toml)
        } throws: { error in
            let error = error as! DaemonError
            return error.code == .config && error.exitStatus == 78 && error.description.contains(expected)
                && error.description.contains("/etc/redline/redline.toml") && !error.description.contains("\n")
        }
    }
}

extension ConfigTests {
    @Test func theServeSectionSetsTheAddressAndLimits() throws {
        let config = try parse(
            """
            [serve]
            listen = "[::1]:9000"
            max_subscribers = 10
            subscriber_buffer = 64
            index_dir = "idx"
            [[root]]
            path = "/a"
            """)
        #expect(config.serve.host == "::1")
        #expect(config.serve.port == 9000)
        #expect(config.serve.maxSubscribers == 10)
        #expect(config.serve.subscriberBuffer == 64)
        #expect(config.serve.indexDir == "/work/idx")
        let defaults = try parse("[[root]]\npath = \"/a\"")
        #expect(defaults.serve.host == "127.0.0.1" && defaults.serve.port == ServeSettings.defaultPort)
    }

    @Test func siblingRootsWithACommonPrefixDoNotOverlap() throws {
        let config = try parse("[[root]]\npath = \"/w\"\n[[root]]\npath = \"/wx\"")
        #expect(config.roots.map(\.path) == ["/w", "/wx"])
    }

    @Test func aClosedClassAndALiteralBracketAreValidGlobs() throws {
        let config = try parse("[[root]]\npath = \"/a\"\ninclude = [\"[a-c]*.txt\", \"[[]draft].txt\"]")
        let filter = ArticleFilter(include: config.roots[0].include, exclude: [])
        #expect(filter.isArticle("b1.txt"))
        #expect(filter.isArticle("[draft].txt"))
    }
}

@Suite struct ArticleFilterTests {
    let defaults = ArticleFilter(include: RootConfig.defaultInclude, exclude: RootConfig.defaultExclude)

    @Test(arguments: ["a.txt", "world/2026/a.txt", "notes.md", "دنیا/مقاله.txt"])
    func articlesAreIncluded(path: String) { #expect(defaults.isArticle(path)) }

    @Test(arguments: [
        "a.jpg", ".a.txt.swp", "a.txt~", ".#a.txt", "x/a.tmp", "4913", ".git/HEAD.txt", "x/.git/a.txt", "txt",
    ])
    func litterIsExcluded(path: String) { #expect(!defaults.isArticle(path)) }

    @Test func globClassesAndAnchoredPatterns() {
        let filter = ArticleFilter(include: ["news/**/[0-9]*.txt", "top?.md"], exclude: ["drafts/"])
        #expect(filter.isArticle("news/1.txt"))
        #expect(filter.isArticle("news/a/b/2x.txt"))
        #expect(!filter.isArticle("news/a.txt"))
        #expect(!filter.isArticle("other/1.txt"))
        #expect(filter.isArticle("x/top1.md"))
        #expect(!filter.isArticle("news/drafts/1.txt"))
    }
}

/// `[diff] word_lists`: which dictionaries the classifier uses.
@Suite struct DiffConfigTests {
    func parse(_ toml: String) throws(DaemonError) -> DaemonConfig {
        try DaemonConfig.parse(toml: toml, file: "/etc/redline/redline.toml", currentDirectory: "/work")
    }

    @Test func wordListsAreChosenInTheDiffSection() throws {
        let base = "[[root]]\npath = \"/srv/news\"\n"
        #expect(try parse(base).wordLists == LexiconLoader.defaultWordLists)
        let config = try parse("[diff]\nword_lists = [\"/usr/share/dict/words\", \"lists/names.txt\"]\n" + base)
        #expect(config.wordLists == ["/usr/share/dict/words", "/work/lists/names.txt"])
        #expect(try parse("[diff]\nword_lists = []\n" + base).wordLists.isEmpty)
        #expect(try parse(base).archiveWords)
        #expect(try !parse("[diff]\narchive_words = false\n" + base).archiveWords)
    }

    @Test func badWordListsAreOneLineNamingTheFileAndTheFix() {
        let base = "[[root]]\npath = \"/srv/news\"\n"
        for (toml, expected) in [
            ("[diff]\nword_lists = \"/usr/share/dict/words\"\n", "expected an array of strings"),
            ("[diff]\nword_lists = [\"\"]\n", "give the path of a word list"),
            ("[diff]\nwordlists = []\n", "unknown key in [diff]"),
            ("[diff]\narchive_words = \"yes\"\n", "archive_words"),
        ] {
            #expect {
                try parse(toml + base)
            } throws: { error in
                let message = (error as? DaemonError)?.message ?? ""
                return message.hasPrefix("/etc/redline/redline.toml:") && message.contains(expected)
                    && !message.contains("\n")
            }
        }
    }
}
