import Hummingbird
import HummingbirdTLS
import Logging
import MeshMetrics
import ServiceLifecycle

extension Router {
    /// `GET /metrics`: the service's metrics in the Prometheus text format (0.0.4).
    public func addMetrics(_ metrics: ServiceMetrics) {
        get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = await metrics.exposition()
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

/// An HTTP server in a service's group, configured by one key (`dispatch.http`, `registry.metrics`):
/// when it cannot listen (the port is taken, the host is not this machine's) the service stops
/// with an error naming the key and the address. With `tls` it serves HTTPS only.
public struct HTTPListener<Context: RequestContext>: Service where Context.Source == ApplicationRequestContextSource {
    public let key: String
    public let host: String
    public let port: Int
    private let application: Application<RouterResponder<Context>>

    public init(
        key: String, host: String, port: Int, router: Router<Context>, serverName: String, tls: TLSConfiguration? = nil,
        logger: Logger
    ) throws {
        self.key = key
        self.host = host
        self.port = port
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: serverName)
        if let tls {
            application = Application(
                router: router, server: try .tls(.http1(), tlsConfiguration: tls), configuration: configuration, logger: logger)
        } else {
            application = Application(router: router, configuration: configuration, logger: logger)
        }
    }

    public func run() async throws {
        do {
            try await application.run()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw HTTPListenerError(key: key, address: "\(host):\(port)", reason: "\(error)")
        }
    }
}

extension HTTPListener where Context == BasicRequestContext {
    public init(key: String, host: String, port: Int, router: Router<BasicRequestContext>, serverName: String, logger: Logger) {
        self.key = key
        self.host = host
        self.port = port
        application = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: serverName), logger: logger)
    }

    /// A listener that serves only `GET /metrics` (for services without an HTTP API of their own).
    public static func metrics(key: String, host: String, port: Int, metrics: ServiceMetrics, logger: Logger) -> HTTPListener {
        let router = Router()
        router.addMetrics(metrics)
        return HTTPListener(key: key, host: host, port: port, router: router, serverName: "\(metrics.service)-metrics", logger: logger)
    }
}

/// An HTTP listener that could not listen or stopped serving.
public struct HTTPListenerError: Error, CustomStringConvertible {
    public var key: String
    public var address: String
    public var reason: String

    public var description: String { "config \(key): cannot serve HTTP on \(address): \(reason)" }
}
