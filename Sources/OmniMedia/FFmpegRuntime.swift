import Foundation
internal import CFFmpeg

/// FFmpeg's libraries, loaded on first use (see `cffmpeg.h`), and the
/// process-wide settings applied once before the first libav call.
enum FFmpegRuntime {
    /// Why the libraries could not be loaded, or nil once they are.
    private static let failure: String? = {
        var message = [CChar](repeating: 0, count: 512)
        guard cffmpeg_load(&message, message.count) == 0 else {
            return String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        // libav prints warnings about damaged input straight to stderr;
        // omnistore reports errors itself, so that chatter is off unless
        // `OMNISTORE_AV_LOG` asks for it (for example `OMNISTORE_AV_LOG=debug`).
        let levels: [String: Int32] = [
            "quiet": AV_LOG_QUIET, "error": AV_LOG_ERROR, "warning": AV_LOG_WARNING,
            "info": AV_LOG_INFO, "verbose": AV_LOG_VERBOSE, "debug": AV_LOG_DEBUG,
        ]
        let requested = ProcessInfo.processInfo.environment["OMNISTORE_AV_LOG"].flatMap { levels[$0] }
        av_log_set_level(requested ?? AV_LOG_QUIET)
        return nil
    }()

    /// Loads FFmpeg if it is not loaded yet.
    ///
    /// - Throws: ``MediaError`` with code `.library` saying which library is
    ///   missing and what to install.
    static func load() throws(MediaError) {
        if let failure { throw MediaError(.library, path: nil, failure) }
    }
}
