/// An error the tool reports as `Error: <message>` with exit status 1, without the usage text
/// (which is for mistakes in the arguments, not in files or peers).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
