import Crypto

/// SHA-256 in lowercase hex, shared so every layer hashes versions the same way.
public enum Digest {
    /// SHA-256 hex of `bytes` (for a text: its UTF-8 bytes, `Digest.sha256Hex(text.utf8)`).
    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        if let done = bytes.withContiguousStorageIfAvailable({
            hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
        }) {
            _ = done
        } else {
            hasher.update(data: Array(bytes))
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
