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
