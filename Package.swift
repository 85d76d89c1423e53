// swift-tools-version:6.1
import PackageDescription

// Layers (see STYLE.md): watcher backend -> settle -> read+decode -> diff+classify -> feed -> state.
// Each layer is one library target; `redline` only parses arguments and wires them together.
let package = Package(
    name: "Redline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "redline", targets: ["redline"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // `redline serve` only: the HTTP server and its metrics. No traits: serve reads its own TOML and needs
        // neither swift-configuration nor full Foundation in the server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // `redline ship` and the --postgres readers only: the one maintained PostgreSQL client in Swift. It rides
        // on swift-nio, which serve already builds, so its cost is its own sources.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C edge: only RedlineWatcher imports this.
        .systemLibrary(
            name: "CInotifyTools",
            providers: [.apt(["libinotifytools0-dev"])]
        ),
        // C edge: the state store reads the texts older releases deflated, the feed gzips its sealed segments,
        // and RedlineDaemon's LexiconLoader reads aspell's gzipped word lists.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // C edge: the state store's texts, each a zstd frame against a dictionary made from the store's own
        // texts: on the 100,000-article tree a text takes ~1/15 of what deflating it alone took (issue 11),
        // and zstd reads several times faster than zlib. Debian's libzstd-dev (zstd is already on every Debian
        // system, as libzstd1); a C library, so no build cost. It replaces libdeflate, which had no dictionaries.
        .systemLibrary(
            name: "CZstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // Pure: strings in, values out. No dependencies, no I/O.
        .target(name: "RedlineDiff"),
        // The system-call boundary shared by the watcher, the feed and the daemon: file names as bytes.
        .target(name: "RedlinePOSIX"),
        // Durable JSON Lines log: writer, reader, recovery, replay.
        .target(
            name: "RedlineFeed",
            dependencies: [
                "RedlineDiff",
                "RedlinePOSIX",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // OS backend: kernel events in, plain Sendable values out; plus the pure settle step.
        .target(
            name: "RedlineWatcher",
            dependencies: [
                "CInotifyTools",
                "RedlinePOSIX",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Derived cache of the feed: SQLite through GRDB.
        .target(
            name: "RedlineState",
            dependencies: [
                "CZstd", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API (the system library GRDB itself uses): the snapshot reader's connection.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Pipeline, config and lifecycle.
        .target(
            name: "RedlineDaemon",
            dependencies: [
                "RedlineDiff", "RedlineFeed", "RedlineWatcher", "RedlineState", "RedlinePOSIX", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // `redline serve`: the feed over HTTP, read-only over a data directory. Routes parse and answer; the
        // feed reading is RedlineFeed's, the fan-out to subscribers is here.
        .target(
            name: "RedlineServe",
            dependencies: [
                "RedlineDiff", "RedlineFeed", "RedlinePOSIX",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `redline ship`: a local feed into PostgreSQL exactly once, and the merged history read back from there.
        .target(
            name: "RedlineShip",
            dependencies: [
                "RedlineFeed", "RedlinePOSIX",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "redline",
            dependencies: [
                "RedlineDiff", "RedlineFeed", "RedlineDaemon", "RedlinePOSIX", "RedlineServe", "RedlineShip",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "redline-bench",
            dependencies: ["RedlineDiff", "RedlineFeed"],
            path: "Benchmarks/Sources/redline-bench"
        ),
        .testTarget(
            name: "RedlineDiffTests",
            dependencies: ["RedlineDiff"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "RedlinePOSIXTests", dependencies: ["RedlinePOSIX"]),
        .testTarget(name: "RedlineFeedTests", dependencies: ["RedlineFeed"]),
        .testTarget(name: "RedlineWatcherTests", dependencies: ["RedlineWatcher"]),
        .testTarget(name: "RedlineStateTests", dependencies: ["RedlineState"]),
        .testTarget(name: "RedlineShipTests", dependencies: ["RedlineShip", "RedlineFeed"]),
        .testTarget(
            name: "RedlineServeTests",
            dependencies: [
                "RedlineServe", "RedlineFeed", "RedlineDiff", .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "RedlineDaemonTests",
            dependencies: ["RedlineDaemon", "RedlineDiff", .product(name: "Logging", package: "swift-log")]),
        // The command's own presentation (text lines, summaries), without running the binary.
        .testTarget(name: "RedlineCLITests", dependencies: ["redline", "RedlineDiff", "RedlineFeed"]),
        // Drives the built `redline` binary against real directories, feeds and systemd.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["RedlineFeed", "RedlineDiff", .product(name: "Logging", package: "swift-log")],
            exclude: ["Scripts"]
        ),
    ]
)
