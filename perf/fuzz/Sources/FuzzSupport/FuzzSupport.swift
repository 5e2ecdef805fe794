import Hogwild

/// Helpers shared by the fuzz targets.
public enum Fuzz {
    /// The input as `FileBytes.read` returns a file: the bytes, then `FileBytes.readPadding` zero
    /// bytes that the count leaves out.
    public static func contents(_ data: UnsafePointer<UInt8>?, _ size: Int) -> (bytes: [UInt8], count: Int) {
        var bytes = [UInt8](repeating: 0, count: size + FileBytes.readPadding)
        if let data, size > 0 { bytes.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: data, count: size) } }
        return (bytes, size)
    }

    /// Runs `body`, which may reject its input only as the readers promise: with a one-line
    /// `HogwildError`. Any other error, or an error text spanning lines, stops the fuzzer (as a
    /// crash, so libFuzzer saves the input).
    public static func expectOneLineErrors(_ body: () throws -> Void) {
        do {
            try body()
        } catch let error as HogwildError {
            check(!error.description.contains("\n"), "a multi-line error: \(error.description.debugDescription)")
        } catch {
            check(false, "a \(type(of: error)) rather than a HogwildError: \(error)")
        }
    }

    /// Stops the fuzzer with `message` when `condition` is false (in every build configuration).
    public static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError(message()) }
    }

    /// Checks that every row of `matrix` is sorted, distinct and inside `0..<itemCount`: what
    /// the trainer's inner loops assume of any matrix a reader returns.
    public static func checkRows(_ matrix: InteractionMatrix, _ what: String) {
        var total = 0
        matrix.withUnsafeHandle { csr in
            for u in 0..<matrix.userCount {
                var previous: Int32 = -1
                for item in csr.row(u) {
                    check(item > previous && Int(item) < matrix.itemCount, "\(what): row \(u) has item \(item) after \(previous) (\(matrix.itemCount) items)")
                    previous = item
                }
                total += csr.row(u).count
            }
        }
        check(total == matrix.nonZeroCount, "\(what): rows hold \(total) entries, nonZeroCount says \(matrix.nonZeroCount)")
    }
}
