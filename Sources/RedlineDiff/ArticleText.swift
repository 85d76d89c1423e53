/// Read+decode: turns the bytes of an article file into text, or says why it cannot be diffed.
public enum ArticleText {
    /// Decodes UTF-8 bytes into article text, byte for byte.
    ///
    /// A UTF-8 byte order mark is accepted and kept, so a patch still rebuilds the file exactly.
    /// - Throws: `DecodeError` for invalid UTF-8 (with the byte offset of the first bad byte) or a
    ///   NUL byte (with its offset), which marks a binary or half-written file.
    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> String {
        let result: Result<String, DecodeError>? = bytes.withContiguousStorageIfAvailable { decode(buffer: $0) }
        let decoded = result ?? Array(bytes).withUnsafeBufferPointer { decode(buffer: $0) }
        return try decoded.get()
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) -> Result<String, DecodeError> {
        if let nul = firstNul(buffer) { return .failure(DecodeError(reason: .nulByte, byteOffset: nul)) }
        // The standard library validates in one fast pass; only a failure pays for the offset.
        if let text = String(validating: buffer, as: UTF8.self) { return .success(text) }
        return .failure(DecodeError(reason: .invalidUTF8, byteOffset: firstInvalidUTF8(Array(buffer)) ?? 0))
    }

    /// The offset of the first NUL byte, eight bytes at a time.
    static func firstNul(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = p.count
        var i = 0
        if let base = p.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            while i + 8 <= n {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if (w &- ones) & ~w & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
        }
        while i < n {
            if p[i] == 0 { return i }
            i += 1
        }
        return nil
    }

    /// The offset of the first byte that starts an invalid UTF-8 sequence, or nil if all is valid.
    static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            var need = 0
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            if i + need >= n { return i }
            let second = b[i + 1]
            if second < lo || second > hi { return i }
            for k in 2..<(need + 1) where b[i + k] & 0xC0 != 0x80 { return i }
            i += need + 1
        }
        return nil
    }
}

/// Why a file's bytes cannot be diffed as article text.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem.
    public enum Reason: String, Sendable {
        /// The bytes are not valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// The bytes contain a NUL, which no article text does.
        case nulByte = "nul_byte"
    }

    /// The kind of problem.
    public var reason: Reason
    /// Offset of the first offending byte.
    public var byteOffset: Int

    /// Creates an error.
    public init(reason: Reason, byteOffset: Int) {
        self.reason = reason
        self.byteOffset = byteOffset
    }

    /// One line such as "invalid UTF-8 at byte 1234; save the file as UTF-8" (callers prepend the path).
    public var description: String {
        switch reason {
        case .invalidUTF8: "invalid UTF-8 at byte \(byteOffset); save the file as UTF-8"
        case .nulByte: "NUL byte at byte \(byteOffset); the file is binary or half-written, not article text"
        }
    }
}
