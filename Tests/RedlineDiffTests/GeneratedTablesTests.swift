import Foundation
import Testing

/// The generated data tables are exactly what their scripts produce: a hand edit, or a script changed
/// without regenerating, turns this red.
@Suite struct GeneratedTablesTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return url
    }()

    @Test(arguments: [
        ("generate-common-words.py", "CommonWords.swift"),
        ("generate-compatibility-table.py", "CompatibilityTable.swift"),
    ])
    func theCommittedTableIsWhatItsScriptGenerates(script: String, table: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("redline-\(UUID().uuidString).swift")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.root.appendingPathComponent("scripts/\(script)").path, "--output", out.path]
        process.currentDirectoryURL = Self.root
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let generated = try Data(contentsOf: out)
        let committed = try Data(contentsOf: Self.root.appendingPathComponent("Sources/RedlineDiff/\(table)"))
        #expect(generated == committed, "Sources/RedlineDiff/\(table) differs from scripts/\(script)'s output")
    }
}
