import CZlib
import CZstd
import Foundation
import Synchronization

/// How the state store keeps an article's text: a zstd frame, compressed against a dictionary made from the
/// store's own first texts.
///
/// The text is there only so the next version can be diffed without reading the feed (issue 11). Alone, a
/// 4.6 KB article deflates to ~830 bytes. But the articles of one tree share much of what they say (names,
/// places, boilerplate, whole paragraphs): the feed's sealed segments, gzipped whole, already get ~95 bytes a
/// record from that, and a text compressed by itself cannot. A dictionary gives every text the others'
/// context. Its content is ~112 KB of the first texts the store keeps (up to 4 KB of each of a few dozen
/// articles, spread over their batches), with zstd's entropy tables fitted to the texts seen with them
/// (`ZDICT_finalizeDictionary`). Each frame names its dictionary by id; the dictionaries live in the store,
/// and a frame without one (written before the store had seen enough text) reads the same way.
///
/// Stores of older releases kept a 4-byte little-endian length and a zlib stream; those still read (zlib's
/// `uncompress`) and become zstd when their article next changes. A zstd frame starts with the bytes
/// 28 B5 2F FD, which as such a length would be a 4.2 GB text: the two never mix up.
final class BodyCodec: Sendable {
    /// A dictionary as the store keeps it: zstd's dictionary format, `id` inside it.
    struct Dictionary: Sendable {
        var id: UInt32
        var content: Data
    }

    /// zstd's level: on 4.6 KB articles against a dictionary, level 3 is as fast to write as libdeflate's
    /// level 1 was, and its frames read several times faster.
    static let level: Int32 = 3
    /// How much text the dictionary's content holds (zstd's default dictionary size).
    static let dictionaryBytes = 112 * 1024
    /// The dictionary is made once this much sample text has been seen: a store of a few small articles
    /// never gets one, and needs none.
    static let minimumSampleBytes = 64 * 1024
    /// At most this much of one text goes into the dictionary, so that one long article does not fill it.
    static let bytesPerText = 4096
    /// The texts beside the content that the entropy tables are fitted to.
    static let statisticsBytes = 1 << 20
    /// The first dictionary's id (zstd keeps ids below 32,768 for dictionaries registered in public).
    static let firstID: UInt32 = 32_768

    private let encoder: Mutex<Encoder>
    private let decoder: Mutex<Decoder>

    /// The compressing side: one context, the newest dictionary, and the samples for the first one. Used by
    /// one caller at a time, under its mutex (the state writer's thread writes while the pipeline reads).
    private struct Encoder: @unchecked Sendable {
        let context: OpaquePointer
        var dictionary: (id: UInt32, handle: OpaquePointer)?
        /// Pieces of texts for the dictionary's content, and whole texts for its statistics.
        var content: [Data] = []
        var contentBytes = 0
        var statistics: [Data] = []
        var statisticsBytes = 0
    }

    /// The reading side: one context and every dictionary the store holds, by id.
    private struct Decoder: @unchecked Sendable {
        let context: OpaquePointer
        var dictionaries: [UInt32: OpaquePointer] = [:]
    }

    /// A codec that knows `dictionaries` and compresses with the newest (none: frames without a dictionary).
    init(dictionaries: [Dictionary] = []) {
        guard let cctx = ZSTD_createCCtx(), let dctx = ZSTD_createDCtx() else {
            preconditionFailure("zstd: out of memory")
        }
        // A checksum in every frame: a damaged body is reported (and the store rebuilt), never diffed against.
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, Self.level)
        encoder = Mutex(Encoder(context: cctx))
        decoder = Mutex(Decoder(context: dctx))
        for dictionary in dictionaries.sorted(by: { $0.id < $1.id }) { install(dictionary) }
    }

    /// The id the next dictionary gets.
    private var nextID: UInt32 {
        decoder.withLock { ($0.dictionaries.keys.max() ?? (Self.firstID - 1)) + 1 }
    }

    /// Takes samples from `texts`, a batch about to be stored, and returns the store's first dictionary once
    /// enough text has been seen: nil before, and always once the codec has one. The caller stores it, then
    /// calls ``install(_:)``; until then the samples are kept, so a store that failed to save it tries again.
    func dictionary(learningFrom texts: [String]) -> Dictionary? {
        let id = nextID
        return encoder.withLock { encoder -> Dictionary? in
            guard encoder.dictionary == nil, !texts.isEmpty else { return nil }
            let step = max(1, texts.count / 32)
            for (index, text) in texts.enumerated() {
                if index % step == 0 && encoder.contentBytes < Self.dictionaryBytes {
                    let piece = Data(
                        text.utf8.prefix(min(Self.bytesPerText, Self.dictionaryBytes - encoder.contentBytes)))
                    encoder.content.append(piece)
                    encoder.contentBytes += piece.count
                } else if encoder.statisticsBytes < Self.statisticsBytes {
                    let whole = Data(text.utf8)
                    encoder.statistics.append(whole)
                    encoder.statisticsBytes += whole.count
                }
            }
            guard encoder.contentBytes >= Self.minimumSampleBytes else { return nil }
            return Self.finalize(content: encoder.content, statistics: encoder.statistics, id: id)
        }
    }

    /// The dictionary of `content`, with entropy tables from `statistics` (the content itself when there are
    /// none); nil when zstd refuses (then the store goes on without one).
    private static func finalize(content: [Data], statistics: [Data], id: UInt32) -> Dictionary? {
        let joined = content.reduce(into: Data()) { $0.append($1) }
        let samples = statistics.isEmpty ? content : statistics
        let sampleBuffer = samples.reduce(into: Data()) { $0.append($1) }
        let sizes = samples.map(\.count)
        var result = Data(count: joined.count + 16 * 1024)
        let capacity = result.count
        let written = result.withUnsafeMutableBytes { out in
            joined.withUnsafeBytes { contentBytes in
                sampleBuffer.withUnsafeBytes { sampleBytes in
                    ZDICT_finalizeDictionary(
                        out.baseAddress, capacity, contentBytes.baseAddress, joined.count, sampleBytes.baseAddress,
                        sizes, UInt32(sizes.count),
                        ZDICT_params_t(compressionLevel: level, notificationLevel: 0, dictID: id))
                }
            }
        }
        guard ZDICT_isError(written) == 0 else { return nil }
        result.count = written
        guard result.withUnsafeBytes({ ZDICT_getDictID($0.baseAddress, written) }) == id else { return nil }
        return Dictionary(id: id, content: result)
    }

    /// Makes `dictionary` readable, and the one new texts are compressed with when it is the newest.
    func install(_ dictionary: Dictionary) {
        let handles = dictionary.content.withUnsafeBytes { bytes in
            (
                ZSTD_createDDict(bytes.baseAddress, bytes.count),
                ZSTD_createCDict(bytes.baseAddress, bytes.count, Self.level)
            )
        }
        guard let ddict = handles.0, let cdict = handles.1 else { preconditionFailure("zstd: out of memory") }
        decoder.withLock { decoder in
            if let old = decoder.dictionaries.updateValue(ddict, forKey: dictionary.id) { ZSTD_freeDDict(old) }
        }
        encoder.withLock { encoder in
            guard dictionary.id >= (encoder.dictionary?.id ?? 0) else {
                ZSTD_freeCDict(cdict)
                return
            }
            ZSTD_CCtx_refCDict(encoder.context, cdict)
            if let old = encoder.dictionary { ZSTD_freeCDict(old.handle) }
            encoder.dictionary = (dictionary.id, cdict)
            encoder.content = []
            encoder.statistics = []
            encoder.contentBytes = 0
            encoder.statisticsBytes = 0
        }
    }

    /// The stored form of `text`.
    func encode(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { source in
            encoder.withLock { encoder in
                let bound = ZSTD_compressBound(source.count)
                var out = Data(count: bound)
                let written = out.withUnsafeMutableBytes { dest in
                    ZSTD_compress2(encoder.context, dest.baseAddress, bound, source.baseAddress, source.count)
                }
                precondition(ZSTD_isError(written) == 0, "zstd failed within its own bound")
                out.count = written
                return out
            }
        }
    }

    /// The text of a stored form; nil when it is not one (a damaged store, which is then rebuilt).
    func decode(_ stored: Data) -> String? {
        stored.withUnsafeBytes { (source: UnsafeRawBufferPointer) -> String? in
            guard source.count >= 4, let base = source.baseAddress else { return nil }
            if source[0] == 0x28 && source[1] == 0xB5 && source[2] == 0x2F && source[3] == 0xFD {
                return decodeFrame(base, source.count)
            }
            return Self.decodeZlib(source)
        }
    }

    private func decodeFrame(_ source: UnsafeRawPointer, _ count: Int) -> String? {
        let size = ZSTD_getFrameContentSize(source, count)
        // ZSTD_CONTENTSIZE_UNKNOWN and _ERROR are the two largest values; every frame here records its size.
        guard size < UInt64.max - 1, size <= UInt64(Int32.max) else { return nil }
        let length = Int(size)
        let id = ZSTD_getDictID_fromFrame(source, count)
        return decoder.withLock { decoder -> String? in
            let dictionary = decoder.dictionaries[id]
            if id != 0 && dictionary == nil { return nil }
            var whole = false
            let text = String(unsafeUninitializedCapacity: max(length, 1)) { dest in
                let produced =
                    dictionary.map {
                        ZSTD_decompress_usingDDict(decoder.context, dest.baseAddress, length, source, count, $0)
                    } ?? ZSTD_decompressDCtx(decoder.context, dest.baseAddress, length, source, count)
                whole = ZSTD_isError(produced) == 0 && produced == length
                return whole ? length : 0
            }
            // A text that is not valid UTF-8 comes back repaired, so longer or shorter: damaged too.
            return whole && text.utf8.count == length ? text : nil
        }
    }

    /// A body of older releases: a 4-byte little-endian length, then a zlib stream.
    private static func decodeZlib(_ source: UnsafeRawBufferPointer) -> String? {
        let length = (0..<4).reduce(0) { $0 | Int(source[$1]) << (8 * $1) }
        var whole = false
        let text = String(unsafeUninitializedCapacity: max(length, 1)) { dest in
            var produced = uLongf(length)
            let status = uncompress(
                dest.baseAddress, &produced, source.baseAddress!.assumingMemoryBound(to: Bytef.self) + 4,
                uLong(source.count - 4))
            whole = status == Z_OK && Int(produced) == length
            return whole ? length : 0
        }
        return whole && text.utf8.count == length ? text : nil
    }
}
