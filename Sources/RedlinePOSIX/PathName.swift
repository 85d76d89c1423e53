#if canImport(Glibc)
    import Glibc
#endif

/// File names as the kernel has them (bytes) and as Redline records them (strings), both ways without loss.
///
/// Linux names are bytes, and not every name is valid UTF-8. Decoding with replacement (U+FFFD) would
/// record a path that does not exist and merge distinct names, so every name read from the kernel goes
/// through ``decode(_:)`` and every path handed back to it through ``withCString(_:_:)``:
/// - a valid UTF-8 character is itself;
/// - a backslash is written as two (`\\`);
/// - each byte that is not part of valid UTF-8 is written `\xNN` (two lowercase hex digits).
///
/// A name without a backslash that is valid UTF-8, which is nearly every name, is unchanged. The rule is
/// in `schema/README.md` ("Paths"), so consumers can turn a recorded path back into its bytes.
public enum PathName {
    /// The string for the name (or path) `bytes`.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        if !bytes.contains(UInt8(ascii: "\\")), let valid = String(validating: bytes, as: UTF8.self) {
            return valid
        }
        var out = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        // The parser reports how many bytes an invalid sequence had; the iterator alone cannot give them
        // back, so invalid bytes are recovered from a copy.
        let all = Array(bytes)
        var offset = 0
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if scalar == "\\" {
                    out.append("\\")
                    out.append("\\")
                } else {
                    out.append(scalar)
                }
                offset += encoded.count
            case .error(let length):
                for byte in all[offset..<(offset + length)] {
                    out.append("\\")
                    out.append("x")
                    for digit in [byte >> 4, byte & 0xF] {
                        out.append(Unicode.Scalar(digit < 10 ? digit + 0x30 : digit - 10 + 0x61))
                    }
                }
                offset += length
            case .emptyInput:
                break loop
            }
        }
        return String(out)
    }

    /// The string for a NUL-terminated name from the kernel or a C library.
    public static func decode(cString: UnsafePointer<CChar>) -> String {
        let length = strlen(cString)
        return cString.withMemoryRebound(to: UInt8.self, capacity: length) {
            decode(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The bytes `path` stands for (the inverse of ``decode(_:)``). A backslash not followed by `\` or
    /// `x` and two hex digits is taken literally, so a hand-typed path still works.
    public static func bytes(_ path: String) -> [UInt8] {
        let utf8 = Array(path.utf8)
        guard utf8.contains(UInt8(ascii: "\\")) else { return utf8 }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte == UInt8(ascii: "\\"), i + 1 < utf8.count {
                if utf8[i + 1] == UInt8(ascii: "\\") {
                    out.append(byte)
                    i += 2
                    continue
                }
                if utf8[i + 1] == UInt8(ascii: "x"), i + 3 < utf8.count, let high = hex(utf8[i + 2]),
                    let low = hex(utf8[i + 3])
                {
                    out.append(high << 4 | low)
                    i += 4
                    continue
                }
            }
            out.append(byte)
            i += 1
        }
        return out
    }

    /// Calls `body` with the NUL-terminated bytes of `path`, for a system call.
    public static func withCString<T>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        guard path.utf8.contains(UInt8(ascii: "\\")) else { return try path.withCString(body) }
        var raw = bytes(path).map { CChar(bitPattern: $0) }
        raw.append(0)
        return try raw.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
