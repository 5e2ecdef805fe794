/// The one error type the engine throws for anything the user can fix: bad files, bad flags,
/// missing data sets. Its description is one line, ready to print after "error: ".
public struct HogwildError: Error, CustomStringConvertible, Equatable {
    /// The message: one line, without the "error: " prefix.
    public let description: String

    /// An error with the message `description` (one line, naming the file or flag at fault).
    public init(_ description: String) {
        self.description = description
    }

    /// An error about line `line` of `file`, in the `file:line: problem` form editors understand.
    public static func at(_ file: String, line: Int, _ problem: String) -> HogwildError {
        HogwildError("\(file):\(line): \(problem)")
    }
}

extension HogwildError {
    /// `bytes` made safe to quote in a one-line message: control characters (ANSI escapes
    /// included), invalid UTF-8 and invisible format characters are written as `\xHH` or
    /// `\u{HHHH}`, a backslash as `\\`, and anything past `limit` characters is cut, the cut
    /// marked with `…` and the full length in bytes. Only the bytes shown are looked at, so a
    /// 10 MB field costs no more than a short one.
    public static func escaped(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 60) -> String {
        var out = "", shown = 0, k = 0
        while k < bytes.count {
            if shown >= limit { return out + "… (\(bytes.count) bytes)" }
            let b = bytes[k]
            var length = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0
            var scalar = length == 1 ? UInt32(b) : length == 2 ? UInt32(b & 0x1F) : length == 3 ? UInt32(b & 0x0F) : UInt32(b & 0x07)
            if length > 1 {
                if k + length > bytes.count { length = 0 }
                for j in 1..<max(length, 1) where bytes[k + j] & 0xC0 != 0x80 { length = 0 }
                for j in 1..<max(length, 1) { scalar = scalar << 6 | UInt32(bytes[k + j] & 0x3F) }
                // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
                let smallest: UInt32 = length == 3 ? 0x800 : length == 4 ? 0x10000 : 0
                if length > 1 && (scalar < smallest || (0xD800...0xDFFF).contains(scalar) || scalar > 0x10FFFF) { length = 0 }
            }
            if length == 0 {
                out += "\\x" + hex(UInt32(b), digits: 2)
                k += 1
            } else {
                switch scalar {
                case 0x5C: out += "\\\\"
                case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(scalar)!)
                case 0..<0x20, 0x7F: out += "\\x" + hex(scalar, digits: 2)
                // C1 controls, line and paragraph separators, bidirectional and zero-width
                // format characters: they move or hide text on a terminal.
                case 0x80...0x9F, 0xAD, 0x061C, 0x180E, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x206F, 0xFEFF, 0xFFF9...0xFFFB:
                    out += "\\u{" + hex(scalar, digits: 4) + "}"
                default: out.unicodeScalars.append(Unicode.Scalar(scalar)!)
                }
                k += length
            }
            shown += 1
        }
        return out
    }

    /// `text` made safe to quote in a one-line message (see `escaped(_:limit:)` for bytes).
    public static func escaped(_ text: String, limit: Int = 60) -> String {
        var copy = text
        return copy.withUTF8 { escaped($0, limit: limit) }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
