"""Referee: the official google-genai SDK, pointed at the fake, must work end to end.

If the SDK sends something the fake rejects, the fake is wrong (unless the reference
document says otherwise).  Skipped only when google-genai cannot be imported.
"""

from __future__ import annotations

import base64

import pytest

try:
    from google import genai
    from google.genai import version as _genai_version
except ImportError as e:  # pragma: no cover - environment dependent
    pytest.skip(f"google-genai is not importable ({e}); install it with "
                f"'pip install \"google-genai>=3.3.0\"' to run the SDK referee",
                allow_module_level=True)

from conftest import API_KEY, MODEL, ffprobe_path, make_clip

SDK_VERSION = tuple(int(x) for x in _genai_version.__version__.split(".")[:3] if x.isdigit())
if SDK_VERSION < (3, 3, 0):  # pragma: no cover
    pytest.skip(f"google-genai {_genai_version.__version__} is older than 3.3.0",
                allow_module_level=True)

FMT = {"type": "video", "aspect_ratio": "16:9", "resolution": "360p", "duration": "3s"}


@pytest.fixture
def client(fake, monkeypatch):
    for var in ("GEMINI_API_KEY", "GOOGLE_GENAI_API_VERSION", "GOOGLE_GENAI_USE_VERTEXAI",
                "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base)
    monkeypatch.setenv("GOOGLE_API_KEY", API_KEY)
    return genai.Client()


def assert_mp4(data: bytes, tmp_path, width=640, height=360, seconds=3.0):
    p = tmp_path / f"sdk-{len(data)}.mp4"
    p.write_bytes(data)
    info = ffprobe_path(str(p))  # raises if ffprobe cannot read it
    assert "mp4" in info["format"]
    assert (info["vcodec"], info["acodec"], info["channels"]) == ("h264", "aac", 2)
    assert (info["width"], info["height"], info["fps"]) == (width, height, "24/1")
    assert abs(info["duration"] - seconds) < 0.2
    return info


def requests_log(fake):
    return fake.admin("GET", "/_admin/requests").json["requests"]


def test_sdk_sync_create_inline_video(client, fake, tmp_path):
    r = client.interactions.create(
        model=MODEL, input="A paper lantern drifting over a night harbor. No dialogue.",
        response_format=dict(FMT, delivery="inline"),
        generation_config={"video_config": {"task": "text_to_video"}, "seed": 7})
    assert r.status == "completed" and r.id.startswith("v1_") and r.object == "interaction"
    assert r.output_video is not None and r.output_video.mime_type == "video/mp4"
    assert_mp4(base64.b64decode(r.output_video.data), tmp_path)
    assert r.usage.total_output_tokens == 3 * 1931
    assert r.usage.output_tokens_by_modality[0].modality == "video"
    g = client.interactions.get(r.id)
    assert g.status == "completed" and g.output_video.data == r.output_video.data
    # What the SDK put on the wire was accepted as is: default version v1, key header.
    create = [q for q in requests_log(fake) if q["method"] == "POST"][0]
    assert create["path"] == "/v1/interactions"
    assert create["headers"]["x-goog-api-key"] == "REDACTED"
    assert create["json"]["generation_config"]["seed"] == 7


def test_sdk_background_uri_poll_and_download(client, fake, tmp_path):
    r = client.interactions.create(model=MODEL, input="Slow dolly shot of a red kite",
                                   background=True, response_format=dict(FMT, delivery="uri"))
    assert r.status == "queued"
    seen = []
    for _ in range(10):
        r = client.interactions.get(r.id)
        seen.append(r.status)
        if r.status in ("completed", "failed", "cancelled", "incomplete"):
            break
    assert seen == ["in_progress", "completed"]
    uri = r.output_video.uri
    assert uri.startswith(fake.base) and uri.endswith(":download?alt=media")
    name = "files/" + uri.split("/files/")[1].split(":")[0]
    f = client.files.get(name=name)
    assert f.source.value == "GENERATED" and f.state.value == "ACTIVE" and f.download_uri == uri
    data = client.files.download(file=f)
    assert len(data) == f.size_bytes
    assert_mp4(data, tmp_path)
    paths = [q["path"] for q in requests_log(fake)]
    assert f"/v1/{name}:download" in paths


def test_sdk_upload_edit_and_conversational_chain(client, fake, tmp_path):
    src = make_clip(str(tmp_path / "src.mp4"))
    up = client.files.upload(file=src, config={"mime_type": "video/mp4", "display_name": "clip.mp4"})
    assert up.state.value == "ACTIVE" and up.source.value == "UPLOADED"
    assert up.display_name == "clip.mp4" and up.size_bytes > 0 and up.uri.startswith(fake.base)
    edit = client.interactions.create(
        model=MODEL,
        input=[{"type": "video", "uri": up.uri, "mime_type": "video/mp4"},
               {"type": "text", "text": "Give it a warm sunset grade."}],
        generation_config={"video_config": {"task": "edit"}},
        response_format={"type": "video", "resolution": "360p"})
    assert edit.status == "completed", edit
    assert_mp4(base64.b64decode(edit.output_video.data), tmp_path)
    turn2 = client.interactions.create(model=MODEL, previous_interaction_id=edit.id,
                                       input="Now add the caption THE END.",
                                       response_format={"type": "video", "resolution": "360p"})
    assert turn2.status == "completed" and turn2.previous_interaction_id == edit.id
    assert turn2.output_video.data != edit.output_video.data
    creates = [q["json"] for q in requests_log(fake)
               if q["method"] == "POST" and q["path"] == "/v1/interactions"]
    assert [c.get("previous_interaction_id") for c in creates] == [None, edit.id]
    upload_start = [q for q in requests_log(fake) if q["path"] == "/upload/v1/files"][0]
    assert upload_start["headers"]["X-Goog-Upload-Protocol"] == "resumable"


def test_sdk_sees_documented_errors(client, fake):
    def call(**kw):
        args = dict(model=MODEL, input="x", response_format=FMT)
        args.update(kw)
        with pytest.raises(Exception) as ei:
            client.interactions.create(**args)
        return ei.value.status_code, ei.value.body["error"]

    status, err = call(response_format=dict(FMT, duration="12s"))
    assert status == 400 and err["code"] == "invalid_request"
    assert "exceeds the maximum allowed 10s" in err["message"]
    status, err = call(extra_body={"frame_rate": 24})
    assert status == 400 and err["code"] == "parameter_unknown" and "frame_rate" in err["message"]
    status, err = call(response_format=dict(FMT, resolution="720P"))
    assert status == 400 and err["code"] == "invalid_request"
    status, err = call(model="gemini-omni-flash-preview")
    assert status == 404 and err["code"] == "model_not_found"
    with pytest.raises(Exception) as ei:
        client.interactions.get("v1_doesnotexist")
    assert ei.value.status_code == 404 and ei.value.body["error"]["code"] == "not_found"


def test_sdk_retries_injected_429_and_500(client, fake):
    fake.admin("POST", "/_admin/faults", {"kind": "rate_limit", "method": "POST",
                                          "path": "/interactions$"})
    fake.admin("POST", "/_admin/faults", {"kind": "server_error", "method": "GET",
                                          "path": "/interactions/"})
    r = client.interactions.create(model=MODEL, input="retry me", response_format=FMT)
    assert r.status == "completed"
    assert client.interactions.get(r.id).status == "completed"
    statuses = [(q["method"], q["status"]) for q in requests_log(fake)]
    assert statuses == [("POST", 429), ("POST", 200), ("GET", 500), ("GET", 200)]


def test_sdk_cancel_delete_and_v1beta_base_url_option(fake, tmp_path):
    c = genai.Client(api_key=API_KEY, http_options={"base_url": fake.base, "api_version": "v1beta"})
    r = c.interactions.create(model=MODEL, input="to be cancelled", background=True, response_format=FMT)
    cancelled = c.interactions.cancel(r.id)
    assert cancelled.status == "cancelled"
    done = c.interactions.create(model=MODEL, input="to be deleted", response_format=FMT)
    c.interactions.delete(done.id)
    with pytest.raises(Exception) as ei:
        c.interactions.get(done.id)
    assert ei.value.status_code == 404
    paths = {q["path"] for q in requests_log(fake)}
    assert f"/v1beta/interactions/{r.id}/cancel" in paths and "/v1beta/interactions" in paths


def test_sdk_safety_block_is_reported_as_failed(client, fake):
    r = client.interactions.create(model=MODEL, input="[fake:safety] something", response_format=FMT)
    assert r.status == "failed" and r.errors[0].code == "safety"
    assert r.output_video is None and r.steps[-1].error.message
