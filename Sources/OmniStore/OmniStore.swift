// The library product: `import OmniStore` brings the core, every
// capability module built on it, the API client and the media module whose
// types their signatures use. A tool that needs only part of it can import
// that module alone (`OmniCore`, `OmniGeneration`, `OmniSync`).
@_exported import OmniBasics
@_exported import OmniCore
@_exported import OmniGeneration
@_exported import OmniInteractions
@_exported import OmniLooks
@_exported import OmniMedia
@_exported import OmniSync
