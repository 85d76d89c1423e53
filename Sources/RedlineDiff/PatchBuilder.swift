// Building the patch that rebuilds the new text from the old one, byte for byte.

/// Accumulates patch operations over byte ranges, merging neighbours and turning literal
/// insertions into copies when the old text continues with the same bytes.
struct PatchBuilder {
    let o: UnsafeBufferPointer<UInt8>
    let n: UnsafeBufferPointer<UInt8>
    enum Op {
        case copy(Int, Int)  // old start, count
        case insert(Int, Int)  // new start, count
    }
    var ops: [Op] = []

    mutating func copy(_ start: Int, _ count: Int) {
        guard count > 0 else { return }
        if case .copy(let s, let c)? = ops.last, s + c == start {
            ops[ops.count - 1] = .copy(s, c + count)
        } else {
            ops.append(.copy(start, count))
        }
    }

    mutating func insert(_ start: Int, _ count: Int) {
        guard count > 0 else { return }
        if case .copy(let s, let c)? = ops.last, s + c + count <= o.count, memEqual(o, s + c, n, start, count) {
            ops[ops.count - 1] = .copy(s, c + count)
        } else if case .insert(let s, let c)? = ops.last, s + c == start {
            ops[ops.count - 1] = .insert(s, c + count)
        } else {
            ops.append(.insert(start, count))
        }
    }

    func operations() -> [Patch.Operation] {
        ops.map {
            switch $0 {
            case .copy(let s, let c): .copy(start: s, count: c)
            case .insert(let s, let c):
                .insert(String(decoding: UnsafeBufferPointer(rebasing: n[s..<(s + c)]), as: UTF8.self))
            }
        }
    }
}

extension Engine {
    /// Walks the new text in order: changed units replay their alignment (matched tokens and
    /// unchanged gaps copy old bytes, changed gaps insert new bytes), identical units copy,
    /// added paragraphs and separators are inserted (and turned into copies where the old text
    /// has the same bytes at that point).
    func buildPatch(_ pairsOfUnit: [[(a: Int, b: Int)]?]) -> Patch {
        var builder = PatchBuilder(o: old.p, n: new.p)
        let newCount = new.paragraphs.count
        guard newCount > 0 else {
            builder.insert(0, new.p.count)
            return finish(builder)
        }
        builder.insert(0, new.paragraphs[0].lowerBound)
        var j = 0
        while j < newCount {
            var last = j
            let u = newUnit[j]
            if u >= 0 {
                let unit = units[u]
                last = unit.new.upperBound
                if let pairs = pairsOfUnit[u] {
                    Self.forEachGap(pairs, unit.oldTokens, unit.newTokens) { ga, gb, next in
                        if sameBytes(ga, gb) {
                            let bytes = old.byteRange(ga)
                            builder.copy(bytes.lowerBound, bytes.count)
                        } else {
                            let bytes = new.byteRange(gb)
                            builder.insert(bytes.lowerBound, bytes.count)
                        }
                        if let token = next.map({ old.tokens[$0.a] }) {
                            builder.copy(token.start, token.end - token.start)
                        }
                    }
                } else {
                    let ab = unitBytes(old, unit.old)
                    builder.copy(ab.lowerBound, ab.count)
                }
            } else {
                let bb = new.paragraphs[j]
                builder.insert(bb.lowerBound, bb.count)
            }
            let end = new.paragraphs[last].upperBound
            let next = last + 1 < newCount ? new.paragraphs[last + 1].lowerBound : new.p.count
            builder.insert(end, next - end)
            j = last + 1
        }
        return finish(builder)
    }

    func finish(_ builder: PatchBuilder) -> Patch {
        Patch(
            oldLength: old.p.count, oldHash: FNV1a.hash(old.p), newLength: new.p.count,
            operations: builder.operations())
    }
}
