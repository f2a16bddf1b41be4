import OmniMedia

// The frame types appear in this library's public API; these names let a
// tool that imports only OmniStore spell them.
public typealias FrameTime = OmniMedia.FrameTime
public typealias ImageFormat = OmniMedia.ImageFormat
public typealias RGBFrame = OmniMedia.RGBFrame
public typealias Thumbnail = OmniMedia.Thumbnail
public typealias FrameExtractor = OmniMedia.FrameExtractor
public typealias Thumbnailer = OmniMedia.Thumbnailer
public typealias ContactSheet = OmniMedia.ContactSheet
public typealias ImageEncoder = OmniMedia.ImageEncoder
public typealias VisualDiff = OmniMedia.VisualDiff
