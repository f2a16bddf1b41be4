#!/usr/bin/env python3
"""A strict local fake of Google's Gemini Interactions API (video generation with
gemini-omni-1.1-flash) and of the Files API it relies on.

Standard library only; output clips are made with the ffmpeg CLI.  The wire
format follows shared/reference/interactions-api.md.  See README.md beside this
file for the admin API, the options and every choice made where the reference
document is silent or ambiguous.

Start:
    python3 fake_interactions.py --port 0 --port-file PATH --state-dir DIR \
        [--api-key KEY] [--polls-per-status N] [--retention-seconds S] ...
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as _dt
import hashlib
import http.server
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse

# ---------------------------------------------------------------------------
# Constants from the reference document
# ---------------------------------------------------------------------------

KNOWN_MODELS = ("gemini-omni-1.1-flash",)
API_VERSIONS = ("v1", "v1beta")

# Output tokens per second of video, per resolution (reference §7).
TOKENS_PER_SECOND = {"360p": 1931, "720p": 5792, "1080p": 8688, "4k": 17376}
# Frame sizes: (resolution, aspect_ratio) -> (width, height).
FRAME_SIZES = {
    ("360p", "16:9"): (640, 360), ("360p", "9:16"): (360, 640),
    ("720p", "16:9"): (1280, 720), ("720p", "9:16"): (720, 1280),
    ("1080p", "16:9"): (1920, 1080), ("1080p", "9:16"): (1080, 1920),
    ("4k", "16:9"): (3840, 2160), ("4k", "9:16"): (2160, 3840),
}
# Input token approximations (undocumented; see README).
TEXT_CHARS_PER_TOKEN = 4
IMAGE_INPUT_TOKENS = 258
VIDEO_INPUT_TOKENS_PER_SECOND = 263

MIN_DURATION_S = 3.0
MAX_DURATION_S = 10.0
MAX_INPUT_VIDEO_S = 10.0
MAX_REFERENCE_VIDEO_S = 3.0
MAX_REFERENCE_VIDEOS = 3
MAX_IMAGES = 10
MAX_EXTENDED_TOTAL_S = 40.0
MAX_INLINE_REQUEST_BYTES = 100 * 1024 * 1024  # "Inline requests up to 100 MB in total"
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024  # 2 GB per file
UPLOAD_CHUNK_GRANULARITY = 256 * 1024

ENUM_ASPECT = ("16:9", "9:16")
ENUM_RESOLUTION = ("360p", "720p", "1080p", "4k")
ENUM_DELIVERY = ("inline", "uri")
ENUM_TASK = ("text_to_video", "image_to_video", "reference_to_video", "edit", "extend")
ENUM_MEDIA_RESOLUTION = ("low", "medium", "high", "ultra_high")
ENUM_PROCESSING = ("static", "agentic")
ENUM_RESPONSE_FORMAT_TYPE = ("text", "audio", "image", "video")
ENUM_MODALITY = ("text", "image", "audio", "video", "document")
ENUM_SERVICE_TIER = ("flex", "standard", "priority", "deferred")
MIME_IMAGE = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif",
              "image/gif", "image/bmp", "image/tiff")
MIME_VIDEO = ("video/mp4", "video/mpeg", "video/mpg", "video/mov", "video/avi",
              "video/x-flv", "video/webm", "video/wmv", "video/3gpp")
MIME_AUDIO = ("audio/wav", "audio/mp3", "audio/aiff", "audio/aac", "audio/ogg",
              "audio/flac", "audio/mpeg", "audio/m4a", "audio/l16", "audio/opus",
              "audio/alaw", "audio/mulaw")
MIME_DOCUMENT = ("application/pdf", "text/csv")

PART_FIELDS = {
    "text": ("type", "text"),
    "image": ("type", "data", "uri", "mime_type", "resolution"),
    "video": ("type", "data", "uri", "mime_type", "resolution", "processing"),
    "audio": ("type", "data", "uri", "mime_type", "sample_rate", "channels"),
    "document": ("type", "data", "uri", "mime_type"),
}
PART_MIMES = {"image": MIME_IMAGE, "video": MIME_VIDEO, "audio": MIME_AUDIO,
              "document": MIME_DOCUMENT}
STEP_FIELDS = {"user_input": ("type", "content"), "model_output": ("type", "content")}

CREATE_FIELDS = (
    "model", "agent", "input", "previous_interaction_id", "store", "background",
    "stream", "response_format", "generation_config", "response_modalities",
    "response_mime_type", "system_instruction", "tools", "safety_settings", "labels",
    "service_tier", "webhook_config", "environment",
)
GENERATION_CONFIG_FIELDS = (
    "video_config", "seed", "max_output_tokens", "thinking_level", "image_config",
    "speech_config", "tool_choice", "stop_sequences", "transcription_config",
    "temperature", "top_p",
)
# Documented fields that gemini-omni does not support (reference §2 "Not supported
# on Omni", and fields that only make sense for text/audio/image models).
GENERATION_CONFIG_UNSUPPORTED = (
    "thinking_level", "image_config", "speech_config", "tool_choice", "stop_sequences",
    "transcription_config", "temperature", "top_p",
)
VIDEO_FORMAT_FIELDS = ("type", "aspect_ratio", "resolution", "duration", "delivery", "gcs_uri")
FILE_FIELDS_SNAKE = {"display_name": "displayName", "mime_type": "mimeType",
                     "size_bytes": "sizeBytes", "name": "name"}
FILE_FIELDS_CAMEL = {"displayName", "mimeType", "sizeBytes", "name"}

RPC_STATUS = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
    404: "NOT_FOUND", 409: "ALREADY_EXISTS", 413: "INVALID_ARGUMENT", 416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
    503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
INTERACTIONS_CODE_FOR_STATUS = {
    400: "invalid_request", 401: "authentication", 402: "payment_required",
    403: "permission_denied", 404: "not_found", 409: "aborted", 416: "out_of_range",
    429: "rate_limit_exceeded", 499: "cancelled", 500: "api_error", 501: "unimplemented",
    503: "service_unavailable", 504: "deadline_exceeded",
}

FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FFMPEG_TIMEOUT_S = 120
GENERATION_WAIT_S = 150
MAX_DELAY_S = 120.0

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ApiError(Exception):
    """An Interactions-API error: {"error":{"code":"<snake_case>","message":...}}."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class RpcError(Exception):
    """A Files-API (google.rpc) error: {"error":{"code":400,"message":...,"status":...}}."""

    def __init__(self, status: int, message: str, headers: dict | None = None,
                 rpc_status: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.rpc_status = rpc_status or RPC_STATUS.get(status, "UNKNOWN")
        self.headers = headers or {}


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def unknown_field(path: str) -> ApiError:
    return ApiError(400, "parameter_unknown",
                    f"Unknown parameter '{path}': the field is not part of the request schema.")


class GenerationError(Exception):
    pass


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_at(ts: float, micros: bool = False) -> str:
    d = _dt.datetime.fromtimestamp(ts, _dt.timezone.utc)
    if micros:
        return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def type_name(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def expect(v, kind: str, path: str):
    ok = {
        "string": isinstance(v, str),
        "boolean": isinstance(v, bool),
        "integer": is_int(v),
        "object": isinstance(v, dict),
        "array": isinstance(v, list),
    }[kind]
    if not ok:
        raise invalid(f"Invalid value at '{path}': expected {kind}, got {type_name(v)}.")
    return v


def expect_enum(v, allowed, path: str):
    expect(v, "string", path)
    if v not in allowed:
        hint = ""
        if v.lower() in allowed:
            hint = " Enum values are lowercase."
        raise invalid(f"Invalid value '{v}' at '{path}': must be one of "
                      f"{', '.join(allowed)}.{hint}")
    return v


def drop_nulls(obj: dict) -> dict:
    """proto3 JSON treats an explicit null like an absent field."""
    return {k: v for k, v in obj.items() if v is not None}


def check_fields(obj: dict, allowed, path: str):
    for k in obj:
        if k not in allowed:
            raise unknown_field(f"{path}.{k}" if path else k)


def decode_b64(s: str, path: str) -> bytes:
    if not isinstance(s, str):
        raise invalid(f"Invalid value at '{path}': expected base64 string, got {type_name(s)}.")
    t = s.strip()
    if not t:
        raise invalid(f"Invalid value at '{path}': empty base64 data.")
    alphabet = "-_" if ("-" in t or "_" in t) else "+/"
    if not re.fullmatch(r"[A-Za-z0-9" + re.escape(alphabet) + r"]*={0,2}", t):
        raise invalid(f"Invalid value at '{path}': data is not valid base64.")
    body = t.rstrip("=")
    padded = body + "=" * (-len(body) % 4)
    if len(body) % 4 == 1:
        raise invalid(f"Invalid value at '{path}': data is not valid base64.")
    try:
        if alphabet == "-_":
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"Invalid value at '{path}': data is not valid base64.") from None


def parse_duration(v, path: str) -> float:
    if not isinstance(v, str):
        raise invalid(f"Invalid value at '{path}': duration must be a string such as \"6s\", "
                      f"got {type_name(v)}.")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)s", v)
    if not m:
        raise invalid(f"Invalid value '{v}' at '{path}': duration must be a number of "
                      f"seconds followed by 's', such as \"6s\".")
    n = float(m.group(1))
    if n > MAX_DURATION_S:
        raise invalid(f"The requested duration {v} exceeds the maximum allowed 10s.")
    if n < MIN_DURATION_S:
        raise invalid(f"The requested duration {v} is below the minimum allowed 3s.")
    return n


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def rand_id(n: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------------------
# Media: probing and generating clips with ffmpeg
# ---------------------------------------------------------------------------


class Media:
    def __init__(self, state_dir: str):
        self.clips_dir = os.path.join(state_dir, "clips")
        self.work_dir = os.path.join(state_dir, "work")
        os.makedirs(self.clips_dir, exist_ok=True)
        os.makedirs(self.work_dir, exist_ok=True)
        self.sema = threading.BoundedSemaphore(2)
        self.procs: set = set()
        self.procs_lock = threading.Lock()
        self.key_locks: dict = {}
        self.key_locks_lock = threading.Lock()

    def _run(self, args, cwd=None, timeout=FFMPEG_TIMEOUT_S) -> subprocess.CompletedProcess:
        p = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        with self.procs_lock:
            self.procs.add(p)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise GenerationError(f"{args[0]} timed out after {timeout}s") from None
        finally:
            with self.procs_lock:
                self.procs.discard(p)
        return subprocess.CompletedProcess(args, p.returncode, out, err)

    def kill_all(self):
        with self.procs_lock:
            for p in list(self.procs):
                try:
                    p.kill()
                except OSError:
                    pass

    def probe(self, path: str) -> dict | None:
        r = self._run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                       "-show_streams", path], timeout=30)
        if r.returncode != 0:
            return None
        try:
            info = json.loads(r.stdout or b"{}")
        except ValueError:
            return None
        streams = info.get("streams") or []
        v = next((s for s in streams if s.get("codec_type") == "video"), None)
        a = next((s for s in streams if s.get("codec_type") == "audio"), None)
        if v is None:
            return None
        try:
            dur = float((info.get("format") or {}).get("duration") or v.get("duration") or 0)
        except ValueError:
            dur = 0.0
        return {"duration": dur, "width": int(v.get("width") or 0),
                "height": int(v.get("height") or 0), "has_audio": a is not None,
                "codec": v.get("codec_name"), "format": (info.get("format") or {}).get("format_name", "")}

    def _lock_for(self, key: str) -> threading.Lock:
        with self.key_locks_lock:
            lk = self.key_locks.get(key)
            if lk is None:
                lk = self.key_locks[key] = threading.Lock()
            return lk

    def generate(self, spec: dict, paths: dict) -> str:
        """Makes (or reuses) the clip for a spec and returns its path. Deterministic: the
        cache key is the spec, which names its inputs by content hash; paths says where
        those inputs are on disk."""
        key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:40]
        out = os.path.join(self.clips_dir, key + ".mp4")
        with self._lock_for(key):
            if os.path.exists(out):
                return out
            with self.sema:
                wd = tempfile.mkdtemp(prefix="gen-", dir=self.work_dir)
                try:
                    args = self._ffmpeg_args({**spec, **paths}, wd)
                    r = self._run(args, cwd=wd)
                    if r.returncode != 0 or not os.path.exists(os.path.join(wd, "out.mp4")):
                        tail = (r.stderr or b"").decode("utf-8", "replace")[-800:]
                        raise GenerationError(f"ffmpeg failed: {tail}")
                    os.replace(os.path.join(wd, "out.mp4"), out)
                finally:
                    shutil.rmtree(wd, ignore_errors=True)
        return out

    @staticmethod
    def _drawtext(text: str, wd: str, width: int, height: int, name: str = "prompt.txt",
                  enable: str | None = None) -> str:
        text = " ".join(text.split()) or "(empty prompt)"
        lines = textwrap.wrap(text, width=36, max_lines=4, placeholder=" ...") or [text[:36]]
        with open(os.path.join(wd, name), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        longest = max(len(line) for line in lines)
        size = int(max(10, min(height / 14.0, (width * 0.9) / max(1, longest * 0.6))))
        font = f"fontfile={FONT_FILE}:" if os.path.exists(FONT_FILE) else ""
        dt = (f"drawtext={font}textfile={name}:expansion=none:fontsize={size}:"
              f"fontcolor=white:box=1:boxcolor=black@0.55:boxborderw={max(4, size // 4)}:"
              f"line_spacing={max(2, size // 5)}:x=(w-text_w)/2:y=h-text_h-h/12")
        if enable:
            dt += f":enable='{enable}'"
        return dt

    @staticmethod
    def _fit(width: int, height: int) -> str:
        return (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
                f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1")

    def _ffmpeg_args(self, spec: dict, wd: str) -> list:
        W, H, D = spec["width"], spec["height"], spec["duration"]
        text = spec["text"]
        kind = spec["kind"]
        args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
        hue = f"hue=h={spec['seed'] % 360}," if spec.get("seed") is not None else ""
        freq = 220 + int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) % 660
        if kind == "text_to_video":
            args += ["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=24:duration={D}",
                     "-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000:duration={D}"]
            graph = (f"[0:v]{hue}{self._drawtext(text, wd, W, H)},format=yuv420p[v];"
                     f"[1:a]aformat=sample_fmts=fltp:channel_layouts=stereo[a]")
        elif kind == "image_to_video":
            args += ["-loop", "1", "-framerate", "24", "-t", f"{D}", "-i", spec["image_path"],
                     "-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000:duration={D}"]
            graph = (f"[0:v]{self._fit(W, H)},fps=24,{hue}{self._drawtext(text, wd, W, H)},"
                     f"format=yuv420p[v];"
                     f"[1:a]aformat=sample_fmts=fltp:channel_layouts=stereo[a]")
        elif kind in ("edit", "extend"):
            src_d = spec["source_duration"]
            total = D if kind == "edit" else src_d + D
            args += ["-i", spec["source_path"]]
            if kind == "edit":
                grade = spec["grade"]
                if grade == "warm":
                    look = "colortemperature=temperature=3000"
                elif grade == "cool":
                    look = "colortemperature=temperature=12000"
                else:
                    look = self._drawtext(text, wd, W, H)
            else:
                look = self._drawtext(text, wd, W, H, enable=f"gte(t,{src_d:.3f})")
            pad = max(total - src_d, 0) + 1
            vchain = (f"[0:v]{self._fit(W, H)},fps=24,tpad=stop_mode=clone:stop_duration={pad:.3f},"
                      f"trim=duration={total:.3f},setpts=PTS-STARTPTS,{hue}{look},format=yuv420p[v]")
            if spec["source_has_audio"]:
                achain = (f"[0:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
                          f"apad,atrim=duration={total:.3f},asetpts=PTS-STARTPTS[a]")
            else:
                args += ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
                achain = f"[1:a]atrim=duration={total:.3f},aformat=sample_fmts=fltp[a]"
            graph = vchain + ";" + achain
            D = total
        else:
            raise GenerationError(f"unknown generation kind {kind}")
        args += ["-filter_complex", graph, "-map", "[v]", "-map", "[a]",
                 "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p",
                 "-r", "24", "-c:a", "aac", "-b:a", "64k", "-ar", "48000", "-ac", "2",
                 "-t", f"{D:.3f}", "-movflags", "+faststart", "-map_metadata", "-1",
                 "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                 "out.mp4"]
        return args


# ---------------------------------------------------------------------------
# Server state
# ---------------------------------------------------------------------------


class Config:
    MUTABLE = {
        "polls_per_status": int, "retention_seconds": float, "file_retention_seconds": float,
        "file_processing_polls": int, "download_redirect": bool, "quirk_get_inline": bool,
        "post_output_steps_only": bool, "lenient_video_config": bool,
        "enforce_chunk_granularity": bool, "video_uri": str, "download_location": str,
        "generated_processing_polls": int, "generated_file_fails": bool,
    }

    def __init__(self, ns: argparse.Namespace):
        self.api_key = ns.api_key
        self.polls_per_status = ns.polls_per_status
        self.retention_seconds = ns.retention_seconds
        self.file_retention_seconds = ns.file_retention_seconds
        self.file_processing_polls = ns.file_processing_polls
        self.download_redirect = ns.download_redirect
        self.quirk_get_inline = ns.quirk_get_inline
        self.post_output_steps_only = ns.post_output_steps_only
        self.lenient_video_config = ns.lenient_video_config
        self.enforce_chunk_granularity = ns.enforce_chunk_granularity
        # Hostile modes: a video uri to hand out instead of the real one, and a
        # Location for `:download` to redirect to (307). Both may hold {base},
        # {v} and {fid}; empty means off.
        self.video_uri = ns.video_uri
        # A generated file starts PROCESSING for this many GET files/<id>, as
        # documented; `:download` before it is ACTIVE gives 400 FAILED_PRECONDITION.
        self.generated_processing_polls = ns.generated_processing_polls
        self.generated_file_fails = ns.generated_file_fails
        self.download_location = ns.download_location

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in self.MUTABLE}


class State:
    def __init__(self, cfg: Config, state_dir: str, media: Media):
        self.cfg = cfg
        self.state_dir = state_dir
        self.media = media
        self.lock = threading.RLock()
        # POST /_admin/release counts up; a request held by a `hold` fault
        # goes on once the count passes what it was when the request was
        # logged, so a release that comes before the handler reaches its hold
        # still counts. A reset releases everything.
        self.released = threading.Condition(self.lock)
        self.release_count = 0
        self.files_dir = os.path.join(state_dir, "files")
        self.inputs_dir = os.path.join(state_dir, "inputs")
        os.makedirs(self.files_dir, exist_ok=True)
        os.makedirs(self.inputs_dir, exist_ok=True)
        self.base_url = ""
        self.reset()

    def reset(self):
        with self.lock:
            self.interactions: dict = {}
            self.files: dict = {}
            self.uploads: dict = {}
            self.faults: list = []
            self.outcomes: list = []
            self.requests: list = []
            self.seq = 0
            self.fault_seq = 0
            self.media_tokens: dict = {}
            self.release_count += 1
            self.released.notify_all()

    # -- faults ------------------------------------------------------------
    def take_fault(self, method: str, path: str):
        with self.lock:
            for f in self.faults:
                if f["remaining"] <= 0:
                    continue
                if f["method"] not in ("*", method):
                    continue
                if not re.search(f["path"], path):
                    continue
                f["remaining"] -= 1
                f["hits"] += 1
                fired = dict(f)
                self.faults = [x for x in self.faults if x["remaining"] > 0]
                return fired
        return None

    # -- interactions --------------------------------------------------------
    def live_interaction(self, iid: str):
        with self.lock:
            it = self.interactions.get(iid)
            if it is None or it["deleted"]:
                return None
            if it["expired"] or time.time() >= it["created_ts"] + self.cfg.retention_seconds:
                it["expired"] = True
                return None
            return it

    def live_file(self, fid: str):
        with self.lock:
            f = self.files.get(fid)
            if f is None or f["deleted"]:
                return None
            if f["expired"] or time.time() >= f["create_ts"] + self.cfg.file_retention_seconds:
                f["expired"] = True
                return None
            return f


# ---------------------------------------------------------------------------
# Create-body validation
# ---------------------------------------------------------------------------


def validate_part(p, path: str) -> dict:
    expect(p, "object", path)
    p = drop_nulls(p)
    if "type" not in p:
        raise invalid(f"Missing required field '{path}.type'.")
    t = p["type"]
    expect(t, "string", f"{path}.type")
    if t not in PART_FIELDS:
        hint = " Enum values are lowercase." if t.lower() in PART_FIELDS else ""
        raise invalid(f"Invalid value '{t}' at '{path}.type': content type must be one of "
                      f"{', '.join(PART_FIELDS)}.{hint}")
    check_fields(p, PART_FIELDS[t], path)
    if t == "text":
        if "text" not in p:
            raise invalid(f"Missing required field '{path}.text'.")
        expect(p["text"], "string", f"{path}.text")
        return p
    has_data, has_uri = "data" in p, "uri" in p
    if has_data == has_uri:
        raise invalid(f"'{path}' must set exactly one of 'data' or 'uri'.")
    if has_data:
        decode_b64(p["data"], f"{path}.data")
    else:
        expect(p["uri"], "string", f"{path}.uri")
    if "mime_type" not in p:
        raise invalid(f"Missing required field '{path}.mime_type'.")
    expect_enum(p["mime_type"], PART_MIMES[t], f"{path}.mime_type")
    if "resolution" in p:
        expect_enum(p["resolution"], ENUM_MEDIA_RESOLUTION, f"{path}.resolution")
    if "processing" in p:
        expect_enum(p["processing"], ENUM_PROCESSING, f"{path}.processing")
    for k in ("sample_rate", "channels"):
        if k in p:
            expect(p[k], "integer", f"{path}.{k}")
    return p


def validate_input(inp) -> list:
    """Returns the input as a list of steps (each {"type":..., "content":[...]})."""
    if isinstance(inp, str):
        return [{"type": "user_input", "content": [{"type": "text", "text": inp}]}]
    if isinstance(inp, dict):
        part = validate_part(inp, "input")
        return [{"type": "user_input", "content": [part]}]
    if not isinstance(inp, list):
        raise invalid(f"Invalid value at 'input': expected a string, a Content object, a list "
                      f"of Content or a list of Steps, got {type_name(inp)}.")
    if not inp:
        raise invalid("Invalid value at 'input': the list is empty.")
    kinds = set()
    for i, item in enumerate(inp):
        expect(item, "object", f"input[{i}]")
        t = item.get("type")
        if not isinstance(t, str):
            raise invalid(f"Missing required field 'input[{i}].type'.")
        if t in STEP_FIELDS:
            kinds.add("step")
        elif t in PART_FIELDS:
            kinds.add("content")
        else:
            lower = t.lower()
            hint = " Enum values are lowercase." if (lower in PART_FIELDS or lower in STEP_FIELDS) else ""
            raise invalid(f"Invalid value '{t}' at 'input[{i}].type': must be a content type "
                          f"({', '.join(PART_FIELDS)}) or a step type ({', '.join(STEP_FIELDS)}).{hint}")
    if len(kinds) > 1:
        raise invalid("Invalid value at 'input': a list must hold only Content objects or only Steps.")
    if kinds == {"content"}:
        parts = [validate_part(p, f"input[{i}]") for i, p in enumerate(inp)]
        return [{"type": "user_input", "content": parts}]
    steps = []
    for i, st in enumerate(inp):
        st = drop_nulls(st)
        check_fields(st, STEP_FIELDS[st["type"]], f"input[{i}]")
        content = st.get("content", [])
        expect(content, "array", f"input[{i}].content")
        parts = [validate_part(p, f"input[{i}].content[{j}]") for j, p in enumerate(content)]
        steps.append({"type": st["type"], "content": parts})
    if not any(s["type"] == "user_input" for s in steps):
        raise invalid("Invalid value at 'input': the steps hold no user_input step.")
    return steps


def validate_response_format(rf) -> dict:
    """Returns the normalized video format {aspect_ratio, resolution, duration|None, delivery}."""
    items = rf if isinstance(rf, list) else [rf]
    if not isinstance(rf, (list, dict)):
        raise invalid(f"Invalid value at 'response_format': expected object or array, got {type_name(rf)}.")
    video = None
    for i, item in enumerate(items):
        path = f"response_format[{i}]" if isinstance(rf, list) else "response_format"
        expect(item, "object", path)
        item = drop_nulls(item)
        if "type" not in item:
            raise invalid(f"Missing required field '{path}.type'.")
        t = expect_enum(item["type"], ENUM_RESPONSE_FORMAT_TYPE, f"{path}.type")
        if t != "video":
            raise invalid(f"response_format type '{t}' is not supported by gemini-omni-1.1-flash, "
                          f"which only produces video.")
        check_fields(item, VIDEO_FORMAT_FIELDS, path)
        if video is not None:
            raise invalid("response_format holds more than one video format.")
        fmt = {"aspect_ratio": "16:9", "resolution": "720p", "duration": None, "delivery": "inline"}
        if "aspect_ratio" in item:
            fmt["aspect_ratio"] = expect_enum(item["aspect_ratio"], ENUM_ASPECT, f"{path}.aspect_ratio")
        if "resolution" in item:
            fmt["resolution"] = expect_enum(item["resolution"], ENUM_RESOLUTION, f"{path}.resolution")
        if "delivery" in item:
            fmt["delivery"] = expect_enum(item["delivery"], ENUM_DELIVERY, f"{path}.delivery")
        if "duration" in item:
            fmt["duration"] = parse_duration(item["duration"], f"{path}.duration")
        if "gcs_uri" in item:
            expect(item["gcs_uri"], "string", f"{path}.gcs_uri")
            raise invalid(f"'{path}.gcs_uri' is only supported on Vertex AI, not on the Gemini API.")
        video = fmt
    return video or {"aspect_ratio": "16:9", "resolution": "720p", "duration": None, "delivery": "inline"}


def validate_generation_config(gc, lenient: bool) -> dict:
    expect(gc, "object", "generation_config")
    gc = drop_nulls(gc)
    check_fields(gc, GENERATION_CONFIG_FIELDS, "generation_config")
    out = {"task": None, "seed": None}
    if "video_config" in gc:
        vc = expect(gc["video_config"], "object", "generation_config.video_config")
        vc = drop_nulls(vc)
        if not lenient:
            check_fields(vc, ("task",), "generation_config.video_config")
        if "task" in vc:
            out["task"] = expect_enum(vc["task"], ENUM_TASK, "generation_config.video_config.task")
    if "seed" in gc:
        s = gc["seed"]
        if not is_int(s):
            raise invalid(f"Invalid value at 'generation_config.seed': expected integer, got {type_name(s)}.")
        if not (0 <= s <= 0xFFFFFFFF):
            raise invalid("Invalid value at 'generation_config.seed': must be between 0 and 4294967295.")
        out["seed"] = s
    if "max_output_tokens" in gc:
        m = gc["max_output_tokens"]
        if not is_int(m) or m < 1:
            raise invalid("Invalid value at 'generation_config.max_output_tokens': expected a positive integer.")
    for k in GENERATION_CONFIG_UNSUPPORTED:
        if k in gc:
            raise invalid(f"'generation_config.{k}' is not supported by gemini-omni-1.1-flash.")
    return out


LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


def validate_create_body(body) -> dict:
    """Type/enum/unknown-field validation; returns a normalized request."""
    if not isinstance(body, dict):
        raise invalid(f"The request body must be a JSON object, got {type_name(body)}.")
    b = drop_nulls(body)
    check_fields(b, CREATE_FIELDS, "")
    if "agent" in b:
        expect(b["agent"], "string", "agent")
        if "model" in b:
            raise invalid("Set either 'model' or 'agent', not both.")
        raise invalid("Agent interactions are not supported by this fake; set 'model'.")
    if "model" not in b:
        raise invalid("Missing required field 'model'.")
    expect(b["model"], "string", "model")
    for k in ("store", "background", "stream"):
        if k in b:
            expect(b[k], "boolean", k)
    if "previous_interaction_id" in b:
        expect(b["previous_interaction_id"], "string", "previous_interaction_id")
        if not b["previous_interaction_id"]:
            raise invalid("Invalid value at 'previous_interaction_id': empty string.")
    if "input" not in b:
        raise invalid("Missing required field 'input'.")
    # Validated in this order so that unknown fields anywhere are found.
    steps = validate_input(b["input"])
    fmt = validate_response_format(b.get("response_format", {"type": "video"}))
    return {"body": b, "steps": steps, "format": fmt}


def validate_create_rest(b: dict, lenient_video_config: bool) -> dict:
    gen = {"task": None, "seed": None}
    if "generation_config" in b:
        gen = validate_generation_config(b["generation_config"], lenient_video_config)
    if "response_modalities" in b:
        expect(b["response_modalities"], "array", "response_modalities")
        for i, m in enumerate(b["response_modalities"]):
            expect_enum(m, ENUM_MODALITY, f"response_modalities[{i}]")
    if "response_mime_type" in b:
        expect(b["response_mime_type"], "string", "response_mime_type")
    if "labels" in b:
        expect(b["labels"], "object", "labels")
        if len(b["labels"]) > 64:
            raise invalid("Invalid value at 'labels': at most 64 labels are allowed.")
        for k, v in b["labels"].items():
            if not LABEL_KEY.fullmatch(k):
                raise invalid(f"Invalid label key '{k}': keys are 1-63 lowercase letters, digits, "
                              f"'_' or '-', starting with a letter.")
            expect(v, "string", f"labels.{k}")
            if not LABEL_VALUE.fullmatch(v):
                raise invalid(f"Invalid label value at 'labels.{k}'.")
    if "service_tier" in b:
        expect_enum(b["service_tier"], ENUM_SERVICE_TIER, "service_tier")
    if "webhook_config" in b:
        wc = drop_nulls(expect(b["webhook_config"], "object", "webhook_config"))
        check_fields(wc, ("uris", "user_metadata"), "webhook_config")
        if "uris" in wc:
            expect(wc["uris"], "array", "webhook_config.uris")
            for i, u in enumerate(wc["uris"]):
                expect(u, "string", f"webhook_config.uris[{i}]")
        if "user_metadata" in wc:
            expect(wc["user_metadata"], "object", "webhook_config.user_metadata")
    if "system_instruction" in b:
        expect(b["system_instruction"], "string", "system_instruction")
        raise invalid("'system_instruction' is not supported by gemini-omni-1.1-flash.")
    if "tools" in b:
        expect(b["tools"], "array", "tools")
        raise invalid("'tools' are not supported by gemini-omni-1.1-flash.")
    if "safety_settings" in b:
        expect(b["safety_settings"], "array", "safety_settings")
        raise invalid("'safety_settings' are not supported by gemini-omni-1.1-flash.")
    if "environment" in b:
        raise invalid("'environment' is only supported for agent interactions.")
    return gen


# ---------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------

RE_CREATE = re.compile(r"^/(v1|v1beta)/interactions$")
RE_ONE = re.compile(r"^/(v1|v1beta)/interactions/([^/:]+)$")
RE_CANCEL = re.compile(r"^/(v1|v1beta)/interactions/([^/:]+)/cancel$")
RE_UPLOAD = re.compile(r"^/upload/(v1|v1beta)/files$")
RE_FILES = re.compile(r"^/(v1|v1beta)/files$")
RE_FILE = re.compile(r"^/(v1|v1beta)/files/([^/:]+)$")
RE_DOWNLOAD = re.compile(r"^/(v1|v1beta)/files/([^/:]+):download$")
RE_MEDIA = re.compile(r"^/_fake_media/([a-z0-9]+)$")
RE_ENDLESS = re.compile(r"^/_fake_endless$")
RE_FILE_URI_PATH = re.compile(r"^/(v1|v1beta)/files/([a-z0-9]+)(:download)?$")

REDACTED = "REDACTED"


class BodyTooLarge(Exception):
    def __init__(self, size):
        self.size = size


class DropConnection(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeGeminiInteractions/1.0"
    sys_version = ""

    # Set on the class by main().
    state: State = None  # type: ignore
    verbose = False

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("fake_interactions: " + (fmt % args) + "\n")

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    # -- body reading (bounded) ------------------------------------------------
    def _read_body(self, limit: int) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            for _ in range(1_000_000):  # bounded loop
                line = self.rfile.readline(1024)
                if not line:
                    raise DropConnection()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    for _ in range(100):
                        trailer = self.rfile.readline(8192)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    return bytes(out)
                if len(out) + size > limit:
                    raise BodyTooLarge(len(out) + size)
                out += self.rfile.read(size)
                self.rfile.readline(16)
            raise DropConnection()
        cl = self.headers.get("Content-Length")
        if not cl:
            return b""
        try:
            n = int(cl)
        except ValueError:
            raise BodyTooLarge(-1) from None
        if n < 0:
            raise BodyTooLarge(-1)
        if n > limit:
            raise BodyTooLarge(n)
        data = self.rfile.read(n)
        if len(data) != n:
            raise DropConnection()
        return data

    # -- response writing ------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None,
              content_type: str | None = "application/json; charset=UTF-8"):
        drop = getattr(self, "_drop_fault", None)
        entry = getattr(self, "_entry", None)
        if entry is not None:  # recorded before the bytes go out, so the log is never stale
            entry["status"] = status
        bloat = getattr(self, "_bloat_fault", None)
        if bloat is not None and body.startswith(b"{") and len(body) > 2:
            return self._send_bloated(status, body, headers, int(bloat.get("bloat_bytes", 1 << 30)))
        self.send_response(status)
        hdrs = dict(headers or {})
        if content_type and body is not None and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = content_type
        hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        trickle = getattr(self, "_trickle_fault", None)
        if trickle is not None:
            # A server that answers, slowly: one byte per interval, never
            # slower in all than MAX_DELAY_S.
            interval = min(float(trickle.get("interval_seconds", 0.5)), 5.0)
            started = time.monotonic()
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                if time.monotonic() - started > MAX_DELAY_S:
                    break
                time.sleep(interval)
            self._status_sent = status
            return
        if drop is not None:
            after = drop.get("after_bytes")
            if after is None:
                after = len(body) // 2
            after = max(0, min(int(after), max(0, len(body) - 1)))
            self.wfile.write(body[:after])
            self.wfile.flush()
            self._kill_socket()
            return
        self.wfile.write(body)
        self._status_sent = status

    def _send_bloated(self, status: int, body: bytes, headers: dict | None, size: int):
        # A well-formed JSON reply with one huge field in front ("padding",
        # which lenient decoding must ignore), streamed, never held in memory.
        prefix, suffix = b'{"padding":"', b'",' + body[1:]
        self.send_response(status)
        for k, v in dict(headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(prefix) + size + len(suffix)))
        self.end_headers()
        self._status_sent = status
        chunk = b"A" * (1 << 20)
        try:
            self.wfile.write(prefix)
            left = size
            while left > 0:
                self.wfile.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))
            self.wfile.write(suffix)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _kill_socket(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _json(self, status: int, obj, headers: dict | None = None):
        self._status_sent = status
        self._send(status, json.dumps(obj, separators=(",", ":")).encode(), headers)

    def _api_error(self, e: ApiError):
        self._status_sent = e.status
        self._json(e.status, {"error": {"code": e.code, "message": e.message}}, e.headers)

    def _rpc_error(self, e: RpcError):
        self._status_sent = e.status
        self._json(e.status, {"error": {"code": e.status, "message": e.message,
                                        "status": e.rpc_status}}, e.headers)

    # -- logging -----------------------------------------------------------------
    def _log_request(self, method: str, path: str, query: str, body: bytes) -> dict:
        st = self.state
        headers = {}
        for k, v in self.headers.items():
            if k.lower() in ("x-goog-api-key", "authorization"):
                v = REDACTED
            headers[k] = v
        q = urllib.parse.parse_qsl(query, keep_blank_values=True)
        q_red = [(k, REDACTED if k == "key" else v) for k, v in q]
        entry = {"method": method, "path": path,
                 "query": {k: v for k, v in q_red},
                 "headers": headers, "body_bytes": len(body), "time": time.time()}
        ctype = (self.headers.get("Content-Type") or "").lower()
        if body and "json" in ctype and "upload_id=" not in query:
            try:
                entry["json"] = json.loads(body)
            except ValueError:
                entry["json_error"] = "unparseable JSON"
        with st.lock:
            st.seq += 1
            entry["seq"] = st.seq
            entry["release_count"] = st.release_count
            st.requests.append(entry)
        return entry

    # -- dispatch -----------------------------------------------------------------
    def _dispatch(self, method: str):
        self._drop_fault = None
        self._trickle_fault = None
        self._bloat_fault = None
        self._status_sent = None
        self._entry = None
        split = urllib.parse.urlsplit(self.path)
        path, query = split.path, split.query
        is_upload = bool(RE_UPLOAD.match(path))
        limit = (MAX_INLINE_REQUEST_BYTES if not is_upload else 512 * 1024 * 1024)
        if path.startswith("/_admin/"):
            limit = 16 * 1024 * 1024
        try:
            body = self._read_body(limit)
        except BodyTooLarge as e:
            self.close_connection = True
            if is_upload:
                return self._rpc_error(RpcError(413, f"Request payload size exceeds the limit: {limit} bytes."))
            msg = (f"Request payload size exceeds the limit: {limit} bytes."
                   if e.size >= 0 else "Invalid Content-Length header.")
            return self._api_error(ApiError(400, "invalid_request", msg))
        except DropConnection:
            self.close_connection = True
            return
        except ValueError:
            self.close_connection = True
            return self._api_error(invalid("Malformed chunked request body."))

        if path.startswith("/_admin/") or path == "/_admin":
            try:
                return self._admin(method, path, query, body)
            except ApiError as e:
                return self._api_error(e)

        entry = self._entry = self._log_request(method, path, query, body)
        rpc_family = path.startswith("/upload/") or bool(RE_FILES.match(path) or RE_FILE.match(path)
                                                          or RE_DOWNLOAD.match(path)
                                                          or RE_MEDIA.match(path))
        try:
            fault = self.state.take_fault(method, path)
            if fault is not None:
                entry["fault"] = fault["kind"]
                self._apply_fault(fault, rpc_family)
                if self._status_sent is not None or fault["kind"] == "close":
                    return
            self._route(method, path, query, body)
        except ApiError as e:
            if rpc_family:
                self._rpc_error(RpcError(e.status, e.message, e.headers))
            else:
                self._api_error(e)
        except RpcError as e:
            self._rpc_error(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug in the fake: report it as api_error
            sys.stderr.write(f"fake_interactions: internal error: {e!r}\n")
            import traceback
            traceback.print_exc()
            if rpc_family:
                self._rpc_error(RpcError(500, f"Internal error in fake: {e!r}"))
            else:
                self._api_error(ApiError(500, "api_error", f"Internal error in fake: {e!r}"))
        finally:
            if self._status_sent is not None:
                entry["status"] = self._status_sent
            entry.setdefault("status", None)

    def _apply_fault(self, fault: dict, rpc_family: bool):
        kind = fault["kind"]
        if kind == "delay":
            time.sleep(min(float(fault.get("delay_seconds", 1.0)), MAX_DELAY_S))
            return
        if kind == "hold":
            st = self.state
            logged_at = self._entry.get("release_count", 0) if self._entry else 0
            with st.released:
                st.released.wait_for(lambda: st.release_count > logged_at, MAX_DELAY_S)
            return
        if kind == "drop":
            self._drop_fault = fault
            return
        if kind == "trickle":
            self._trickle_fault = fault
            return
        if kind == "bloat":
            self._bloat_fault = fault
            return
        if kind == "close":
            self._kill_socket()
            return
        if kind == "rate_limit":
            status, code = 429, fault.get("code") or "rate_limit_exceeded"
            headers = {"Retry-After": str(fault.get("retry_after", 1))}
            msg = fault.get("message") or "Resource has been exhausted (e.g. check quota)."
        elif kind == "server_error":
            status, code, headers = 500, fault.get("code") or "api_error", {}
            msg = fault.get("message") or "An internal error has occurred. Please retry."
        else:  # "error"
            status = int(fault.get("status", 503))
            code = fault.get("code") or INTERACTIONS_CODE_FOR_STATUS.get(status, "api_error")
            headers = {}
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            msg = fault.get("message") or f"Injected fault ({status} {code})."
        if rpc_family:
            self._rpc_error(RpcError(status, msg, headers, fault.get("rpc_status")))
        else:
            self._api_error(ApiError(status, code, msg, headers))

    def _auth(self, query: str, rpc: bool):
        key = self.headers.get("x-goog-api-key")
        if key is None:
            q = urllib.parse.parse_qs(query, keep_blank_values=True)
            if "key" in q:
                key = q["key"][-1]
        if key != self.state.cfg.api_key:
            msg = ("API key not valid. Please pass a valid API key." if key
                   else "Missing API key: pass the x-goog-api-key header or the key query parameter.")
            if rpc:
                raise RpcError(401, msg)
            raise ApiError(401, "authentication", msg)

    def _check_query(self, query: str, allowed, rpc: bool) -> dict:
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        for k in q:
            if k not in allowed and k != "key":
                msg = (f"Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query "
                       f"parameter. Field '{k}' could not be found in request message.")
                if rpc:
                    raise RpcError(400, msg)
                raise ApiError(400, "parameter_unknown", msg)
        return {k: v[-1] for k, v in q.items()}

    def _route(self, method: str, path: str, query: str, body: bytes):
        m = RE_CREATE.match(path)
        if m:
            self._auth(query, False)
            if method != "POST":
                raise ApiError(404, "not_found", f"Method not found: {method} {path}.")
            self._check_query(query, ("alt",), False)
            return self._create(m.group(1), body)
        m = RE_CANCEL.match(path)
        if m:
            self._auth(query, False)
            if method != "POST":
                raise ApiError(404, "not_found", f"Method not found: {method} {path}.")
            self._check_query(query, ("alt",), False)
            return self._cancel(m.group(1), m.group(2), body)
        m = RE_ONE.match(path)
        if m:
            self._auth(query, False)
            if method == "GET":
                q = self._check_query(query, ("alt", "stream", "include_input", "last_event_id"), False)
                return self._get(m.group(1), m.group(2), q)
            if method == "DELETE":
                self._check_query(query, ("alt",), False)
                return self._delete(m.group(2))
            raise ApiError(404, "not_found", f"Method not found: {method} {path}.")
        m = RE_UPLOAD.match(path)
        if m:
            if method != "POST":
                raise RpcError(404, f"Method not found: {method} {path}.")
            q = urllib.parse.parse_qs(query, keep_blank_values=True)
            if "upload_id" in q:
                return self._upload_chunk(q["upload_id"][-1], body)
            self._auth(query, True)
            self._check_query(query, ("alt", "uploadType", "upload_protocol"), True)
            return self._upload_start(m.group(1), body)
        m = RE_FILES.match(path)
        if m:
            self._auth(query, True)
            if method != "GET":
                raise RpcError(404, f"Method not found: {method} {path}.")
            self._check_query(query, ("alt", "pageSize", "pageToken"), True)
            return self._list_files()
        m = RE_DOWNLOAD.match(path)
        if m:
            self._auth(query, True)
            if method != "GET":
                raise RpcError(404, f"Method not found: {method} {path}.")
            q = self._check_query(query, ("alt",), True)
            return self._download(m.group(2), q)
        m = RE_FILE.match(path)
        if m:
            self._auth(query, True)
            self._check_query(query, ("alt",), True)
            if method == "GET":
                return self._get_file(m.group(2))
            if method == "DELETE":
                return self._delete_file(m.group(2))
            raise RpcError(404, f"Method not found: {method} {path}.")
        m = RE_MEDIA.match(path)
        if m and method == "GET":
            return self._media(m.group(1), query)
        if RE_ENDLESS.match(path) and method == "GET":
            return self._endless(query)
        raise RpcError(404, f"The requested URL {path} was not found on this server.")

    # -- interactions -------------------------------------------------------------
    def _parse_json_body(self, body: bytes):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise invalid(f"Content-Type must be application/json, got '{ctype or 'none'}'.")
        if not body:
            raise invalid("The request body is empty.")

        def bad_constant(c):
            raise ValueError(f"invalid JSON constant {c}")
        try:
            return json.loads(body.decode("utf-8"), parse_constant=bad_constant)
        except (ValueError, UnicodeDecodeError) as e:
            raise invalid(f"Invalid JSON payload received: {e}.") from None

    def _check_api_revision(self):
        rev = self.headers.get("Api-Revision")
        if rev is None:
            return
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", rev.strip()):
            raise invalid(f"Invalid Api-Revision header '{rev}': expected a date such as 2026-05-20.")
        if rev.strip() < "2026-05-20":
            raise invalid(f"Api-Revision {rev} selects the legacy 'outputs' schema, which was "
                          f"removed on 2026-06-08; use 2026-05-20.")

    def _create(self, version: str, raw: bytes):
        st = self.state
        self._check_api_revision()
        body = self._parse_json_body(raw)
        req = validate_create_body(body)
        b = req["body"]
        gen = validate_create_rest(b, st.cfg.lenient_video_config)
        model = b["model"]
        if model not in KNOWN_MODELS:
            raise ApiError(404, "model_not_found",
                           f"Model '{model}' was not found or is not supported by the Interactions API.")
        if b.get("stream") is True:
            raise invalid("stream=true (SSE) is unsupported by the fake; use background=true and poll.")
        store = b.get("store", True)
        background = b.get("background", False)
        prev_id = b.get("previous_interaction_id")
        if not store and background:
            raise invalid("background=true requires store=true.")
        if not store and prev_id:
            raise invalid("previous_interaction_id requires store=true.")
        steps = req["steps"]
        fmt = req["format"]
        # Audio references are not supported by Omni (reference §6).
        parts = [p for s in steps if s["type"] == "user_input" for p in s["content"]]
        for p in parts:
            if p["type"] == "audio":
                raise invalid("Audio input is not supported by gemini-omni-1.1-flash: audio "
                              "references cannot be uploaded.")
        prev = None
        if prev_id:
            prev = st.live_interaction(prev_id)
            if prev is None:
                raise ApiError(404, "not_found", f"Interaction '{prev_id}' was not found; it may "
                                                 f"have been deleted or have expired.")
            status = self._public_status(prev, count=False)
            if status != "completed":
                raise ApiError(400, "failed_precondition",
                               f"previous_interaction_id '{prev_id}' is '{status}'; it must be "
                               f"'completed' before it can be continued.")
        media = self._resolve_media(version, parts)
        text = " ".join(p["text"] for p in parts if p["type"] == "text").strip()
        spec, input_usage = self._plan(text, fmt, gen, media, prev)
        outcome = self._take_outcome(text)
        it = self._new_interaction(version, b, steps, fmt, gen, spec, input_usage, outcome,
                                   background, store, prev_id)
        if background:
            threading.Thread(target=self._run_job, args=(it,), daemon=True).start()
            self._json(200, self._render(it, for_create=True))
            return
        self._run_job(it)
        rendered = self._render(it, for_create=True)
        # store=false: forget it before answering, so that a GET racing the reply never finds it.
        if not store:
            with st.lock:
                st.interactions.pop(it["id"], None)
        self._json(200, rendered)

    def _take_outcome(self, text: str):
        st = self.state
        with st.lock:
            while st.outcomes:
                o = st.outcomes[0]
                if o["remaining"] <= 0:
                    st.outcomes.pop(0)
                    continue
                o["remaining"] -= 1
                if o["remaining"] <= 0:
                    st.outcomes.pop(0)
                return o["outcome"]
        for tag in ("safety", "novideo", "error"):
            if f"[fake:{tag}]" in text:
                return tag
        return "ok"

    def _resolve_media(self, version: str, parts: list) -> dict:
        """Materializes image/video inputs on disk and probes them."""
        st = self.state
        out = {"images": [], "videos": []}
        for i, p in enumerate(parts):
            if p["type"] not in ("image", "video", "document"):
                continue
            if "data" in p:
                data = decode_b64(p["data"], f"input content[{i}].data")
                sha = hashlib.sha256(data).hexdigest()
                path = os.path.join(st.inputs_dir, sha)
                if not os.path.exists(path):
                    tmp = path + f".tmp{threading.get_ident()}"
                    with open(tmp, "wb") as f:
                        f.write(data)
                    os.replace(tmp, path)
            else:
                f = self._file_from_uri(p["uri"], f"content[{i}].uri")
                path, sha = f["path"], f["sha256"]
            if p["type"] == "document":
                continue
            info = st.media.probe(path)
            if info is None:
                raise invalid(f"Unable to process input {p['type']} at content[{i}]: the data could "
                              f"not be decoded as {p['mime_type']}.")
            item = {"path": path, "sha": sha, "info": info}
            out["images" if p["type"] == "image" else "videos"].append(item)
        if len(out["images"]) > MAX_IMAGES:
            raise invalid(f"At most {MAX_IMAGES} images are allowed per request.")
        return out

    def _file_from_uri(self, uri: str, path: str) -> dict:
        st = self.state
        u = urllib.parse.urlsplit(uri)
        base = urllib.parse.urlsplit(st.base_url)
        port = base.port
        ok_hosts = {base.netloc, f"127.0.0.1:{port}", f"localhost:{port}"}
        m = RE_FILE_URI_PATH.match(u.path)
        if u.scheme not in ("http", "https") or u.netloc not in ok_hosts or not m:
            raise invalid(f"Invalid value '{uri}' at '{path}': uri must be a Files API uri returned "
                          f"by this server ({st.base_url}/v1beta/files/<id>).")
        fid = m.group(2)
        f = st.live_file(fid)
        if f is None:
            raise ApiError(403, "permission_denied",
                           f"You do not have permission to access the File {fid} or it may not exist.")
        if f["state"] != "ACTIVE":
            raise ApiError(400, "failed_precondition",
                           f"The File {fid} is not in an ACTIVE state and usage is not allowed.")
        return f

    def _plan(self, text: str, fmt: dict, gen: dict, media: dict, prev) -> tuple:
        W, H = FRAME_SIZES[(fmt["resolution"], fmt["aspect_ratio"])]
        task = gen["task"]
        videos, images = media["videos"], media["images"]
        source = None
        if videos:
            source = videos[0]
        elif prev is not None and prev.get("video_path"):
            source = {"path": prev["video_path"], "sha": prev["video_sha"],
                      "info": prev["video_info"]}
        if task is None:
            if source is not None:
                task = "edit"
            elif images:
                task = "image_to_video"
            else:
                task = "text_to_video"
        if task in ("edit", "extend"):
            if len(videos) > 1:
                raise invalid("Multi-video input is not supported: send one video to edit or extend.")
            if source is None:
                raise invalid(f"task '{task}' needs a source video: a video content part or a "
                              f"previous_interaction_id whose output is a video.")
            if source["info"]["duration"] > MAX_INPUT_VIDEO_S + 0.05:
                raise invalid(f"The input video is {source['info']['duration']:.1f}s long; videos "
                              f"to edit or extend must be at most 10s.")
        if task == "reference_to_video":
            if len(videos) > MAX_REFERENCE_VIDEOS:
                raise invalid(f"At most {MAX_REFERENCE_VIDEOS} reference videos are allowed.")
            for v in videos:
                if v["info"]["duration"] > MAX_REFERENCE_VIDEO_S + 0.05:
                    raise invalid("Reference videos must be at most 3s long each.")
        if task == "image_to_video" and not images:
            raise invalid("task 'image_to_video' needs an image content part.")
        duration = fmt["duration"]
        spec = {"width": W, "height": H, "text": text, "seed": gen["seed"]}
        if task == "edit":
            if duration is None:
                duration = min(max(source["info"]["duration"], MIN_DURATION_S), MAX_DURATION_S)
                duration = round(duration, 3)
            low = text.lower()
            grade = "warm" if "warm" in low else ("cool" if ("cool" in low or "blue" in low) else "text")
            spec.update(kind="edit", grade=grade, source_path=source["path"], source_sha=source["sha"],
                        source_duration=round(source["info"]["duration"], 3),
                        source_has_audio=source["info"]["has_audio"])
        elif task == "extend":
            if duration is None:
                duration = MAX_DURATION_S
            src_d = round(source["info"]["duration"], 3)
            if src_d + duration > MAX_EXTENDED_TOTAL_S:
                raise invalid(f"Extending a {src_d:.1f}s video by {duration:g}s exceeds the maximum "
                              f"total length of 40s.")
            spec.update(kind="extend", source_path=source["path"], source_sha=source["sha"],
                        source_duration=src_d, source_has_audio=source["info"]["has_audio"])
        elif task == "image_to_video":
            if duration is None:
                duration = MAX_DURATION_S
            spec.update(kind="image_to_video", image_path=images[0]["path"], image_sha=images[0]["sha"])
        else:  # text_to_video, reference_to_video
            if duration is None:
                duration = MAX_DURATION_S
            spec.update(kind="text_to_video",
                        refs=[x["sha"] for x in images + videos] if task == "reference_to_video" else [])
        spec["duration"] = duration
        spec["task"] = task
        out_seconds = duration if task != "extend" else spec["source_duration"] + duration
        spec["output_seconds"] = round(out_seconds, 3)
        # Input usage (approximation, see README).
        by_mod = []
        t_tok = math.ceil(len(text) / TEXT_CHARS_PER_TOKEN) if text else 0
        if t_tok:
            by_mod.append({"modality": "text", "tokens": t_tok})
        if images:
            by_mod.append({"modality": "image", "tokens": IMAGE_INPUT_TOKENS * len(images)})
        v_secs = sum(v["info"]["duration"] for v in videos)
        if not videos and prev is not None and prev.get("video_info"):
            v_secs = prev["video_info"]["duration"]
        if v_secs:
            by_mod.append({"modality": "video", "tokens": math.ceil(v_secs * VIDEO_INPUT_TOKENS_PER_SECOND)})
        usage_in = {"total": sum(x["tokens"] for x in by_mod), "by_modality": by_mod}
        return spec, usage_in

    def _new_interaction(self, version, b, steps, fmt, gen, spec, input_usage, outcome,
                         background, store, prev_id) -> dict:
        st = self.state
        iid = "v1_" + rand_id(40, string.ascii_letters + string.digits)
        now = time.time()
        it = {
            "id": iid, "version": version, "model": b["model"], "created_ts": now,
            "created": iso_at(now), "updated": iso_at(now), "background": background,
            "store": store, "previous_interaction_id": prev_id, "input_steps": steps,
            "format": fmt, "spec": spec, "input_usage": input_usage, "outcome": outcome,
            "polls": 0, "cancelled": False, "deleted": False, "expired": False,
            "final_status": None, "output_step": None, "errors": None, "usage": None,
            "video_path": None, "video_sha": None, "video_info": None, "file_id": None,
            "done": threading.Event(),
            "echo": {k: b[k] for k in ("response_format", "generation_config", "labels",
                                        "service_tier", "webhook_config", "response_modalities",
                                        "response_mime_type") if k in b},
        }
        with st.lock:
            st.interactions[iid] = it
        return it

    def _run_job(self, it: dict):
        st = self.state
        try:
            outcome = it["outcome"]
            in_tok = it["input_usage"]["total"]
            if outcome == "safety":
                msg = ("The generation was blocked because the request may violate the safety "
                       "policy (fake safety block).")
                it["final_status"] = "failed"
                it["errors"] = [{"code": "safety", "message": msg}]
                it["output_step"] = {"type": "model_output", "content": [],
                                     "error": {"code": 3, "message": msg}}
                it["usage"] = self._usage(in_tok, it["input_usage"]["by_modality"], 0)
                return
            if outcome == "error":
                msg = "The model failed to generate the video (fake error)."
                it["final_status"] = "failed"
                it["errors"] = [{"code": "api_error", "message": msg}]
                it["output_step"] = {"type": "model_output", "content": [],
                                     "error": {"code": 13, "message": msg}}
                it["usage"] = self._usage(in_tok, it["input_usage"]["by_modality"], 0)
                return
            if outcome == "novideo":
                it["final_status"] = "completed"
                it["output_step"] = {"type": "model_output", "content": [
                    {"type": "text", "text": "I can't generate or edit this video in your region "
                                             "(fake completed-without-video)."}]}
                it["usage"] = self._usage(in_tok, it["input_usage"]["by_modality"], 0)
                return
            spec = it["spec"]
            key_spec = {k: v for k, v in spec.items() if not k.endswith("_path")}
            paths = {k: v for k, v in spec.items() if k.endswith("_path")}
            path = st.media.generate(key_spec, paths)
            info = st.media.probe(path) or {"duration": spec["output_seconds"], "has_audio": True}
            sha = sha256_file(path)
            it["video_path"], it["video_sha"], it["video_info"] = path, sha, info
            seconds = spec["output_seconds"]
            out_tok = int(round(seconds * TOKENS_PER_SECOND[it["format"]["resolution"]]))
            it["usage"] = self._usage(in_tok, it["input_usage"]["by_modality"], out_tok)
            if it["format"]["delivery"] == "uri":
                it["file_id"] = self._register_generated(path, sha, it["version"])
            it["final_status"] = "completed"
        except GenerationError as e:
            it["final_status"] = "failed"
            it["errors"] = [{"code": "api_error", "message": str(e)[:500]}]
            it["output_step"] = {"type": "model_output", "content": [],
                                 "error": {"code": 13, "message": "Video generation failed."}}
        finally:
            it["updated"] = now_iso()
            it["done"].set()

    @staticmethod
    def _usage(in_tok: int, in_by_mod: list, out_tok: int) -> dict:
        return {
            "total_input_tokens": in_tok, "total_output_tokens": out_tok,
            "total_thought_tokens": 0, "total_cached_tokens": 0, "total_tool_use_tokens": 0,
            "total_tokens": in_tok + out_tok,
            "input_tokens_by_modality": in_by_mod,
            "output_tokens_by_modality": [{"modality": "video", "tokens": out_tok}] if out_tok else [],
        }

    def _register_generated(self, path: str, sha: str, version: str) -> str:
        st = self.state
        fid = rand_id(12, string.ascii_lowercase + string.digits)
        now = time.time()
        with st.lock:
            st.files[fid] = {
                "id": fid, "version": version, "display_name": None, "mime_type": "video/mp4",
                "size": os.path.getsize(path), "sha256": sha, "path": path,
                "state": ("FAILED" if st.cfg.generated_file_fails else
                          "PROCESSING" if st.cfg.generated_processing_polls > 0 else "ACTIVE"),
                "source": "GENERATED", "create_ts": now,
                "processing_left": st.cfg.generated_processing_polls,
                "deleted": False, "expired": False,
            }
        return fid

    def _public_status(self, it: dict, count: bool) -> str:
        """Status as seen by a client; GET calls advance background interactions."""
        st = self.state
        with st.lock:
            if count:
                it["polls"] += 1
            if it["cancelled"]:
                return "cancelled"
            if not it["background"]:
                pass
            else:
                n = st.cfg.polls_per_status
                stage = 2 if n <= 0 and it["polls"] > 0 else (it["polls"] // n if n > 0 else 0)
                if stage == 0:
                    return "queued"
                if stage == 1:
                    return "in_progress"
        if not it["done"].wait(GENERATION_WAIT_S):
            return "in_progress"
        return it["final_status"]

    def _render(self, it: dict, for_create: bool = False, status: str | None = None,
                quirk_inline: bool = False) -> dict:
        st = self.state
        if status is None:
            status = self._public_status(it, count=False) if it["background"] else it["final_status"]
        if it["background"] and for_create:
            status = "cancelled" if it["cancelled"] else "queued"
        obj = {"id": it["id"], "object": "interaction", "model": it["model"], "status": status,
               "created": it["created"], "updated": it["updated"]}
        if it["previous_interaction_id"]:
            obj["previous_interaction_id"] = it["previous_interaction_id"]
        steps = [] if (for_create and st.cfg.post_output_steps_only) else list(it["input_steps"])
        terminal = status in ("completed", "failed")
        if terminal:
            if it["output_step"] is not None:
                steps.append(it["output_step"])
            elif it["video_path"]:
                video = {"type": "video", "mime_type": "video/mp4"}
                if it["file_id"] and not quirk_inline:
                    video["uri"] = (f"{st.base_url}/{it['version']}/files/{it['file_id']}"
                                    f":download?alt=media")
                    if st.cfg.video_uri:
                        video["uri"] = self._template(st.cfg.video_uri, it["version"], it["file_id"])
                else:
                    with open(it["video_path"], "rb") as f:
                        video["data"] = base64.b64encode(f.read()).decode("ascii")
                steps.append({"type": "model_output", "content": [video]})
        obj["steps"] = steps
        if terminal:
            if it["usage"] is not None:
                obj["usage"] = it["usage"]
            if it["errors"]:
                obj["errors"] = it["errors"]
        obj.update(it["echo"])
        return obj

    def _get(self, version: str, iid: str, q: dict):
        if q.get("stream", "false").lower() in ("true", "1"):
            raise invalid("stream=true (SSE) is unsupported by the fake; poll without stream.")
        for k in ("stream", "include_input"):
            if k in q and q[k].lower() not in ("true", "false", "1", "0"):
                raise invalid(f"Invalid value '{q[k]}' for query parameter '{k}': expected a boolean.")
        it = self.state.live_interaction(iid)
        if it is None:
            raise ApiError(404, "not_found", f"Interaction '{iid}' was not found.")
        status = self._public_status(it, count=True)
        self._json(200, self._render(it, status=status, quirk_inline=self.state.cfg.quirk_get_inline))

    def _cancel(self, version: str, iid: str, raw: bytes):
        if raw.strip():
            body = self._parse_json_body(raw)
            if not isinstance(body, dict):
                raise invalid("The request body must be a JSON object.")
            check_fields(drop_nulls(body), (), "")
        st = self.state
        it = st.live_interaction(iid)
        if it is None:
            raise ApiError(404, "not_found", f"Interaction '{iid}' was not found.")
        status = self._public_status(it, count=False)
        if not it["background"] or status not in ("queued", "in_progress"):
            raise ApiError(400, "failed_precondition",
                           f"Only running background interactions can be cancelled; "
                           f"interaction '{iid}' is '{status}'.")
        with st.lock:
            it["cancelled"] = True
            it["updated"] = now_iso()
        self._json(200, self._render(it, status="cancelled"))

    def _delete(self, iid: str):
        st = self.state
        it = st.live_interaction(iid)
        if it is None:
            raise ApiError(404, "not_found", f"Interaction '{iid}' was not found.")
        with st.lock:
            it["deleted"] = True
            it["cancelled"] = True
        self._json(200, {})

    # -- Files API ------------------------------------------------------------------
    def _file_json(self, f: dict) -> dict:
        st = self.state
        base = f"{st.base_url}/{f['version']}/files/{f['id']}"
        d = {"name": f"files/{f['id']}"}
        if f["display_name"] is not None:
            d["displayName"] = f["display_name"]
        d.update({
            "mimeType": f["mime_type"], "sizeBytes": str(f["size"]),
            "createTime": iso_at(f["create_ts"], micros=True),
            "updateTime": iso_at(f["create_ts"], micros=True),
            "expirationTime": iso_at(f["create_ts"] + st.cfg.file_retention_seconds, micros=True),
            "sha256Hash": base64.b64encode(f["sha256"].encode("ascii")).decode("ascii"),
            "uri": base,
        })
        if f["source"] == "GENERATED":
            d["downloadUri"] = base + ":download?alt=media"
        d["state"] = f["state"]
        d["source"] = f["source"]
        return d

    def _upload_start(self, version: str, raw: bytes):
        st = self.state
        h = self.headers
        proto = (h.get("X-Goog-Upload-Protocol") or "").strip().lower()
        if proto != "resumable":
            raise RpcError(400, "The fake Files API only supports X-Goog-Upload-Protocol: resumable.")
        cmd = (h.get("X-Goog-Upload-Command") or "").strip().lower()
        if cmd != "start":
            raise RpcError(400, f"X-Goog-Upload-Command must be 'start' to begin an upload, got '{cmd}'.")
        length = h.get("X-Goog-Upload-Header-Content-Length")
        if length is None or not re.fullmatch(r"\d+", length.strip()):
            raise RpcError(400, "Missing or invalid X-Goog-Upload-Header-Content-Length header.")
        size = int(length)
        if size <= 0:
            raise RpcError(400, "X-Goog-Upload-Header-Content-Length must be greater than 0.")
        if size > MAX_FILE_BYTES:
            raise RpcError(400, f"File size {size} exceeds the maximum of {MAX_FILE_BYTES} bytes.")
        mime = (h.get("X-Goog-Upload-Header-Content-Type") or "").strip()
        if not re.fullmatch(r"[a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+", mime):
            raise RpcError(400, "Missing or invalid X-Goog-Upload-Header-Content-Type header.")
        meta = {}
        if raw.strip():
            ctype = (h.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise RpcError(400, f"Content-Type must be application/json, got '{ctype or 'none'}'.")
            try:
                body = json.loads(raw)
            except ValueError as e:
                raise RpcError(400, f"Invalid JSON payload received. {e}") from None
            if not isinstance(body, dict):
                raise RpcError(400, "Invalid JSON payload received. Expected an object.")
            for k in body:
                if k != "file":
                    raise RpcError(400, f"Invalid JSON payload received. Unknown name \"{k}\": "
                                        f"Cannot find field.")
            fobj = body.get("file") or {}
            if not isinstance(fobj, dict):
                raise RpcError(400, "Invalid JSON payload received. 'file' must be an object.")
            for k, v in fobj.items():
                camel = FILE_FIELDS_SNAKE.get(k, k)
                if camel not in FILE_FIELDS_CAMEL:
                    raise RpcError(400, f"Invalid JSON payload received. Unknown name \"{k}\" at "
                                        f"'file': Cannot find field.")
                if v is None:
                    continue
                if not isinstance(v, str) and not (camel == "sizeBytes" and is_int(v)):
                    raise RpcError(400, f"Invalid value at 'file.{k}': expected string.")
                meta[camel] = str(v)
        name = meta.get("name")
        if name:
            fid = name[len("files/"):] if name.startswith("files/") else name
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]?", fid):
                raise RpcError(400, f"Invalid file name '{name}': use up to 40 lowercase letters, "
                                    f"digits or dashes.")
            with st.lock:
                if fid in st.files and not st.files[fid]["deleted"]:
                    raise RpcError(409, f"File files/{fid} already exists.")
        else:
            fid = rand_id(12, string.ascii_lowercase + string.digits)
        upload_id = rand_id(48, string.ascii_letters + string.digits + "-_")
        path = os.path.join(st.files_dir, f"{fid}.{upload_id[:8]}.part")
        open(path, "wb").close()
        with st.lock:
            st.uploads[upload_id] = {
                "file_id": fid, "version": version, "size": size, "received": 0,
                "mime": meta.get("mimeType") or mime, "display_name": meta.get("displayName"),
                "path": path, "status": "active", "final_file": None,
            }
        url = (f"{st.base_url}/upload/{version}/files?upload_id={upload_id}"
               f"&upload_protocol=resumable")
        self._send(200, b"", {
            "x-goog-upload-url": url, "x-goog-upload-status": "active",
            "x-goog-upload-control-url": url,
            "x-goog-upload-chunk-granularity": str(UPLOAD_CHUNK_GRANULARITY),
        }, content_type="text/plain; charset=utf-8")
        self._status_sent = 200

    def _upload_chunk(self, upload_id: str, data: bytes):
        st = self.state
        with st.lock:
            up = st.uploads.get(upload_id)
        if up is None:
            raise RpcError(404, "Upload session not found or expired.")
        cmds = [c.strip().lower() for c in (self.headers.get("X-Goog-Upload-Command") or "").split(",")]
        cmds = [c for c in cmds if c]
        valid = ({"upload"}, {"upload", "finalize"}, {"finalize"}, {"query"}, {"cancel"})
        if set(cmds) not in valid or len(cmds) != len(set(cmds)):
            raise RpcError(400, f"Invalid X-Goog-Upload-Command '{self.headers.get('X-Goog-Upload-Command')}'.",
                           {"x-goog-upload-status": up["status"]})
        status_hdr = lambda: {"x-goog-upload-status": up["status"],  # noqa: E731
                              "x-goog-upload-size-received": str(up["received"])}
        if cmds == ["query"]:
            if up["status"] == "final":
                return self._json(200, {"file": self._file_json(up["final_file"])}, status_hdr())
            self._send(200, b"", status_hdr(), content_type="text/plain; charset=utf-8")
            self._status_sent = 200
            return
        if cmds == ["cancel"]:
            with st.lock:
                up["status"] = "cancelled"
                st.uploads.pop(upload_id, None)
            try:
                os.remove(up["path"])
            except OSError:
                pass
            self._send(200, b"", {"x-goog-upload-status": "cancelled"},
                       content_type="text/plain; charset=utf-8")
            self._status_sent = 200
            return
        if up["status"] != "active":
            raise RpcError(400, f"The upload session is already {up['status']}.", status_hdr())
        off = self.headers.get("X-Goog-Upload-Offset")
        if off is None or not re.fullmatch(r"\d+", off.strip()):
            raise RpcError(400, "Missing or invalid X-Goog-Upload-Offset header.", status_hdr())
        off = int(off)
        with st.lock:
            if off != up["received"]:
                raise RpcError(400, f"Invalid X-Goog-Upload-Offset {off}: the server has received "
                                    f"{up['received']} bytes.", status_hdr())
            if up["received"] + len(data) > up["size"]:
                raise RpcError(400, f"The upload exceeds the declared size of {up['size']} bytes.",
                               status_hdr())
            finalize = "finalize" in cmds
            if (st.cfg.enforce_chunk_granularity and not finalize and data
                    and len(data) % UPLOAD_CHUNK_GRANULARITY):
                raise RpcError(400, f"Non-final chunks must be a multiple of "
                                    f"{UPLOAD_CHUNK_GRANULARITY} bytes.", status_hdr())
            if data:
                with open(up["path"], "ab") as f:
                    f.write(data)
                up["received"] += len(data)
            if finalize:
                if up["received"] != up["size"]:
                    raise RpcError(400, f"Cannot finalize: received {up['received']} of "
                                        f"{up['size']} declared bytes.", status_hdr())
                final_path = os.path.join(st.files_dir, up["file_id"])
                os.replace(up["path"], final_path)
                now = time.time()
                f = {
                    "id": up["file_id"], "version": up["version"],
                    "display_name": up["display_name"], "mime_type": up["mime"],
                    "size": up["size"], "sha256": sha256_file(final_path), "path": final_path,
                    "state": "ACTIVE" if st.cfg.file_processing_polls <= 0 else "PROCESSING",
                    "source": "UPLOADED", "create_ts": now,
                    "processing_left": st.cfg.file_processing_polls,
                    "deleted": False, "expired": False,
                }
                st.files[f["id"]] = f
                up["status"] = "final"
                up["final_file"] = f
                return self._json(200, {"file": self._file_json(f)}, status_hdr())
        self._send(200, b"", status_hdr(), content_type="text/plain; charset=utf-8")
        self._status_sent = 200

    def _missing_file(self, fid: str) -> RpcError:
        return RpcError(403, f"You do not have permission to access the File {fid} or it may not exist.")

    def _get_file(self, fid: str):
        st = self.state
        f = st.live_file(fid)
        if f is None:
            raise self._missing_file(fid)
        with st.lock:
            if f["state"] == "PROCESSING":
                f["processing_left"] -= 1
                if f["processing_left"] < 0:
                    f["state"] = "ACTIVE"
        self._json(200, self._file_json(f))

    def _list_files(self):
        st = self.state
        with st.lock:
            ids = list(st.files)
        files = [self._file_json(f) for f in (st.live_file(i) for i in ids) if f is not None]
        self._json(200, {"files": files} if files else {})

    def _delete_file(self, fid: str):
        st = self.state
        f = st.live_file(fid)
        if f is None:
            raise self._missing_file(fid)
        with st.lock:
            f["deleted"] = True
        self._json(200, {})

    def _download(self, fid: str, q: dict):
        st = self.state
        if q.get("alt") != "media":
            raise RpcError(400, "Downloading file content requires the query parameter alt=media.")
        f = st.live_file(fid)
        if f is None:
            raise self._missing_file(fid)
        if f["source"] != "GENERATED":
            raise RpcError(400, f"Only generated files can be downloaded; File {fid} was uploaded.")
        if f["state"] != "ACTIVE":
            raise RpcError(400, f"File {fid} is not in an ACTIVE state (it is {f['state']}) and usage is not "
                                "allowed.", rpc_status="FAILED_PRECONDITION")
        if st.cfg.download_location:
            loc = self._template(st.cfg.download_location, "v1", fid)
            self._send(307, b"", {"Location": loc}, content_type=None)
            self._status_sent = 307
            return
        if st.cfg.download_redirect:
            token = secrets.token_hex(16)
            with st.lock:
                st.media_tokens[token] = fid
            loc = f"{st.base_url}/_fake_media/{fid}?token={token}"
            self._send(302, b"", {"Location": loc}, content_type=None)
            self._status_sent = 302
            return
        self._serve_bytes(f)

    def _template(self, text: str, version: str, fid: str) -> str:
        return (text.replace("{base}", self.state.base_url).replace("{v}", version)
                .replace("{fid}", fid or ""))

    def _endless(self, query: str):
        """A body of zero bytes that does not end (up to 8 GiB), for size caps.
        With ?declared=1 it also claims that size in Content-Length."""
        q = urllib.parse.parse_qs(query)
        total = 8 << 30
        self._status_sent = 200
        if self._entry is not None:
            self._entry["status"] = 200
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        if (q.get("declared") or [""])[-1] == "1":
            self.send_header("Content-Length", str(total))
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = bytes(1 << 20)
        sent = 0
        try:
            while sent < total:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        if self._entry is not None:
            self._entry["bytes_sent"] = sent

    def _media(self, fid: str, query: str):
        st = self.state
        q = urllib.parse.parse_qs(query)
        token = (q.get("token") or [""])[-1]
        with st.lock:
            ok = st.media_tokens.get(token) == fid
        f = st.live_file(fid) if ok else None
        if f is None:
            raise RpcError(403, "The signed media URL is invalid or has expired.")
        self._serve_bytes(f)

    def _serve_bytes(self, f: dict):
        size = f["size"]
        rng = self.headers.get("Range")
        headers = {"Accept-Ranges": "bytes", "X-Goog-Hash": f"sha256={f['sha256']}"}
        start, end, status = 0, size - 1, 200
        if rng:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if not m or (m.group(1) == "" and m.group(2) == ""):
                raise RpcError(400, f"Invalid Range header '{rng}'.")
            if m.group(1) == "":  # suffix range bytes=-N
                n = int(m.group(2))
                start = max(0, size - n)
            else:
                start = int(m.group(1))
                if m.group(2):
                    end = min(int(m.group(2)), size - 1)
            if start >= size or start > end:
                raise RpcError(416, f"Requested range not satisfiable: {rng} (size {size}).",
                               {"Content-Range": f"bytes */{size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        with open(f["path"], "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start + 1)
        self._status_sent = status
        self._send(status, data, headers, content_type=f["mime_type"])

    # -- admin --------------------------------------------------------------------------
    def _admin(self, method: str, path: str, query: str, raw: bytes):
        st = self.state
        body = {}
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise invalid("Admin bodies must be JSON.") from None
            if not isinstance(body, dict):
                raise invalid("Admin bodies must be JSON objects.")
        q = dict(urllib.parse.parse_qsl(query))
        if path == "/_admin/requests":
            if method == "GET":
                since = int(q.get("since", "0") or 0)
                with st.lock:
                    reqs = [r for r in st.requests if r["seq"] > since]
                return self._json(200, {"requests": reqs})
            if method == "DELETE":
                with st.lock:
                    st.requests = []
                return self._json(200, {})
        if path == "/_admin/reset" and method == "POST":
            st.reset()
            return self._json(200, {"reset": True})
        if path == "/_admin/faults":
            if method == "GET":
                with st.lock:
                    return self._json(200, {"faults": list(st.faults)})
            if method == "DELETE":
                with st.lock:
                    st.faults = []
                return self._json(200, {})
            if method == "POST":
                kind = body.get("kind")
                if kind not in ("rate_limit", "server_error", "error", "delay", "hold", "drop", "close", "trickle", "bloat"):
                    raise invalid("kind must be rate_limit, server_error, error, delay, hold, drop, close, trickle or bloat.")
                pat = body.get("path", ".*")
                try:
                    re.compile(pat)
                except re.error as e:
                    raise invalid(f"path is not a valid regex: {e}") from None
                count = body.get("count", 1)
                if not is_int(count) or count < 1:
                    raise invalid("count must be a positive integer.")
                with st.lock:
                    st.fault_seq += 1
                    f = {"id": st.fault_seq, "kind": kind, "method": (body.get("method") or "*").upper(),
                         "path": pat, "remaining": count, "hits": 0}
                    for k in ("delay_seconds", "status", "code", "message", "retry_after",
                              "after_bytes", "rpc_status", "interval_seconds", "bloat_bytes"):
                        if k in body:
                            f[k] = body[k]
                    st.faults.append(f)
                return self._json(200, {"fault": f})
        if path == "/_admin/release" and method == "POST":
            with st.released:
                st.release_count += 1
                st.released.notify_all()
            return self._json(200, {"released": True})
        if path == "/_admin/outcomes" and method == "POST":
            outcome = body.get("outcome")
            if outcome not in ("safety", "novideo", "error", "ok"):
                raise invalid("outcome must be safety, novideo, error or ok.")
            count = body.get("count", 1)
            if not is_int(count) or count < 1:
                raise invalid("count must be a positive integer.")
            with st.lock:
                st.outcomes.append({"outcome": outcome, "remaining": count})
            return self._json(200, {"outcomes": list(st.outcomes)})
        if path == "/_admin/config":
            if method == "POST":
                for k, v in body.items():
                    typ = Config.MUTABLE.get(k)
                    if typ is None:
                        raise invalid(f"Unknown config key '{k}'.")
                    if typ is bool and not isinstance(v, bool):
                        raise invalid(f"'{k}' must be a boolean.")
                    if typ in (int, float) and (not isinstance(v, (int, float)) or isinstance(v, bool)):
                        raise invalid(f"'{k}' must be a number.")
                    if typ is str and not isinstance(v, str):
                        raise invalid(f"'{k}' must be a string.")
                    setattr(st.cfg, k, typ(v))
            if method in ("GET", "POST"):
                return self._json(200, st.cfg.as_json())
        if path == "/_admin/interactions" and method == "GET":
            with st.lock:
                items = [{"id": i["id"], "status": i["final_status"], "background": i["background"],
                          "polls": i["polls"], "cancelled": i["cancelled"], "deleted": i["deleted"],
                          "expired": i["expired"], "previous_interaction_id": i["previous_interaction_id"],
                          "file_id": i["file_id"], "spec": {k: v for k, v in i["spec"].items()
                                                             if not k.endswith("_path")}}
                         for i in st.interactions.values()]
            return self._json(200, {"interactions": items})
        m = re.fullmatch(r"/_admin/interactions/([^/]+)/expire", path)
        if m and method == "POST":
            with st.lock:
                it = st.interactions.get(m.group(1))
                if it is None:
                    raise ApiError(404, "not_found", "no such interaction")
                it["expired"] = True
            return self._json(200, {"id": m.group(1), "expired": True})
        m = re.fullmatch(r"/_admin/files/([^/]+)/activate", path)
        if m and method == "POST":
            with st.lock:
                f = st.files.get(m.group(1))
                if f is None:
                    raise ApiError(404, "not_found", "no such file")
                f["state"], f["processing_left"] = "ACTIVE", 0
            return self._json(200, {"id": m.group(1), "state": "ACTIVE"})
        m = re.fullmatch(r"/_admin/files/([^/]+)/expire", path)
        if m and method == "POST":
            with st.lock:
                f = st.files.get(m.group(1))
                if f is None:
                    raise ApiError(404, "not_found", "no such file")
                f["expired"] = True
            return self._json(200, {"id": m.group(1), "expired": True})
        if path == "/_admin/health" and method == "GET":
            return self._json(200, {"ok": True, "base_url": st.base_url})
        raise ApiError(404, "not_found", f"Unknown admin endpoint {method} {path}.")


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Local fake of the Gemini Interactions API (Omni video).")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--port-file", help="write the chosen port here once listening")
    p.add_argument("--state-dir", required=True, help="directory for uploaded and generated files")
    p.add_argument("--api-key", default=os.environ.get("FAKE_GEMINI_API_KEY") or "test-key")
    p.add_argument("--public-base-url", default=None,
                   help="base URL used in returned URIs (default http://127.0.0.1:PORT)")
    p.add_argument("--polls-per-status", type=int, default=1,
                   help="GETs spent in each of queued and in_progress for background interactions")
    p.add_argument("--retention-seconds", type=float, default=55 * 86400)
    p.add_argument("--file-retention-seconds", type=float, default=48 * 3600)
    p.add_argument("--file-processing-polls", type=int, default=0,
                   help="GET files/<id> calls an uploaded file stays PROCESSING")
    p.add_argument("--download-redirect", action="store_true",
                   help=":download answers 302 to a signed /_fake_media URL")
    p.add_argument("--video-uri", default="",
                   help="hostile: hand out this video uri instead of the real one ({base}, {v}, {fid} expand)")
    p.add_argument("--generated-processing-polls", type=int, default=1,
                   help="a generated file reports PROCESSING for the first N GET files/<id> (0 = ACTIVE at once)")
    p.add_argument("--generated-file-fails", action="store_true",
                   help="a generated file ends FAILED instead of ACTIVE")
    p.add_argument("--download-location", default="",
                   help="hostile: :download answers 307 to this URL ({base}, {v}, {fid} expand)")
    p.add_argument("--quirk-get-inline", action="store_true",
                   help="GET returns the video inline even when delivery was uri (preview-doc caveat)")
    p.add_argument("--post-output-steps-only", action="store_true",
                   help="create responses carry only output steps (migration-guide behavior)")
    p.add_argument("--lenient-video-config", action="store_true",
                   help="ignore unknown keys inside generation_config.video_config (live-probe behavior)")
    p.add_argument("--enforce-chunk-granularity", action="store_true",
                   help="non-final upload chunks must be multiples of 256 KiB")
    p.add_argument("--max-seconds", type=float, default=600.0,
                   help="exit by itself after this many seconds")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    ns = parse_args(argv)
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            sys.stderr.write(f"fake_interactions: {tool} not found on PATH\n")
            return 2
    state_dir = os.path.abspath(ns.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    cfg = Config(ns)
    media = Media(state_dir)
    state = State(cfg, state_dir, media)
    Handler.state = state
    Handler.verbose = ns.verbose
    httpd = Server(("127.0.0.1", ns.port), Handler)
    port = httpd.server_address[1]
    state.base_url = (ns.public_base_url or f"http://127.0.0.1:{port}").rstrip("/")

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    if ns.port_file:
        tmp = ns.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, ns.port_file)
    print(f"fake_interactions listening on {state.base_url}", flush=True)
    deadline = time.monotonic() + ns.max_seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            print("fake_interactions: --max-seconds reached, exiting", flush=True)
            break
        stop.wait(min(left, 1.0))
    httpd.shutdown()
    httpd.server_close()
    media.kill_all()
    t.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
