import Foundation
import Testing

/// A private PostgreSQL 15 for one test: `initdb` into a temporary directory, `pg_ctl` on a unix socket in it.
///
/// PostgreSQL refuses to run as root, and CI runs as root: the cluster belongs to `nobody` and every server
/// command runs through `runuser -u nobody --`. No TCP port is opened (`listen_addresses = ''`), so tests
/// running at once cannot collide; the port only names the socket.
final class PostgresServer: @unchecked Sendable {
    static let bin = "/usr/lib/postgresql/15/bin"
    static let user = "nobody"
    /// Whether this machine has PostgreSQL 15 (`make test` installs it).
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: bin + "/pg_ctl") }

    let dir: TempDir
    let data: String
    let socket: String
    /// Where the server writes its log (a directory of its own, since the server cannot write in `dir`).
    let logDirectory: String
    let port = 5432
    private(set) var running = false

    /// The URL `redline ship`, `tail` and `replay` get.
    var url: String { "postgres://redline@/postgres?host=\(socket)&port=\(port)" }

    /// Creates and starts the cluster; role `redline` is its superuser, trusted on the socket.
    init() throws {
        dir = try TempDir("redline-pg")
        data = dir.path + "/data"
        socket = dir.path + "/sock"
        logDirectory = dir.path + "/log"
        for path in [data, socket, logDirectory] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        }
        if getuid() == 0 { try Self.asUser("/bin/chown", ["-R", Self.user, data, socket, logDirectory], asRoot: true) }
        try Self.asUser(
            Self.bin + "/initdb",
            ["-D", data, "-U", "redline", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
        try start()
    }

    /// Starts the server and waits until it accepts connections.
    func start() throws {
        try Self.asUser(
            Self.bin + "/pg_ctl",
            [
                "-D", data, "-l", logDirectory + "/server.log", "-w", "-t", "60", "-o",
                "-k \(socket) -p \(port) -c listen_addresses='' -c fsync=off -c max_connections=60", "start",
            ])
        running = true
    }

    /// Stops the server: `fast` disconnects everyone cleanly, `immediate` is a crash (recovery on the next start).
    func stop(mode: String = "fast") throws {
        guard running else { return }
        try Self.asUser(Self.bin + "/pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"])
        running = false
    }

    /// Runs `sql` with psql and returns its unaligned, tuples-only output (`|` between columns).
    @discardableResult
    func psql(_ sql: String) throws -> String {
        let result = try runProcess(
            URL(fileURLWithPath: Self.bin + "/psql"),
            [
                "-h", socket, "-p", "\(port)", "-U", "redline", "-d", "postgres", "-X", "-A", "-t", "-q", "-v",
                "ON_ERROR_STOP=1", "-c", sql,
            ])
        guard result.status == 0 else {
            throw PostgresFailure(message: "psql \(sql): \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    /// The stored lines of `feed`, by seq, as PostgreSQL returns them (one per line; lines hold no newline).
    func lines(feed: String) throws -> [(seq: Int, line: String)] {
        let out = try psql("SELECT seq || ' ' || line FROM records WHERE feed_uuid = '\(feed)' ORDER BY seq")
        return out.split(separator: "\n").map { row in
            let space = row.firstIndex(of: " ")!
            return (Int(row[..<space])!, String(row[row.index(after: space)...]))
        }
    }

    /// The server's own log, for failure messages.
    var log: String { (try? String(contentsOfFile: logDirectory + "/server.log", encoding: .utf8)) ?? "" }

    /// Runs `executable` as ``user`` (as root with `asRoot`) to completion, through `posix_spawn` and `waitpid`.
    ///
    /// Not `Process`: the postmaster that `pg_ctl start` leaves running inherits Foundation's descriptors, and
    /// `Process` would wait for them to close. Output goes to a file, read back only for the error message.
    private static func asUser(_ executable: String, _ arguments: [String], asRoot: Bool = false) throws {
        let argv =
            asRoot || getuid() != 0
            ? [executable] + arguments : ["/sbin/runuser", "-u", user, "--", executable] + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("redline-pg-\(UUID().uuidString)")
            .path
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard spawned == 0 else { throw PostgresFailure(message: "cannot start \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw PostgresFailure(message: "\(executable) \(arguments.joined(separator: " ")): \(text)")
        }
    }

    deinit {
        try? stop(mode: "immediate")
    }
}

/// A PostgreSQL helper command failed.
struct PostgresFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
