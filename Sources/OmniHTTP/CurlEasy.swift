import Foundation
internal import CCurl

#if canImport(Glibc)
    import Glibc
#endif

/// State shared with libcurl's callbacks for one transfer.
final class TransferState {
    var headers: [String: String] = [:]
    var statusLine = 0
    var body: [UInt8] = []
    var sink: Int32 = -1
    var sinkError: Int32 = 0
    var bytesWritten: Int64 = 0
    var bodyLimit = 64 << 20
    /// The most bytes a download written to `sink` may have; more aborts it.
    var maxBytes: Int64 = .max
    var limitExceeded = false
    var segments: [BodySegment] = []
    var segmentIndex = 0
    var segmentOffset: Int64 = 0
    var openFile: Int32 = -1
    var pendingBase64: [UInt8] = []
    var readError: String? = nil
    var progress: ((Int64) -> Void)? = nil
    /// Asked about once a second (and on every chunk): true abandons the transfer.
    var cancelled: () -> Bool = { false }
    var wasCancelled = false

    deinit { if openFile >= 0 { close(openFile) } }
}

@available(*, unavailable)
extension TransferState: Sendable {}

/// One libcurl easy handle: owns it and cleans it up on deinit.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>? = nil
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    init() throws(HTTPError) {
        try CurlRuntime.initialize()
        guard let handle = curl_easy_init() else {
            throw HTTPError(.request, "libcurl could not create a handle", url: "")
        }
        self.handle = handle
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_easy_cleanup(handle)
    }

    struct Options {
        var userAgent: String
        var connectTimeout: Int
        /// Abort when fewer than `lowSpeedBytes` per second arrive for `lowSpeedSeconds`.
        var lowSpeedBytes: Int
        var lowSpeedSeconds: Int
        /// The most the whole exchange may take, in seconds; 0 for no limit.
        var deadlineSeconds: Int
        var caBundle: String?
        /// libcurl's protocol list for the transfer and for any redirect ("https" or "http,https").
        var protocols: String
    }

    /// Runs one transfer. The corresponding C function is `curl_easy_perform`, which blocks.
    func perform(_ request: HTTPRequest, headers: [(String, String)], state: TransferState, options: Options)
        throws(HTTPError) -> Int
    {
        curl_easy_reset(handle)
        errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        curl_slist_free_all(headerList)
        headerList = nil
        for (name, value) in headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // Without this, curl adds "Expect: 100-continue" and waits before large bodies.
        headerList = curl_slist_append(headerList, "Expect:")
        let box = Unmanaged.passUnretained(state).toOpaque()
        var result = try errorBuffer.withUnsafeMutableBufferPointer { buffer throws(HTTPError) -> CURLcode in
            try check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress), request)
            try check(ccurl_setopt_string(handle, CURLOPT_URL, request.url), request)
            try check(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), request)
            // Never file://, gopher:// or anything else a server could name.
            try check(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, options.protocols), request)
            try check(ccurl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, options.protocols), request)
            if state.sink >= 0 && state.maxBytes < .max {
                try check(ccurl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(state.maxBytes)), request)
            }
            try check(ccurl_setopt_string(handle, CURLOPT_USERAGENT, options.userAgent), request)
            try check(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeout), request)
            try check(ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedBytes), request)
            try check(ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.lowSpeedSeconds), request)
            try check(ccurl_setopt_long(handle, CURLOPT_TIMEOUT, options.deadlineSeconds), request)
            // The progress callback is how a Ctrl-C reaches a transfer that is
            // waiting on a slow server: libcurl calls it at least once a second.
            try check(ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), request)
            try check(ccurl_setopt_xferinfo_function(handle, CURLOPT_XFERINFOFUNCTION, curlProgressCallback), request)
            try check(ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, box), request)
            try check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), request)
            try check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), request)
            if let bundle = options.caBundle { try check(ccurl_setopt_string(handle, CURLOPT_CAINFO, bundle), request) }
            try check(ccurl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList), request)
            try check(ccurl_setopt_data_function(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback), request)
            try check(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, box), request)
            try check(ccurl_setopt_data_function(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback), request)
            try check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, box), request)
            let bodyLength = request.body.reduce(Int64(0)) { $0 + $1.wireLength }
            switch request.method {
            case "GET":
                try check(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1), request)
            case "HEAD":
                try check(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1), request)
            default:
                try check(ccurl_setopt_long(handle, CURLOPT_POST, 1), request)
                try check(ccurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyLength)), request)
                try check(ccurl_setopt_data_function(handle, CURLOPT_READFUNCTION, curlReadCallback), request)
                try check(ccurl_setopt_pointer(handle, CURLOPT_READDATA, box), request)
                if request.method != "POST" {
                    try check(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method), request)
                }
            }
            return curl_easy_perform(handle)
        }
        if state.wasCancelled {
            var error = HTTPError(.cancelled, "interrupted", url: request.url, curlCode: Int(result.rawValue))
            error.bytesReceived = state.bytesWritten
            throw error
        }
        if (result == CURLE_WRITE_ERROR && state.limitExceeded) || result == CURLE_FILESIZE_EXCEEDED {
            let limit = state.sink >= 0 ? state.maxBytes : Int64(state.bodyLimit)
            var error = HTTPError(
                .refused, "the response is larger than the \(limit)-byte limit", url: request.url,
                curlCode: Int(result.rawValue))
            error.bytesReceived = state.bytesWritten
            throw error
        }
        if result == CURLE_UNSUPPORTED_PROTOCOL {
            throw HTTPError(
                .refused, "refused a link whose scheme is not allowed (only \(options.protocols))", url: request.url)
        }
        if result == CURLE_WRITE_ERROR, state.sinkError != 0 {
            throw HTTPError(
                .io, "cannot write the download: \(String(cString: strerror(state.sinkError)))", url: request.url)
        }
        if result == CURLE_ABORTED_BY_CALLBACK, let message = state.readError {
            throw HTTPError(.request, message, url: request.url)
        }
        if result != CURLE_OK {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            let code: HTTPError.Code = result == CURLE_OPERATION_TIMEDOUT ? .timeout : .transport
            var message = text
            if result == CURLE_OPERATION_TIMEDOUT {
                message +=
                    " (limits: \(options.deadlineSeconds) s per exchange, at least \(options.lowSpeedBytes) bytes/s over \(options.lowSpeedSeconds) s; raise OMNISTORE_HTTP_MAX_TIME, or lower OMNISTORE_HTTP_SPEED_LIMIT, for a slow link)"
            }
            var error = HTTPError(code, message, url: request.url, curlCode: Int(result.rawValue))
            error.bytesReceived = state.bytesWritten
            throw error
        }
        var status = 0
        result = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return status
    }

    private func check(_ code: CURLcode, _ request: HTTPRequest) throws(HTTPError) {
        guard code == CURLE_OK else {
            throw HTTPError(
                .request, "libcurl refused an option: \(String(cString: curl_easy_strerror(code)))", url: request.url)
        }
    }
}

@available(*, unavailable)
extension CurlEasy: Sendable {}

/// libcurl, loaded on first use (see `ccurl.h`); `curl_global_init` must run
/// once per process before any handle exists.
enum CurlRuntime {
    /// Why libcurl could not be loaded, or nil once it is.
    private static let failure: String? = {
        var message = [CChar](repeating: 0, count: 512)
        guard ccurl_load(&message, message.count) == 0 else {
            return String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return nil
    }()

    /// Loads libcurl if it is not loaded yet.
    ///
    /// - Throws: ``HTTPError`` with code `.request` saying what to install.
    static func initialize() throws(HTTPError) {
        if let failure { throw HTTPError(.request, failure, url: "") }
    }

    /// libcurl's version text, such as "7.88.1".
    static var version: String { String(cString: ccurl_version_info().pointee.version) }
}

private let curlHeaderCallback: ccurl_data_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        // A new status line (after a 100 Continue or a redirect) starts a new header block.
        state.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        state.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return length
}

private let curlProgressCallback: ccurl_xferinfo_cb = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    if state.cancelled() {
        state.wasCancelled = true
        return 1
    }
    return 0
}

private let curlWriteCallback: ccurl_data_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    if state.cancelled() {
        state.wasCancelled = true
        return 0
    }
    if state.sink >= 0 {
        guard Int64(length) <= state.maxBytes - state.bytesWritten else {
            state.limitExceeded = true
            return 0
        }
        var offset = 0
        while offset < length {
            let n = write(state.sink, pointer + offset, length - offset)
            if n < 0 {
                if errno == EINTR { continue }
                state.sinkError = errno
                return 0
            }
            offset += n
        }
    } else {
        guard state.body.count + length <= state.bodyLimit else {
            state.limitExceeded = true
            return 0
        }
        state.body.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: length))
    }
    state.bytesWritten += Int64(length)
    state.progress?(state.bytesWritten)
    return length
}

private let curlReadCallback: ccurl_data_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return Int(CURL_READFUNC_ABORT) }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let capacity = size * count
    let buffer = UnsafeMutableRawPointer(pointer)
    do {
        return try BodyReader.fill(state, buffer, capacity)
    } catch {
        state.readError = "\(error)"
        return Int(CURL_READFUNC_ABORT)
    }
}
