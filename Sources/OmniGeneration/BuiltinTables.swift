import OmniCore

/// The pricing and model-limit tables, compiled in so an installed binary
/// needs no resource bundle beside it. `Resources/pricing.json` and
/// `Resources/model-limits.json` are the sources; a test checks that these
/// copies match them byte for byte.
enum BuiltinTables {
    static let pricing = #"""
        {
          "gemini-omni-1.1-flash": {
            "usd_per_second": {"360p": 0.034, "720p": 0.10, "1080p": 0.15, "4k": 0.30},
            "estimated_resolutions": ["1080p", "4k"],
            "usd_per_million_output_tokens": 17.5,
            "usd_per_million_input_tokens": 1.5
          }
        }
        """#

    static let modelLimits = #"""
        {
          "gemini-omni-1.1-flash": {
            "duration_seconds": {"min": 3, "max": 10},
            "resolutions": ["360p", "720p", "1080p", "4k"],
            "aspect_ratios": ["16:9", "9:16"],
            "tasks": ["text_to_video", "image_to_video", "reference_to_video", "edit", "extend"],
            "reference_video_max_seconds": 10,
            "reference_mode_max_clips": 3,
            "reference_mode_clip_max_seconds": 3,
            "inline_payload_max_bytes": 100000000,
            "inline_part_max_bytes": 20000000,
            "uri_delivery_above": "720p",
            "audio_references": false
          }
        }
        """#
}
