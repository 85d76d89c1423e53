/// An edit script that rebuilds the new text from the old one, byte for byte.
///
/// The script is a list of operations over UTF-8 bytes, applied in order to build the new text:
/// copy a byte range of the old text, or insert literal text. Moved paragraphs are plain copies
/// from elsewhere in the old text, so a move costs a few bytes, not the paragraph twice.
///
/// JSON (compact, stable):
/// ```json
/// {"old_length": 5120, "old_hash": "8c3f...", "new_length": 5131,
///  "ops": [[0, 1200], "new words", [1210, 3910]]}
/// ```
/// - `old_length`, `new_length`: UTF-8 byte counts of the texts.
/// - `old_hash`: 64-bit hash of the old text's UTF-8 bytes, 16 lowercase hex digits: FNV-1a over
///   the bytes taken as little-endian 64-bit words (then the last 0-7 bytes one by one), so
///   checking a large article costs a fraction of a millisecond.
/// - `ops`: a two-integer array `[start, count]` copies old bytes `start..<start+count`;
///   a string inserts its UTF-8 bytes.
public struct Patch: Sendable, Equatable, Codable {
    /// One step of the script.
    public enum Operation: Sendable, Equatable {
        /// Copy `count` bytes of the old text starting at byte `start`.
        case copy(start: Int, count: Int)
        /// Insert literal text.
        case insert(String)
    }

    /// UTF-8 byte count of the old text the patch applies to.
    public var oldLength: Int
    /// Hash of the old text's UTF-8 bytes (see the type's documentation).
    public var oldHash: UInt64
    /// UTF-8 byte count of the text the patch produces.
    public var newLength: Int
    /// The operations, applied in order.
    public var operations: [Operation]

    /// Creates a patch from its parts.
    public init(oldLength: Int, oldHash: UInt64, newLength: Int, operations: [Operation]) {
        self.oldLength = oldLength
        self.oldHash = oldHash
        self.newLength = newLength
        self.operations = operations
    }

    /// Whether the patch reproduces its old text unchanged.
    public var isIdentity: Bool {
        guard oldLength == newLength else { return false }
        if operations.isEmpty { return oldLength == 0 }
        return operations == [.copy(start: 0, count: oldLength)]
    }

    /// Applies the patch; throws if it does not fit `old`.
    ///
    /// - Throws: `PatchError` when `old` is not the text the patch was made from (length or hash
    ///   differ), or the script is malformed (a copy out of range or splitting a UTF-8 sequence).
    public func apply(to old: String) throws(PatchError) -> String {
        var old = old
        let result: Result<String, PatchError> = old.withUTF8 { bytes in
            do throws(PatchError) { return .success(try apply(bytes: bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func apply(bytes: UnsafeBufferPointer<UInt8>) throws(PatchError) -> String {
        guard bytes.count == oldLength else {
            throw PatchError(
                code: .oldTextMismatch,
                message: "the old text has \(bytes.count) bytes but the patch expects \(oldLength)")
        }
        guard FNV1a.hash(bytes) == oldHash else {
            throw PatchError(code: .oldTextMismatch, message: "the old text's hash does not match the patch's old_hash")
        }
        var out: [UInt8] = []
        out.reserveCapacity(newLength)
        for (index, operation) in operations.enumerated() {
            switch operation {
            case .copy(let start, let count):
                guard start >= 0, count >= 0, start <= bytes.count, count <= bytes.count - start else {
                    throw PatchError(
                        code: .malformed,
                        message: "operation \(index) copies bytes \(start)..<\(start + count) of \(bytes.count)")
                }
                if count > 0, Self.isContinuation(bytes, start) || Self.isContinuation(bytes, start + count) {
                    throw PatchError(
                        code: .malformed, message: "operation \(index) splits a UTF-8 sequence at byte \(start)")
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<(start + count)]))
            case .insert(let text):
                out.append(contentsOf: text.utf8)
            }
        }
        guard out.count == newLength else {
            throw PatchError(
                code: .malformed, message: "the patch produced \(out.count) bytes but declares \(newLength)")
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isContinuation(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        index < bytes.count && bytes[index] & 0xC0 == 0x80
    }

    private enum CodingKeys: String, CodingKey {
        case oldLength = "old_length", oldHash = "old_hash", newLength = "new_length", ops
    }

    /// Decodes the JSON form described on the type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        oldLength = try container.decode(Int.self, forKey: .oldLength)
        newLength = try container.decode(Int.self, forKey: .newLength)
        let hex = try container.decode(String.self, forKey: .oldHash)
        guard hex.utf8.count == 16, let hash = UInt64(hex, radix: 16) else {
            throw DecodingError.dataCorruptedError(
                forKey: .oldHash, in: container, debugDescription: "old_hash must be 16 hex digits")
        }
        oldHash = hash
        var ops = try container.nestedUnkeyedContainer(forKey: .ops)
        var operations: [Operation] = []
        while !ops.isAtEnd {
            if let text = try? ops.decode(String.self) {
                operations.append(.insert(text))
            } else {
                var pair = try ops.nestedUnkeyedContainer()
                let start = try pair.decode(Int.self)
                let count = try pair.decode(Int.self)
                operations.append(.copy(start: start, count: count))
            }
        }
        self.operations = operations
    }

    /// Encodes the JSON form described on the type.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(oldLength, forKey: .oldLength)
        try container.encode(FNV1a.hex(oldHash), forKey: .oldHash)
        try container.encode(newLength, forKey: .newLength)
        var ops = container.nestedUnkeyedContainer(forKey: .ops)
        for operation in operations {
            switch operation {
            case .copy(let start, let count):
                var pair = ops.nestedUnkeyedContainer()
                try pair.encode(start)
                try pair.encode(count)
            case .insert(let text):
                try ops.encode(text)
            }
        }
    }
}

/// Why a patch could not be applied.
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable {
        /// The text given is not the one the patch was made from.
        case oldTextMismatch = "old_text_mismatch"
        /// The patch itself is inconsistent.
        case malformed
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, in words.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// One line for a user: the cause and what to do (callers prepend the file or feed path).
    public var description: String {
        switch code {
        case .oldTextMismatch:
            "patch does not fit: \(message); apply it to the exact previous version of the article"
        case .malformed:
            "malformed patch: \(message); the record is corrupt, rebuild it from the article versions"
        }
    }
}

/// FNV-1a, 64 bit, over little-endian 64-bit words then the trailing bytes: a tiny,
/// deterministic, dependency-free hash for identity checks.
enum FNV1a {
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let n = bytes.count
        var i = 0
        if let base = bytes.baseAddress {
            while i + 8 <= n {
                h ^= UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                h = h &* 0x0000_0100_0000_01b3
                i += 8
            }
        }
        while i < n {
            h ^= UInt64(bytes[i])
            h = h &* 0x0000_0100_0000_01b3
            i += 1
        }
        return h
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.utf8.count) + digits
    }
}
