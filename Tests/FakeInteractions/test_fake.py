"""Tests of the fake Interactions API server itself: it must be strict and faithful to
shared/reference/interactions-api.md."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import time

import pytest

from conftest import (API_KEY, MODEL, b64, ffprobe_bytes, ffprobe_path, make_clip, make_png,
                      mean_rgb, start_fake, stop_fake, video_of)

FMT_360_3S = {"type": "video", "aspect_ratio": "16:9", "resolution": "360p", "duration": "3s"}


def t2v(text="a paper lantern drifting over a night harbor", **extra):
    body = {"model": MODEL, "input": text, "response_format": dict(FMT_360_3S)}
    body.update(extra)
    return body


def assert_api_error(r, status, code, contains=None):
    assert r.status == status, r
    err = r.json["error"]
    assert set(err) == {"code", "message"}, err
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"]
    if contains:
        assert contains in err["message"], err
    return err


def assert_rpc_error(r, status, rpc_status, contains=None):
    assert r.status == status, r
    err = r.json["error"]
    assert err["code"] == status and err["status"] == rpc_status, err
    if contains:
        assert contains in err["message"], err
    return err


def upload(fake, data: bytes, mime="video/mp4", name="clip.mp4", chunk=None, version="v1beta"):
    r = fake.request("POST", f"/upload/{version}/files", {"file": {"display_name": name}}, headers={
        "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
        "X-Goog-Upload-Header-Content-Length": str(len(data)),
        "X-Goog-Upload-Header-Content-Type": mime})
    assert r.status == 200, r
    url = r.header("x-goog-upload-url")
    chunk = chunk or len(data)
    off = 0
    while True:
        part = data[off:off + chunk]
        last = off + len(part) >= len(data)
        r = fake.request("POST", url, raw=part, key=None, content_type=None, headers={
            "X-Goog-Upload-Offset": str(off),
            "X-Goog-Upload-Command": "upload, finalize" if last else "upload"})
        assert r.status == 200, r
        off += len(part)
        if last:
            assert r.header("x-goog-upload-status") == "final"
            return r.json["file"]
        assert r.header("x-goog-upload-status") == "active"


# -- auth ------------------------------------------------------------------------------------------


def test_auth_required_with_documented_error_shapes(fake):
    assert_api_error(fake.create(t2v(), key=None), 401, "authentication")
    assert_api_error(fake.create(t2v(), key="wrong"), 401, "authentication")
    # ?key= works too; the id is unknown so auth passed and we get not_found.
    r = fake.request("GET", f"/v1/interactions/v1_nope?key={API_KEY}", key=None)
    assert_api_error(r, 404, "not_found")
    # Files API uses the google.rpc shape.
    assert_rpc_error(fake.request("GET", "/v1beta/files/abc", key=None), 401, "UNAUTHENTICATED")
    # The request log redacts the key in headers and query.
    reqs = fake.admin("GET", "/_admin/requests").json["requests"]
    assert all(q["headers"].get("x-goog-api-key") in (None, "REDACTED") for q in reqs)
    assert reqs[2]["query"]["key"] == "REDACTED"
    assert API_KEY not in str(reqs)


# -- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mutate,field", [
    (lambda b: b.update(frame_rate=24), "frame_rate"),
    (lambda b: b["response_format"].update(fps=24), "response_format.fps"),
    (lambda b: b.update(generation_config={"video_config": {"task": "text_to_video",
                                                            "duration_seconds": 6}}),
     "generation_config.video_config.duration_seconds"),
    (lambda b: b.update(generation_config={"temprature": 0.5}), "generation_config.temprature"),
    (lambda b: b.update(input=[{"type": "text", "text": "x", "caption": "y"}]), "input[0].caption"),
    (lambda b: b.update(input=[{"type": "user_input", "content": [{"type": "text", "text": "x"}],
                                "role": "user"}]), "input[0].role"),
    (lambda b: b.update(input=[{"type": "user_input", "content": [
        {"type": "image", "data": "AAAA", "mime_type": "image/png", "detail": "high"}]}]),
     "input[0].content[0].detail"),
])
def test_unknown_fields_anywhere_are_parameter_unknown(fake, mutate, field):
    body = t2v()
    mutate(body)
    err = assert_api_error(fake.create(body), 400, "parameter_unknown")
    assert f"'{field}'" in err["message"]


@pytest.mark.parametrize("mutate,contains", [
    (lambda b: b["response_format"].update(aspect_ratio="4:3"), "aspect_ratio"),
    (lambda b: b["response_format"].update(resolution="720P"), "lowercase"),
    (lambda b: b["response_format"].update(resolution="480p"), "resolution"),
    (lambda b: b["response_format"].update(type="VIDEO"), "lowercase"),
    (lambda b: b["response_format"].update(delivery="gcs"), "delivery"),
    (lambda b: b.update(generation_config={"video_config": {"task": "EDIT"}}), "lowercase"),
    (lambda b: b.update(generation_config={"video_config": {"task": "upscale"}}), "task"),
    (lambda b: b["response_format"].update(duration="12s"), "exceeds the maximum allowed 10s"),
    (lambda b: b["response_format"].update(duration="2s"), "below the minimum allowed 3s"),
    (lambda b: b["response_format"].update(duration=6), "must be a string"),
    (lambda b: b["response_format"].update(duration="6"), "duration"),
    (lambda b: b["response_format"].update(duration="6 s"), "duration"),
    (lambda b: b["response_format"].update(gcs_uri="gs://b/o"), "Vertex"),
    (lambda b: b.update(background="true"), "expected boolean"),
    (lambda b: b.update(store=1), "expected boolean"),
    (lambda b: b.update(generation_config={"seed": 1.5}), "seed"),
    (lambda b: b.update(generation_config={"seed": True}), "seed"),
    (lambda b: b.update(generation_config={"temperature": 0.2}), "not supported"),
    (lambda b: b.update(system_instruction="be nice"), "not supported"),
    (lambda b: b.update(safety_settings=[]), "not supported"),
    (lambda b: b.update(stream=True), "unsupported by the fake"),
    (lambda b: b.update(store=False, background=True), "store"),
    (lambda b: b.update(store=False, previous_interaction_id="v1_x"), "store"),
    (lambda b: b.pop("input"), "input"),
    (lambda b: b.pop("model"), "model"),
    (lambda b: b.update(model=7), "model"),
    (lambda b: b.update(input=42), "input"),
    (lambda b: b.update(input=[{"type": "TEXT", "text": "x"}]), "lowercase"),
    (lambda b: b.update(input=[{"type": "text", "text": "x"},
                               {"type": "user_input", "content": []}]), "only"),
    (lambda b: b.update(input=[{"type": "image", "data": "not base64!!", "mime_type": "image/png"}]),
     "base64"),
    (lambda b: b.update(input=[{"type": "image", "data": "AAAA", "uri": "x", "mime_type": "image/png"}]),
     "exactly one"),
    (lambda b: b.update(input=[{"type": "image", "data": "AAAA"}]), "mime_type"),
    (lambda b: b.update(input=[{"type": "video", "data": "AAAA", "mime_type": "video/quicktime"}]),
     "mime_type"),
    (lambda b: b.update(input=[{"type": "image", "data": "AAAA", "mime_type": "IMAGE/PNG"}]),
     "lowercase"),
    (lambda b: b.update(input=[{"type": "audio", "data": "AAAA", "mime_type": "audio/wav"},
                               {"type": "text", "text": "lip sync"}]), "Audio input is not supported"),
    (lambda b: b.update(input=[{"type": "video", "uri": "https://example.com/v.mp4",
                                "mime_type": "video/mp4"}]), "Files API uri"),
    (lambda b: b.update(response_format=[{"type": "text"}]), "only produces video"),
    (lambda b: b.update(labels={"Team": "x"}), "label"),
    (lambda b: b.update(service_tier="PRIORITY"), "lowercase"),
])
def test_bad_values_are_invalid_request(fake, mutate, contains):
    body = t2v()
    mutate(body)
    assert_api_error(fake.create(body), 400, "invalid_request", contains)


def test_unknown_model_and_transport_errors(fake):
    assert_api_error(fake.create(t2v(model="gemini-omni-flash-preview")), 404, "model_not_found")
    assert_api_error(fake.create(t2v(model="veo-3.1-generate-preview")), 404, "model_not_found")
    r = fake.request("POST", "/v1/interactions", raw=b"{not json", key=API_KEY)
    assert_api_error(r, 400, "invalid_request", "Invalid JSON")
    r = fake.request("POST", "/v1/interactions", raw=b'{"model":"x"}', content_type="text/plain")
    assert_api_error(r, 400, "invalid_request", "Content-Type")
    r = fake.create(t2v(), headers={"Api-Revision": "2026-05-07"})
    assert_api_error(r, 400, "invalid_request", "legacy")
    assert fake.create(t2v(), headers={"Api-Revision": "2026-05-20"}).status == 200
    # GET: SSE is not supported, unknown query parameters are rejected.
    iid = fake.create(t2v()).json["id"]
    assert_api_error(fake.get(iid + "?stream=true"), 400, "invalid_request", "unsupported")
    assert_api_error(fake.get(iid + "?verbose=1"), 400, "parameter_unknown", "verbose")
    assert fake.get(iid + "?stream=false&include_input=true").status == 200
    # Unknown API version.
    assert fake.request("GET", f"/v2/interactions/{iid}").status == 404


def test_nulls_are_treated_as_absent(fake):
    body = t2v(previous_interaction_id=None, background=None, generation_config=None)
    r = fake.create(body)
    assert r.status == 200, r
    assert r.json["status"] == "completed"


# -- generation ---------------------------------------------------------------------------------------


def test_text_to_video_inline_360p(fake, tmp_path):
    r = fake.create(t2v(generation_config={"video_config": {"task": "text_to_video"}}))
    assert r.status == 200, r
    it = r.json
    assert it["id"].startswith("v1_") and it["object"] == "interaction"
    assert it["status"] == "completed" and it["model"] == MODEL
    assert it["created"].endswith("Z") and it["updated"].endswith("Z")
    assert [s["type"] for s in it["steps"]] == ["user_input", "model_output"]
    assert it["steps"][0]["content"] == [{"type": "text", "text": t2v()["input"]}]
    video = video_of(it)
    assert set(video) == {"type", "mime_type", "data"} and video["mime_type"] == "video/mp4"
    u = it["usage"]
    assert u["total_output_tokens"] == 3 * 1931
    assert u["output_tokens_by_modality"] == [{"modality": "video", "tokens": 3 * 1931}]
    assert u["total_tokens"] == u["total_input_tokens"] + u["total_output_tokens"]
    info = ffprobe_bytes(base64.b64decode(video["data"]), tmp_path)
    assert "mp4" in info["format"]
    assert (info["vcodec"], info["width"], info["height"], info["fps"]) == ("h264", 640, 360, "24/1")
    assert (info["acodec"], info["channels"]) == ("aac", 2)
    assert abs(info["duration"] - 3.0) < 0.15
    # GET returns the same interaction.
    g = fake.get(it["id"]).json
    assert g["status"] == "completed" and video_of(g)["data"] == video["data"]


@pytest.mark.parametrize("res,aspect,size,rate", [
    ("720p", "9:16", (720, 1280), 5792),
    ("360p", "9:16", (360, 640), 1931),
    ("1080p", "16:9", (1920, 1080), 8688),
])
def test_resolutions_and_token_prices(fake, tmp_path, res, aspect, size, rate):
    body = t2v(response_format={"type": "video", "aspect_ratio": aspect, "resolution": res,
                                "duration": "3s"})
    it = fake.create(body).json
    assert it["usage"]["total_output_tokens"] == 3 * rate
    info = ffprobe_bytes(base64.b64decode(video_of(it)["data"]), tmp_path)
    assert (info["width"], info["height"]) == size


def test_fractional_duration_and_default_format(fake, tmp_path):
    it = fake.create(t2v(response_format={"type": "video", "resolution": "360p",
                                          "duration": "3.5s"})).json
    assert it["usage"]["total_output_tokens"] == round(3.5 * 1931)
    info = ffprobe_bytes(base64.b64decode(video_of(it)["data"]), tmp_path)
    assert abs(info["duration"] - 3.5) < 0.15 and (info["width"], info["height"]) == (640, 360)


def test_output_is_deterministic_and_depends_on_instruction(fake):
    a = video_of(fake.create(t2v("a red kite")).json)["data"]
    b = video_of(fake.create(t2v("a red kite")).json)["data"]
    c = video_of(fake.create(t2v("a blue whale")).json)["data"]
    d = video_of(fake.create(t2v("a red kite", generation_config={"seed": 42})).json)["data"]
    assert a == b
    assert a != c and a != d


# -- background ------------------------------------------------------------------------------------


def test_background_status_progression(fake):
    r = fake.create(t2v(background=True))
    assert r.status == 200 and r.json["status"] == "queued"
    assert [s["type"] for s in r.json["steps"]] == ["user_input"] and "usage" not in r.json
    iid = r.json["id"]
    g1 = fake.get(iid).json
    assert g1["status"] == "in_progress" and "usage" not in g1
    # Chaining onto an unfinished interaction is a 400 failed_precondition.
    assert_api_error(fake.create(t2v(previous_interaction_id=iid)), 400, "failed_precondition")
    g2 = fake.get(iid).json
    assert g2["status"] == "completed" and video_of(g2)["data"]
    assert fake.get(iid).json["status"] == "completed"


def test_background_polls_per_status_configurable(fake):
    fake.admin("POST", "/_admin/config", {"polls_per_status": 2})
    iid = fake.create(t2v(background=True)).json["id"]
    _, seen = fake.poll_until_terminal(iid)
    assert seen == ["queued", "in_progress", "in_progress", "completed"]
    fake.admin("POST", "/_admin/config", {"polls_per_status": 0})
    iid = fake.create(t2v(background=True)).json["id"]
    _, seen = fake.poll_until_terminal(iid)
    assert seen == ["completed"]


def test_cancel_and_delete(fake):
    iid = fake.create(t2v(background=True)).json["id"]
    r = fake.request("POST", f"/v1/interactions/{iid}/cancel")
    assert r.status == 200 and r.json["status"] == "cancelled", r
    assert fake.get(iid).json["status"] == "cancelled"
    assert_api_error(fake.request("POST", f"/v1/interactions/{iid}/cancel"), 400, "failed_precondition")
    done = fake.create(t2v()).json["id"]
    assert_api_error(fake.request("POST", f"/v1/interactions/{done}/cancel"), 400, "failed_precondition")
    # previous_interaction_id onto a cancelled interaction: not completed.
    assert_api_error(fake.create(t2v(previous_interaction_id=iid)), 400, "failed_precondition")
    r = fake.request("DELETE", f"/v1/interactions/{done}")
    assert r.status == 200 and r.json == {}
    assert_api_error(fake.get(done), 404, "not_found")
    assert_api_error(fake.request("DELETE", f"/v1/interactions/{done}"), 404, "not_found")
    assert_api_error(fake.create(t2v(previous_interaction_id=done)), 404, "not_found")


def test_store_false_is_not_retrievable(fake):
    r = fake.create(t2v(store=False))
    assert r.status == 200 and r.json["status"] == "completed"
    assert_api_error(fake.get(r.json["id"]), 404, "not_found")


# -- uri delivery and downloads --------------------------------------------------------------------


def test_uri_delivery_get_file_and_range_download(fake, tmp_path):
    body = t2v(response_format=dict(FMT_360_3S, delivery="uri"))
    it = fake.create(body, version="v1beta").json
    video = video_of(it)
    assert set(video) == {"type", "mime_type", "uri"}
    uri = video["uri"]
    assert uri.startswith(f"{fake.base}/v1beta/files/") and uri.endswith(":download?alt=media")
    fid = uri.split("/files/")[1].split(":")[0]
    f = fake.request("GET", f"/v1beta/files/{fid}").json
    assert f["name"] == f"files/{fid}" and f["source"] == "GENERATED" and f["state"] == "ACTIVE"
    assert f["mimeType"] == "video/mp4" and isinstance(f["sizeBytes"], str)
    assert f["uri"] == f"{fake.base}/v1beta/files/{fid}" and f["downloadUri"] == uri
    full = fake.request("GET", uri)
    assert full.status == 200 and full.header("content-type") == "video/mp4"
    assert len(full.body) == int(f["sizeBytes"]) == int(full.header("content-length"))
    assert base64.b64decode(f["sha256Hash"]).decode() == hashlib.sha256(full.body).hexdigest()
    assert ffprobe_bytes(full.body, tmp_path)["vcodec"] == "h264"
    part = fake.request("GET", uri, headers={"Range": "bytes=1000-"})
    assert part.status == 206
    assert part.header("content-range") == f"bytes 1000-{len(full.body) - 1}/{len(full.body)}"
    assert part.body == full.body[1000:]
    r = fake.request("GET", uri, headers={"Range": f"bytes={len(full.body)}-"})
    assert_rpc_error(r, 416, "OUT_OF_RANGE")
    assert_rpc_error(fake.request("GET", f"/v1beta/files/{fid}:download"), 400, "INVALID_ARGUMENT")
    assert_rpc_error(fake.request("GET", uri, key=None), 401, "UNAUTHENTICATED")
    # The generated file is listed; deleting it makes it disappear (403 like the real API).
    assert any(x["name"] == f"files/{fid}" for x in fake.request("GET", "/v1beta/files").json["files"])
    assert fake.request("DELETE", f"/v1beta/files/{fid}").json == {}
    assert_rpc_error(fake.request("GET", f"/v1beta/files/{fid}"), 403, "PERMISSION_DENIED")


def test_generated_file_starts_processing_and_refuses_early_download(fake):
    fake.admin("POST", "/_admin/config", {"generated_processing_polls": 1})
    it = fake.create(t2v(response_format=dict(FMT_360_3S, delivery="uri")), version="v1beta").json
    uri = video_of(it)["uri"]
    fid = uri.split("/files/")[1].split(":")[0]
    assert_rpc_error(fake.request("GET", uri), 400, "FAILED_PRECONDITION")
    assert fake.request("GET", f"/v1beta/files/{fid}").json["state"] == "PROCESSING"
    assert fake.request("GET", f"/v1beta/files/{fid}").json["state"] == "ACTIVE"
    assert fake.request("GET", uri).status == 200


def test_generated_file_can_fail(fake):
    fake.admin("POST", "/_admin/config", {"generated_file_fails": True})
    it = fake.create(t2v(response_format=dict(FMT_360_3S, delivery="uri")), version="v1beta").json
    uri = video_of(it)["uri"]
    fid = uri.split("/files/")[1].split(":")[0]
    assert fake.request("GET", f"/v1beta/files/{fid}").json["state"] == "FAILED"
    assert_rpc_error(fake.request("GET", uri), 400, "FAILED_PRECONDITION")


def test_hostile_video_uri_and_download_location(fake):
    fake.admin("POST", "/_admin/config", {"video_uri": "file:///etc/passwd#{v}/{fid}"})
    it = fake.create(t2v(response_format=dict(FMT_360_3S, delivery="uri")), version="v1beta").json
    assert video_of(it)["uri"].startswith("file:///etc/passwd#v1beta/")
    fake.admin("POST", "/_admin/config", {"video_uri": "", "download_location": "http://127.0.0.1:9/{fid}"})
    it = fake.create(t2v(response_format=dict(FMT_360_3S, delivery="uri")), version="v1beta").json
    r = fake.request("GET", video_of(it)["uri"])
    assert r.status == 307 and r.header("location").startswith("http://127.0.0.1:9/")


def test_download_redirect_and_get_inline_quirk(fake):
    fake.admin("POST", "/_admin/config", {"download_redirect": True, "quirk_get_inline": True})
    it = fake.create(t2v(response_format=dict(FMT_360_3S, delivery="uri"))).json
    uri = video_of(it)["uri"]
    r = fake.request("GET", uri)
    assert r.status == 302 and "/_fake_media/" in r.header("location")
    media = fake.request("GET", r.header("location"), key=None)
    assert media.status == 200 and media.body[4:8] == b"ftyp"
    g = video_of(fake.get(it["id"]).json)
    assert "uri" not in g and base64.b64decode(g["data"]) == media.body


def test_post_output_steps_only_option(fake):
    fake.admin("POST", "/_admin/config", {"post_output_steps_only": True})
    it = fake.create(t2v()).json
    assert [s["type"] for s in it["steps"]] == ["model_output"]
    assert [s["type"] for s in fake.get(it["id"]).json["steps"]] == ["user_input", "model_output"]


# -- Files API upload and edits -------------------------------------------------------------------


def test_resumable_upload_multi_chunk_and_query(fake, tmp_path):
    data = open(make_clip(str(tmp_path / "src.mp4")), "rb").read()
    assert len(data) > 300_000
    r = fake.request("POST", "/upload/v1beta/files", {"file": {"display_name": "clip.mp4"}}, headers={
        "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
        "X-Goog-Upload-Header-Content-Length": str(len(data)),
        "X-Goog-Upload-Header-Content-Type": "video/mp4"})
    assert r.status == 200 and r.header("x-goog-upload-status") == "active"
    url = r.header("x-goog-upload-url")
    assert url.startswith(f"{fake.base}/upload/v1beta/files?upload_id=")

    def chunk(off, part, cmd):
        return fake.request("POST", url, raw=part, key=None, content_type=None,
                            headers={"X-Goog-Upload-Offset": str(off), "X-Goog-Upload-Command": cmd})

    q = fake.request("POST", url, key=None, headers={"X-Goog-Upload-Command": "query"})
    assert q.status == 200 and q.header("x-goog-upload-size-received") == "0"
    c = 256 * 1024
    r = chunk(0, data[:c], "upload")
    assert r.status == 200 and r.header("x-goog-upload-status") == "active"
    # A wrong offset is rejected; query tells where to resume.
    assert_rpc_error(chunk(5, data[c:2 * c], "upload"), 400, "INVALID_ARGUMENT", "Offset")
    q = fake.request("POST", url, key=None, headers={"X-Goog-Upload-Command": "query"})
    assert q.header("x-goog-upload-size-received") == str(c)
    assert chunk(c, data[c:2 * c], "upload").header("x-goog-upload-status") == "active"
    # Finalizing before all bytes arrived is refused.
    assert_rpc_error(chunk(2 * c, b"", "upload, finalize"), 400, "INVALID_ARGUMENT")
    r = chunk(2 * c, data[2 * c:], "upload, finalize")
    assert r.status == 200 and r.header("x-goog-upload-status") == "final"
    f = r.json["file"]
    fid = f["name"].split("/")[1]
    assert f == {
        "name": f"files/{fid}", "displayName": "clip.mp4", "mimeType": "video/mp4",
        "sizeBytes": str(len(data)), "createTime": f["createTime"], "updateTime": f["updateTime"],
        "expirationTime": f["expirationTime"],
        "sha256Hash": base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode(),
        "uri": f"{fake.base}/v1beta/files/{fid}", "state": "ACTIVE", "source": "UPLOADED"}
    assert fake.request("GET", f"/v1beta/files/{fid}").json == f
    assert fake.request("GET", f"/v1/files/{fid}").status == 200
    # Uploaded files cannot be downloaded.
    assert_rpc_error(fake.request("GET", f"/v1beta/files/{fid}:download?alt=media"), 400,
                     "INVALID_ARGUMENT", "generated")
    # Unknown metadata fields in the start body are rejected in the RPC shape.
    r = fake.request("POST", "/upload/v1beta/files", {"file": {"displayName": "x", "color": "red"}},
                     headers={"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
                              "X-Goog-Upload-Header-Content-Length": "10",
                              "X-Goog-Upload-Header-Content-Type": "video/mp4"})
    assert_rpc_error(r, 400, "INVALID_ARGUMENT", "color")
    r = fake.request("POST", "/upload/v1beta/files", {"file": {}}, headers={
        "X-Goog-Upload-Command": "start", "X-Goog-Upload-Header-Content-Length": "10",
        "X-Goog-Upload-Header-Content-Type": "video/mp4"})
    assert_rpc_error(r, 400, "INVALID_ARGUMENT", "resumable")


def test_chunk_granularity_option(fake):
    fake.admin("POST", "/_admin/config", {"enforce_chunk_granularity": True})
    data = os.urandom(300_000)
    with pytest.raises(AssertionError):
        upload(fake, data, chunk=100_000)
    f = upload(fake, data, chunk=256 * 1024, mime="application/octet-stream")
    assert f["sizeBytes"] == "300000"


def test_edit_uploaded_clip_warm_grade(fake, tmp_path):
    src = make_clip(str(tmp_path / "src.mp4"))
    f = upload(fake, open(src, "rb").read(), chunk=200_000)
    body = {"model": MODEL, "background": True,
            "input": [{"type": "video", "uri": f["uri"], "mime_type": "video/mp4"},
                      {"type": "text", "text": "Give it a warm golden-hour grade."}],
            "generation_config": {"video_config": {"task": "edit"}},
            "response_format": {"type": "video", "resolution": "360p", "delivery": "uri"}}
    r = fake.create(body, version="v1beta")
    assert r.status == 200 and r.json["status"] == "queued", r
    it, _ = fake.poll_until_terminal(r.json["id"], "v1beta")
    assert it["status"] == "completed"
    out = tmp_path / "warm.mp4"
    out.write_bytes(fake.request("GET", video_of(it)["uri"]).body)
    info = ffprobe_path(str(out))
    assert (info["width"], info["height"], info["fps"]) == (640, 360, "24/1")
    assert abs(info["duration"] - 3.0) < 0.15  # an edit keeps the source length
    r0, _, b0 = mean_rgb(src)
    r1, _, b1 = mean_rgb(str(out))
    assert (r1 - b1) > (r0 - b0) + 15, ((r0, b0), (r1, b1))
    assert it["usage"]["input_tokens_by_modality"][-1]["modality"] == "video"
    # Deleting the upload makes it unusable (403 like the real API).
    fake.request("DELETE", f"/v1beta/files/{f['name'].split('/')[1]}")
    assert_api_error(fake.create(body), 403, "permission_denied")


def test_processing_file_is_not_usable_until_active(fake, tmp_path):
    fake.admin("POST", "/_admin/config", {"file_processing_polls": 1})
    f = upload(fake, open(make_clip(str(tmp_path / "s.mp4")), "rb").read())
    assert f["state"] == "PROCESSING"
    body = {"model": MODEL, "input": [{"type": "video", "uri": f["uri"], "mime_type": "video/mp4"},
                                      {"type": "text", "text": "cool it down"}],
            "response_format": FMT_360_3S}
    assert_api_error(fake.create(body), 400, "failed_precondition", "ACTIVE")
    fid = f["name"].split("/")[1]
    assert fake.request("GET", f"/v1beta/files/{fid}").json["state"] == "PROCESSING"
    assert fake.request("GET", f"/v1beta/files/{fid}").json["state"] == "ACTIVE"
    assert fake.create(body).json["status"] == "completed"


def test_conversational_edit_chain_cool_grade_and_request_log(fake, tmp_path):
    first = fake.create(t2v("a lantern over the harbor")).json
    second = fake.create({"model": MODEL, "previous_interaction_id": first["id"],
                          "input": "Make the lantern glow blue. Keep everything else the same.",
                          "response_format": {"type": "video", "resolution": "360p"}}).json
    assert second["status"] == "completed" and second["previous_interaction_id"] == first["id"]
    third = fake.create({"model": MODEL, "previous_interaction_id": second["id"],
                         "input": [{"type": "user_input", "content": [
                             {"type": "text", "text": "Add the caption HELLO HARBOR"}]}],
                         "response_format": {"type": "video", "resolution": "360p",
                                             "duration": "4s"}}).json
    assert third["status"] == "completed"
    paths = []
    for i, it in enumerate((first, second, third)):
        p = tmp_path / f"{i}.mp4"
        p.write_bytes(base64.b64decode(video_of(it)["data"]))
        paths.append(str(p))
    r0, _, b0 = mean_rgb(paths[0])
    r1, _, b1 = mean_rgb(paths[1])
    assert (b1 - r1) > (b0 - r0) + 15, ((r0, b0), (r1, b1))
    assert abs(ffprobe_path(paths[1])["duration"] - 3.0) < 0.15
    assert abs(ffprobe_path(paths[2])["duration"] - 4.0) < 0.15
    assert len({open(p, "rb").read() for p in paths}) == 3
    creates = [q for q in fake.admin("GET", "/_admin/requests").json["requests"]
               if q["method"] == "POST" and q["path"] == "/v1/interactions"]
    assert [q["json"].get("previous_interaction_id") for q in creates] == [None, first["id"], second["id"]]
    assert all(q["headers"]["x-goog-api-key"] == "REDACTED" for q in creates)
    assert [q["status"] for q in creates] == [200, 200, 200]


def test_extend_and_inline_video_and_image_inputs(fake, tmp_path):
    src = open(make_clip(str(tmp_path / "s.mp4"), seconds=3), "rb").read()
    ext = fake.create({"model": MODEL, "input": [
        {"type": "video", "data": b64(src), "mime_type": "video/mp4"},
        {"type": "text", "text": "continue the shot"}],
        "generation_config": {"video_config": {"task": "extend"}},
        "response_format": {"type": "video", "resolution": "360p", "duration": "3s"}}).json
    assert ext["status"] == "completed", ext
    info = ffprobe_bytes(base64.b64decode(video_of(ext)["data"]), tmp_path)
    assert abs(info["duration"] - 6.0) < 0.2
    assert ext["usage"]["total_output_tokens"] == 6 * 1931
    png = open(make_png(str(tmp_path / "i.png")), "rb").read()
    i2v = fake.create({"model": MODEL, "input": [
        {"type": "image", "data": b64(png), "mime_type": "image/png"},
        {"type": "text", "text": "<FIRST_FRAME> the orange wall slowly brightens"}],
        "response_format": FMT_360_3S}).json
    assert i2v["status"] == "completed"
    assert i2v["usage"]["input_tokens_by_modality"][1] == {"modality": "image", "tokens": 258}
    # Undecodable media and too-long inputs are rejected.
    bad = fake.create({"model": MODEL, "input": [
        {"type": "video", "data": b64(b"definitely not a video"), "mime_type": "video/mp4"}],
        "response_format": FMT_360_3S})
    assert_api_error(bad, 400, "invalid_request", "Unable to process")
    long = open(make_clip(str(tmp_path / "l.mp4"), seconds=11, size="160x90", audio=False), "rb").read()
    r = fake.create({"model": MODEL, "input": [
        {"type": "video", "data": b64(long), "mime_type": "video/mp4"},
        {"type": "text", "text": "make it warm"}], "response_format": FMT_360_3S})
    assert_api_error(r, 400, "invalid_request", "at most 10s")
    r = fake.create({"model": MODEL, "input": "edit it",
                     "generation_config": {"video_config": {"task": "edit"}},
                     "response_format": FMT_360_3S})
    assert_api_error(r, 400, "invalid_request", "source video")


# -- expiry --------------------------------------------------------------------------------------------


def test_expiry_admin_and_retention(fake):
    a = fake.create(t2v()).json["id"]
    fake.admin("POST", f"/_admin/interactions/{a}/expire")
    assert_api_error(fake.get(a), 404, "not_found")
    assert_api_error(fake.create(t2v(previous_interaction_id=a)), 404, "not_found")
    # Long enough that a create rendered on a loaded machine is still retained
    # when it is read back; short enough to wait out.
    fake.admin("POST", "/_admin/config", {"retention_seconds": 4})
    b = fake.create(t2v()).json["id"]
    assert fake.get(b).status == 200
    time.sleep(4.2)
    assert_api_error(fake.create(t2v(previous_interaction_id=b)), 404, "not_found")
    assert_api_error(fake.get(b), 404, "not_found")


# -- outcomes ----------------------------------------------------------------------------------------


def test_safety_block_and_completed_without_video(fake):
    it = fake.create(t2v("a scene [fake:safety]")).json
    assert it["status"] == "failed"
    assert it["errors"][0]["code"] == "safety"
    out = it["steps"][-1]
    assert out["type"] == "model_output" and isinstance(out["error"]["code"], int)
    assert video_of(it) is None and it["usage"]["total_output_tokens"] == 0
    nv = fake.create(t2v("edit this [fake:novideo]")).json
    assert nv["status"] == "completed" and video_of(nv) is None
    assert [c["type"] for c in nv["steps"][-1]["content"]] == ["text"]
    assert nv["usage"]["total_output_tokens"] == 0
    # previous_interaction_id onto a failed interaction is refused.
    assert_api_error(fake.create(t2v(previous_interaction_id=it["id"])), 400, "failed_precondition")
    # Admin-queued outcomes apply to the next N creates, background ones too.
    fake.admin("POST", "/_admin/outcomes", {"outcome": "safety", "count": 1})
    bg = fake.create(t2v(background=True)).json["id"]
    final, seen = fake.poll_until_terminal(bg)
    assert seen == ["in_progress", "failed"] and final["errors"][0]["code"] == "safety"
    fake.admin("POST", "/_admin/outcomes", {"outcome": "novideo"})
    assert video_of(fake.create(t2v()).json) is None
    assert video_of(fake.create(t2v()).json) is not None


# -- faults --------------------------------------------------------------------------------------------


def test_faults_rate_limit_and_server_error(fake):
    fake.admin("POST", "/_admin/faults", {"kind": "rate_limit", "method": "POST",
                                          "path": r"^/v1/interactions$", "count": 2})
    for _ in range(2):
        r = fake.create(t2v())
        assert_api_error(r, 429, "rate_limit_exceeded")
        assert r.header("retry-after") == "1"
    assert fake.create(t2v()).status == 200
    fake.admin("POST", "/_admin/faults", {"kind": "server_error", "path": r"/interactions/"})
    iid = fake.create(t2v()).json["id"]
    assert_api_error(fake.get(iid), 500, "api_error")
    assert fake.get(iid).status == 200
    fake.admin("POST", "/_admin/faults", {"kind": "rate_limit", "path": r"/files/"})
    r = fake.request("GET", "/v1beta/files/zzz")
    assert_rpc_error(r, 429, "RESOURCE_EXHAUSTED")
    assert r.header("retry-after") == "1"
    fake.admin("POST", "/_admin/faults", {"kind": "error", "status": 503, "path": "interactions"})
    assert_api_error(fake.create(t2v()), 503, "service_unavailable")
    assert fake.admin("GET", "/_admin/faults").json["faults"] == []
    statuses = [q["status"] for q in fake.admin("GET", "/_admin/requests").json["requests"]]
    assert statuses == [429, 429, 200, 200, 500, 200, 429, 503]


def test_fault_delay(fake):
    iid = fake.create(t2v()).json["id"]
    fake.admin("POST", "/_admin/faults", {"kind": "delay", "delay_seconds": 1.0, "method": "GET",
                                          "path": "/interactions/"})
    t0 = time.monotonic()
    assert fake.get(iid).status == 200
    assert time.monotonic() - t0 >= 0.95


def test_fault_hold_until_released(fake):
    import threading
    iid = fake.create(t2v()).json["id"]
    fake.admin("POST", "/_admin/faults", {"kind": "hold", "method": "GET", "path": "/interactions/"})
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("status", fake.get(iid).status))
    worker.start()
    worker.join(1.0)
    assert worker.is_alive() and "status" not in result, "a held request answered before its release"
    assert fake.admin("POST", "/_admin/release").json == {"released": True}
    worker.join(10)
    assert result.get("status") == 200
    # The hold was used up: the next request is not held.
    t0 = time.monotonic()
    assert fake.get(iid).status == 200
    assert time.monotonic() - t0 < 5


def test_fault_drop_mid_download_and_close(fake):
    it = fake.create(t2v(response_format=dict(FMT_360_3S, delivery="uri"))).json
    uri = video_of(it)["uri"]
    size = len(fake.request("GET", uri).body)
    fake.admin("POST", "/_admin/faults", {"kind": "drop", "path": ":download$", "after_bytes": 5000})
    path = uri[len(fake.base):]
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    conn.request("GET", path, headers={"x-goog-api-key": API_KEY})
    resp = conn.getresponse()
    assert resp.status == 200 and int(resp.getheader("Content-Length")) == size
    with pytest.raises(http.client.IncompleteRead) as ei:
        resp.read()
    assert len(ei.value.partial) == 5000
    conn.close()
    # The next download, resumed with Range, works.
    rest = fake.request("GET", uri, headers={"Range": "bytes=5000-"})
    assert rest.status == 206 and len(rest.body) == size - 5000
    fake.admin("POST", "/_admin/faults", {"kind": "close", "path": "/interactions/"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError, socket.timeout)):
        fake.get(it["id"], timeout=5)
    assert fake.get(it["id"]).status == 200


# -- process lifecycle ------------------------------------------------------------------------------


def test_sigterm_and_max_seconds(tmp_path):
    f = start_fake(str(tmp_path / "a"))
    assert f.request("GET", "/_admin/health", key=None).json["ok"] is True
    t0 = time.monotonic()
    assert stop_fake(f) == 0
    assert time.monotonic() - t0 < 5
    g = start_fake(str(tmp_path / "b"), "--max-seconds", "1")
    assert g.proc.wait(timeout=10) == 0
