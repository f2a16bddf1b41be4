import OmniCLI

@main
struct Entrypoint {
    static func main() {
        OmnistoreCommand.runMain()
    }
}
