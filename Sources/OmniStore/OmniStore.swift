// The library product: `import OmniStore` brings the core and every
// capability module built on it. A tool that needs only part of it can import
// that module alone (`OmniCore`, `OmniGeneration`, `OmniSync`).
@_exported import OmniBasics
@_exported import OmniCore
@_exported import OmniGeneration
@_exported import OmniSync
