"""Shared fixtures: start the fake on a free loopback port, talk to it over HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "fake_interactions.py")
API_KEY = "fake-test-key-7f3a"
MODEL = "gemini-omni-1.1-flash"

DEFAULT_CONFIG = {
    "polls_per_status": 1, "retention_seconds": 55 * 86400.0,
    "file_retention_seconds": 48 * 3600.0, "file_processing_polls": 0,
    "download_redirect": False, "quirk_get_inline": False,
    "post_output_steps_only": False, "lenient_video_config": False,
    "enforce_chunk_granularity": False, "video_uri": "", "download_location": "",
    "generated_processing_polls": 0, "generated_file_fails": False,
}


class Resp:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name: str):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<Resp {self.status} {self.body[:300]!r}>"


class Fake:
    def __init__(self, proc: subprocess.Popen, port: int, state_dir: str):
        self.proc = proc
        self.port = port
        self.state_dir = state_dir
        self.base = f"http://127.0.0.1:{port}"

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                key: str | None = API_KEY, raw: bytes | None = None,
                content_type: str | None = "application/json", timeout: float = 60) -> Resp:
        if path.startswith("http://"):
            u = urllib.parse.urlsplit(path)
            path = u.path + (("?" + u.query) if u.query else "")
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type and "Content-Type" not in hdrs:
            hdrs["Content-Type"] = content_type
        if key is not None:
            hdrs.setdefault("x-goog-api-key", key)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            payload = r.read()
            return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)
        finally:
            conn.close()

    def create(self, body: dict, version: str = "v1", **kw) -> Resp:
        return self.request("POST", f"/{version}/interactions", body, **kw)

    def get(self, iid: str, version: str = "v1", **kw) -> Resp:
        return self.request("GET", f"/{version}/interactions/{iid}", **kw)

    def admin(self, method: str, path: str, body=None) -> Resp:
        r = self.request(method, path, body, key=None)
        assert r.status == 200, r
        return r

    def poll_until_terminal(self, iid: str, version: str = "v1", max_polls: int = 20) -> tuple:
        seen = []
        for _ in range(max_polls):
            r = self.get(iid, version)
            assert r.status == 200, r
            seen.append(r.json["status"])
            if r.json["status"] in ("completed", "failed", "cancelled", "incomplete"):
                return r.json, seen
        raise AssertionError(f"not terminal after {max_polls} polls: {seen}")


def start_fake(state_dir: str, *extra: str, api_key: str = API_KEY) -> Fake:
    os.makedirs(state_dir, exist_ok=True)
    port_file = os.path.join(state_dir, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    proc = subprocess.Popen(
        [sys.executable, SERVER, "--port", "0", "--port-file", port_file, "--state-dir",
         state_dir, "--api-key", api_key, *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                txt = f.read().strip()
            if txt:
                return Fake(proc, int(txt), state_dir)
        if proc.poll() is not None:
            raise RuntimeError(f"fake exited early: {proc.stderr.read().decode()}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("fake did not write its port file in time")


def stop_fake(fake: Fake) -> int:
    if fake.proc.poll() is None:
        fake.proc.send_signal(signal.SIGTERM)
        try:
            return fake.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fake.proc.kill()
            fake.proc.wait(timeout=5)
            raise
    return fake.proc.returncode


@pytest.fixture(scope="session")
def fake_server(tmp_path_factory):
    f = start_fake(str(tmp_path_factory.mktemp("fake-state")), "--max-seconds", "300")
    yield f
    stop_fake(f)


@pytest.fixture
def fake(fake_server):
    fake_server.admin("POST", "/_admin/reset")
    fake_server.admin("POST", "/_admin/config", DEFAULT_CONFIG)
    return fake_server


# -- media helpers ---------------------------------------------------------------------------


def ffprobe_bytes(data: bytes, tmp_path) -> dict:
    p = tmp_path / f"probe-{time.monotonic_ns()}.mp4"
    p.write_bytes(data)
    return ffprobe_path(str(p))


def ffprobe_path(path: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                          "-show_streams", path], capture_output=True, timeout=30, check=True)
    info = json.loads(out.stdout)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next((s for s in info["streams"] if s["codec_type"] == "audio"), None)
    return {
        "format": info["format"]["format_name"], "duration": float(info["format"]["duration"]),
        "vcodec": v["codec_name"], "width": v["width"], "height": v["height"],
        "fps": v["r_frame_rate"], "acodec": a and a["codec_name"], "channels": a and a["channels"],
    }


def mean_rgb(path: str, at: float = 1.0) -> tuple:
    out = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(at), "-i", path, "-frames:v", "1",
                          "-vf", "scale=32:18", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, timeout=30, check=True).stdout
    n = len(out) // 3
    return tuple(sum(out[i::3]) / n for i in range(3))


def make_clip(path: str, seconds: float = 3, size: str = "640x360", audio: bool = True) -> str:
    args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
            f"testsrc2=size={size}:rate=24:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=300:sample_rate=48000:duration={seconds}",
                 "-c:a", "aac", "-ac", "2"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-t", str(seconds), path]
    subprocess.run(args, check=True, timeout=60, capture_output=True)
    return path


def make_png(path: str, size: str = "320x180") -> str:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"color=c=orange:size={size}", "-frames:v", "1", path],
                   check=True, timeout=30, capture_output=True)
    return path


def video_of(interaction: dict) -> dict | None:
    outs = [s for s in interaction.get("steps", []) if s["type"] == "model_output"]
    if not outs:
        return None
    return next((c for c in outs[-1].get("content", []) if c["type"] == "video"), None)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
