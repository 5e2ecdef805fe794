/// The one error type the engine throws for anything the user can fix: bad files, bad flags,
/// missing data sets. Its description is one line, ready to print after "error: ".
public struct HogwildError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// An error about line `line` of `file`, in the `file:line: problem` form editors understand.
    public static func at(_ file: String, line: Int, _ problem: String) -> HogwildError {
        HogwildError("\(file):\(line): \(problem)")
    }
}
