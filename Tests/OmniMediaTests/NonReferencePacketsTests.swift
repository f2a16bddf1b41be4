import Foundation
@testable import OmniMedia
import TestSupport
import Testing

@Suite struct NonReferencePacketsTests {
    /// One length-prefixed packet (4-byte lengths) from NAL units given as bytes.
    private static func packet(_ units: [[UInt8]], lengthSize: Int = 4) -> [UInt8] {
        var bytes: [UInt8] = []
        for unit in units {
            for shift in stride(from: (lengthSize - 1) * 8, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: unit.count >> shift))
            }
            bytes += unit
        }
        return bytes
    }

    private static func isNonReference(_ bytes: [UInt8], lengthSize: Int = 4) throws -> Bool {
        let avcC: [UInt8] = [1, 0x64, 0, 0x1F, 0xFC | UInt8(lengthSize - 1), 0xE1, 0]
        let filter = try #require(avcC.withUnsafeBufferPointer { NonReferencePackets(avcC: $0) })
        return bytes.withUnsafeBufferPointer { filter.isNonReference($0) }
    }

    @Test("the NAL length size comes from avcC; Annex B and short extradata are not avcC")
    func configuration() {
        func parse(_ bytes: [UInt8]) -> Int? {
            bytes.withUnsafeBufferPointer { NonReferencePackets(avcC: $0)?.lengthSize }
        }
        #expect(parse([1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0]) == 4)
        #expect(parse([1, 0x64, 0, 0x1F, 0xFD, 0xE1, 0]) == 2)
        #expect(parse([1, 0x64, 0, 0x1F, 0xFC, 0xE1, 0]) == 1)
        #expect(parse([1, 0x64, 0, 0x1F, 0xFE, 0xE1, 0]) == nil, "3-byte lengths do not exist")
        #expect(parse([0, 0, 0, 1, 0x67, 0x64, 0, 0x1F]) == nil, "Annex B")
        #expect(parse([1, 0x64, 0]) == nil)
        #expect(parse([]) == nil)
    }

    @Test("only packets whose every slice is a non-reference, non-IDR slice qualify")
    func classification() throws {
        let nonReferenceSlice: [UInt8] = [0x01, 0x9E, 0x00]  // nal_ref_idc 0, type 1
        let referenceSlice: [UInt8] = [0x41, 0x9A, 0x00]  // nal_ref_idc 2, type 1
        let idrSlice: [UInt8] = [0x65, 0x88, 0x80]  // nal_ref_idc 3, type 5
        let delimiter: [UInt8] = [0x09, 0x30]
        let filler: [UInt8] = [0x0C, 0xFF, 0xFF]
        let sei: [UInt8] = [0x06, 0x05, 0x01, 0x00]
        let sps: [UInt8] = [0x67, 0x64, 0x00, 0x1F]

        #expect(try Self.isNonReference(Self.packet([nonReferenceSlice])))
        #expect(try Self.isNonReference(Self.packet([delimiter, nonReferenceSlice, nonReferenceSlice, filler])))
        #expect(try Self.isNonReference(Self.packet([nonReferenceSlice], lengthSize: 2), lengthSize: 2))
        #expect(try !Self.isNonReference(Self.packet([referenceSlice])))
        #expect(try !Self.isNonReference(Self.packet([idrSlice])))
        #expect(try !Self.isNonReference(Self.packet([nonReferenceSlice, referenceSlice])), "a mixed picture")
        // Units that change what the decoder remembers keep the packet.
        #expect(try !Self.isNonReference(Self.packet([sei, nonReferenceSlice])))
        #expect(try !Self.isNonReference(Self.packet([sps, nonReferenceSlice])))
        #expect(try !Self.isNonReference(Self.packet([delimiter, filler])), "no picture at all")
        #expect(try !Self.isNonReference([]))
        // Lengths that run past the packet, or are zero, are not trusted.
        var cut = Self.packet([nonReferenceSlice])
        cut.removeLast()
        #expect(try !Self.isNonReference(cut))
        #expect(try !Self.isNonReference(Self.packet([nonReferenceSlice]) + [0, 0, 0, 0]))
        #expect(try !Self.isNonReference(Self.packet([nonReferenceSlice]) + [0, 0]))
    }

    /// x264's B-frames that nothing refers to are found in a real MP4 (so the
    /// seek really leaves packets out), and nothing but B-frames is.
    @Test("in an x264 MP4, some B-frames and only B-frames are non-reference packets")
    func x264Clip() async throws {
        let path = try await FrameFixtures.path(.gop48)
        func probe(_ arguments: [String], _ key: String) async throws -> [[String: Any]] {
            let result = try await Tool.check(
                "ffprobe", ["-v", "error", "-select_streams", "v:0"] + arguments + ["-of", "json", path])
            let json = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
            return try #require(json[key] as? [[String: Any]])
        }
        let packets = try await probe(["-show_packets", "-show_data", "-show_entries", "packet=pts,data"], "packets")
        let frames = try await probe(["-show_frames", "-show_entries", "frame=pts,pict_type"], "frames")
        var pictureType: [Int: String] = [:]
        for frame in frames {
            if let pts = frame["pts"] as? Int, let type = frame["pict_type"] as? String { pictureType[pts] = type }
        }
        let avcC: [UInt8] = [1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0]
        let filter = try #require(avcC.withUnsafeBufferPointer { NonReferencePackets(avcC: $0) })
        var found: [Int] = []
        for packet in packets {
            let pts = try #require(packet["pts"] as? Int)
            let bytes = Self.bytes(fromHexDump: try #require(packet["data"] as? String))
            #expect(!bytes.isEmpty)
            if bytes.withUnsafeBufferPointer(filter.isNonReference) { found.append(pts) }
        }
        let bFrames = pictureType.values.filter { $0 == "B" }.count
        #expect(!found.isEmpty, "no non-reference packets among \(packets.count) (\(bFrames) B-frames)")
        for pts in found {
            #expect(pictureType[pts] == "B", "the packet at pts \(pts) is a \(pictureType[pts] ?? "?")-frame")
        }
    }

    /// ffprobe's `-show_data` hex dump: `00000000: 0000 02ad 0605 ...  ascii`.
    private static func bytes(fromHexDump dump: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for line in dump.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            // The hex columns end at the two spaces before the ASCII column.
            let rest = line[line.index(after: colon)...]
            let hex = rest.components(separatedBy: "  ").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            for group in (hex ?? "").split(separator: " ") {
                var index = group.startIndex
                while index < group.endIndex, let end = group.index(index, offsetBy: 2, limitedBy: group.endIndex) {
                    if let byte = UInt8(group[index..<end], radix: 16) { bytes.append(byte) }
                    index = end
                }
            }
        }
        return bytes
    }
}
