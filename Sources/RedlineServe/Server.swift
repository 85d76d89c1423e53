import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RedlineDiff
import RedlineFeed
import ServiceLifecycle
import Synchronization

/// What `redline serve` runs with; the command line and the config's `[serve]` section fill it.
public struct ServeOptions: Sendable, Equatable {
    /// The daemon's data directory; the feed is `DATA/feed`.
    public var dataDir: String
    /// The address to bind (`127.0.0.1` by default: put a reverse proxy in front for other machines).
    public var host: String
    /// The TCP port; 0 binds a free one (serve prints which).
    public var port: Int
    /// Streams and long-polls open at once; more are answered 503.
    public var maxSubscribers: Int
    /// Records a live subscriber may fall behind before it is dropped with its resume seq; also the number of
    /// recent records kept in memory for subscribers.
    public var subscriberBuffer: Int
    /// Where serve keeps its article index (`/articles`); nil: no index, `/articles` answers 404.
    /// Never inside the data directory, which serve only reads.
    public var indexDir: String?

    /// The options for `dataDir` with the defaults.
    public init(
        dataDir: String, host: String = "127.0.0.1", port: Int = 8640, maxSubscribers: Int = 1024,
        subscriberBuffer: Int = 4096, indexDir: String? = nil
    ) {
        self.dataDir = dataDir
        self.host = host
        self.port = port
        self.maxSubscribers = maxSubscribers
        self.subscriberBuffer = subscriberBuffer
        self.indexDir = indexDir
    }
}

/// `redline serve`: the feed over HTTP, read-only over a data directory.
///
/// Routes only parse and answer: the records come from ``ChangeHub`` and ``Subscription`` over RedlineFeed's
/// cursor. No URL path ever reaches the file system: the only files opened are the feed's and the metrics
/// textfile, at fixed names under the data directory.
public struct RedlineServer: Sendable {
    private let options: ServeOptions
    private let hub: ChangeHub
    private let metrics: ServeMetrics
    private let logger: Logger
    private let open = Admission()
    /// The word lists `/articles/{path}/diff` classifies with, as the daemon does (nil: the rules alone).
    private let lexicon: LazyLexicon?

    /// Opens the data directory's feed.
    /// - Parameter lexicon: the word lists for `/articles/{path}/diff` (the daemon's, so its classes agree).
    /// - Throws: ``ServeError`` `.config` when `DATA/feed` does not exist.
    public init(options: ServeOptions, lexicon: LazyLexicon? = nil, logger: Logger) throws(ServeError) {
        self.options = options
        self.logger = logger
        self.lexicon = lexicon
        let feedID = try? FeedReader(directory: options.dataDir + "/feed").feedID()
        let index = try options.indexDir.map { dir throws(ServeError) in
            try ArticleIndex(directory: dir, feedID: feedID ?? nil)
        }
        hub = try ChangeHub(
            directory: options.dataDir + "/feed", capacity: options.subscriberBuffer, index: index, logger: logger)
        metrics = ServeMetrics(dataDir: options.dataDir)
    }

    /// Serves until SIGTERM or SIGINT; `listening` gets the bound address once the socket is open.
    public func run(listening: @escaping @Sendable (String, Int) -> Void) async throws {
        let router = Router()
        router.add(middleware: CountingMiddleware(metrics: metrics))
        router.get("/changes") { request, _ in await changes(request) }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(head: hub.head))))
        }
        router.get("/articles") { request, _ in articles(request) }
        router.get("/articles/**") { request, _ in article(request) }
        router.get("/feed.atom") { request, _ in atom(request, path: nil) }
        router.get("/healthz") { _, _ in
            json(.ok, "{\"status\":\"ok\",\"last_seq\":\(hub.head)}\n")
        }
        let host = options.host
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    idleTimeout: .seconds(300),
                    // GET requests only: 16 KiB of headers is plenty, and a huge header is refused early.
                    httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 16 * 1024))),
            configuration: .init(address: .hostname(host, port: options.port), serverName: "redline"),
            services: [hub],
            onServerRunning: { channel in listening(host, channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
    }

    // MARK: /changes

    private func changes(_ request: Request) async -> Response {
        let query: ChangesQuery
        let subscription: Subscription
        do throws(ServeError) {
            query = try ChangesQuery.parse(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) },
                lastEventID: request.headers[HTTPField.Name("Last-Event-ID")!])
            subscription = try Subscription(
                hub: hub, start: query.start, filter: query.filter, buffer: options.subscriberBuffer,
                feedID: query.feedID)
        } catch {
            return failure(error)
        }
        var headers = HTTPFields()
        if let id = subscription.feedID { headers[HTTPField.Name("X-Redline-Feed")!] = id }
        headers[.cacheControl] = "no-cache"
        let waits = query.mode != .normal
        if waits {
            let admitted = open.count.withLock { n -> Bool in
                guard n < options.maxSubscribers else { return false }
                n += 1
                return true
            }
            guard admitted else {
                return failure(
                    ServeError(
                        .unavailable,
                        "too many subscribers (\(options.maxSubscribers), [serve] max_subscribers); retry later"))
            }
            metrics.subscriber(1)
        }
        let stream = ChangesStream(
            query: query, subscription: subscription, hub: hub, metrics: metrics, logger: logger)
        switch query.mode {
        case .normal, .longpoll: headers[.contentType] = "application/json"
        case .continuous: headers[.contentType] = "application/x-ndjson"
        case .eventsource:
            headers[.contentType] = "text/event-stream"
            // nginx must pass events on as they come, not buffer them.
            headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        }
        let release: @Sendable () -> Void = { [open, metrics] in
            guard waits else { return }
            open.count.withLock { $0 -= 1 }
            metrics.subscriber(-1)
        }
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                defer { release() }
                if waits {
                    // A client that hangs up cancels its stream at once, not at the next heartbeat's failed
                    // write: its slot and its wait are released as it leaves.
                    try await request.body.consumeWithCancellationOnInboundClose { _ in
                        try await stream.write(to: &writer)
                    }
                } else {
                    try await stream.write(to: &writer)
                }
                try await writer.finish(nil)
            })
    }

    // MARK: /articles

    private func articleIndex() throws(ServeError) -> ArticleIndex {
        guard let index = hub.index else {
            throw ServeError(
                .notFound, "/articles needs an article index: start serve with --index-dir DIR ([serve] index_dir)")
        }
        guard hub.indexIsReady else {
            throw ServeError(.unavailable, "the article index is catching up with the feed; retry shortly")
        }
        return index
    }

    private func articles(_ request: Request) -> Response {
        do throws(ServeError) {
            let query = try ArticlesRoutes.parseList(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) })
            let index = try articleIndex()
            let rows: [ArticleIndex.Article]
            do {
                rows = try index.articles(prefix: query.prefix, after: query.cursor, limit: query.limit)
            } catch {
                throw ServeError(.failed, "cannot read the article index \(index.path): \(error)")
            }
            return json(.ok, ArticlesRoutes.listJSON(rows, limit: query.limit))
        } catch {
            return failure(error)
        }
    }

    private func article(_ request: Request) -> Response {
        do throws(ServeError) {
            // The path is a key in the index, never a file name.
            let (path, resource) = try ArticlesRoutes.articleRequest(request.uri.path)
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            switch resource {
            case .history: return try history(path, pairs, accept: request.headers[.accept])
            case .version(let seq):
                if !pairs.isEmpty {
                    throw ServeError(.badRequest, "/articles/{path}/versions/{seq} takes no parameters")
                }
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; charset=utf-8"
                return Response(
                    status: .ok, headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(string: try text(path, seq))))
            case .diff:
                let (from, to) = try ArticlesRoutes.parseDiff(pairs)
                let diff = Differ.diff(old: try text(path, from), new: try text(path, to), lexicon: lexicon)
                return json(.ok, ArticlesRoutes.diffJSON(path: path, from: from, to: to, diff))
            case .atom: return atom(request, path: path)
            }
        } catch {
            return failure(error)
        }
    }

    private func history(_ path: String, _ pairs: [(String, String)], accept: String?) throws(ServeError) -> Response {
        let query = try ArticlesRoutes.parseHistory(pairs, accept: accept)
        let versions = try versions(of: path)
        if query.html {
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.vary] = "Accept"
            let page = HistoryPage.render(path: path, versions, hideCosmetic: query.hideCosmetic)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        var response = json(.ok, ArticlesRoutes.historyJSON(path: path, versions))
        response.headers[.vary] = "Accept"
        return response
    }

    private func versions(of path: String) throws(ServeError) -> [ArticleIndex.Version] {
        let index = try articleIndex()
        let versions: [ArticleIndex.Version]?
        do {
            versions = try index.history(path: path)
        } catch {
            throw ServeError(.failed, "cannot read the article index \(index.path): \(error)")
        }
        guard let versions else { throw unknown(path) }
        return versions
    }

    private func unknown(_ path: String) -> ServeError {
        ServeError(.notFound, "no article \(JSONText.quote(ChangesQuery.clip(path))) in the feed")
    }

    /// The text of version `seq` of `path`, rebuilt from the feed.
    private func text(_ path: String, _ seq: UInt64) throws(ServeError) -> String {
        let index = try articleIndex()
        let chain: (versions: [ArticleIndex.Version], complete: Bool)?
        do {
            chain = try index.chain(path: path, seq: seq)
        } catch {
            throw ServeError(.failed, "cannot read the article index \(index.path): \(error)")
        }
        guard let chain else {
            guard (try? index.history(path: path)) ?? nil != nil else { throw unknown(path) }
            throw ServeError(
                .notFound,
                "\(JSONText.quote(ChangesQuery.clip(path))) has no version with text at seq \(seq); "
                    + "/articles/{path}/history lists its versions")
        }
        return try VersionText.rebuild(
            directory: options.dataDir + "/feed", versions: chain.versions, complete: chain.complete, path: path)
    }

    // MARK: Atom

    private func atom(_ request: Request, path: String?) -> Response {
        do throws(ServeError) {
            let query = try AtomFeed.parse(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
            let index = try articleIndex()
            var article: (path: String, since: String)?
            if let path {
                let versions = try versions(of: path)
                article = (path, versions[0].time)
            }
            guard let feedID = hub.feedID else {
                throw ServeError(.unavailable, "the feed has no records yet; retry once the daemon wrote one")
            }
            let rows: [(path: String, ArticleIndex.Version)]
            do {
                rows = try index.recent(path: path, minSignificance: query.minSignificance, limit: query.limit)
            } catch {
                throw ServeError(.failed, "cannot read the article index \(index.path): \(error)")
            }
            let items = rows.map { row in
                // A created article's change is its text: the first 4,096 characters of it.
                let text =
                    row.1.type == "created"
                    ? (try? self.text(row.path, row.1.seq)).map { String($0.prefix(4096)) } : nil
                return AtomFeed.Item(path: row.path, version: row.1, text: text)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/atom+xml; charset=utf-8"
            let body = AtomFeed.render(
                feedID: feedID, article: article, items: items, selfLink: String(request.uri.description),
                now: AtomFeed.now())
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        } catch {
            return failure(error)
        }
    }

    private func failure(_ error: ServeError) -> Response {
        json(HTTPResponse.Status(code: error.status), error.jsonBody)
    }
}

/// The number of streams and long-polls open, shared by every request.
private final class Admission: Sendable {
    let count = Mutex(0)
}

/// A JSON response.
func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
}

/// Counts every request by route template and status, and every body byte; unknown paths get a JSON 404.
struct CountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = json(
                .notFound,
                ServeError(.notFound, ArticlesRoutes.endpoints).jsonBody)
        } catch let error as HTTPError {
            response = json(error.status, ServeError(.badRequest, error.body ?? "\(error.status)").jsonBody)
        }
        // The template, never the path a client sent: unknown paths share one label.
        let route = context.endpointPath ?? "unmatched"
        metrics.request(route: route, status: response.status.code)
        let metrics = self.metrics
        response.body = response.body.map { buffer in
            metrics.sent(bytes: buffer.readableBytes)
            return buffer
        }
        return response
    }
}
