import Foundation
import Testing

@testable import RedlineShip

/// The embedded schema, the URL parser and the lag textfile: what ship does before it talks to PostgreSQL.
/// One URL and what it must parse to.
struct URLCase: Sendable, CustomTestStringConvertible {
    var text: String
    var host: String?
    var port: Int
    var socket: String?
    var user: String
    var database: String

    init(_ text: String, _ host: String?, _ port: Int, _ socket: String?, _ user: String, _ database: String) {
        (self.text, self.host, self.port, self.socket, self.user, self.database) = (
            text, host, port, socket, user, database
        )
    }

    var testDescription: String { text }
}

@Suite struct MigrationTests {
    static let schemaDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent("schema/postgres")
    }()

    @Test func theEmbeddedMigrationsAreTheSchemaFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.schemaDirectory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Migrations.all.map(\.name) == names)
        for (index, migration) in Migrations.all.enumerated() {
            #expect(migration.version == index + 1, "versions count up from 1 with no hole")
            #expect(migration.name.hasPrefix(String(format: "%03d_", migration.version)))
            let file = try String(
                contentsOf: Self.schemaDirectory.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(migration.sql == file, "\(migration.name): the embedded copy differs from the file")
        }
    }

    @Test func aMigrationSplitsIntoItsStatementsWithoutComments() {
        let statements = Migrations.statements(
            """
            -- a comment; with a semicolon
            CREATE TABLE a (
                x int -- not a terminator
            );

            CREATE VIEW b AS
            SELECT 1;
            """)
        #expect(statements == ["CREATE TABLE a (\n    x int -- not a terminator\n)", "CREATE VIEW b AS\nSELECT 1"])
        #expect(Migrations.statements(Migrations.all[0].sql).count == 6)
    }

    @Test(arguments: [
        URLCase("postgres://ship:secret@db.example:6432/news", "db.example", 6432, nil, "ship", "news"),
        URLCase("postgresql://ship@/news?host=/run/postgresql", nil, 5432, "/run/postgresql", "ship", "news"),
        URLCase("postgres://ship@/news?host=/tmp/pg&port=7000", nil, 7000, "/tmp/pg", "ship", "news"),
    ])
    func aURLNamesTheServerTheRoleAndTheDatabase(_ c: URLCase) throws {
        let url = try PostgresURL(c.text)
        #expect(url.host == c.host)
        #expect(url.port == c.port)
        #expect(url.socketDirectory == c.socket)
        #expect(url.user == c.user)
        #expect(url.database == c.database)
        #expect(!url.description.contains("secret"))
    }

    @Test(arguments: [
        "mysql://a@b/c", "postgres://a@b", "postgres://b/c", "postgres://a@/c", "postgres://a@/c?host=relative",
        "postgres://a:pw@b/c?sslmode=require", "postgres://a@b:0/c",
    ])
    func aBadURLIsRefusedWithoutPrintingItsPassword(text: String) {
        #expect(throws: ShipError.self) { try PostgresURL(text) }
        do {
            _ = try PostgresURL(text)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(!error.message.contains(":pw@"))
        }
    }

    @Test func theLagTextfileIsPrometheusText() {
        var metrics = ShipMetrics(path: nil)
        metrics.feed = "f-1"
        metrics.up = true
        let line = Array(
            #"{"v":1,"feed":"f-1","seq":8,"id":"f-1:8","time":"2026-11-29T02:03:04.567Z","type":"created""#.utf8)
        metrics.update(shipped: 7, local: 10, oldestPending: nil)
        #expect(metrics.lagRecords == 3)
        #expect(metrics.lagSeconds == 0)
        #expect(abs((ShipMetrics.time(of: line)?.timeIntervalSince1970 ?? 0) - 1_795_917_784.567) < 0.002)
        let text = metrics.text
        #expect(text.contains("redline_ship_lag_records{feed=\"f-1\"} 3\n"))
        #expect(text.contains("redline_ship_shipped_seq{feed=\"f-1\"} 7\n"))
        #expect(text.contains("redline_ship_up{feed=\"f-1\"} 1\n"))
        #expect(text.contains("# TYPE redline_ship_lag_seconds gauge\n"))
    }
}
