import Foundation
import Testing

@testable import RedlineDiff

/// The one JSON writer of the diff and feed layers: every string it writes reads back as the same text, with
/// only `"`, `\` and control characters escaped, wherever they fall against its eight-byte steps.
@Suite struct JSONWriterTests {
    /// The escaping as written before the eight-byte skip, byte by byte: the reference.
    private func reference(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test func everyStringReadsBackAndEscapesOnlyWhatJSONNeeds() throws {
        let pieces = [
            "a", "ب", "ی", "\u{200C}", "۱۲", "\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1F}", " ", "~", "\u{7F}", "é",
            "😀", "ترمپ گفت", "abcdefgh",
        ]
        var random = SystemRandomNumberGenerator()
        for length in 0..<60 {
            for _ in 0..<20 {
                let text = (0..<length).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
                var writer = JSONWriter()
                writer.string(text)
                #expect(writer.result == reference(text), "\(text.debugDescription)")
                let decoded = try JSONSerialization.jsonObject(with: Data(writer.bytes), options: .fragmentsAllowed)
                #expect(decoded as? String == text)
            }
        }
    }

    @Test func theEightByteTestFindsEachByteThatNeedsEscapingInEachPosition() {
        for special: UInt8 in [0x00, 0x01, 0x0A, 0x1F, 0x22, 0x5C] {
            for position in 0..<8 {
                var bytes = [UInt8](repeating: 0xD8, count: 8)  // UTF-8 lead bytes: plain
                bytes[position] = special
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(!JSONWriter.isPlain(word), "byte \(special) at \(position)")
            }
        }
        for plain: UInt8 in [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xFF] {
            let word = [UInt8](repeating: plain, count: 8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(JSONWriter.isPlain(word), "byte \(plain)")
        }
    }
}
