import Foundation

/// The SHA-256 of `bytes` in hex, as the system's `sha256sum` computes it: an independent
/// reference for the engine's own SHA256.
public func referenceSHA256(_ bytes: [UInt8]) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("hogwild-sha-\(UUID().uuidString)")
    try Data(bytes).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [file.path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, let digest = text.split(separator: " ").first, digest.count == 64 else {
        throw FixtureError("sha256sum failed: status \(process.terminationStatus), output '\(text)'")
    }
    return String(digest)
}

/// A test fixture that could not be set up (a tool failed, a socket could not be bound).
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
