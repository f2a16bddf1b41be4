import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes base64 text from one file into bytes in another, a chunk at a
/// time, so a video never sits in memory whole.
enum Base64FileDecoder {
    static func decode(from source: String, to destination: Int32) throws -> Int64 {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw InteractionsError.local("cannot read '\(source)'") }
        defer { close(input) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var carry: [UInt8] = []
        var total: Int64 = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard n >= 0 else { throw InteractionsError.local("cannot read '\(source)'") }
            var text = carry
            text.append(contentsOf: chunk[0..<n].filter { !($0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x5C) })
            let usable = n == 0 ? text.count : text.count / 4 * 4
            carry = Array(text[usable...])
            if usable > 0 {
                guard let bytes = Data(base64Encoded: Data(text[0..<usable])) else {
                    throw InteractionsError.protocolError("the API sent a video that is not valid base64")
                }
                let written = bytes.withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                guard written == bytes.count else { throw InteractionsError.local("cannot write the downloaded video") }
                total += Int64(bytes.count)
            }
            if n == 0 { break }
        }
        guard carry.isEmpty else { throw InteractionsError.protocolError("the API sent a truncated base64 video") }
        return total
    }
}
