import Foundation
import Testing

/// Power cuts, simulated by `Scripts/powercut.c`: after SIGKILL, the feed directory is rebuilt from what was
/// synced (file bytes at `fdatasync`, names at the directory's `fsync`), plus a torn prefix of what was not.
/// What the README promises, under every fsync policy: a record a consumer has seen is never lost or
/// replaced, and every edit is recorded again after the restart if its record was lost.
@Suite(.serialized) struct PowerCutTests {
    /// Rebuilds `feed` as a disk that kept only what was synced would hold it after power loss, keeping
    /// `tornBytes` of the active segment's unsynced tail (pages that happened to reach the disk).
    func powerCut(feed: String, shadow: String, tornBytes: Int) throws {
        let fm = FileManager.default
        let list = (try? String(contentsOfFile: shadow + "/dirlist", encoding: .utf8)) ?? ""
        var current: [String: Data] = [:]
        for name in try fm.contentsOfDirectory(atPath: feed) {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: feed + "/" + name, isDirectory: &isDir), !isDir.boolValue else { continue }
            current[name] = fm.contents(atPath: feed + "/" + name)
            try fm.removeItem(atPath: feed + "/" + name)
        }
        for entry in list.split(separator: "\n") {
            let parts = entry.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = String(parts[1])
            var data = fm.contents(atPath: shadow + "/ino.\(parts[0])") ?? Data()
            if name == "changes.jsonl", tornBytes > 0, let now = current[name], now.count > data.count,
                now.prefix(data.count) == data
            {
                data.append(now[data.count..<min(now.count, data.count + tornBytes)])
            }
            try data.write(to: URL(fileURLWithPath: feed + "/" + name))
        }
        // The restored files are new inodes: start the shadow again from them, as a disk after reboot.
        for name in try fm.contentsOfDirectory(atPath: shadow) { try fm.removeItem(atPath: shadow + "/" + name) }
        var dirlist = ""
        for name in try fm.contentsOfDirectory(atPath: feed) {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: feed + "/" + name, isDirectory: &isDir), !isDir.boolValue else { continue }
            let ino =
                (try fm.attributesOfItem(atPath: feed + "/" + name)[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
            try Data(contentsOf: URL(fileURLWithPath: feed + "/" + name)).write(
                to: URL(fileURLWithPath: shadow + "/ino.\(ino)"))
            dirlist += "\(ino) \(name)\n"
        }
        try Data(dirlist.utf8).write(to: URL(fileURLWithPath: shadow + "/dirlist"))
    }

    @Test(arguments: ["always", "interval", "never"])
    func aPowerCutNeverTakesBackARecordAConsumerSaw(policy: String) throws {
        let shim = try #require(powerCutShim, "cc is needed to build Tests/IntegrationTests/Scripts/powercut.c")
        // Without gzip: the simulator keys what was synced by inode number, and a segment's plain file, unlinked
        // once gzipped, frees its number for the next active segment, whose unsynced bytes the simulator would
        // then take for the old file's (a real disk never shows a new file another file's old data). Compression
        // under crashes is CompressionTests' part.
        let life = try DaemonLife(fsync: policy, segmentBytes: 6000, compressSealed: false)
        let shadow = try TempDir("redline-shadow")
        let environment = ["LD_PRELOAD": shim, "POWERCUT_DIR": life.feed, "POWERCUT_SHADOW": shadow.path]
        var seen: [Int: String] = [:]
        var replaced = 0
        var version = 0
        for round in 0..<4 {
            #expect(try life.start(environment: environment), "start \(round): \(life.refusedStarts.last ?? "")")
            let consumer = try RunningRedline(["tail", "--feed", life.feed, "--from-beginning", "--follow"])
            for i in 0..<30 {
                version += 1
                let text = "Article \(i % 6), version \(version).\n\nA second paragraph, round \(round).\n"
                try Data(text.utf8).write(to: life.articles.appendingPathComponent("a\(i % 6).txt"))
                usleep(40_000)
            }
            usleep(400_000)
            life.kill9()
            consumer.signal(SIGKILL)
            consumer.waitForExit()
            for line in consumer.stdout.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let seq = object["seq"] as? Int
                else { continue }
                if let earlier = seen[seq], earlier != String(line) { replaced += 1 }
                seen[seq] = String(line)
            }
            try powerCut(feed: life.feed, shadow: shadow.path, tornBytes: round * 97)
        }
        #expect(try life.start(environment: environment), "final start: \(life.refusedStarts.last ?? "")")
        life.waitQuiet()
        life.stop()
        let lines = try runRedline(["tail", "--feed", life.feed, "--from-beginning"]).stdout.split(separator: "\n")
        var bySeq: [Int: String] = [:]
        for line in lines {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let seq = object["seq"] as? Int
            {
                bySeq[seq] = String(line)
            }
        }
        let lost = seen.filter { bySeq[$0.key] != $0.value }
        #expect(lost.isEmpty, "\(policy): \(lost.count) records a consumer saw were lost or replaced")
        #expect(replaced == 0, "\(policy): a seq a consumer saw named another record later")
        #expect(Array(bySeq.keys).sorted() == Array(1...max(1, bySeq.count)), "seqs are contiguous")
        let check = try runRedline(["check", "--feed", life.feed])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(try life.replayEqualsTree(), "\(policy): every edit is in the feed after the cuts")
        if policy == "always" { #expect(!seen.isEmpty, "a consumer saw records as they were synced") }
    }

    /// After a clean stop the next start removes the clean-shutdown marker but syncs that removal only before its
    /// first append. A power cut after that append must neither bring the marker back to vouch for a tail it never
    /// saw, nor lose what a consumer read.
    @Test func aPowerCutAfterACleanRestartKeepsWhatAConsumerSaw() throws {
        let shim = try #require(powerCutShim, "cc is needed to build Tests/IntegrationTests/Scripts/powercut.c")
        // `never`: the second version's record reaches the disk only partly, so the start after the cut finds a
        // torn tail, which only an unclean shutdown may have.
        let life = try DaemonLife(fsync: "never", segmentBytes: 1 << 20)
        let shadow = try TempDir("redline-shadow")
        let environment = ["LD_PRELOAD": shim, "POWERCUT_DIR": life.feed, "POWERCUT_SHADOW": shadow.path]
        #expect(try life.start(environment: environment))
        try Data("First version.\n".utf8).write(to: life.articles.appendingPathComponent("a.txt"))
        life.waitQuiet()
        life.stop()
        #expect(try life.start(environment: environment), "\(life.refusedStarts.last ?? "")")
        try Data("Second version.\n".utf8).write(to: life.articles.appendingPathComponent("a.txt"))
        life.waitQuiet()
        let seen = try runRedline(["tail", "--feed", life.feed, "--from-beginning"]).stdout
        life.kill9()
        try powerCut(feed: life.feed, shadow: shadow.path, tornBytes: 37)
        #expect(try life.start(environment: environment), "after the cut: \(life.refusedStarts.last ?? "")")
        life.waitQuiet()
        life.stop()
        let after = try runRedline(["tail", "--feed", life.feed, "--from-beginning"]).stdout
        #expect(after.hasPrefix(seen), "records a consumer saw were lost or replaced")
        #expect(try life.replayEqualsTree(), "the edit after the clean restart is in the feed after the cut")
        let check = try runRedline(["check", "--feed", life.feed])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}
