import Foundation
internal import CFFmpeg

/// Process-wide FFmpeg settings, applied once before the first libav call.
enum FFmpegRuntime {
    /// libav prints warnings about damaged input straight to stderr; omnistore
    /// reports errors itself, so that chatter is off unless `OMNISTORE_AV_LOG`
    /// asks for it (for example `OMNISTORE_AV_LOG=debug`).
    private static let configured: Bool = {
        let levels: [String: Int32] = [
            "quiet": AV_LOG_QUIET, "error": AV_LOG_ERROR, "warning": AV_LOG_WARNING,
            "info": AV_LOG_INFO, "verbose": AV_LOG_VERBOSE, "debug": AV_LOG_DEBUG,
        ]
        let requested = ProcessInfo.processInfo.environment["OMNISTORE_AV_LOG"].flatMap { levels[$0] }
        av_log_set_level(requested ?? AV_LOG_QUIET)
        return true
    }()

    static func configure() {
        _ = configured
    }
}
