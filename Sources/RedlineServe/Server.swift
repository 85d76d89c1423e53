import HTTPTypes
import Hummingbird
import Logging
import NIOCore
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

    /// Opens the data directory's feed.
    /// - Throws: ``ServeError`` `.config` when `DATA/feed` does not exist.
    public init(options: ServeOptions, logger: Logger) throws(ServeError) {
        self.options = options
        self.logger = logger
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
        router.get("/articles/**") { request, _ in history(request) }
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

    private func history(_ request: Request) -> Response {
        do throws(ServeError) {
            // The path is a key in the index, never a file name.
            let path = try ArticlesRoutes.historyPath(request.uri.path)
            if request.uri.query.map({ !$0.isEmpty }) ?? false {
                throw ServeError(.badRequest, "/articles/{path}/history takes no parameters")
            }
            let index = try articleIndex()
            let versions: [ArticleIndex.Version]?
            do {
                versions = try index.history(path: path)
            } catch {
                throw ServeError(.failed, "cannot read the article index \(index.path): \(error)")
            }
            guard let versions else {
                throw ServeError(.notFound, "no article \(JSONText.quote(ChangesQuery.clip(path))) in the feed")
            }
            return json(.ok, ArticlesRoutes.historyJSON(path: path, versions))
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
                ServeError(
                    .notFound,
                    "no such endpoint; serve answers /changes, /articles, /articles/{path}/history, /metrics and /healthz"
                ).jsonBody)
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
