import FoundationEssentials

/// Hex and base64 as the OTA documents write them: lower-case hex (upper
/// case accepted), standard base64 with padding.
enum ByteEncoding {
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hex string of exactly `count` bytes; nil otherwise.
    static func bytes(hex: String, count: Int) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count == count * 2 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Bytes of standard padded base64 of exactly `count` bytes; nil otherwise.
    static func bytes(base64: String, count: Int) -> [UInt8]? {
        guard let data = Data(base64Encoded: base64), data.count == count else { return nil }
        return Array(data)
    }
}
