// Interns token byte strings to dense integer ids, so the diff compares integers.
// Keys are compared byte for byte (not with String ==, which folds canonical equivalents):
// a patch must reproduce the exact bytes, so two spellings of the same text are different tokens.

struct Interner {
    // Open addressing with linear probing over (hash, id); the hash is FNV-1a of the bytes.
    private var hashes: [UInt64]
    private var slots: [Int32]
    private var mask: Int
    /// The representative of each id: which text and its byte range.
    private(set) var representatives: [(side: Side, start: Int, end: Int)] = []

    init(capacity: Int) {
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        hashes = Array(repeating: 0, count: size)
        slots = Array(repeating: -1, count: size)
        mask = size - 1
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

    @inline(__always)
    private static func bytes(
        of side: Side, _ texts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>)
    ) -> UnsafeBufferPointer<UInt8> {
        switch side {
        case .old: texts.0
        case .new: texts.1
        }
    }

    @inline(__always)
    private func slot(_ h: UInt64) -> Int { Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask }

    private mutating func grow() {
        let oldHashes = hashes
        let oldSlots = slots
        let size = hashes.count * 2
        hashes = Array(repeating: 0, count: size)
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for k in oldSlots.indices where oldSlots[k] >= 0 {
            var s = slot(oldHashes[k])
            while slots[s] >= 0 { s = (s + 1) & mask }
            hashes[s] = oldHashes[k]
            slots[s] = oldSlots[k]
        }
    }

    /// The id of the bytes `start..<end` of text `side`.
    mutating func id(
        _ texts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>), side: Side, _ start: Int, _ end: Int
    ) -> Int32 {
        let p = Self.bytes(of: side, texts)
        let h = Engine.fastHash(p, start, end)
        var s = slot(h)
        while true {
            let existing = slots[s]
            if existing < 0 { break }
            if hashes[s] == h {
                let r = representatives[Int(existing)]
                let q = Self.bytes(of: r.side, texts)
                if r.end - r.start == end - start, memEqual(p, start, q, r.start, end - start) { return existing }
            }
            s = (s + 1) & mask
        }
        let id = Int32(representatives.count)
        hashes[s] = h
        slots[s] = id
        representatives.append((side, start, end))
        if representatives.count * 2 > hashes.count { grow() }
        return id
    }
}

/// Whether `count` bytes at `aStart` in `a` equal those at `bStart` in `b` (eight at a time).
@inline(__always)
func memEqual(
    _ a: UnsafeBufferPointer<UInt8>, _ aStart: Int, _ b: UnsafeBufferPointer<UInt8>, _ bStart: Int, _ count: Int
)
    -> Bool
{
    guard count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
    var i = 0
    while i + 8 <= count {
        if UnsafeRawPointer(pa + aStart + i).loadUnaligned(as: UInt64.self)
            != UnsafeRawPointer(pb + bStart + i).loadUnaligned(as: UInt64.self)
        {
            return false
        }
        i += 8
    }
    while i < count {
        if pa[aStart + i] != pb[bStart + i] { return false }
        i += 1
    }
    return true
}
