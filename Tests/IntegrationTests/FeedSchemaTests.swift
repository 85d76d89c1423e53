import Foundation
import Logging
import RedlineFeed
import Testing

@Suite struct FeedSchemaTests {
    /// A Python 3 that can import jsonschema (Debian's python3-jsonschema, or a pip install on PATH).
    static let python: String? = {
        for candidate in ["/usr/bin/python3", "python3"] {
            let result = try? runProcess(URL(fileURLWithPath: "/usr/bin/env"), [candidate, "-c", "import jsonschema"])
            if result?.status == 0 { return candidate }
        }
        return nil
    }()

    @Test func everyRecordTypeValidatesAgainstTheSchemaAndItsCrcChecksWithZlib() throws {
        let python = try #require(FeedSchemaTests.python, "install python3-jsonschema (make test-deps)")
        let feed = try ScriptedFeed()
        let text = try String(contentsOf: RedlineBinary.corpusArticle, encoding: .utf8)
        try feed.create("a.txt", text)
        try feed.edit("a.txt", text.replacingOccurrences(of: "ویتکاوف", with: "ویتکاف"))
        try feed.move("a.txt", "b.txt")
        try feed.move("b.txt", "c.txt", editedTo: "کوتاه")
        try feed.delete("c.txt")
        try feed.append(
            FeedRecord(type: .rejected, root: feed.root, path: "bad.txt", reason: "not valid UTF-8 at byte 12"))
        try feed.append(FeedRecord(type: .rescan, root: feed.root, path: "", reason: "inotify queue overflow"))
        try feed.writer.close()
        // A torn tail makes the next writer append a `recovered` record.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: feed.path + "/changes.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"v\":1,\"fe".utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: feed.path + "/clean-shutdown")
        let reopened = try FeedWriter(directory: feed.path, logger: Logger(label: "test"))
        try reopened.close()

        let lines = try feed.lines()
        let types = Set(
            lines.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
            })
        #expect(types == Set(RecordType.allCases.map(\.rawValue)))

        let result = try Self.validate(lines: lines, in: feed.dir.path, python: python)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    /// Validates JSON lines against schema/change-record.schema.json and checks each crc with zlib.
    static func validate(lines: [String], in dir: String, python: String) throws -> ProcessResult {
        let script = """
            import json, sys, zlib, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            bad = 0
            for n, raw in enumerate(open(sys.argv[2], 'rb').read().split(b'\\n')[:-1], 1):
                record = json.loads(raw)
                for error in validator.iter_errors(record):
                    print(f"line {n} ({record.get('type')}): {error.message}"); bad += 1
                body, tail = raw[:-18], raw[-18:]
                if not (tail[:8] == b',"crc":"' and int(tail[8:16], 16) == zlib.crc32(body + b'}')):
                    print(f"line {n}: crc does not match zlib.crc32"); bad += 1
            sys.exit(1 if bad else 0)
            """
        let scriptPath = dir + "/validate.py"
        let all = dir + "/all.jsonl"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        try (lines.joined(separator: "\n") + "\n").write(toFile: all, atomically: true, encoding: .utf8)
        let schema = RedlineBinary.packageRoot.appendingPathComponent("schema/change-record.schema.json").path
        return try runProcess(URL(fileURLWithPath: "/usr/bin/env"), [python, scriptPath, schema, all])
    }
}
