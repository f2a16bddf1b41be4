import Foundation
import TestSupport
import Testing

/// The house rules of the package (issue 13), read from SwiftPM's own view of
/// the manifest: the core knows nothing of the API or of remotes, and every
/// module a target imports is declared in Package.swift (not merely visible
/// because another dependency brought it in).
@Suite struct PackageLayout {
    struct Target {
        let name: String
        let path: String?
        let dependencies: Set<String>
    }

    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .path
    }

    /// The manifest, as `swift package dump-package` gives it.
    static func manifest() async throws -> [String: Any] {
        let scratch = try TemporaryDirectory("package-layout")
        // Its own scratch path: the build folder is locked by the running tests.
        let dumped = try await Tool.check(
            "swift", ["package", "--package-path", root, "--scratch-path", scratch.path, "dump-package"], timeout: 300)
        let manifest = try JSONText.object(dumped.stdout)
        return manifest
    }

    /// The manifest's targets, by name.
    static func targets() async throws -> [String: Target] {
        let manifest = try await manifest()
        var found: [String: Target] = [:]
        for case let target as [String: Any] in manifest["targets"] as? [Any] ?? [] {
            guard let name = target["name"] as? String else { continue }
            var dependencies: Set<String> = []
            for case let dependency as [String: Any] in target["dependencies"] as? [Any] ?? [] {
                // {"byName": ["X", null]}, {"target": ["X", null]} or {"product": ["X", "package", ...]}
                for key in ["byName", "target", "product"] {
                    if let first = (dependency[key] as? [Any])?.first as? String { dependencies.insert(first) }
                }
            }
            found[name] = Target(name: name, path: target["path"] as? String, dependencies: dependencies)
        }
        return found
    }

    static func closure(of name: String, in targets: [String: Target]) -> Set<String> {
        var seen: Set<String> = []
        var stack = [name]
        while let next = stack.popLast() {
            for dependency in targets[next]?.dependencies ?? [] where seen.insert(dependency).inserted {
                stack.append(dependency)
            }
        }
        return seen
    }

    @Test("the core and the shared basics depend on no capability, the API client or the remote transports")
    func coreIsSmall() async throws {
        let targets = try await Self.targets()
        #expect(targets["OmniCore"] != nil && targets["OmniBasics"] != nil, "\(targets.keys.sorted())")
        let core = Self.closure(of: "OmniCore", in: targets)
        let forbidden: Set<String> = [
            "OmniInteractions", "OmniRemote", "OmniHTTP", "OmniGeneration", "OmniSync", "OmniStore",
        ]
        #expect(core.isDisjoint(with: forbidden), "OmniCore reaches \(core.intersection(forbidden).sorted())")
        let basics = Self.closure(of: "OmniBasics", in: targets)
        #expect(basics.allSatisfy { $0.hasPrefix("C") }, "OmniBasics depends on \(basics.sorted())")
        // Capabilities sit side by side on the core, never on each other.
        #expect(!Self.closure(of: "OmniGeneration", in: targets).contains("OmniSync"))
        #expect(!Self.closure(of: "OmniSync", in: targets).contains("OmniGeneration"))
    }

    @Test("every module a target's sources import is one of its declared dependencies")
    func importsAreDeclared() async throws {
        let targets = try await Self.targets()
        // Modules that come from products, by the product that provides them.
        let productModules = ["GRDB": "GRDB", "Crypto": "Crypto", "ArgumentParser": "ArgumentParser"]
        var undeclared: [String] = []
        var scanned = 0
        for target in targets.values {
            let folder = Self.root + "/" + (target.path ?? "Sources/\(target.name)")
            guard let files = FileManager.default.enumerator(atPath: folder) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                scanned += 1
                let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ").map(String.init)
                    guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                        words[..<index].allSatisfy({
                            ["@_exported", "internal", "public", "package", "@testable"].contains($0)
                        })
                    else { continue }
                    let module = words[index + 1]
                    // Only this package's modules and its products' are checked:
                    // system modules, and Python inside a test's string, are not ours.
                    guard targets[module] != nil || productModules[module] != nil else { continue }
                    let needed = productModules[module] ?? module
                    if !target.dependencies.contains(needed) && needed != target.name {
                        undeclared.append("\(target.name): \(file) imports \(module)")
                    }
                }
            }
        }
        #expect(scanned > 100, "only \(scanned) source files were found under \(Self.root)")
        #expect(
            undeclared.isEmpty, "imports missing from Package.swift:\n\(undeclared.sorted().joined(separator: "\n"))")
    }

    @Test("every Swift library module is in a library product, so a dependent can import it by name")
    func everyLibraryIsAProduct() async throws {
        let manifest = try await Self.manifest()
        var inProducts: Set<String> = []
        for case let product as [String: Any] in manifest["products"] as? [Any] ?? [] {
            guard (product["type"] as? [String: Any])?["library"] != nil else { continue }
            for case let target as String in product["targets"] as? [Any] ?? [] { inProducts.insert(target) }
        }
        // The CLI's module and the tests' support are not API; C modules are wrapped by one Swift module each.
        let internalModules: Set<String> = ["OmniCLI", "TestSupport"]
        var missing: [String] = []
        for case let target as [String: Any] in manifest["targets"] as? [Any] ?? [] {
            guard let name = target["name"] as? String, target["type"] as? String == "regular",
                !internalModules.contains(name), !name.hasPrefix("C")
            else { continue }
            if !inProducts.contains(name) { missing.append(name) }
        }
        #expect(inProducts.contains("OmniStore") && inProducts.contains("OmniCore"), "\(inProducts.sorted())")
        #expect(missing.isEmpty, "library modules in no product: \(missing.sorted())")
    }
}
