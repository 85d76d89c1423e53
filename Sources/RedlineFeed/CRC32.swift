#if canImport(Glibc)
    import Glibc
#endif

/// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG).
///
/// IEEE rather than CRC-32C so any consumer can check a line with a stock library
/// (`zlib.crc32` in Python, `hash/crc32` in Go) without extra dependencies.
///
/// `check` is bound by the crc, so the fastest implementation present at run time is used, all found
/// with `dlopen` (no build-time dependency) and all giving identical results: Intel ISA-L's
/// `crc32_gzip_refl` (`libisal2`, carry-less multiply, ~10 GB/s), else zlib's `crc32_z` (braided,
/// ~2 GB/s), else the portable slicing-by-8 below (~1 GB/s).
enum CRC32 {
    typealias ZlibCRC = @convention(c) (UInt, UnsafePointer<UInt8>?, Int) -> UInt
    typealias IsalCRC = @convention(c) (UInt32, UnsafePointer<UInt8>?, UInt64) -> UInt32

    /// ISA-L's `crc32_gzip_refl`, if the system has `libisal.so.2`.
    static let isal: IsalCRC? = {
        guard let handle = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(handle, "crc32_gzip_refl")
        else { return nil }
        return unsafeBitCast(symbol, to: IsalCRC.self)
    }()

    /// zlib's `crc32_z`, if the system has `libz.so.1`.
    static let zlib: ZlibCRC? = {
        guard let handle = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(handle, "crc32_z") else {
            return nil
        }
        return unsafeBitCast(symbol, to: ZlibCRC.self)
    }()

    /// Continues a CRC over `count` bytes at `bytes` with the fastest implementation available.
    @inline(__always)
    static func update(_ crc: UInt32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
        if let isal { return isal(crc, bytes, UInt64(count)) }
        if let zlib { return UInt32(truncatingIfNeeded: zlib(UInt(crc), bytes, count)) }
        return portable(crc, bytes, count)
    }

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

    /// Continues a CRC over `count` bytes at `bytes` with slicing-by-8; start with `crc = 0`.
    static func portable(_ crc: UInt32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
        let t = tables
        var c = ~crc
        var p = bytes
        var n = count
        while n >= 8 {
            let lo = UnsafeRawPointer(p).loadUnaligned(as: UInt32.self) ^ c
            let hi = UnsafeRawPointer(p + 4).loadUnaligned(as: UInt32.self)
            c =
                t[7 * 256 + Int(lo & 0xff)] ^ t[6 * 256 + Int((lo >> 8) & 0xff)]
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

extension CRC32 {
    /// Which implementation ``update(_:_:_:)`` uses, for benchmark reports.
    static var implementation: String { isal != nil ? "isa-l" : zlib != nil ? "zlib" : "portable" }
}
