@testable import Hogwild
import FuzzSupport

/// The model file (`--model`, `--resume`). Each input is loaded twice: as it is, which a random
/// mutation almost always fails at the checksum, and with its last 8 bytes replaced by the
/// checksum of the rest, so mutations of the header and body reach the parser behind it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var (bytes, count) = Fuzz.contents(data, size)
    Fuzz.expectOneLineErrors { try check(ModelFile.load(bytes: bytes, count: count, path: "fuzz.hgw")) }
    guard count >= 8 else { return 0 }
    var hash = ModelFile.Checksum()
    bytes.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<(count - 8)])) }
    withUnsafeBytes(of: hash.value.littleEndian) { sum in
        for k in 0..<8 { bytes[count - 8 + k] = sum[k] }
    }
    Fuzz.expectOneLineErrors { try check(ModelFile.load(bytes: bytes, count: count, path: "fuzz.hgw")) }
    return 0
}

/// What every command that loads a model relies on: one id and one row per user and item.
private func check(_ loaded: (model: EmbeddingModel, header: ModelFile.Header)) {
    let (model, header) = loaded
    Fuzz.check(model.users.count == header.userCount && model.items.count == header.itemCount,
               "ids \(model.users.count) × \(model.items.count), header \(header.userCount) × \(header.itemCount)")
    Fuzz.check(model.userTable.rowCount == header.userCount && model.itemTable.rowCount == header.itemCount,
               "rows \(model.userTable.rowCount) × \(model.itemTable.rowCount), header \(header.userCount) × \(header.itemCount)")
    Fuzz.check(model.userTable.dimension == header.configuration.dimension, "table dimension \(model.userTable.dimension)")
}
