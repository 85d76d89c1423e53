import CDeflate
import Foundation
import Synchronization

/// How the state store keeps an article's text: zlib-deflated, after a 4-byte little-endian length.
///
/// The text is there only so the next version can be diffed without reading the feed, and is read once
/// per change; deflating it makes the store about a third of the tree's size instead of all of it, and
/// its writes a third as large at a cold start (issue 11).
///
/// libdeflate writes and reads it, in zlib's format (stores written with zlib's `compress2` read the same).
/// Its compressor is set up once and reused: zlib set up and cleared ~270 KB of stream state for every
/// text, which made deflating cost three times what it does here (issue 11). Level 1: on 2 KB articles it
/// is twice as fast as level 6 for 1.6% more bytes (818 against 805 per article, zlib's level 6 799).
enum TextCodec {
    /// One compressor and one decompressor, each used by one caller at a time (the state writer's thread
    /// writes while the pipeline reads).
    private static let compressor = Mutex(Coder(compressor: libdeflate_alloc_compressor(1)))
    private static let decompressor = Mutex(Coder(decompressor: libdeflate_alloc_decompressor()))

    /// A libdeflate handle, freed never (they live as long as the process); only used under its mutex.
    private struct Coder: @unchecked Sendable {
        var compressor: OpaquePointer?
        var decompressor: OpaquePointer?
        init(compressor: OpaquePointer?) { self.compressor = compressor }
        init(decompressor: OpaquePointer?) { self.decompressor = decompressor }
    }

    /// The stored form of `text`.
    static func encode(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { source in
            compressor.withLock { coder in
                guard let handle = coder.compressor else { preconditionFailure("libdeflate: out of memory") }
                let bound = libdeflate_zlib_compress_bound(handle, source.count)
                var out = Data(count: 4 + bound)
                let written = out.withUnsafeMutableBytes { dest in
                    let count = UInt32(source.count)
                    for i in 0..<4 { dest[i] = UInt8(truncatingIfNeeded: count >> (8 * UInt32(i))) }
                    return libdeflate_zlib_compress(
                        handle, source.baseAddress, source.count, dest.baseAddress! + 4, bound)
                }
                precondition(written > 0, "libdeflate_zlib_compress failed within its own bound")
                out.count = 4 + written
                return out
            }
        }
    }

    /// The text of a stored form; nil when it is not one (a damaged store, which is then rebuilt).
    static func decode(_ stored: Data) -> String? {
        guard stored.count >= 4 else { return nil }
        return stored.withUnsafeBytes { (src: UnsafeRawBufferPointer) -> String? in
            let count = (0..<4).reduce(0) { $0 | Int(src[$1]) << (8 * $1) }
            return decompressor.withLock { coder -> String? in
                guard let handle = coder.decompressor else { return nil }
                var whole = false
                let text = String(unsafeUninitializedCapacity: max(count, 1)) { dest in
                    var produced = 0
                    let status = libdeflate_zlib_decompress(
                        handle, src.baseAddress! + 4, src.count - 4, dest.baseAddress, count, &produced)
                    whole = status == LIBDEFLATE_SUCCESS && produced == count
                    return whole ? count : 0
                }
                // A text that is not valid UTF-8 comes back repaired, so longer or shorter: damaged too.
                return whole && text.utf8.count == count ? text : nil
            }
        }
    }
}
