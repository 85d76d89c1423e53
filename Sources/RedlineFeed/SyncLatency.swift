#if canImport(Glibc)
    import Glibc
#endif

/// How long the feed's `fdatasync` calls took: a histogram with fixed buckets, as Prometheus exposes one.
///
/// The writer counts every data sync it makes (one per group commit under ``FsyncPolicy/always``, one per
/// timer or rotation under the others) into one of these; ``FeedWriter/syncLatency`` hands out a copy. The
/// buckets are fixed, so recording a sync only increments two counters and adds to the sum: no allocation,
/// no lock beyond the writer's own.
public struct SyncLatency: Sendable, Equatable {
    /// Upper bounds of the buckets, in seconds (Prometheus `le`), from 100 µs to 1 s; `+Inf` is implied.
    public static let bounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ]
    /// The bounds in nanoseconds, compared against on the sync path without converting to floating point.
    private static let boundsNanoseconds: [UInt64] = bounds.map { UInt64(($0 * 1e9).rounded()) }

    /// Syncs per bucket, not cumulative: `counts[i]` took at most `bounds[i]` and more than `bounds[i - 1]`;
    /// the last element counts those over the largest bound.
    public private(set) var counts: [UInt64]
    /// Syncs recorded.
    public private(set) var count: UInt64 = 0
    /// Their total duration, in nanoseconds.
    public private(set) var sumNanoseconds: UInt64 = 0

    /// An empty histogram.
    public init() { counts = Array(repeating: 0, count: Self.bounds.count + 1) }

    /// Their total duration, in seconds.
    public var sumSeconds: Double { Double(sumNanoseconds) / 1e9 }

    /// Cumulative counts per bound, as Prometheus' `_bucket{le=...}` lines carry them; the last is `+Inf`.
    public var cumulative: [UInt64] {
        var running: UInt64 = 0
        return counts.map {
            running += $0
            return running
        }
    }

    /// A copy that shares no storage with `self`.
    func detached() -> SyncLatency {
        var copy = self
        copy.counts = counts.map { $0 }
        return copy
    }

    /// Counts one sync of `nanoseconds`.
    mutating func record(nanoseconds: UInt64) {
        var bucket = 0
        while bucket < Self.boundsNanoseconds.count && nanoseconds > Self.boundsNanoseconds[bucket] { bucket += 1 }
        counts[bucket] += 1
        count += 1
        sumNanoseconds &+= nanoseconds
    }

    /// `CLOCK_MONOTONIC` in nanoseconds: not stepped by NTP or an admin setting the date, and one vDSO call.
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
