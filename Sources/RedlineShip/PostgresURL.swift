import Foundation
import PostgresNIO

/// Where PostgreSQL is: a `postgres://` URL as libpq writes it, parsed into a connection configuration.
///
/// `postgres://user:password@host:port/database`, or a unix socket as libpq spells it:
/// `postgres://user@/database?host=/run/postgresql` (the socket is `<dir>/.s.PGSQL.<port>`).
/// Only `sslmode=disable` (the default here) is supported: use a unix socket or a trusted network.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The TCP host, or nil for a unix socket.
    public var host: String?
    /// The port (also names the unix socket).
    public var port: Int
    /// The directory of the unix socket, when `host` is nil.
    public var socketDirectory: String?
    /// The role to connect as.
    public var user: String
    /// Its password, if any.
    public var password: String?
    /// The database.
    public var database: String

    /// Parses `text`.
    /// - Throws: ``ShipError`` `.invalidArgument` naming what is wrong.
    public init(_ text: String) throws(ShipError) {
        func bad(_ why: String) -> ShipError {
            ShipError(
                .invalidArgument,
                message: "--postgres \(PostgresURL.redacted(text)): \(why); expected postgres://USER[:PASSWORD]@HOST"
                    + "[:PORT]/DATABASE or postgres://USER@/DATABASE?host=/SOCKET/DIR")
        }
        guard let parts = URLComponents(string: text), let scheme = parts.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else { throw bad("not a postgres:// URL") }
        var port = parts.port ?? 5432
        var socket: String?
        var user = parts.user
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "host": socket = item.value
            case "port": port = Int(item.value ?? "") ?? -1
            case "user": user = item.value
            case "sslmode":
                guard item.value == "disable" else {
                    throw bad("sslmode=\(item.value ?? "") is not supported (only disable): use a unix socket")
                }
            default: throw bad("unknown parameter \(item.name)")
            }
        }
        guard (1...65_535).contains(port) else { throw bad("the port is not 1 to 65535") }
        let host = parts.host.flatMap { $0.isEmpty ? nil : $0 }
        if host == nil && socket == nil { throw bad("no host and no ?host=/socket/dir") }
        if let socket, !socket.hasPrefix("/") { throw bad("?host= must be an absolute socket directory") }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw bad("no database") }
        guard let user, !user.isEmpty else { throw bad("no user") }
        self.host = socket == nil ? host : nil
        self.port = port
        self.socketDirectory = socket
        self.user = user
        self.password = parts.password
        self.database = database
    }

    /// The configuration postgres-nio connects with.
    var configuration: PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let host {
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
        } else {
            configuration = .init(
                unixSocketPath: (socketDirectory ?? "/run/postgresql") + "/.s.PGSQL.\(port)", username: user,
                password: password, database: database)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        let location = host.map { "\($0):\(port)" } ?? "?host=\(socketDirectory ?? "")&port=\(port)"
        return host != nil ? "postgres://\(user)@\(location)/\(database)" : "postgres://\(user)@/\(database)\(location)"
    }

    /// `text` with any password replaced, so errors never print it.
    static func redacted(_ text: String) -> String {
        guard var parts = URLComponents(string: text), parts.password != nil else { return text }
        parts.password = "***"
        return parts.string ?? "(url)"
    }
}
