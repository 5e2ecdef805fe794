import Hogwild
import HogwildTestSupport
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    /// The digest of `bytes` fed to `update` in pieces of the given sizes (cycled).
    static func digest(_ bytes: [UInt8], pieces: [Int] = [Int.max]) -> String {
        var hasher = SHA256()
        var offset = 0, k = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieces[k % pieces.count])
            hasher.update(Array(bytes[offset..<end]))
            offset = end
            k += 1
        }
        return SHA256.hex(hasher.finalize())
    }

    /// FIPS 180-4 / NIST CSRC example messages and their published digests.
    @Test func nistExampleMessages() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (message, expected) in vectors {
            #expect(Self.digest(Array(message.utf8)) == expected, "\"\(message)\"")
            #expect(Self.digest(Array(message.utf8), pieces: [1, 7, 64]) == expected, "\"\(message)\" in pieces")
        }
        let millionA = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Self.digest(millionA, pieces: [1000, 333, 64 * 100])
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every padding case (lengths around the 55/56/64-byte boundaries) and larger buffers,
    /// against the system's sha256sum.
    @Test func agreesWithSha256sumOnRandomData() throws {
        var random = TestRandom(0x5348_4132_3536)
        for length in [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 100_003] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let expected = try referenceSHA256(bytes)
            #expect(Self.digest(bytes) == expected, "\(length) bytes in one piece")
            #expect(Self.digest(bytes, pieces: [3, 61, 64, 200]) == expected, "\(length) bytes in pieces")
        }
    }
}
