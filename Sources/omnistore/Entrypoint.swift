import OmniCLI

@main
struct Entrypoint {
    static func main() async {
        await OmnistoreCommand.runMain()
    }
}
