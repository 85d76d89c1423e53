// Token-level diff: Myers' O(ND) algorithm in linear space (the middle-snake bisection), after
// stripping the common prefix and suffix. Exact (minimal edit script), deterministic, and without
// any time or cost cut-off: the same input always gives the same script.

/// One run of the edit script.
struct EditRun: Equatable {
    enum Kind: UInt8 { case equal, delete, insert }
    var kind: Kind
    var count: Int
}

struct Myers {
    private let a: UnsafeBufferPointer<Int32>
    private let b: UnsafeBufferPointer<Int32>
    private var runs: [EditRun] = []
    private var v1: [Int] = []
    private var v2: [Int] = []

    private init(a: UnsafeBufferPointer<Int32>, b: UnsafeBufferPointer<Int32>) {
        self.a = a
        self.b = b
    }

    /// The edit script turning `a` into `b`, as runs in order.
    static func diff(_ a: UnsafeBufferPointer<Int32>, _ b: UnsafeBufferPointer<Int32>) -> [EditRun] {
        var m = Myers(a: a, b: b)
        m.diff(0, a.count, 0, b.count)
        return m.runs
    }

    private mutating func emit(_ kind: EditRun.Kind, _ count: Int) {
        guard count > 0 else { return }
        if let last = runs.last, last.kind == kind {
            runs[runs.count - 1].count += count
        } else {
            runs.append(EditRun(kind: kind, count: count))
        }
    }

    private mutating func diff(_ aLo0: Int, _ aHi0: Int, _ bLo0: Int, _ bHi0: Int) {
        var aLo = aLo0
        var bLo = bLo0
        var aHi = aHi0
        var bHi = bHi0
        var prefix = 0
        while aLo < aHi, bLo < bHi, a[aLo] == b[bLo] {
            aLo += 1
            bLo += 1
            prefix += 1
        }
        var suffix = 0
        while aLo < aHi, bLo < bHi, a[aHi - 1] == b[bHi - 1] {
            aHi -= 1
            bHi -= 1
            suffix += 1
        }
        emit(.equal, prefix)
        if aLo == aHi {
            emit(.insert, bHi - bLo)
        } else if bLo == bHi {
            emit(.delete, aHi - aLo)
        } else if let (x, y) = bisect(aLo, aHi, bLo, bHi) {
            diff(aLo, x, bLo, y)
            diff(x, aHi, y, bHi)
        } else {
            emit(.delete, aHi - aLo)
            emit(.insert, bHi - bLo)
        }
        emit(.equal, suffix)
    }

    /// Finds the middle snake of a[aLo..<aHi] vs b[bLo..<bHi]; returns the split point.
    private mutating func bisect(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> (Int, Int)? {
        let length = 2 * ((aHi - aLo + bHi - bLo + 1) / 2) + 2
        if v1.count < length {
            v1 = Array(repeating: -1, count: length)
            v2 = Array(repeating: -1, count: length)
        }
        let a = self.a
        let b = self.b
        return v1.withUnsafeMutableBufferPointer { v1 in
            v2.withUnsafeMutableBufferPointer { v2 in
                Self.bisect(a, b, v1, v2, aLo, aHi, bLo, bHi)
            }
        }
    }

    private static func bisect(
        _ a: UnsafeBufferPointer<Int32>, _ b: UnsafeBufferPointer<Int32>, _ v1: UnsafeMutableBufferPointer<Int>,
        _ v2: UnsafeMutableBufferPointer<Int>, _ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int
    ) -> (Int, Int)? {
        let n = aHi - aLo
        let m = bHi - bLo
        let maxD = (n + m + 1) / 2
        let offset = maxD
        let length = 2 * maxD + 2
        for i in 0..<length {
            v1[i] = -1
            v2[i] = -1
        }
        v1[offset + 1] = 0
        v2[offset + 1] = 0
        let delta = n - m
        let front = delta & 1 != 0
        var k1start = 0
        var k1end = 0
        var k2start = 0
        var k2end = 0
        for d in 0..<maxD {
            var k1 = -d + k1start
            while k1 <= d - k1end {
                let k1o = offset + k1
                var x1: Int
                if k1 == -d || (k1 != d && v1[k1o - 1] < v1[k1o + 1]) {
                    x1 = v1[k1o + 1]
                } else {
                    x1 = v1[k1o - 1] + 1
                }
                var y1 = x1 - k1
                while x1 < n, y1 < m, a[aLo + x1] == b[bLo + y1] {
                    x1 += 1
                    y1 += 1
                }
                v1[k1o] = x1
                if x1 > n {
                    k1end += 2
                } else if y1 > m {
                    k1start += 2
                } else if front {
                    let k2o = offset + delta - k1
                    if k2o >= 0, k2o < length, v2[k2o] != -1 {
                        let x2 = n - v2[k2o]
                        if x1 >= x2 { return (aLo + x1, bLo + y1) }
                    }
                }
                k1 += 2
            }
            var k2 = -d + k2start
            while k2 <= d - k2end {
                let k2o = offset + k2
                var x2: Int
                if k2 == -d || (k2 != d && v2[k2o - 1] < v2[k2o + 1]) {
                    x2 = v2[k2o + 1]
                } else {
                    x2 = v2[k2o - 1] + 1
                }
                var y2 = x2 - k2
                while x2 < n, y2 < m, a[aHi - x2 - 1] == b[bHi - y2 - 1] {
                    x2 += 1
                    y2 += 1
                }
                v2[k2o] = x2
                if x2 > n {
                    k2end += 2
                } else if y2 > m {
                    k2start += 2
                } else if !front {
                    let k1o = offset + delta - k2
                    if k1o >= 0, k1o < length, v1[k1o] != -1 {
                        let x1 = v1[k1o]
                        let y1 = offset + x1 - k1o
                        if x1 >= n - x2 { return (aLo + x1, bLo + y1) }
                    }
                }
                k2 += 2
            }
        }
        return nil
    }
}

// MARK: Token alignment

extension Engine {
    /// Matched (old, new) token index pairs of the non-whitespace tokens of two ranges.
    func alignTokens(_ ar: Range<Int>, _ br: Range<Int>) -> [(a: Int, b: Int)] {
        let aIdx = ar.filter { old.tokens[$0].kind != .whitespace }
        let bIdx = br.filter { new.tokens[$0].kind != .whitespace }
        let aIDs = aIdx.map { old.ids[$0] }
        let bIDs = bIdx.map { new.ids[$0] }
        var pairs: [(a: Int, b: Int)] = []
        pairs.reserveCapacity(min(aIdx.count, bIdx.count))
        // Common prefix and suffix first; small middles by dynamic programming, large by Myers.
        var lo = 0
        while lo < aIDs.count, lo < bIDs.count, aIDs[lo] == bIDs[lo] {
            pairs.append((aIdx[lo], bIdx[lo]))
            lo += 1
        }
        var hiA = aIDs.count
        var hiB = bIDs.count
        while hiA > lo, hiB > lo, aIDs[hiA - 1] == bIDs[hiB - 1] {
            hiA -= 1
            hiB -= 1
        }
        let n = hiA - lo
        let m = hiB - lo
        if n > 0, m > 0 {
            if n * m <= 16_384 {
                Self.lcsPairs(aIDs, bIDs, lo, hiA, lo, hiB) { x, y in pairs.append((aIdx[x], bIdx[y])) }
            } else {
                let runs = aIDs.withUnsafeBufferPointer { x in
                    bIDs.withUnsafeBufferPointer { y in
                        Myers.diff(
                            UnsafeBufferPointer(rebasing: x[lo..<hiA]), UnsafeBufferPointer(rebasing: y[lo..<hiB]))
                    }
                }
                var x = lo
                var y = lo
                for run in runs {
                    switch run.kind {
                    case .equal:
                        for k in 0..<run.count { pairs.append((aIdx[x + k], bIdx[y + k])) }
                        x += run.count
                        y += run.count
                    case .delete: x += run.count
                    case .insert: y += run.count
                    }
                }
            }
        }
        for k in 0..<(aIDs.count - hiA) { pairs.append((aIdx[hiA + k], bIdx[hiB + k])) }
        return pairs
    }

    /// A longest common subsequence of `a[aLo..<aHi]` and `b[bLo..<bHi]` by dynamic programming
    /// (exact, so as minimal as Myers; faster on the short middles of edited paragraphs).
    /// Ties prefer deleting before inserting, so the result is deterministic.
    static func lcsPairs(
        _ a: [Int32], _ b: [Int32], _ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int, _ emit: (Int, Int) -> Void
    ) {
        let n = aHi - aLo
        let m = bHi - bLo
        let width = m + 1
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                withUnsafeTemporaryAllocation(of: UInt16.self, capacity: (n + 1) * width) { dp in
                    for j in 0...m { dp[n * width + j] = 0 }
                    var i = n - 1
                    while i >= 0 {
                        dp[i * width + m] = 0
                        var j = m - 1
                        while j >= 0 {
                            if a[aLo + i] == b[bLo + j] {
                                dp[i * width + j] = dp[(i + 1) * width + j + 1] + 1
                            } else {
                                dp[i * width + j] = max(dp[(i + 1) * width + j], dp[i * width + j + 1])
                            }
                            j -= 1
                        }
                        i -= 1
                    }
                    var x = 0
                    var y = 0
                    while x < n, y < m {
                        if a[aLo + x] == b[bLo + y] {
                            emit(aLo + x, bLo + y)
                            x += 1
                            y += 1
                        } else if dp[(x + 1) * width + y] >= dp[x * width + y + 1] {
                            x += 1
                        } else {
                            y += 1
                        }
                    }
                }
            }
        }
    }
}
