import Foundation

/// An independent rebuild of a turn's canonical text, in Python, from the
/// turn's JSON as `show --json` or `record --json` prints it.
///
/// It follows the rule documented in CanonicalJSON.swift: keys sorted, no
/// whitespace (`json.dumps(sort_keys=True, separators=(",", ":"),
/// ensure_ascii=False)`), integral numbers as integers, any other number as
/// `("%.6f" % x).rstrip("0").rstrip(".")`.
public enum GraphCanonicalPython {
    public static let script = #"""
        import json, sys
        doc = json.load(open(sys.argv[1], encoding="utf-8"))
        # Fields that `show --json` and `record --json` add to the record.
        for key in ("id", "children", "branches", "output_asset", "input_assets", "branch", "side_branch",
                    "workfile_updated"):
            doc.pop(key, None)
        numbers = []
        def prepare(value):
            if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
                return value
            if isinstance(value, float):
                if value.is_integer():
                    return int(value)
                number = ("%.6f" % value).rstrip("0").rstrip(".")
                numbers.append("0" if number == "-0" else number)
                return "\x00NUM%d\x00" % (len(numbers) - 1)
            if isinstance(value, list):
                return [prepare(item) for item in value]
            return {key: prepare(item) for key, item in value.items()}
        text = json.dumps(prepare(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        for index, number in enumerate(numbers):
            text = text.replace('"\\u0000NUM%d\\u0000"' % index, number)
        open(sys.argv[2], "wb").write(text.encode("utf-8"))
        """#

    /// The canonical text Python rebuilds from `json` (the bytes a command
    /// printed), and the sha256sum of that text. `scratch` is a folder for
    /// the two files it writes.
    public static func canonical(of json: Data, scratch: String) async throws -> (text: String, sha256: String) {
        let name = UUID().uuidString.prefix(8)
        let input = scratch + "/py-in-\(name).json"
        let output = scratch + "/py-out-\(name).json"
        try json.write(to: URL(fileURLWithPath: input))
        try await Tool.check("python3", ["-c", script, input, output])
        let text = String(decoding: fileBytes(output) ?? Data(), as: UTF8.self)
        return (text, try await SHA256Sum.hash(output))
    }
}
