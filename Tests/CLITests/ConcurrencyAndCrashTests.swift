import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ConcurrentProcesses {
    @Test("two add processes with 50 different files each, at the same time, both store everything")
    func differentFiles() async throws {
        let ws = try await CLIWorkspace.make("cli-concurrent")
        var groups: [[String]] = [[], []]
        for seed in 0..<100 {
            groups[seed % 2].append(try ws.write(WAV.data(seed: 10_000 + seed), to: "batch\(seed % 2)/\(seed).wav"))
        }
        let all = groups[0] + groups[1]
        let hashes = try await SHA256Sum.hashes(all)
        #expect(Set(hashes).count == 100)

        let first = try OmnistoreCLI.start(["add"] + groups[0], in: ws.path)
        let second = try OmnistoreCLI.start(["add"] + groups[1], in: ws.path)
        let results = [await first.wait(), await second.wait()]
        for result in results {
            #expect(result.succeeded, "\(result)")
            #expect(result.stdoutLines.count == 50, "\(result)")
            #expect(!(result.stdout + result.stderr).lowercased().contains("locked"), "\(result)")
        }
        #expect(ws.files.objectIDs() == Set(hashes))
        for (path, hex) in zip(all, hashes) {
            #expect(fileBytes(ws.files.objectPath(hex)) == fileBytes(path), "object of \(path)")
        }
        let listed = try await ws.assetIDs()
        #expect(listed.count == 100)
        #expect(Set(listed) == Set(hashes))
        #expect(ws.files.temporaryFiles().isEmpty)
    }

    @Test("two add processes with the same 30 files at the same time: each file is stored once")
    func sameFiles() async throws {
        let ws = try await CLIWorkspace.make("cli-concurrent-same")
        var paths: [String] = []
        for seed in 0..<30 { paths.append(try ws.write(WAV.data(seed: 20_000 + seed), to: "same/\(seed).wav")) }
        let hashes = try await SHA256Sum.hashes(paths)

        let first = try OmnistoreCLI.start(["add", "--json"] + paths, in: ws.path)
        let second = try OmnistoreCLI.start(["add", "--json"] + paths, in: ws.path)
        let results = [await first.wait(), await second.wait()]
        var added: [String: Int] = [:]
        for result in results {
            #expect(result.succeeded, "\(result)")
            #expect(!(result.stdout + result.stderr).lowercased().contains("locked"), "\(result)")
            let items = try JSONText.parse(result.stdout) as? [[String: Any]] ?? []
            #expect(items.count == 30)
            for item in items where item["status"] as? String == "added" {
                added[item["path"] as? String ?? "", default: 0] += 1
            }
        }
        // Exactly one of the two processes reports each file as new.
        #expect(added.count == 30 && added.values.allSatisfy { $0 == 1 }, "\(added)")
        #expect(ws.files.objectIDs() == Set(hashes))
        #expect(Set(try await ws.assetIDs()) == Set(hashes))
        for hex in hashes { #expect(permissionBits(ws.files.objectPath(hex)) == 0o444) }
        #expect(ws.files.temporaryFiles().isEmpty)
    }
}

@Suite struct CrashDuringAdd {
    @Test("kill -9 in the middle of a large add stores nothing, and the next add cleans up")
    func killMidCopy() async throws {
        let ws = try await CLIWorkspace.make("cli-crash")
        // A sparse 500 MB file: cheap to make, slow enough to copy that the
        // process can be caught mid-copy.
        let big = ws.file("big.mp4")
        let total: Int64 = 500 << 20
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, off_t(total)) == 0)

        let adding = try OmnistoreCLI.start(["add", "big.mp4"], in: ws.path)
        // Poll on a thread of its own, so a busy test pool cannot make it late.
        let files = ws.files
        let caught: (name: String, size: Int64)? = try await onThread {
            let deadline = Date().addingTimeInterval(60)
            while !adding.hasFinished && Date() < deadline {
                for name in files.temporaryFiles() {
                    if let info = fileStatus(files.objectsDirectory + "/" + name), info.st_size > 0,
                        Int64(info.st_size) < total
                    {
                        adding.send(SIGKILL)
                        return (name, Int64(info.st_size))
                    }
                }
                usleep(1000)
            }
            return nil
        }
        let result = await adding.wait()
        let temp = try #require(caught, "never saw a growing tmp_obj_ file before add ended: \(result)")
        #expect(result.signaled && result.exitCode == SIGKILL, "\(result)")

        // Nothing was stored: no object, no row.
        #expect(ws.files.objectIDs().isEmpty)
        #expect(try await ws.assetIDs().isEmpty)
        #expect(ws.files.temporaryFiles() == [temp.name], "the killed process's temp file is still there")

        // The next add of another file succeeds and leaves no temp file behind.
        let wav = try ws.write(WAV.data(seed: 71), to: "small.wav")
        let hex = try await SHA256Sum.hash(wav)
        let next = try await ws.run(["add", "small.wav"])
        #expect(next.succeeded, "\(next)")
        #expect(ws.files.objectIDs() == [hex])
        #expect(try await ws.assetIDs() == [hex])
        #expect(ws.files.temporaryFiles().isEmpty, "left: \(ws.files.temporaryFiles())")
    }
}

@Suite struct LeftoverTemporaries {
    @Test("the next add removes temp files of dead writers and spares one a live writer holds")
    func cleanup() async throws {
        let ws = try await CLIWorkspace.make("cli-leftovers")
        let objects = ws.files.objectsDirectory
        // A dead writer's partial copy, and a dead writer's empty file from long ago.
        try ws.write(garbageBytes(count: 100_000, seed: 5), to: ".omnistore/objects/tmp_obj_deadbeef0001")
        try ws.write(Data(), to: ".omnistore/objects/tmp_obj_deadbeef0002")
        var old = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        #expect(utimes(objects + "/tmp_obj_deadbeef0002", &old) == 0)
        // A live writer: this process holds the lock, as a running add would.
        let live = try ws.write(garbageBytes(count: 50_000, seed: 6), to: ".omnistore/objects/tmp_obj_live00000003")
        let fd = open(live, O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)

        let wav = try ws.write(WAV.data(seed: 72), to: "small.wav")
        let hex = try await SHA256Sum.hash(wav)
        let result = try await ws.run(["add", "small.wav"])
        #expect(result.succeeded, "\(result)")
        #expect(ws.files.objectIDs() == [hex])
        #expect(ws.files.temporaryFiles() == ["tmp_obj_live00000003"])
        #expect(fileBytes(live) == garbageBytes(count: 50_000, seed: 6), "the live writer's file was touched")
    }
}
