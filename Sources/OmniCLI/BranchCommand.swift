import ArgumentParser
import OmniStore

struct BranchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch",
        abstract: "List, create, delete or rename branches.",
        discussion: """
            omnistore branch                 list branches, * marks the current one
            omnistore branch -a              also list remote-tracking branches (remotes/REMOTE/BRANCH)
            omnistore branch NAME [REV]      create NAME at REV (default HEAD)
            omnistore branch -d NAME         delete NAME if HEAD contains its turns (-D: anyway)
            omnistore branch -m OLD NEW      rename OLD to NEW
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("d"), help: "Delete the branch if HEAD contains all its turns.")
    var delete = false

    @Flag(
        name: .customShort("D"),
        help: "Delete the branch even if its turns are elsewhere unreachable (the reflog keeps them).")
    var forceDelete = false

    @Flag(name: .customShort("m"), help: "Rename a branch.")
    var rename = false

    @Flag(name: [.customShort("a"), .customLong("all")], help: "Also list remote-tracking branches.")
    var all = false

    @Argument(help: "Branch name(s), and for creation an optional start revision.")
    var names: [String] = []

    func validate() throws {
        let modes = [delete || forceDelete, rename].filter { $0 }.count
        if modes > 1 { throw ValidationError("give only one of -d/-D and -m") }
        if rename && names.count != 2 { throw ValidationError("-m takes OLD NEW") }
        if (delete || forceDelete) && names.isEmpty { throw ValidationError("-d takes the branch to delete") }
        if !rename && !(delete || forceDelete) && names.count > 2 {
            throw ValidationError("give NAME and at most one REV")
        }
    }

    func run() throws {
        let store = try global.openStore()
        if delete || forceDelete {
            for name in names {
                let target = try store.deleteBranch(name, force: forceDelete)
                if !global.json { Terminal.out("Deleted branch \(name) (was \(target.short)).") }
            }
            return
        }
        if rename {
            try store.renameBranch(names[0], to: names[1])
            return
        }
        if let name = names.first {
            let target = try store.createBranch(name, at: names.count > 1 ? names[1] : "HEAD")
            if global.json { Terminal.json(.object(["branch": .string(name), "turn": .string(target.hex)])) }
            return
        }
        let head = try store.head()
        let branches = try store.branches()
        let remoteBranches = all ? try store.remoteBranches() : []
        if global.json {
            let local: [JSONValue] = branches.map {
                .object([
                    "name": .string($0.name.name), "turn": .string($0.turn.hex),
                    "current": .bool(head.branch == $0.name),
                ])
            }
            let remote: [JSONValue] = remoteBranches.map {
                .object([
                    "name": .string("\($0.remote)/\($0.branch)"), "turn": .string($0.turn.hex), "current": .bool(false),
                    "remote": .string($0.remote),
                ])
            }
            Terminal.json(.array(local + remote))
            return
        }
        if case .detached(let turn) = head { Terminal.out("* (HEAD detached at \(turn.short))") }
        for (name, _) in branches {
            Terminal.out((head.branch == name ? "* " : "  ") + name.name)
        }
        for branch in remoteBranches { Terminal.out("  remotes/\(branch.remote)/\(branch.branch)") }
    }
}
