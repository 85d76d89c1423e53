/// The `[ship]` section of the configuration: where `redline ship` sends the feed.
///
/// It lives with the daemon's config so that one file describes every process of a host; `redline ship` reads
/// it (and `data_dir`) and ignores the daemon's other settings. The URL is checked by `redline ship` itself.
public struct ShipSettings: Sendable, Equatable {
    /// The database, `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` or `postgres://USER@/DB?host=/SOCKET/DIR`.
    public var postgres: String?
    /// The feed directory to ship; nil: `DATA/feed`.
    public var feed: String?
    /// The name recorded in `feeds.host`; nil: this machine's host name.
    public var host: String?
    /// The node_exporter textfile for ship's lag (`metrics_file`); nil: none.
    public var metricsFile: String?
    /// Records per transaction (`batch_size`).
    public var batchSize = 1000

    /// The defaults.
    public init() {}
}
