"""Media uploads: type from content, limits, location stripping, content-addressed storage.

Images are real files made with Pillow, with Exif GPS written through its Exif API;
the MP4 files are built box by box, as small as a valid file can be.
"""
import hashlib
import io
import struct
from datetime import datetime, timezone

import pytest
from PIL import Image, PngImagePlugin

from kit.errors import InvalidArgument, NotFound
from reports.media import (MAX_CHUNK_BYTES, MiB, LocalMediaStore, MediaLimits, MediaRecord,
                           MediaUpload, S3MediaStore, SigV4Signer, media_store_from_settings)

GPS_IFD = 0x8825
ORIENTATION = 0x0112
HANOI_GPS = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 15.0)}
XMP_WITH_GPS = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
                b'exif:GPSLatitude="21,1.7N" exif:GPSLongitude="105,51.25E"/>'
                b'</rdf:RDF></x:xmpmeta>')


@pytest.fixture
def store(tmp_path):
    return LocalMediaStore(tmp_path / "media")


def upload(data: bytes, store, limits=MediaLimits()) -> MediaRecord:
    media = MediaUpload(limits)
    for offset in range(0, len(data), MAX_CHUNK_BYTES):
        media.add(data[offset:offset + MAX_CHUNK_BYTES])
    return media.finish(store)


def refusal(data: bytes, store, limits=MediaLimits()) -> str:
    with pytest.raises(InvalidArgument) as refused:
        upload(data, store, limits)
    assert refused.value.field == "data"
    return refused.value.message


def picture(size=(64, 48)) -> Image.Image:
    """A gradient, so the compressed data is not trivial."""
    image = Image.new("RGB", size)
    image.putdata([(x * 4 % 256, y * 5 % 256, (x + y) % 256)
                   for y in range(size[1]) for x in range(size[0])])
    return image


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Phone maker"
    exif[GPS_IFD] = HANOI_GPS
    return exif


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_location(image: Image.Image) -> None:
    exif = image.getexif()
    assert GPS_IFD not in exif and exif.get_ifd(GPS_IFD) == {}
    assert exif.get(ORIENTATION) == 6, "the orientation is kept, so the photo shows upright"
    assert "xmp" not in image.info and b"GPS" not in image.info.get("exif", b"")


# --- Location stripping -------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"restart_marker_blocks": 1}],
                         ids=["baseline", "progressive", "restart markers"])
def test_jpeg_public_copy_loses_gps_and_xmp_but_keeps_orientation_and_scan_bytes(store, options):
    original = encode(picture(), "JPEG", exif=camera_exif(), xmp=XMP_WITH_GPS, quality=90,
                      **options)
    assert opened(original).getexif().get_ifd(GPS_IFD) == HANOI_GPS

    record = upload(original, store)

    assert record == MediaRecord(record.sha256, record.public_sha256, "image/jpeg",
                                 len(original), location_stripped=True)
    assert store.get(record.sha256) == original, "the original is kept for staff"
    public = store.get(record.public_sha256)
    assert_no_location(opened(public))
    assert b"Phone maker" not in public and b"xmpmeta" not in public
    # Tables, frame header and entropy-coded scan are copied, not re-encoded.
    assert original.endswith(public[public.index(b"\xff\xdb"):])
    assert opened(public).tobytes() == opened(original).tobytes()


def test_png_public_copy_loses_exif_and_text_chunks(store):
    text = PngImagePlugin.PngInfo()
    text.add_itxt("XML:com.adobe.xmp", XMP_WITH_GPS.decode())
    text.add_text("Comment", "taken outside number 12")
    original = encode(picture(), "PNG", exif=camera_exif(), pnginfo=text)
    assert opened(original).text and opened(original).getexif().get_ifd(GPS_IFD)

    record = upload(original, store)

    assert (record.content_type, record.location_stripped) == ("image/png", True)
    public = opened(store.get(record.public_sha256))
    assert_no_location(public)
    assert public.text == {}
    assert public.tobytes() == opened(original).tobytes()


@pytest.mark.parametrize("lossless", [False, True], ids=["VP8", "VP8L"])
def test_webp_public_copy_loses_exif_gps_and_xmp_with_sizes_and_flags_fixed(store, lossless):
    original = encode(picture(), "WEBP", exif=camera_exif(), xmp=XMP_WITH_GPS, lossless=lossless)

    record = upload(original, store)

    assert (record.content_type, record.location_stripped) == ("image/webp", True)
    public = store.get(record.public_sha256)
    assert struct.unpack_from("<I", public, 4)[0] == len(public) - 8
    assert public[12:16] == b"VP8X"
    assert public[20] & 0x04 == 0, "no XMP flag"
    assert public[20] & 0x08, "Exif flag: the orientation is still there"
    assert_no_location(opened(public))
    assert opened(public).tobytes() == opened(original).tobytes()


def test_image_without_metadata_is_its_own_public_copy(store):
    original = encode(picture(), "PNG")

    record = upload(original, store)

    assert record.public_sha256 == record.sha256
    assert record.location_stripped is False


# --- MP4 ------------------------------------------------------------------------------------


def box(kind: bytes, *children: bytes) -> bytes:
    body = b"".join(children)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, *children: bytes) -> bytes:
    return box(kind, b"\x00\x00\x00\x00", *children)


def movie_header() -> bytes:
    unity_matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    return full_box(b"mvhd", struct.pack(">IIIIIH10x", 0, 0, 1000, 3000, 0x10000, 0x100),
                    unity_matrix, bytes(24), struct.pack(">I", 2))


def mp4(*movie_boxes: bytes, brands=(b"isom", b"iso2", b"avc1", b"mp41")) -> bytes:
    file_type = box(b"ftyp", brands[0], struct.pack(">I", 0x200), *brands)
    return file_type + box(b"moov", movie_header(), *movie_boxes) + box(b"mdat", bytes(range(256)))


ISO6709 = b"+21.0285+105.8542/"
ANDROID_LOCATION = box(b"udta", box(b"\xa9xyz", struct.pack(">HH", len(ISO6709), 0x15C7), ISO6709))


def apple_metadata(*keyed_values: tuple[bytes, bytes]) -> bytes:
    """QuickTime `mdta` metadata: a key list, and items whose type is a key's index."""
    keys = full_box(b"keys", struct.pack(">I", len(keyed_values)),
                    *(struct.pack(">I", 8 + len(key)) + b"mdta" + key for key, _ in keyed_values))
    utf8_value = struct.pack(">II", 1, 0)                   # type 1 (UTF-8), default locale
    items = box(b"ilst", *(box(struct.pack(">I", index), box(b"data", utf8_value, value))
                           for index, (_, value) in enumerate(keyed_values, start=1)))
    handler = full_box(b"hdlr", bytes(4), b"mdta", bytes(12), b"\x00")
    return box(b"meta", handler, keys, items)


def boxes(data: bytes, start=0, end=None) -> list[tuple[bytes, bytes]]:
    end = len(data) if end is None else end
    found = []
    while start < end:
        size, kind = struct.unpack_from(">I4s", data, start)
        found.append((kind, data[start + 8:start + size]))
        start += size
    return found


def test_mp4_location_box_is_blanked_in_place(store):
    original = mp4(ANDROID_LOCATION)

    record = upload(original, store)

    assert (record.content_type, record.location_stripped) == ("video/mp4", True)
    public = store.get(record.public_sha256)
    assert ISO6709 not in public and b"\xa9xyz" not in public
    assert len(public) == len(original), "same size: mdat offsets in the sample tables still hold"
    assert public[-264:] == original[-264:], "media data untouched"
    movie = dict(boxes(public))[b"moov"]
    user_data = dict(boxes(movie))[b"udta"]
    assert boxes(user_data) == [(b"free", bytes(len(ISO6709) + 4))]
    assert upload(public, store).location_stripped is False, "the public copy is a valid MP4"


def test_mp4_apple_location_key_is_blanked_and_other_metadata_kept(store):
    original = mp4(apple_metadata((b"com.apple.quicktime.location.ISO6709", ISO6709),
                                  (b"com.apple.quicktime.make", b"Apple")))

    record = upload(original, store)

    assert record.location_stripped is True
    public = store.get(record.public_sha256)
    assert ISO6709 not in public and b"Apple" in public and len(public) == len(original)


def test_mp4_with_64_bit_box_sizes_is_accepted(store):
    """Phones write long videos' mdat with a 64-bit size."""
    large_mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + 256) + bytes(256)
    data = mp4(ANDROID_LOCATION).rsplit(box(b"mdat", bytes(range(256))), 1)[0] + large_mdat

    assert upload(data, store).location_stripped is True


def test_mp4_without_location_is_its_own_public_copy(store):
    record = upload(mp4(), store)

    assert (record.public_sha256, record.location_stripped) == (record.sha256, False)


@pytest.mark.parametrize("brands", [(b"qt  ",), (b"3gp4", b"3gp5")], ids=["QuickTime", "3GPP"])
def test_other_iso_media_brands_are_refused(store, brands):
    assert refusal(mp4(brands=brands), store) == "unsupported content type"


def test_mp4_with_a_box_overrunning_its_file_is_refused(store):
    assert "malformed MP4" in refusal(mp4(ANDROID_LOCATION)[:-10], store)


# --- Type and structure --------------------------------------------------------------------


def test_type_is_read_from_the_content_not_the_filename(tmp_path, store):
    disguised = tmp_path / "pothole.jpg"
    picture().save(disguised, "GIF")
    media = MediaUpload()

    with pytest.raises(InvalidArgument, match="unsupported content type"):
        media.add(disguised.read_bytes())   # refused on the first chunk


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + bytes(100), b"<svg xmlns='x'></svg>",
                                  b"\xff\xd8"], ids=["PDF", "SVG", "shorter than a header"])
def test_other_content_is_refused(store, data):
    assert refusal(data, store) == "unsupported content type"


def test_empty_upload_is_refused(store):
    assert refusal(b"", store) == "empty upload"


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_truncated_jpeg_is_refused(store, cut):
    whole = encode(picture(), "JPEG")
    assert refusal(whole[:int(len(whole) * cut)], store) == "truncated JPEG"


def test_jpeg_header_over_other_content_is_refused(store):
    assert "malformed JPEG" in refusal(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(5) + b"<html>",
                                       store)


def test_jpeg_made_of_countless_tiny_segments_is_refused_quickly(store):
    crafted = b"\xff\xd8" + b"\xff\xfe\x00\x02" * 100_000
    assert refusal(crafted, store) == "JPEG with too many parts"


def test_png_with_a_bad_crc_is_refused(store):
    data = bytearray(encode(picture(), "PNG"))
    data[data.index(b"IDAT") + 10] ^= 0xFF
    assert refusal(bytes(data), store) == "PNG chunk with a bad CRC"


def test_truncated_png_is_refused(store):
    data = encode(picture(), "PNG")
    assert refusal(data[:-20], store) == "truncated PNG"


def riff(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) % 2)


@pytest.mark.parametrize("data, message", [
    (riff(webp_chunk(b"VP8 ", b"this is not a VP8 frame")), "malformed VP8 bitstream"),
    (riff(webp_chunk(b"VP8L", b"\x00garbage")), "malformed VP8L bitstream"),
    (riff(webp_chunk(b"VP8X", bytes(10)), webp_chunk(b"EXIF", b"MM")), "WebP without image data"),
    (riff(webp_chunk(b"JUNK", bytes(16))), "malformed WebP: no VP8, VP8L or VP8X header"),
    (b"RIFF\xff\xff\x00\x00WEBPVP8 ", "WebP whose RIFF size does not match the file"),
], ids=["VP8", "VP8L", "VP8X without image", "no image chunk", "RIFF size"])
def test_fake_webp_is_refused(store, data, message):
    assert refusal(data, store) == message


def test_truncated_webp_is_refused(store):
    whole = encode(picture(), "WEBP")
    assert "RIFF size" in refusal(whole[:-7], store)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_images_wider_than_12000_px_are_refused(store, image_format):
    data = encode(Image.new("L", (12_001, 2)), image_format)
    assert "each side must be 1 to 12000 px" in refusal(data, store)


def test_images_of_12000_px_are_accepted(store):
    assert upload(encode(Image.new("L", (2, 12_000)), "PNG"), store).content_type == "image/png"


# --- Limits ----------------------------------------------------------------------------------


def test_a_chunk_over_1_mib_is_refused():
    with pytest.raises(InvalidArgument, match="chunk is larger than 1 MiB"):
        MediaUpload().add(b"\xff\xd8\xff" + bytes(MiB))


def test_an_image_is_refused_as_soon_as_it_passes_10_mib():
    media = MediaUpload()
    media.add(b"\xff\xd8\xff\xe0" + bytes(MiB - 4))
    for _ in range(9):
        media.add(bytes(MiB))   # 10 MiB exactly: still accepted

    with pytest.raises(InvalidArgument, match="larger than the 10 MiB allowed") as refused:
        media.add(b"\x00")
    assert refused.value.field == "data"


def test_videos_have_their_own_larger_limit():
    limits = MediaLimits(image_bytes=1000, video_bytes=3000)
    video, image = MediaUpload(limits), MediaUpload(limits)
    video.add(mp4()[:16] + bytes(2984))
    image.add(b"\x89PNG\r\n\x1a\n" + bytes(992))

    with pytest.raises(InvalidArgument, match="larger than the 3000 bytes allowed"):
        video.add(b"\x00")
    with pytest.raises(InvalidArgument):
        image.add(b"\x00")


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("REPORTS_MEDIA_MAX_IMAGE_BYTES", "2048")
    monkeypatch.setenv("REPORTS_MEDIA_MAX_VIDEO_BYTES", "4096")

    assert MediaLimits.from_settings() == MediaLimits(2048, 4096)


# --- Storage ---------------------------------------------------------------------------------


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_same_bytes_give_the_same_record_and_are_stored_once(store):
    original = encode(picture(), "JPEG", exif=camera_exif())

    first = upload(original, store)
    files = stored_files(store.root)
    second = upload(original, store)

    assert second == first
    assert stored_files(store.root) == files
    assert store.put(original) == first.sha256 and stored_files(store.root) == files
    sha = first.sha256
    assert f"{sha[:2]}/{sha[2:4]}/{sha}" in files and f"{sha[:2]}/{sha[2:4]}/{sha}.json" in files
    assert len(files) == 3, "original, public copy, record; no temporary file left"


def test_local_store_answers_by_sha256(store):
    record = upload(encode(picture(), "PNG", exif=camera_exif()), store)

    assert store.record(record.sha256) == record
    assert store.exists(record.sha256) and store.exists(record.public_sha256)
    assert store.url(record.public_sha256).startswith("file:///")
    assert store.url(record.public_sha256).endswith(record.public_sha256)
    unknown = "0" * 64
    assert store.record(unknown) is None and not store.exists(unknown)
    assert store.record(record.public_sha256) is None, "records are kept under the original"
    with pytest.raises(NotFound):
        store.get(unknown)


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", "A" * 64, ""])
def test_names_that_are_not_sha256_never_reach_the_file_system(store, name):
    assert store.record(name) is None
    assert not store.exists(name)
    with pytest.raises(NotFound):
        store.get(name)


def test_store_from_settings_is_local_unless_an_s3_endpoint_is_set(monkeypatch, tmp_path):
    monkeypatch.setenv("REPORTS_MEDIA_DIR", str(tmp_path))
    monkeypatch.delenv("REPORTS_MEDIA_S3_ENDPOINT", raising=False)
    local = media_store_from_settings()
    assert isinstance(local, LocalMediaStore) and local.root == tmp_path

    monkeypatch.setenv("REPORTS_MEDIA_S3_ENDPOINT", "https://s3.example.vn:9000/")
    monkeypatch.setenv("REPORTS_MEDIA_S3_BUCKET", "evidence")
    s3 = media_store_from_settings()
    assert isinstance(s3, S3MediaStore)
    assert (s3.origin, s3.host, s3.prefix) == ("https://s3.example.vn:9000", "s3.example.vn:9000",
                                               "/evidence/")


# --- AWS Signature Version 4: the examples of the S3 documentation -------------------------

EXAMPLE = SigV4Signer("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                      "us-east-1")
EXAMPLE_HOST = "examplebucket.s3.amazonaws.com"
EXAMPLE_TIME = datetime(2013, 5, 24, tzinfo=timezone.utc)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def signature(headers: dict) -> str:
    return headers["authorization"].rsplit("Signature=", 1)[1]


def test_sigv4_get_object_example():
    headers = EXAMPLE.headers("GET", EXAMPLE_HOST, "/test.txt", {}, {"Range": "bytes=0-9"},
                              EMPTY_SHA256, EXAMPLE_TIME)

    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    assert headers["x-amz-date"] == "20130524T000000Z"


def test_sigv4_put_object_example_encodes_the_key_once():
    payload = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    headers = EXAMPLE.headers("PUT", EXAMPLE_HOST, "/test$file.text", {},
                              {"Date": "Fri, 24 May 2013 00:00:00 GMT",
                               "x-amz-storage-class": "REDUCED_REDUNDANCY"}, payload, EXAMPLE_TIME)

    assert signature(headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"


@pytest.mark.parametrize("query, expected", [
    ({"lifecycle": ""}, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    ({"prefix": "J", "max-keys": "2"},
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
], ids=["GET lifecycle", "list objects"])
def test_sigv4_query_examples(query, expected):
    headers = EXAMPLE.headers("GET", EXAMPLE_HOST, "/", query, {}, EMPTY_SHA256, EXAMPLE_TIME)

    assert signature(headers) == expected


def test_sigv4_presigned_url_example():
    query = EXAMPLE.presigned_query("GET", EXAMPLE_HOST, "/test.txt", 86400, EXAMPLE_TIME)

    assert query == (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        "&X-Amz-SignedHeaders=host")
