import Foundation

/// The names of remote-tracking refs, which fsck checks with the rest.
extension Store {
    package static func trackingRef(_ remote: String, _ branch: String) -> String { "refs/remotes/\(remote)/\(branch)" }

    /// The branch name inside a local or remote-tracking ref, for name checks.
    static func branchPart(ofRef ref: String) -> String? {
        if ref.hasPrefix("refs/heads/") { return String(ref.dropFirst("refs/heads/".count)) }
        guard ref.hasPrefix("refs/remotes/") else { return nil }
        let rest = ref.dropFirst("refs/remotes/".count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return String(rest[rest.index(after: slash)...])
    }
}
