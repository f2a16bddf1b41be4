import OmniMedia

// The media types appear in this library's public API; these names let a
// tool that imports only OmniStore spell them.
public typealias MediaKind = OmniMedia.MediaKind
public typealias MediaInfo = OmniMedia.MediaInfo
public typealias StreamInfo = OmniMedia.StreamInfo
public typealias MediaProbe = OmniMedia.MediaProbe
public typealias MediaError = OmniMedia.MediaError
