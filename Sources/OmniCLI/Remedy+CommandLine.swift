import OmniInteractions
import OmniStore

/// The library's hints name remedies as data; here each becomes the command a
/// user types, quoted as the CLI's messages quote it.
extension Remedy {
    var commandLine: String {
        switch self {
        case .createStore(let directory): quoted("init" + (directory.map { " \($0)" } ?? ""))
        case .addFile(let path): quoted("add" + (path.map { " \($0)" } ?? ""))
        case .listAssets: quoted("assets")
        case .record(let givenClip): quoted(givenClip ? "record CLIP -m MESSAGE" : "record -m MESSAGE")
        case .checkout(let revision): quoted("checkout \(revision)")
        case .listTurns: quoted("log --all")
        case .listBranches: quoted("branch")
        case .deleteBranch(let name, let force):
            quoted("branch " + (force ? "-D" : "-d") + (name.map { " \($0)" } ?? ""))
        case .setSetting(let key): quoted("config \(key) VALUE")
        case .check: quoted("fsck")
        case .fullCheck: quoted("fsck") + " without --fast"
        case .rebuildIndex: quoted("fsck --rebuild-index")
        case .fetchObjects: quoted("fetch-objects --all")
        case .listAttempts: quoted("log --attempts")
        case .resume(let id): quoted("resume" + (id.map { " \($0)" } ?? ""))
        case .cancel(let id): quoted("cancel \(id)")
        case .editFrom: quoted("edit --from REV")
        case .translate: quoted("translate LANGUAGE")
        case .pull(let remote, let branch): quoted("pull \(remote)" + (branch.map { " \($0)" } ?? ""))
        case .forcePush: quoted("push --force")
        case .addRemote(let name): quoted("remote add \(name) URL")
        case .removeRemote(let name): quoted("remote remove" + (name.map { " \($0)" } ?? ""))
        case .listRemotes: quoted("remote -v")
        case .option(let option):
            switch option {
            case .force: "--force"
            case .newBranch: "-b NAME"
            case .frameTimes: "--at"
            case .maxCost: "--max-cost"
            case .region: "--region"
            case .endpoint: "--endpoint"
            case .fast: "--fast"
            }
        }
    }

    private func quoted(_ arguments: String) -> String { "'omnistore \(arguments)'" }
}

/// The one line the CLI prints for a library error, its hint in commands.
enum ErrorText {
    static func of(_ error: any Error) -> String {
        switch error {
        case let error as StoreError: error.text(naming: \.commandLine)
        case let error as InteractionsError: error.text(naming: \.commandLine)
        case let error as GenerationInterrupted: error.text(naming: \.commandLine)
        default: String(describing: error)
        }
    }
}
