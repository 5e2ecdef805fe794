@testable import Hogwild
import FuzzSupport

/// The binary interaction file (`--data file.hgwi`): a file it accepts must hold valid CSR.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInteractions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.expectOneLineErrors {
        let (users, items, train, test) = try InteractionFile.read(bytes: UnsafeRawBufferPointer(start: data, count: size), path: "fuzz.hgwi")
        for (matrix, name) in [(train, "train"), (test, "test")] {
            Fuzz.check(matrix.userCount == users && matrix.itemCount == items, "\(name) is \(matrix.userCount) × \(matrix.itemCount), header \(users) × \(items)")
            Fuzz.checkRows(matrix, name)
        }
    }
    return 0
}
