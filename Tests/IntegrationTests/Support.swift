import Foundation
import Synchronization
import Testing

/// Locates the `redline` binary built by `swift build` (or `$REDLINE_BIN`).
enum RedlineBinary {
    /// The package root, found from this file's path.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// The binary under test.
    static let url: URL = {
        if let path = ProcessInfo.processInfo.environment["REDLINE_BIN"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/redline")
    }()

    /// The real corpus article shipped beside the repository (`../shared/corpus`).
    static var corpusArticle: URL {
        let candidates = [
            packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/000_e5aa263bf61808cb.txt"),
            packageRoot.appendingPathComponent("Tests/IntegrationTests/corpus/000_e5aa263bf61808cb.txt"),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
    }
}

/// What a finished `redline` process left behind.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `redline` with `arguments` to completion and captures its output.
@discardableResult
func runRedline(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws
    -> ProcessResult
{
    try runProcess(RedlineBinary.url, arguments, stdin: stdin, environment: environment)
}

/// The processes other than this one that have the pipe `target` (`pipe:[inode]`, as `/proc/*/fd` shows it) open.
func processesHolding(_ target: String) -> [pid_t] {
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    let me = getpid()
    return pids.compactMap { Int32($0) }.filter { pid in
        pid != me
            && ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).contains { fd in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == target
            }
    }
}

/// Runs any executable to completion and captures its output.
/// - Parameter timeout: seconds after which the process is killed (SIGKILL) and the result says so in `stderr`,
///   so a hung child fails its test instead of hanging the suite.
@discardableResult
func runProcess(
    _ executable: URL, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
    timeout: Double? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let timedOut = Mutex(false)
    let finished = Mutex(false)
    if let timeout {
        let pid = process.processIdentifier
        // The pipes by inode, taken now: once this call has returned, their descriptor numbers belong to others.
        let pipes = [out, err].compactMap {
            try? FileManager.default.destinationOfSymbolicLink(
                atPath: "/proc/self/fd/\($0.fileHandleForReading.fileDescriptor)")
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [process] in
            guard !finished.withLock({ $0 }) else { return }
            // The child may have exited while something it started (with-systemd's sandboxed systemd) still
            // holds its output open: the reads below would wait for that forever. Kill whatever holds them.
            let holders = pipes.flatMap(processesHolding)
            guard process.isRunning || !holders.isEmpty else { return }
            timedOut.withLock { $0 = true }
            kill(pid, SIGKILL)
            for holder in holders { kill(holder, SIGKILL) }
        }
    }
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    finished.withLock { $0 = true }
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
            + (timedOut.withLock { $0 } ? "\n\(executable.path) killed after \(timeout ?? 0) s: it hung" : "")
    )
}

/// A temporary directory removed when the value is dropped.
final class TempDir: @unchecked Sendable {
    /// The directory.
    let url: URL
    /// Its path.
    var path: String { url.path }

    init(_ label: String = "redline-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A child URL.
    func appending(_ component: String) -> URL { url.appendingPathComponent(component) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A background `redline` process (the daemon, `tail -f`, ...), killed when dropped.
///
/// Its stdout and stderr go to files (not pipes), so nothing it writes can be lost or block it.
final class RunningRedline: @unchecked Sendable {
    let process = Process()
    private let outFile: URL
    private let errFile: URL

    /// Starts `redline arguments...` (or another `executable`) without waiting for it.
    init(_ arguments: [String], environment: [String: String] = [:], executable: URL = RedlineBinary.url) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("redline-out-\(UUID().uuidString)")
        outFile = base.appendingPathExtension("stdout")
        errFile = base.appendingPathExtension("stderr")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Everything written to stdout so far.
    var stdout: String { (try? String(contentsOf: outFile, encoding: .utf8)) ?? "" }
    /// Everything written to stderr so far.
    var stderr: String { (try? String(contentsOf: errFile, encoding: .utf8)) ?? "" }

    /// Sends a signal (SIGTERM, SIGSTOP, ...).
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit up to `seconds`; returns the status, or nil if it is still running.
    @discardableResult
    func waitForExit(seconds: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: outFile)
        try? FileManager.default.removeItem(at: errFile)
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
///
/// Used to wait for effects (a record in a feed), never to assert on speed: the deadline is
/// generous and only stops a broken test from hanging.
func eventually(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < deadline
    return try condition()
}

/// Parses a JSON Lines file into dictionaries (whole lines only).
func readJSONLines(_ url: URL) -> [[String: Any]] {
    guard let data = try? Data(contentsOf: url) else { return [] }
    return data.split(separator: UInt8(ascii: "\n")).compactMap {
        try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
    }
}

/// A notify socket of the test's own, as systemd gives a `Type=notify` service: the daemon's `READY=1`
/// says it is ready, so tests need not read its log or guess from timing.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private var received = ""

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "redline-notify-\(UUID().uuidString.prefix(8))"
            )
            .path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw CocoaError(.fileWriteUnknown) }
        // A daemon started as another user (setpriv, unshare) must be able to send to it.
        chmod(path, 0o777)
    }

    /// The environment that points a child at this socket.
    var environment: [String: String] { ["NOTIFY_SOCKET": path] }

    /// Waits until a message containing `state` (e.g. `READY=1`) has arrived, or `seconds` pass, or
    /// `gaveUp` says to stop (the process exited).
    func wait(for state: String, seconds: Double = 60, gaveUp: () -> Bool = { false }) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            if received.contains(state) { return true }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 50) > 0 {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { received += String(decoding: buffer[0..<n], as: UTF8.self) + "\n" }
            } else if gaveUp() {
                return received.contains(state)
            }
        }
        return received.contains(state)
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

/// Starts a daemon (`redline` with `arguments`, or a wrapper `executable` that runs it) with a notify socket
/// of its own, as systemd gives a `Type=notify` service, and waits for `READY=1` or for the process to exit.
/// - Returns: the process, and whether it said it was ready.
func startUntilReady(
    _ arguments: [String], environment: [String: String] = [:], executable: URL = RedlineBinary.url
) throws -> (process: RunningRedline, ready: Bool) {
    let notify = try NotifySocket()
    let process = try RunningRedline(
        arguments, environment: environment.merging(notify.environment) { $1 }, executable: executable)
    let ready = notify.wait(for: "READY=1") { !process.process.isRunning }
    return (process, ready)
}

/// Starts `redline run --watch articles --data-dir data` as the user nobody (setpriv) and waits for READY=1:
/// how the permission tests see the tree as an unprivileged daemon would.
func startAsNobody(articles: URL, data: URL) throws -> RunningRedline {
    let (daemon, ready) = try startUntilReady(
        [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", RedlineBinary.url.path, "run", "--watch",
            articles.path, "--data-dir", data.path,
        ], executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
    #expect(ready, "\(daemon.stderr)")
    return daemon
}
