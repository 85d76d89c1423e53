import CZlib
import Foundation

/// How the state store keeps an article's text: zlib-deflated (level 6), after a 4-byte little-endian length.
///
/// The text is there only so the next version can be diffed without reading the feed, and is read once
/// per change; deflating it makes the store about a third of the tree's size instead of all of it, and
/// its writes a third as large at a cold start (issue 11).
enum TextCodec {
    /// The stored form of `text`.
    static func encode(_ text: String) -> Data {
        let source = Array(text.utf8)
        var bound = compressBound(uLong(source.count))
        var out = [UInt8](repeating: 0, count: 4 + Int(bound))
        let count = UInt32(source.count)
        for i in 0..<4 { out[i] = UInt8(truncatingIfNeeded: count >> (8 * UInt32(i))) }
        let status = out.withUnsafeMutableBufferPointer { dest in
            source.withUnsafeBufferPointer { src in
                compress2(dest.baseAddress! + 4, &bound, src.baseAddress, uLong(src.count), 6)
            }
        }
        precondition(status == Z_OK, "zlib compress2 failed (\(status))")
        return Data(out[0..<(4 + Int(bound))])
    }

    /// The text of a stored form; nil when it is not one (a damaged store, which is then rebuilt).
    static func decode(_ stored: Data) -> String? {
        guard stored.count >= 4 else { return nil }
        let bytes = [UInt8](stored)
        let count = (0..<4).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        var length = uLongf(count)
        var out = [UInt8](repeating: 0, count: max(count, 1))
        let status = out.withUnsafeMutableBufferPointer { dest in
            bytes.withUnsafeBufferPointer { src in
                uncompress(dest.baseAddress, &length, src.baseAddress! + 4, uLong(src.count - 4))
            }
        }
        guard status == Z_OK, Int(length) == count else { return nil }
        return String(decoding: out[0..<count], as: UTF8.self)
    }
}
