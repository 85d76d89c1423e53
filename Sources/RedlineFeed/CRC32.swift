/// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG), slicing-by-8.
///
/// IEEE rather than CRC-32C so any consumer can check a line with a stock library
/// (`zlib.crc32` in Python, `hash/crc32` in Go) without extra dependencies.
enum CRC32 {
    /// Eight 256-entry tables, allocated once and never freed; read-only after initialisation.
    nonisolated(unsafe) static let tables: UnsafePointer<UInt32> = {
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
            table[i] = c
        }
        for i in 0..<256 {
            var c = table[i]
            for k in 1..<8 {
                c = (c >> 8) ^ table[Int(c & 0xff)]
                table[k * 256 + i] = c
            }
        }
        return UnsafePointer(table)
    }()

    /// Continues a CRC over `count` bytes at `bytes`; start with `crc = 0`.
    @inline(__always)
    static func update(_ crc: UInt32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
        let t = tables
        var c = ~crc
        var p = bytes
        var n = count
        while n >= 8 {
            let lo = UnsafeRawPointer(p).loadUnaligned(as: UInt32.self) ^ c
            let hi = UnsafeRawPointer(p + 4).loadUnaligned(as: UInt32.self)
            c = t[7 * 256 + Int(lo & 0xff)] ^ t[6 * 256 + Int((lo >> 8) & 0xff)]
                ^ t[5 * 256 + Int((lo >> 16) & 0xff)] ^ t[4 * 256 + Int(lo >> 24)]
                ^ t[3 * 256 + Int(hi & 0xff)] ^ t[2 * 256 + Int((hi >> 8) & 0xff)]
                ^ t[1 * 256 + Int((hi >> 16) & 0xff)] ^ t[Int(hi >> 24)]
            p += 8
            n -= 8
        }
        while n > 0 {
            c = (c >> 8) ^ t[Int((c ^ UInt32(p.pointee)) & 0xff)]
            p += 1
            n -= 1
        }
        return ~c
    }

    /// CRC-32 of a byte buffer.
    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return update(0, base, bytes.count)
    }
}
