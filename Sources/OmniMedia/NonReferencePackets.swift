/// Recognises H.264 packets that carry nothing but a non-reference picture,
/// so that a seek can leave them out instead of sending them to be skipped.
///
/// `AVDISCARD_NONREF` makes libavcodec drop such a picture after reading its
/// first slice header, but with frame threading every packet sent still takes
/// the next worker in turn. In the usual `P B P B` order the skipped B-frames
/// then take every other worker, and with two workers every P-frame lands on
/// the same one, waiting for the last: the frames that matter decode one at a
/// time. Packets left out take no worker, so consecutive P-frames overlap.
///
/// A packet qualifies only when the stream is length-prefixed (`avcC`, as in
/// MP4, MOV and Matroska), every NAL unit in it parses, it holds at least one
/// coded slice, every slice is a non-IDR slice with `nal_ref_idc` 0, and its
/// other units are access unit delimiters or filler. Parameter sets, SEI and
/// end-of-sequence units change what the decoder remembers, so a packet with
/// any of them is sent (and skipped by the decoder) as before.
struct NonReferencePackets {
    /// Bytes in each NAL unit's length prefix (1, 2 or 4).
    let lengthSize: Int

    /// Reads an H.264 stream's `avcC` decoder configuration; nil when the
    /// extradata is something else (Annex B start codes, or none).
    init?(avcC extradata: UnsafeBufferPointer<UInt8>) {
        // configurationVersion 1, then profile, compatibility, level, and six
        // reserved bits over lengthSizeMinusOne (ISO/IEC 14496-15, 5.3.3.1).
        guard extradata.count >= 7, extradata[0] == 1 else { return nil }
        let size = Int(extradata[4] & 0x03) + 1
        guard size != 3 else { return nil }
        lengthSize = size
    }

    /// Whether `bytes` (one packet) holds only a non-reference picture.
    func isNonReference(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var offset = 0
        var slices = 0
        while offset < bytes.count {
            guard bytes.count - offset >= lengthSize else { return false }
            var length = 0
            for index in 0..<lengthSize { length = length << 8 | Int(bytes[offset + index]) }
            offset += lengthSize
            guard length > 0, length <= bytes.count - offset else { return false }
            let header = bytes[offset]
            let referenceIndicator = (header >> 5) & 0x03
            switch header & 0x1F {
            case 1:  // a slice of a non-IDR picture
                guard referenceIndicator == 0 else { return false }
                slices += 1
            case 9, 12:  // access unit delimiter, filler
                break
            default:
                return false
            }
            offset += length
        }
        return slices > 0
    }
}
