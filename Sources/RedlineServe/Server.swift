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

    /// The options for `dataDir` with the defaults.
    public init(
        dataDir: String, host: String = "127.0.0.1", port: Int = 8640, maxSubscribers: Int = 1024,
        subscriberBuffer: Int = 4096
    ) {
        self.dataDir = dataDir
        self.host = host
        self.port = port
        self.maxSubscribers = maxSubscribers
        self.subscriberBuffer = subscriberBuffer
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
        hub = try ChangeHub(directory: options.dataDir + "/feed", capacity: options.subscriberBuffer, logger: logger)
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
                ServeError(.notFound, "no such endpoint; serve answers /changes, /metrics and /healthz").jsonBody)
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
