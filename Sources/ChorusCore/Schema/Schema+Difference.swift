extension Schema {
    /// Why `client` differs from this (the server's) schema, naming the first leaf that differs;
    /// nil when the two are equal.
    ///
    /// For example `leaf "obs": client float64[4], server float32[4]`, or
    /// `client has leaf "info.done", server has none`.
    public func difference(fromClient client: Schema) -> String? {
        guard self != client else { return nil }
        for leaf in leaves {
            guard let theirs = client.leaf(at: leaf.path) else {
                return "server has leaf \"\(leaf.path)\", client has none"
            }
            if theirs.leaf != leaf.leaf {
                return "leaf \"\(leaf.path)\": client \(theirs.leaf), server \(leaf.leaf)"
            }
        }
        for leaf in client.leaves where self.leaf(at: leaf.path) == nil {
            return "client has leaf \"\(leaf.path)\", server has none"
        }
        return "same leaves in a different tree: client \(client.canonicalJSON), server \(canonicalJSON)"
    }
}
