// An edit loop, as a render-farm script would write it with the OmniStore
// library: make a store, add a clip, record it, branch, edit it through the
// async API while showing progress, start a second edit and cancel it, and
// write a thumbnail of the result. One JSON line per step on stdout.
//
//     omnistore-edit-loop DIR CLIP.mp4
//
// The API key and endpoint come from the environment (GOOGLE_API_KEY,
// GOOGLE_GEMINI_BASE_URL), as for the omnistore CLI.
import Foundation
import OmniStore

func say(_ members: [String: JSONValue]) {
    print(JSONValue.object(members).compactText)
}

@main
struct EditLoop {
    static func main() async {
        let arguments = CommandLine.arguments
        guard arguments.count == 3 else {
            FileHandle.standardError.write(Data("usage: omnistore-edit-loop DIR CLIP.mp4\n".utf8))
            exit(64)
        }
        do {
            try await run(directory: arguments[1], clip: arguments[2])
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            exit(1)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(directory: String, clip: String) async throws {
        // README:begin
        let (store, _) = try Store.create(at: directory)
        let recorded = try store.record(RecordRequest(output: AssetSource(.file(clip)), instruction: "first cut"))
        _ = try store.createBranch("director-notes")

        let client = InteractionsClient(configuration: .fromEnvironment(), userAgent: "edit-loop/1.0")
        let edit = GenerationOptions(kind: .edit, instruction: "warmer light on the product")
        var edited: Turn? = nil
        var events = 0
        for try await step in store.generation(edit, client: client) {
            switch step {
            case .event(let event):
                events += 1
                if case .polling(let interaction, let status, let elapsed) = event {
                    print("\(interaction): \(status) after \(Int(elapsed)) s")
                }
            case .finished(let result): edited = result.record.turn
            }
        }
        // README:end
        say(["step": .string("recorded"), "turn": .string(recorded.turn.id.hex)])
        guard let edited else { throw StoreError(.notFound, "the edit stream ended without a turn") }
        say([
            "step": .string("edited"), "turn": .string(edited.id.hex),
            "parent": .string(edited.parents.first?.hex ?? ""),
            "kind": .string(edited.kind.name), "events": .int(Int64(events)),
        ])

        // A second edit, cancelled as soon as the server is rendering it: the
        // task's cancellation stops the request, and the interaction is left
        // pending in the store, where it is then cancelled on the server too.
        let rendering = AsyncStream<String>.makeStream()
        let second = Task {
            try await store.generate(GenerationOptions(kind: .edit, instruction: "slow push-in"), client: client) {
                if case .polling(let interaction, _, _) = $0 { rendering.continuation.yield(interaction) }
            }
        }
        var started: String? = nil
        for await interaction in rendering.stream {
            started = interaction
            second.cancel()
            break
        }
        do {
            _ = try await second.value
            say(["step": .string("second-edit"), "outcome": .string("finished")])
        } catch let interrupted as GenerationInterrupted {
            let pending = try store.pendingInteractions().map(\.id)
            say([
                "step": .string("second-edit"), "outcome": .string("interrupted"),
                "interaction": JSONValue(interrupted.interaction),
                "started": JSONValue(started), "pending": .array(pending.map(JSONValue.string)),
            ])
            if let id = interrupted.interaction {
                try await store.cancel(id, client: client)
                let left = try store.pendingInteractions().map(\.id)
                say([
                    "step": .string("cancelled"), "interaction": .string(id),
                    "pending": .array(left.map(JSONValue.string)),
                ])
            }
        }

        let output = try store.asset(id: edited.output)
        let thumbnails = try await store.thumbnails(of: output, ThumbnailRequest(count: 1, width: 160))
        guard let thumbnail = thumbnails.items.first?.thumbnail else {
            throw StoreError(.media, "no thumbnail of \(output.id.short)")
        }
        let path = directory + "/edited.png"
        try Data(thumbnail.data).write(to: URL(fileURLWithPath: path))
        say([
            "step": .string("thumbnail"), "path": .string(path), "width": .int(Int64(thumbnail.width)),
            "height": .int(Int64(thumbnail.height)),
        ])
    }
}
