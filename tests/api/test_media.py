"""Media through real clients: uploads are sniffed, images lose their EXIF
(location first of all) and come out upright, video is transcoded in the
background and seeks through Range requests, and every bad input gets a
clear 4xx that leaves no file behind.

Fixtures are made at test time with PIL, exiftool and ffmpeg."""

import json
import subprocess
import time
from pathlib import Path

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError
from PIL import Image

from conftest import ChorusServer, DEFAULT_SCOPES, SANITIZED, chorus_bin, login

PROCESS_TIMEOUT = 120 if SANITIZED else 60


# ---- fixtures ---------------------------------------------------------------

def run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("media-fixtures")
    f = {}
    # 120x80, left red / right blue, stored sideways: Orientation 6 means
    # "rotate 90 degrees clockwise to show", so upright it is 80x120 with
    # red on top
    img = Image.new("RGB", (120, 80), (220, 30, 30))
    img.paste((30, 30, 220), (60, 0, 120, 80))
    f["jpeg"] = d / "sideways.jpg"
    img.save(f["jpeg"], quality=90)
    run("exiftool", "-overwrite_original", "-n", "-Orientation=6",
        "-GPSLatitude=40.6892", "-GPSLatitudeRef=N", "-GPSLongitude=74.0445",
        "-GPSLongitudeRef=W", "-Make=SecretPhone", "-Artist=Someone",
        str(f["jpeg"]))
    png = Image.new("RGBA", (300, 200), (0, 128, 0, 128))
    f["png"] = d / "alpha.png"
    png.save(f["png"])
    f["noise"] = d / "noise.png"
    Image.effect_noise((400, 400), 80).convert("RGB").save(f["noise"])
    f["mp4"] = d / "clip.mp4"
    run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "testsrc=duration=3:size=320x240:rate=25", "-f", "lavfi", "-i",
        "sine=duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", "-metadata", "title=secret title",
        "-metadata", "location=+40.6892-074.0445/", str(f["mp4"]))
    f["webm"] = d / "clip.webm"
    run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "testsrc=duration=2:size=160x120:rate=15", "-c:v", "libvpx", "-b:v", "200k",
        str(f["webm"]))
    f["gif"] = d / "anim.gif"
    frames = [Image.new("RGB", (64, 48), (i * 40, 0, 0)) for i in range(6)]
    frames[0].save(f["gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    f["wav"] = d / "voice.wav"
    run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "sine=frequency=440:duration=2", str(f["wav"]))
    f["voice_mp4"] = d / "voice.mp4"
    run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "sine=frequency=330:duration=2", "-c:a", "aac", "-f", "mp4", str(f["voice_mp4"]))
    f["text"] = d / "notes.jpg"
    f["text"].write_text("this is not an image, whatever its name says\n" * 10)
    data = f["jpeg"].read_bytes()
    f["truncated"] = d / "truncated.jpg"
    f["truncated"].write_bytes(data[: len(data) // 2])
    mp4 = f["mp4"].read_bytes()
    f["broken_mp4"] = d / "broken.mp4"
    f["broken_mp4"].write_bytes(mp4[:2048])
    # an image bomb: 20000 x 20000 pixels of one colour, a small PNG
    f["bomb"] = d / "bomb.png"
    Image.new("1", (20000, 20000)).save(f["bomb"], optimize=True)
    return f


def media_files(server):
    """Every file under the media directory (uploads in flight included)."""
    root = server.data / "media"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def wait_ready(api, media_id):
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while time.monotonic() < deadline:
        r = requests.get(f"{api.api_base_url}/api/v1/media/{media_id}",
                         headers={"Authorization": f"Bearer {api.access_token}"}, timeout=10)
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 206, (r.status_code, r.text)
        time.sleep(0.2)
    pytest.fail(f"media {media_id} still processing after {PROCESS_TIMEOUT}s")


def fetch(url, **headers):
    return requests.get(url, headers=headers, timeout=10)


def exif_of(path):
    out = subprocess.run(["exiftool", "-json", "-a", "-G1", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)[0]


def upload_raw(server, token, path=None, data=None, filename="file.bin", version="v2",
               fields=None):
    files = {"file": (filename, data if data is not None else Path(path).read_bytes())}
    return requests.post(f"{server.url}/api/{version}/media", files=files, data=fields or {},
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)


# ---- images ---------------------------------------------------------------

def test_jpeg_loses_exif_and_gps_and_comes_out_upright(server, alice, files, tmp_path):
    m = alice.api.media_post(str(files["jpeg"]), description="a red and blue card")
    assert m["type"] == "image"
    assert m["url"].startswith(server.url + "/media/")
    assert m["description"] == "a red and blue card"
    assert m["blurhash"] and len(m["blurhash"]) == 36
    assert m["meta"]["original"]["width"] == 80
    assert m["meta"]["original"]["height"] == 120
    assert m["meta"]["original"]["size"] == "80x120"
    assert m["meta"]["small"]["width"] <= 640

    r = fetch(m["url"])
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "image/jpeg"
    assert "max-age" in r.headers["Cache-Control"]
    assert r.headers.get("ETag")
    served = tmp_path / "served.jpg"
    served.write_bytes(r.content)
    tags = exif_of(served)
    leaked = [k for k in tags if k.split(":")[0] in ("[EXIF]", "[IFD0]", "[GPS]", "[XMP-x]")
              or "GPS" in k or "Orientation" in k or "Make" in k or "Artist" in k]
    assert not leaked, leaked
    with Image.open(served) as im:
        assert im.size == (80, 120)
        top, bottom = im.getpixel((40, 10)), im.getpixel((40, 110))
    assert top[0] > 150 and top[2] < 100, top        # red stays on top
    assert bottom[2] > 150 and bottom[0] < 100, bottom
    small = fetch(m["preview_url"])
    assert small.status_code == 200 and small.headers["Content-Type"] == "image/jpeg"
    small_path = tmp_path / "small.jpg"
    small_path.write_bytes(small.content)
    assert not [k for k in exif_of(small_path) if "GPS" in k]

    status = alice.api.status_post("#MeToo a picture", media_ids=[m["id"]])
    assert [a["id"] for a in status["media_attachments"]] == [m["id"]]
    again = alice.api.status(status["id"])
    att = again["media_attachments"][0]
    assert att["url"] == m["url"] and att["meta"]["original"]["width"] == 80


def test_png_keeps_format_and_focus_and_alt_text_can_change(alice, files):
    m = alice.api.media_post(str(files["png"]), focus=(0.5, -0.25))
    assert m["url"].endswith(".png")
    assert m["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert m["meta"]["original"]["size"] == "300x200"
    updated = alice.api.media_update(m["id"], description="green glass")
    assert updated["description"] == "green glass"
    assert alice.api.media(m["id"])["description"] == "green glass"


def test_media_only_post_needs_no_text(alice, files):
    m = alice.api.media_post(str(files["png"]))
    status = alice.api.status_post("", media_ids=[m["id"]])
    assert status["content"] == "" or status["content"] == "<p></p>"
    assert len(status["media_attachments"]) == 1


# ---- video, gifv, audio -----------------------------------------------------

def test_video_is_processed_in_the_background_then_seeks(server, alice, files, tmp_path):
    r = upload_raw(server, alice.token, files["mp4"], filename="clip.mp4")
    assert r.status_code == 202, r.text
    first = r.json()
    assert first["type"] == "video" and first["url"] is None
    m = wait_ready(alice.api, first["id"])
    assert m["url"].endswith(".mp4")
    assert abs(m["meta"]["original"]["duration"] - 3.0) <= 0.1
    assert m["meta"]["original"]["width"] == 320
    assert m["preview_url"] and m["blurhash"]
    full = fetch(m["url"])
    assert full.status_code == 200 and full.headers["Content-Type"] == "video/mp4"
    body = full.content
    size = len(body)
    assert int(full.headers["Content-Length"]) == size
    out = tmp_path / "served.mp4"
    out.write_bytes(body)
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
         "-show_streams", str(out)], check=True, capture_output=True, text=True).stdout)
    tags = {k.lower(): v for k, v in probe["format"].get("tags", {}).items()}
    assert "title" not in tags and "location" not in tags, tags
    codecs = {s["codec_type"]: s["codec_name"] for s in probe["streams"]}
    assert codecs == {"video": "h264", "audio": "aac"}

    for rng, want in (("bytes=0-99", body[:100]), ("bytes=100-", body[100:]),
                      ("bytes=-100", body[-100:])):
        part = fetch(m["url"], Range=rng)
        assert part.status_code == 206, (rng, part.status_code)
        assert part.content == want, rng
        assert part.headers["Content-Range"].startswith("bytes ")
    beyond = fetch(m["url"], Range=f"bytes={size + 10}-")
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"
    assert fetch(m["url"], **{"If-None-Match": full.headers["ETag"]}).status_code == 304

    status = alice.api.status_post("my story, in my voice", media_ids=[m["id"]])
    assert status["media_attachments"][0]["type"] == "video"


def test_webm_becomes_mp4(alice, files):
    m = alice.api.media_post(str(files["webm"]), mime_type="video/webm")
    m = wait_ready(alice.api, m["id"])
    assert m["type"] == "video" and m["url"].endswith(".mp4")
    assert abs(m["meta"]["original"]["duration"] - 2.0) <= 0.15


def test_animated_gif_becomes_silent_gifv(alice, files):
    m = alice.api.media_post(str(files["gif"]), mime_type="image/gif")
    assert m["type"] == "gifv"
    m = wait_ready(alice.api, m["id"])
    assert m["url"].endswith(".mp4")
    assert "audio_encode" not in m["meta"]


def test_audio_becomes_mp3(alice, files):
    m = alice.api.media_post(str(files["wav"]), mime_type="audio/wav")
    assert m["type"] == "audio"
    m = wait_ready(alice.api, m["id"])
    assert m["url"].endswith(".mp3")
    assert abs(m["meta"]["original"]["duration"] - 2.0) <= 0.15


def test_sound_only_mp4_is_treated_as_audio(alice, files):
    m = alice.api.media_post(str(files["voice_mp4"]), mime_type="video/mp4")
    m = wait_ready(alice.api, m["id"])
    assert m["type"] == "audio" and m["url"].endswith(".mp3")


def test_v1_upload_waits_for_video_as_toot_expects(server, alice, files):
    r = upload_raw(server, alice.token, files["mp4"], filename="clip.mp4", version="v1")
    assert r.status_code == 200, r.text
    assert r.json()["url"].endswith(".mp4")


def test_video_job_survives_a_restart(tmp_path, files):
    srv = ChorusServer(chorus_bin(), tmp_path)
    srv.create_user("vid", "vid@example.com", "vid-password-1")
    srv.start()
    api = login(srv, "vid@example.com", "vid-password-1")
    r = upload_raw(srv, api.access_token, files["mp4"], filename="clip.mp4")
    assert r.status_code == 202, r.text
    media_id = r.json()["id"]
    srv.proc.kill()  # SIGKILL: whatever the worker was doing is lost
    srv.proc.wait(timeout=10)
    srv._log.close()
    again = ChorusServer(chorus_bin(), tmp_path)
    again.start()
    try:
        api.api_base_url = again.url
        m = wait_ready(api, media_id)
        assert abs(m["meta"]["original"]["duration"] - 3.0) <= 0.1
    finally:
        assert again.stop() == 0


# ---- attaching -----------------------------------------------------------

def test_attachment_rules(alice, bob, files):
    imgs = [alice.api.media_post(str(files["png"]))["id"] for _ in range(5)]
    with pytest.raises(MastodonAPIError) as e:
        alice.api.status_post("too many", media_ids=imgs)
    assert e.value.args[1] == 422
    theirs = bob.api.media_post(str(files["png"]))["id"]
    with pytest.raises(MastodonAPIError) as e:
        alice.api.status_post("not mine", media_ids=[theirs])
    assert e.value.args[1] == 422 and "not found" in e.value.args[-1]
    with pytest.raises(MastodonAPIError) as e:
        alice.api.media(theirs)
    assert e.value.args[1] == 404
    video = alice.api.media_post(str(files["mp4"]), mime_type="video/mp4")
    with pytest.raises(MastodonAPIError) as e:
        alice.api.status_post("still processing", media_ids=[video["id"]])
    assert e.value.args[1] == 422 and "processing" in e.value.args[-1]
    wait_ready(alice.api, video["id"])
    with pytest.raises(MastodonAPIError) as e:
        alice.api.status_post("mixed", media_ids=[video["id"], imgs[0]])
    assert e.value.args[1] == 422
    used = alice.api.status_post("one", media_ids=[imgs[0]])
    with pytest.raises(MastodonAPIError) as e:
        alice.api.status_post("reused", media_ids=[imgs[0]])
    assert e.value.args[1] == 422
    edited = alice.api.status_update(used["id"], "two now", media_ids=[imgs[0], imgs[1]])
    assert [a["id"] for a in edited["media_attachments"]] == [imgs[0], imgs[1]]


def delete_media(server, user, media_id):
    return requests.delete(f"{server.url}/api/v1/media/{media_id}",
                           headers={"Authorization": f"Bearer {user.token}"}, timeout=10)


def test_deleting_uploads_and_statuses_removes_their_files(server, alice, files):
    before = set(media_files(server))
    m = alice.api.media_post(str(files["png"]))
    added = set(media_files(server)) - before
    assert len(added) == 2  # the image and its preview
    # Mastodon.py 1.8 has no media_delete: the raw call, as masto.js makes it
    r = delete_media(server, alice, m["id"])
    assert r.status_code == 200 and r.json() == {}
    assert set(media_files(server)) == before
    m = alice.api.media_post(str(files["png"]))
    status = alice.api.status_post("soon gone", media_ids=[m["id"]])
    r = delete_media(server, alice, m["id"])
    assert r.status_code == 422 and "attached" in r.json()["error"]
    alice.api.status_delete(status["id"])
    assert set(media_files(server)) == before
    assert fetch(m["url"]).status_code == 404


# ---- bad input -----------------------------------------------------------

def _no_new_files(server, before):
    # processing leaves nothing in tmp/ or src/ either
    assert set(media_files(server)) == before


def test_upload_without_a_file_is_422(server, alice):
    before = set(media_files(server))
    r = requests.post(f"{server.url}/api/v2/media", data={"description": "x"},
                      headers={"Authorization": f"Bearer {alice.token}"}, timeout=10)
    assert r.status_code == 422 and r.json()["error"] == "Validation failed: File can't be blank"
    r = upload_raw(server, alice.token, data=b"", filename="empty.jpg")
    assert r.status_code == 422, r.text
    _no_new_files(server, before)


def test_malformed_multipart_is_400(server, alice):
    before = set(media_files(server))
    r = requests.post(f"{server.url}/api/v2/media",
                      data=b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; "
                           b"filename=\"a.jpg\"\r\n\r\nnot finished",
                      headers={"Authorization": f"Bearer {alice.token}",
                               "Content-Type": "multipart/form-data; boundary=xyz"},
                      timeout=10)
    assert r.status_code == 400, r.text
    assert "multipart" in r.json()["error"].lower()
    _no_new_files(server, before)


@pytest.mark.parametrize("name,want", [
    ("text", "content type is invalid"),
    ("truncated", "corrupt"),
    ("bomb", "too large"),
])
def test_bad_images_are_refused_and_leave_nothing(server, alice, files, name, want):
    before = set(media_files(server))
    r = upload_raw(server, alice.token, files[name], filename="upload.jpg")
    assert r.status_code == 422, (r.status_code, r.text)
    assert want in r.json()["error"].lower(), r.json()
    _no_new_files(server, before)


def test_corrupt_video_fails_processing_with_a_reason(server, alice, files):
    r = upload_raw(server, alice.token, files["broken_mp4"], filename="broken.mp4")
    if r.status_code == 422:  # refused at once: fine too
        return
    assert r.status_code == 202, r.text
    media_id = r.json()["id"]
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while time.monotonic() < deadline:
        g = requests.get(f"{server.url}/api/v1/media/{media_id}",
                         headers={"Authorization": f"Bearer {alice.token}"}, timeout=10)
        if g.status_code != 206:
            break
        time.sleep(0.2)
    assert g.status_code == 422, (g.status_code, g.text)
    assert g.json()["error"]
    src = server.data / "media" / "src"
    assert not any(src.iterdir())


def test_oversized_uploads_are_refused(tmp_path, files):
    srv = ChorusServer(chorus_bin(), tmp_path,
                       config="[media]\nimage_max_bytes = 2000\nvideo_max_bytes = 4000\n")
    srv.create_user("big", "big@example.com", "big-password-1")
    srv.start()
    try:
        api = login(srv, "big@example.com", "big-password-1")
        before = set(media_files(srv))
        assert files["noise"].stat().st_size > 2000
        r = upload_raw(srv, api.access_token, files["noise"], filename="x.png")
        assert r.status_code == 422 and "size" in r.json()["error"], r.text
        r = upload_raw(srv, api.access_token, files["mp4"], filename="x.mp4")
        assert r.status_code in (413, 422), r.text
        assert set(media_files(srv)) == before
        # the server still answers
        assert requests.get(srv.url + "/api/v1/instance", timeout=5).status_code == 200
    finally:
        assert srv.stop() == 0


def test_media_file_names_outside_ours_are_404(server):
    for name in ("../chorus.db", "..%2Fchorus.db", "0123456789abcdef.txt", "x.jpg"):
        assert fetch(f"{server.url}/media/{name}").status_code == 404


# ---- profile images, thumbnails, the sweep ---------------------------------

def test_avatar_and_header_are_processed_and_stripped(make_user, files, tmp_path, server):
    user = make_user("portrait")
    before = set(media_files(server))
    me = user.api.account_update_credentials(avatar=str(files["jpeg"]),
                                             header=str(files["noise"]))
    assert me["avatar"].startswith(server.url + "/media/")
    assert me["header"].startswith(server.url + "/media/")
    avatar = tmp_path / "avatar.jpg"
    avatar.write_bytes(fetch(me["avatar"]).content)
    assert not [k for k in exif_of(avatar) if "GPS" in k or "Orientation" in k]
    with Image.open(avatar) as im:
        assert im.size == (80, 120)  # upright, within the 400 px box
    with Image.open(__import__("io").BytesIO(fetch(me["header"]).content)) as im:
        assert im.size[0] <= 1500 and im.size[1] <= 500
    assert user.api.account(user.id)["avatar"] == me["avatar"]
    # a new avatar replaces the old file
    again = user.api.account_update_credentials(avatar=str(files["png"]))
    assert again["avatar"] != me["avatar"]
    assert fetch(me["avatar"]).status_code == 404
    assert len(set(media_files(server)) - before) == 2
    # not an image: 422, nothing kept
    with pytest.raises(MastodonAPIError) as e:
        user.api.account_update_credentials(avatar=str(files["text"]))
    assert e.value.args[1] == 422
    assert len(set(media_files(server)) - before) == 2


def test_audio_can_carry_a_thumbnail(server, alice, files):
    r = requests.post(f"{server.url}/api/v2/media",
                      files={"file": ("voice.wav", files["wav"].read_bytes()),
                             "thumbnail": ("cover.jpg", files["jpeg"].read_bytes())},
                      headers={"Authorization": f"Bearer {alice.token}"}, timeout=30)
    assert r.status_code == 202, r.text
    assert r.json()["preview_url"]  # the thumbnail is ready at once
    m = wait_ready(alice.api, r.json()["id"])
    assert m["type"] == "audio" and m["preview_url"] and m["blurhash"]
    assert m["meta"]["small"]["size"] == "80x120"


def test_instance_lists_what_uploads_accept(anon):
    conf = anon.instance()["configuration"]["media_attachments"]
    assert "image/jpeg" in conf["supported_mime_types"]
    assert "video/mp4" in conf["supported_mime_types"]
    assert conf["image_size_limit"] == 16777216
    assert conf["description_limit"] == 1500


def test_uploads_never_attached_are_swept(tmp_path, files):
    srv = ChorusServer(chorus_bin(), tmp_path, config="[media]\nunattached_hours = 0\n")
    srv.create_user("sweep", "sweep@example.com", "sweep-password-1")
    srv.start()
    try:
        api = login(srv, "sweep@example.com", "sweep-password-1")
        kept = api.media_post(str(files["png"]))
        api.status_post("kept", media_ids=[kept["id"]])
        gone = api.media_post(str(files["png"]))
        assert len(media_files(srv)) == 4
    finally:
        assert srv.stop() == 0
    again = ChorusServer(chorus_bin(), tmp_path, config="[media]\nunattached_hours = 0\n")
    again.start()  # the sweep runs when the workers start, then hourly
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(media_files(again)) != 2:
            time.sleep(0.1)
        assert len(media_files(again)) == 2
        api.api_base_url = again.url
        with pytest.raises(MastodonAPIError) as e:
            api.media(gone["id"])
        assert e.value.args[1] == 404
        assert fetch(kept["url"].replace(srv.url, again.url)).status_code == 200
    finally:
        assert again.stop() == 0


def test_only_media_filters_public_tag_and_account_timelines(make_user, files):
    u = make_user("painter")
    tag = "mediaonly" + u.name[-6:]
    plain = u.api.status_post(f"words only #{tag}")
    m = u.api.media_post(str(files["png"]))
    pic = u.api.status_post(f"a picture #{tag}", media_ids=[m["id"]])
    ids = lambda page: [s["id"] for s in page]
    acct = ids(u.api.account_statuses(u.id, only_media=True))
    assert acct == [pic["id"]]
    assert ids(u.api.account_statuses(u.id))[:2] == [pic["id"], plain["id"]]
    tagged = ids(u.api.timeline_hashtag(tag, only_media=True))
    assert tagged == [pic["id"]]
    assert ids(u.api.timeline_hashtag(tag)) == [pic["id"], plain["id"]]
    public = ids(u.api.timeline_public(only_media=True, limit=40))
    assert pic["id"] in public and plain["id"] not in public
    local = ids(u.api.timeline_public(only_media=True, local=True, limit=40))
    assert pic["id"] in local and plain["id"] not in local


def test_deleting_an_account_removes_its_files_and_fixes_counts(tmp_path, files):
    """`chorus user delete` (server stopped): everything the account posted
    and uploaded goes, files included, and the counters it moved on other
    accounts and statuses come back."""
    srv = ChorusServer(chorus_bin(), tmp_path)
    srv.create_user("gone", "gone@example.com", "gone-password-1")
    srv.create_user("stay", "stay@example.com", "stay-password-1")
    srv.start()
    try:
        gone = login(srv, "gone@example.com", "gone-password-1")
        stay = login(srv, "stay@example.com", "stay-password-1")
        gone_id = gone.account_verify_credentials()["id"]
        stay_id = stay.account_verify_credentials()["id"]
        stay.account_follow(gone_id)
        gone.account_follow(stay_id)
        mine = stay.status_post("my own story")
        m = gone.media_post(str(files["png"]))
        theirs = gone.status_post("with a picture", media_ids=[m["id"]])
        gone.media_post(str(files["jpeg"]))  # never attached
        gone.account_update_credentials(avatar=str(files["jpeg"]))
        gone.status_post("a reply", in_reply_to_id=mine["id"])
        gone.status_favourite(mine["id"])
        gone.status_reblog(mine["id"])
        stay.status_favourite(theirs["id"])
        stay.status_reblog(theirs["id"])
        stay_files = set(media_files(srv))
        stay.media_post(str(files["png"]))
        stay_files = set(media_files(srv)) - stay_files
        before = stay.account(stay_id)
        assert before["followers_count"] == 1 and before["following_count"] == 1
        assert before["statuses_count"] == 2  # own post and a reblog
        assert stay.status(mine["id"])["replies_count"] == 1
    finally:
        assert srv.stop() == 0
    res = srv.cli("user", "delete", "gone", *srv.backend_args())
    assert "deleted gone" in res.stdout
    assert set(media_files(srv)) == stay_files  # only stay's upload is left
    again = ChorusServer(chorus_bin(), tmp_path)
    again.start()
    try:
        stay.api_base_url = again.url
        after = stay.account(stay_id)
        assert after["followers_count"] == 0 and after["following_count"] == 0
        assert after["statuses_count"] == 1  # the reblog of their post went too
        post = stay.status(mine["id"])
        assert (post["replies_count"], post["reblogs_count"], post["favourites_count"]) == (0, 0, 0)
        for path in (f"/api/v1/accounts/{gone_id}", f"/api/v1/statuses/{theirs['id']}"):
            assert requests.get(again.url + path, timeout=5).status_code == 404
        assert fetch(m["url"].replace(srv.url, again.url)).status_code == 404
    finally:
        assert again.stop() == 0
    res = again.cli("user", "delete", "nobody", *again.backend_args(), check=False)
    assert res.returncode == 1 and "no user nobody" in res.stderr


def test_upload_without_a_token_is_refused_before_its_body(server):
    """A client without a token gets its 401 as soon as its headers are in:
    chorus writes none of the (declared 50 MB) body to disk."""
    import socket
    before = set(media_files(server))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /api/v2/media HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: multipart/form-data; boundary=zz\r\n"
                  b"Content-Length: 50000000\r\n\r\n"
                  b"--zz\r\nContent-Disposition: form-data; name=\"file\"; "
                  b"filename=\"a.jpg\"\r\n\r\n" + b"\0" * 65536)
        head = s.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 401"), head[:200]
    assert "error" in head
    assert set(media_files(server)) == before


def test_edit_with_an_empty_media_list_removes_the_media(server, alice, files):
    """JSON "media_ids": [] (and a form's blank media_ids[]=) means none."""
    for encoding in ("json", "form"):
        m = alice.api.media_post(str(files["png"]))
        st = alice.api.status_post("with a picture", media_ids=[m["id"]])
        assert len(st["media_attachments"]) == 1
        url = f"{server.url}/api/v1/statuses/{st['id']}"
        auth = {"Authorization": f"Bearer {alice.token}"}
        if encoding == "json":
            r = requests.put(url, json={"status": "no picture now", "media_ids": []},
                             headers=auth, timeout=10)
        else:
            r = requests.put(url, data={"status": "no picture now", "media_ids[]": ""},
                             headers=auth, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["media_attachments"] == [], encoding
        assert alice.api.status(st["id"])["media_attachments"] == []
        # without the key, an edit keeps what it has
        m2 = alice.api.media_post(str(files["png"]))
        st2 = alice.api.status_post("keeps it", media_ids=[m2["id"]])
        r = requests.put(f"{server.url}/api/v1/statuses/{st2['id']}",
                         json={"status": "still keeps it"}, headers=auth, timeout=10)
        assert len(r.json()["media_attachments"]) == 1
