import Glibc
import Testing

@testable import RedlinePOSIX

/// File names that are not UTF-8 are recorded faithfully and turn back into the same bytes.
@Suite struct PathNameTests {
    @Test func aValidNameWithoutABackslashIsItself() {
        for name in ["a.txt", "خبرها/ویتکاف‌ها.txt", "desk/2026 report.md", ""] {
            #expect(PathName.decode(Array(name.utf8)) == name)
            #expect(PathName.bytes(name) == Array(name.utf8))
        }
    }

    @Test func invalidBytesAndBackslashesAreEscapedAndComeBack() {
        let latin1: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".txt".utf8)  // "café" in Latin-1
        #expect(PathName.decode(latin1) == "caf\\xe9.txt")
        #expect(PathName.decode(Array("a\\b".utf8)) == "a\\\\b")
        #expect(PathName.decode([0xFF, 0xFE, 0x41]) == "\\xff\\xfeA")
        #expect(!PathName.decode(latin1).unicodeScalars.contains("\u{FFFD}"))
        // Two names that replacement decoding would merge stay apart.
        #expect(PathName.decode([0x61, 0xE9]) != PathName.decode([0x61, 0xE8]))
    }

    @Test func everyByteStringRoundTrips() {
        var state: UInt64 = 0x1234_5678
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 12) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let pick = UInt8(truncatingIfNeeded: state >> 33)
                bytes.append(pick == 0 || pick == UInt8(ascii: "/") ? UInt8(ascii: "\\") : pick)
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let decoded = PathName.decode(bytes)
            #expect(PathName.bytes(decoded) == bytes, "\(bytes)")
            let passed = PathName.withCString(decoded) {
                Array(
                    UnsafeBufferPointer(
                        start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0)))
            }
            #expect(passed == bytes, "what a system call gets")
        }
    }
}
