// Interns token byte strings to dense integer ids, so the diff compares integers.
// Keys are compared byte for byte (not with String ==, which folds canonical equivalents):
// a patch must reproduce the exact bytes, so two spellings of the same text are different tokens.

struct Interner {
    private var table: [UInt64: Int32] = [:]
    /// The representative of each id: which text (0 old, 1 new) and its byte range.
    private(set) var representatives: [(side: UInt8, start: Int, end: Int)] = []

    init(capacity: Int) {
        table.reserveCapacity(capacity)
        representatives.reserveCapacity(capacity)
    }

    static func hash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = start
        while i < end {
            h ^= UInt64(p[i])
            h = h &* 0x0000_0100_0000_01b3
            i += 1
        }
        return h
    }

    /// The id of the bytes `start..<end` of text `side`.
    mutating func id(
        _ texts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>), side: UInt8, _ start: Int, _ end: Int
    ) -> Int32 {
        let p = side == 0 ? texts.0 : texts.1
        var h = Self.hash(p, start, end)
        while true {
            if let existing = table[h] {
                let r = representatives[Int(existing)]
                let q = r.side == 0 ? texts.0 : texts.1
                if r.end - r.start == end - start, memEqual(p, start, q, r.start, end - start) { return existing }
                // A 64-bit collision: probe the next slot deterministically.
                h = h &+ 0x9E37_79B9_7F4A_7C15
                continue
            }
            let id = Int32(representatives.count)
            table[h] = id
            representatives.append((side, start, end))
            return id
        }
    }
}

@inline(__always)
func memEqual(_ a: UnsafeBufferPointer<UInt8>, _ aStart: Int, _ b: UnsafeBufferPointer<UInt8>, _ bStart: Int, _ count: Int)
    -> Bool
{
    var i = 0
    while i < count {
        if a[aStart + i] != b[bStart + i] { return false }
        i += 1
    }
    return true
}
