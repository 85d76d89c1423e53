// Which matched units moved: those outside the longest run kept in order.

extension Engine {
    /// Marks as moved the units outside a longest increasing subsequence of new positions
    /// (units taken in old order): the fewest paragraphs that must have moved.
    mutating func markMoves() {
        let order = units.indices.sorted { units[$0].old.lowerBound < units[$1].old.lowerBound }
        let keys = order.map { units[$0].new.lowerBound }
        var tails: [Int] = []  // index into keys of the smallest tail of each length
        var previous = [Int](repeating: -1, count: keys.count)
        for (x, key) in keys.enumerated() {
            var lo = 0
            var hi = tails.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[tails[mid]] < key { lo = mid + 1 } else { hi = mid }
            }
            if lo > 0 { previous[x] = tails[lo - 1] }
            if lo == tails.count { tails.append(x) } else { tails[lo] = x }
        }
        var inLIS = [Bool](repeating: false, count: keys.count)
        var x = tails.last ?? -1
        while x >= 0 {
            inLIS[x] = true
            x = previous[x]
        }
        for (position, u) in order.enumerated() where !inLIS[position] { units[u].moved = true }
    }
}
