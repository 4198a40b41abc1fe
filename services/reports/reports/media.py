"""Citizens' photos and short videos: checked from their content, stored by SHA-256.

An upload arrives in chunks (`MediaUpload`). Its type is read from the bytes,
never from the filename, and images are parsed far enough to refuse truncated
or forged files. A public copy is made without location metadata and without
re-encoding anything: JPEG and WebP keep only the Exif orientation, PNG loses
its Exif and text chunks, MP4 location boxes are blanked in place. The
original is kept too (staff see it; it is evidence). Both copies go into a
`MediaStore` under their SHA-256 — local files by default, S3-compatible
object storage in production — with a JSON record beside the original.

Plain Python for an eventlet process: the only blocking I/O is on files and
urllib3 sockets.
"""
import hashlib
import hmac
import json
import os
import re
import struct
import tempfile
import urllib.parse
import zlib
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

import urllib3

from kit import settings
from kit.errors import InvalidArgument, NotFound

MiB = 1 << 20
MAX_CHUNK_BYTES = MiB              # MediaChunk.data, as the API documents
MAX_SIDE_PX = 12_000
MAX_PARTS = 10_000                 # segments, chunks or boxes: bounds parsing time on crafted files

JPEG, PNG, WEBP, MP4 = "image/jpeg", "image/png", "image/webp", "video/mp4"


class MediaStoreUnavailable(Exception):
    """The media store failed or refused for a reason that may pass; retry later."""


# --- Limits and the upload ---------------------------------------------------------------


@dataclass(frozen=True)
class MediaLimits:
    image_bytes: int = 10 * MiB
    video_bytes: int = 50 * MiB

    @classmethod
    def from_settings(cls) -> "MediaLimits":
        return cls(settings.get_int("REPORTS_MEDIA_MAX_IMAGE_BYTES"),
                   settings.get_int("REPORTS_MEDIA_MAX_VIDEO_BYTES"))

    def for_type(self, content_type: str | None) -> int:
        """Before the type is known, the larger of the two."""
        if content_type is None:
            return max(self.image_bytes, self.video_bytes)
        return self.video_bytes if content_type == MP4 else self.image_bytes


@dataclass(frozen=True)
class MediaRecord:
    sha256: str                # of the original, as uploaded
    public_sha256: str         # of the copy without location metadata (may equal sha256)
    content_type: str
    size: int                  # of the original
    location_stripped: bool    # the original carried a location the public copy does not

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "MediaRecord":
        return cls(**json.loads(data))


class MediaUpload:
    """One upload, fed chunk by chunk; refuses as soon as a limit is passed."""

    def __init__(self, limits: MediaLimits = MediaLimits()):
        self.limits = limits
        self.content_type: str | None = None
        self._data = bytearray()
        self._sha256 = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        if len(chunk) > MAX_CHUNK_BYTES:
            raise _refuse("a chunk is larger than 1 MiB")
        self._data += chunk
        self._sha256.update(chunk)
        if self.content_type is None and len(self._data) >= SNIFF_BYTES:
            self.content_type = sniff_content_type(self._data)
        limit = self.limits.for_type(self.content_type)
        if len(self._data) > limit:
            raise _refuse(f"the file is larger than the {_size(limit)} allowed")

    def finish(self, store: "MediaStore") -> MediaRecord:
        """Checks the whole file, stores the original and the public copy, and records them.
        Bytes uploaded before get their existing record back, without being stored again."""
        if not self._data:
            raise _refuse("empty upload")
        if self.content_type is None:
            raise _refuse("unsupported content type")
        sha256 = self._sha256.hexdigest()
        known = store.record(sha256)
        if known is not None:
            return known
        original = bytes(self._data)
        public = PUBLIC_COPY_MAKERS[self.content_type](original)
        store.put(original)
        record = MediaRecord(sha256, store.put(public.data), self.content_type, len(original),
                             public.location_stripped)
        store.put_record(record)
        return record


SNIFF_BYTES = 12
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sniff_content_type(head: bytes) -> str:
    """The type from the first bytes; anything not accepted is refused here."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(PNG_SIGNATURE):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return MP4
    raise _refuse("unsupported content type")


def _size(size: int) -> str:
    return f"{size // MiB} MiB" if size % MiB == 0 else f"{size} bytes"


def _refuse(message: str) -> InvalidArgument:
    return InvalidArgument(message, "data")


class PublicCopy(NamedTuple):
    data: bytes
    location_stripped: bool


class Part(NamedTuple):
    """A JPEG segment, PNG or WebP chunk, or MP4 box, by offsets into the file."""
    kind: bytes       # JPEG marker byte, chunk type or box type
    start: int        # first byte of the header
    body: int         # first byte of the payload
    body_end: int     # end of the payload
    end: int          # end of the part (CRC, padding or scan data included)


def _at_most(parts: Iterable[Part], what: str) -> Iterator[Part]:
    for count, part in enumerate(parts):
        if count == MAX_PARTS:
            raise _refuse(f"{what} with too many parts")
        yield part


def check_dimensions(width: int, height: int) -> None:
    if not (0 < width <= MAX_SIDE_PX and 0 < height <= MAX_SIDE_PX):
        raise _refuse(f"image of {width}×{height} px: each side must be 1 to {MAX_SIDE_PX} px")


# --- Exif: only the orientation survives -------------------------------------------------

EXIF_HEADER = b"Exif\x00\x00"
ORIENTATION_TAG = 0x0112
GPS_IFD_TAG = 0x8825
SHORT = 3


def reduced_exif(payload: bytes) -> tuple[bytes | None, bool]:
    """A minimal Exif with the original's orientation (None when it has none), and
    whether the original pointed to GPS data."""
    orientation, has_gps = read_exif(payload.removeprefix(EXIF_HEADER))
    return (orientation_exif(orientation) if orientation else None), has_gps


def read_exif(tiff: bytes) -> tuple[int | None, bool]:
    """Orientation (1-8) and GPS presence from IFD0; unreadable Exif yields neither
    (it is dropped whole all the same)."""
    orientation, has_gps = None, False
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        magic, ifd0 = struct.unpack_from(order + "HI", tiff, 2)
        if magic != 42:
            return None, False
        (count,) = struct.unpack_from(order + "H", tiff, ifd0)
        for entry in range(ifd0 + 2, ifd0 + 2 + 12 * count, 12):
            tag, value_type, values = struct.unpack_from(order + "HHI", tiff, entry)
            if tag == ORIENTATION_TAG and value_type == SHORT and values == 1:
                (orientation,) = struct.unpack_from(order + "H", tiff, entry + 8)
            has_gps |= tag == GPS_IFD_TAG
    except (KeyError, struct.error):
        return None, False
    return (orientation if orientation in range(1, 9) else None), has_gps


def orientation_exif(orientation: int) -> bytes:
    """Big-endian TIFF: one IFD with one entry, Orientation."""
    return struct.pack(">2sHIHHHIHHI", b"MM", 42, 8, 1, ORIENTATION_TAG, SHORT, 1, orientation,
                       0, 0)


def mentions_gps(metadata: bytes) -> bool:
    """XMP writes coordinates as exif:GPSLatitude and exif:GPSLongitude."""
    return b"GPS" in metadata


# --- JPEG --------------------------------------------------------------------------------

SOI, EOI, SOS, APP1, COM = b"\xd8", b"\xd9", b"\xda", b"\xe1", b"\xfe"
SOF_MARKERS = {bytes([m]) for m in (*range(0xC0, 0xC4), *range(0xC5, 0xC8),
                                     *range(0xC9, 0xCC), *range(0xCD, 0xD0))}
STANDALONE_MARKERS = {b"\x01", *(bytes([m]) for m in range(0xD0, 0xD8))}
# APPn segments the public copy keeps, by their identifier: they change how pixels render.
KEPT_APP_SEGMENTS = {b"\xe0": (b"JFIF\x00", b"JFXX\x00"), b"\xe2": (b"ICC_PROFILE\x00",),
                     b"\xee": (b"Adobe",)}
# In entropy-coded data FF is followed by 00 (stuffing), a restart marker or more FF.
NEXT_MARKER_IN_SCAN = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


def jpeg_public_copy(data: bytes) -> PublicCopy:
    segments = list(_at_most(jpeg_segments(data), "JPEG"))
    check_jpeg_image(data, segments)
    kept, located, exif_kept = [], False, False
    for segment in segments:
        body = data[segment.body:segment.body_end]
        if segment.kind == APP1 and body.startswith(EXIF_HEADER) and not exif_kept:
            exif, has_gps = reduced_exif(body)
            located |= has_gps
            if exif:
                kept.append(jpeg_segment(APP1, EXIF_HEADER + exif))
                exif_kept = True
        elif keeps_jpeg_segment(segment.kind, body):
            kept.append(data[segment.start:segment.end])
        else:
            located |= mentions_gps(body)
    return PublicCopy(b"\xff" + SOI + b"".join(kept), located)


def jpeg_segments(data: bytes) -> Iterator[Part]:
    """Every segment after SOI up to EOI included; what follows EOI is ignored."""
    pos = 2
    while True:
        if pos + 2 > len(data):
            raise _refuse("truncated JPEG")
        if data[pos] != 0xFF:
            raise _refuse("malformed JPEG")
        while data[pos + 1] == 0xFF and pos + 2 < len(data):   # fill bytes
            pos += 1
        kind = data[pos + 1:pos + 2]
        if kind == EOI or kind in STANDALONE_MARKERS:
            yield Part(kind, pos, pos + 2, pos + 2, pos + 2)
            if kind == EOI:
                return
            pos += 2
            continue
        if pos + 4 > len(data):
            raise _refuse("truncated JPEG")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        body_end = pos + 2 + length
        if length < 2 or body_end > len(data):
            raise _refuse("truncated JPEG")
        end = jpeg_scan_end(data, body_end) if kind == SOS else body_end
        yield Part(kind, pos, pos + 4, body_end, end)
        pos = end


def jpeg_scan_end(data: bytes, pos: int) -> int:
    found = NEXT_MARKER_IN_SCAN.search(data, pos)
    if found is None:
        raise _refuse("truncated JPEG")
    return found.start()


def check_jpeg_image(data: bytes, segments: list[Part]) -> None:
    kinds = [segment.kind for segment in segments]
    frames = [segment for segment in segments if segment.kind in SOF_MARKERS]
    if len(frames) != 1 or SOS not in kinds or kinds.index(SOS) < kinds.index(frames[0].kind):
        raise _refuse("malformed JPEG: one frame header, then image data, are required")
    if frames[0].body_end - frames[0].body < 6:
        raise _refuse("malformed JPEG frame header")
    height, width = struct.unpack_from(">HH", data, frames[0].body + 1)
    check_dimensions(width, height)


def keeps_jpeg_segment(kind: bytes, body: bytes) -> bool:
    """Everything the decoder needs; of the metadata, only what changes how pixels render."""
    if 0xE0 <= kind[0] <= 0xEF:
        return body.startswith(KEPT_APP_SEGMENTS.get(kind, ()))
    return kind != COM


def jpeg_segment(kind: bytes, body: bytes) -> bytes:
    return b"\xff" + kind + struct.pack(">H", len(body) + 2) + body


# --- PNG ---------------------------------------------------------------------------------

PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}   # free text: XMP, "Raw profile" Exif, comments


def png_public_copy(data: bytes) -> PublicCopy:
    chunks = list(_at_most(png_chunks(data), "PNG"))
    check_png_image(data, chunks)
    kept, located, exif_kept = [PNG_SIGNATURE], False, False
    for chunk in chunks:
        body = data[chunk.body:chunk.body_end]
        if chunk.kind == b"eXIf" and not exif_kept:
            exif, has_gps = reduced_exif(body)
            located |= has_gps
            if exif:
                kept.append(png_chunk(b"eXIf", exif))
                exif_kept = True
        elif chunk.kind in PNG_TEXT_CHUNKS or chunk.kind == b"eXIf":
            located |= mentions_gps(body)   # compressed text is dropped unread
        else:
            kept.append(data[chunk.start:chunk.end])
    return PublicCopy(b"".join(kept), located)


def png_chunks(data: bytes) -> Iterator[Part]:
    """Every chunk up to IEND included, CRC checked; what follows IEND is ignored."""
    view = memoryview(data)
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break
        if not kind.isalpha():
            raise _refuse("malformed PNG chunk")
        if zlib.crc32(view[pos + 4:end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
            raise _refuse("PNG chunk with a bad CRC")
        yield Part(kind, pos, pos + 8, end - 4, end)
        if kind == b"IEND":
            return
        pos = end
    raise _refuse("truncated PNG")


def check_png_image(data: bytes, chunks: list[Part]) -> None:
    header = chunks[0]
    if header.kind != b"IHDR" or header.body_end - header.body != 13:
        raise _refuse("malformed PNG: IHDR must come first")
    if not any(chunk.kind == b"IDAT" for chunk in chunks):
        raise _refuse("PNG without image data")
    check_dimensions(*struct.unpack_from(">II", data, header.body))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# --- WebP --------------------------------------------------------------------------------

VP8, VP8L, VP8X, ANMF = b"VP8 ", b"VP8L", b"VP8X", b"ANMF"
WEBP_EXIF_FLAG, WEBP_XMP_FLAG = 0x08, 0x04


def webp_public_copy(data: bytes) -> PublicCopy:
    chunks = list(_at_most(webp_chunks(data), "WebP"))
    check_webp_image(data, chunks)
    kept, located, exif_kept = [], False, False
    for chunk in chunks:
        body = data[chunk.body:chunk.body_end]
        if chunk.kind == b"EXIF" and not exif_kept:
            exif, has_gps = reduced_exif(body)
            located |= has_gps
            if exif:
                kept.append(riff_chunk(b"EXIF", exif))
                exif_kept = True
        elif chunk.kind in (b"EXIF", b"XMP "):
            located |= mentions_gps(body)
        else:
            kept.append(data[chunk.start:chunk.end])
    if chunks[0].kind == VP8X:
        kept[0] = with_vp8x_flags(kept[0], WEBP_EXIF_FLAG if exif_kept else 0)
    riff_body = b"WEBP" + b"".join(kept)
    return PublicCopy(b"RIFF" + struct.pack("<I", len(riff_body)) + riff_body, located)


def webp_chunks(data: bytes) -> Iterator[Part]:
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if riff_size + 8 != len(data):
        raise _refuse("WebP whose RIFF size does not match the file")
    pos = 12
    while pos < len(data):
        if pos + 8 > len(data):
            raise _refuse("malformed WebP chunk")
        kind, size = struct.unpack_from("<4sI", data, pos)
        end = pos + 8 + size + (size & 1)
        if end > len(data):
            raise _refuse("malformed WebP chunk")
        yield Part(kind, pos, pos + 8, pos + 8 + size, end)
        pos = end


def check_webp_image(data: bytes, chunks: list[Part]) -> None:
    first = chunks[0] if chunks else Part(b"", 0, 0, 0, 0)
    if first.kind in (VP8, VP8L):
        check_dimensions(*webp_bitstream_size(data, first))
    elif first.kind == VP8X and first.body_end - first.body >= 10:
        check_dimensions(1 + int.from_bytes(data[first.body + 4:first.body + 7], "little"),
                         1 + int.from_bytes(data[first.body + 7:first.body + 10], "little"))
        images = [chunk for chunk in chunks if chunk.kind in (VP8, VP8L, ANMF)]
        if not images:
            raise _refuse("WebP without image data")
        for image in images:
            if image.kind != ANMF:
                check_dimensions(*webp_bitstream_size(data, image))
    else:
        raise _refuse("malformed WebP: no VP8, VP8L or VP8X header")


def webp_bitstream_size(data: bytes, chunk: Part) -> tuple[int, int]:
    head = data[chunk.body:min(chunk.body + 10, chunk.body_end)]
    if chunk.kind == VP8:
        if len(head) < 10 or head[0] & 1 or head[3:6] != b"\x9d\x01\x2a":   # key frame, start code
            raise _refuse("malformed VP8 bitstream")
        width, height = struct.unpack_from("<HH", head, 6)
        return width & 0x3FFF, height & 0x3FFF
    if len(head) < 5 or head[0] != 0x2F or head[4] >> 5:                  # signature, version 0
        raise _refuse("malformed VP8L bitstream")
    bits = int.from_bytes(head[1:5], "little")
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


def with_vp8x_flags(chunk: bytes, metadata_flags: int) -> bytes:
    flags = chunk[8] & ~(WEBP_EXIF_FLAG | WEBP_XMP_FLAG) | metadata_flags
    return chunk[:8] + bytes([flags]) + chunk[9:]


def riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)


# --- MP4 ---------------------------------------------------------------------------------
# Location boxes are blanked in place (renamed `free`, payload zeroed) rather than
# removed: removing bytes from `moov` would shift the media data that the sample
# tables (stco/co64) address by absolute file offset, and rewriting those tables is
# not worth it for a few dozen bytes.

MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42",
              b"avc1", b"M4V ", b"MSNV"}
LOCATION_BOXES = {b"\xa9xyz", b"loci"}                      # ISO 6709 string; 3GPP location
XMP_BOXES = {b"XMP_", b"uuid"}
XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
# Where location metadata lives: moov/udta, moov/trak/udta, and meta boxes on the way.
# Naming each level bounds the descent, however deeply a crafted file nests boxes.
MP4_CONTAINERS = {b"moov": {b"trak", b"udta"}, b"trak": {b"udta"}, b"udta": set()}


def mp4_public_copy(data: bytes) -> PublicCopy:
    boxes = list(_at_most(mp4_boxes(data, 0, len(data)), "MP4"))
    check_mp4(data, boxes)
    targets = list(mp4_location_boxes(data, boxes))
    if not targets:
        return PublicCopy(data, False)
    public = bytearray(data)
    for box in targets:
        public[box.start + 4:box.start + 8] = b"free"
        public[box.body:box.end] = bytes(box.end - box.body)
    located = any(box.kind not in XMP_BOXES or mentions_gps(data[box.body:box.end])
                  for box in targets)
    return PublicCopy(bytes(public), located)


def mp4_boxes(data: bytes, start: int, end: int) -> Iterator[Part]:
    pos = start
    while pos < end:
        if pos + 8 > end:
            raise _refuse("malformed MP4 box")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= end:          # 64-bit size follows the type
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:                            # extends to the end of its container
            size = end - pos
        if size < header or pos + size > end:
            raise _refuse("malformed MP4 box")
        yield Part(kind, pos, pos + header, pos + size, pos + size)
        pos += size


def check_mp4(data: bytes, boxes: list[Part]) -> None:
    ftyp = boxes[0]
    # The major brand, then the compatible ones after the minor version.
    brands = {data[ftyp.body:ftyp.body + 4]}
    brands |= {data[offset:offset + 4] for offset in range(ftyp.body + 8, ftyp.end - 3, 4)}
    if ftyp.kind != b"ftyp" or not brands & MP4_BRANDS:
        raise _refuse("unsupported content type")
    movies = [box for box in boxes if box.kind == b"moov"]
    if len(movies) != 1 or not any(
            box.kind == b"mvhd"
            for box in _at_most(mp4_boxes(data, movies[0].body, movies[0].end), "MP4")):
        raise _refuse("malformed MP4: one moov box with a movie header is required")


def mp4_location_boxes(data: bytes, boxes: Iterable[Part],
                       containers=frozenset({b"moov"})) -> Iterator[Part]:
    """Boxes to blank: location strings, XMP, and keyed metadata named *location*."""
    for box in _at_most(boxes, "MP4"):
        if box.kind in LOCATION_BOXES or box.kind == b"XMP_":
            yield box
        elif box.kind == b"uuid" and data[box.body:box.body + 16] == XMP_UUID:
            yield box
        elif box.kind == b"meta":
            yield from mp4_location_items(data, box)
        elif box.kind in containers:
            yield from mp4_location_boxes(data, mp4_boxes(data, box.body, box.end),
                                          MP4_CONTAINERS[box.kind])


def mp4_location_items(data: bytes, meta: Part) -> Iterator[Part]:
    """Items of a `meta` list that are location, either by type (©xyz) or, in Apple's
    `mdta` metadata, by the name of the key their type indexes."""
    # ISO's meta is a full box (4 bytes of version and flags); QuickTime's is not.
    start = meta.body if data[meta.body + 4:meta.body + 8] == b"hdlr" else meta.body + 4
    children = list(_at_most(mp4_boxes(data, start, meta.end), "MP4"))
    location_keys = {index for child in children if child.kind == b"keys"
                     for index in location_key_indices(data, child)}
    for child in children:
        if child.kind == b"ilst":
            for item in _at_most(mp4_boxes(data, child.body, child.end), "MP4"):
                if item.kind in LOCATION_BOXES or int.from_bytes(item.kind, "big") in location_keys:
                    yield item


def location_key_indices(data: bytes, keys: Part) -> set[int]:
    """1-based indexes of keys such as com.apple.quicktime.location.ISO6709."""
    # After version, flags and count, each key is laid out as a box: size, namespace, name.
    entries = _at_most(mp4_boxes(data, keys.body + 8, keys.end), "MP4")
    return {index for index, entry in enumerate(entries, start=1)
            if b"location" in data[entry.body:entry.end]}


PUBLIC_COPY_MAKERS = {JPEG: jpeg_public_copy, PNG: png_public_copy, WEBP: webp_public_copy,
                      MP4: mp4_public_copy}


# --- Stores ------------------------------------------------------------------------------

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")


def object_key(sha256: str) -> str:
    """ab/cd/abcd…: the name is checked, so a client's string never reaches a path."""
    if not SHA256_PATTERN.fullmatch(sha256):
        raise NotFound("no media with this SHA-256")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class MediaStore(ABC):
    """Content-addressed bytes, plus a JSON record beside each upload's original."""

    def put(self, data: bytes) -> str:
        """Idempotent: the same bytes are stored once, under their SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        key = object_key(sha256)
        if not self._has(key):
            self._write(key, data)
        return sha256

    def get(self, sha256: str) -> bytes:
        data = self._read(object_key(sha256))
        if data is None:
            raise NotFound("no media with this SHA-256")
        return data

    def exists(self, sha256: str) -> bool:
        return bool(SHA256_PATTERN.fullmatch(sha256)) and self._has(object_key(sha256))

    def put_record(self, record: MediaRecord) -> None:
        self._write(object_key(record.sha256) + ".json", record.to_json())

    def record(self, sha256: str) -> MediaRecord | None:
        """The record of an upload by its original's SHA-256; None when there is none."""
        if not SHA256_PATTERN.fullmatch(sha256):
            return None
        data = self._read(object_key(sha256) + ".json")
        return None if data is None else MediaRecord.from_json(data)

    @abstractmethod
    def url(self, sha256: str) -> str:
        """Where the bytes can be fetched from directly."""

    @abstractmethod
    def _has(self, key: str) -> bool: ...

    @abstractmethod
    def _read(self, key: str) -> bytes | None: ...

    @abstractmethod
    def _write(self, key: str, data: bytes) -> None: ...


class LocalMediaStore(MediaStore):
    """Files under a root folder, written to a temporary file then renamed into place,
    so a reader never sees half a file, even after a crash."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def url(self, sha256: str) -> str:
        return (self.root / object_key(sha256)).resolve().as_uri()

    def _has(self, key: str) -> bool:
        return (self.root / key).is_file()

    def _read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def _write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise


S3_RETRY = urllib3.util.Retry(total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504),
                              allowed_methods={"GET", "HEAD", "PUT"}, raise_on_status=False)
S3_TIMEOUT = urllib3.util.Timeout(connect=5.0, read=60.0)


class S3MediaStore(MediaStore):
    """An S3-compatible bucket (AWS, MinIO, Ceph RGW, SeaweedFS), path-style addressing,
    requests signed with AWS Signature Version 4."""

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str,
                 region: str = "us-east-1", url_ttl_seconds: int = 900):
        parts = urllib.parse.urlsplit(endpoint)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc
        self.prefix = f"{parts.path.rstrip('/')}/{bucket}/"
        self.signer = SigV4Signer(access_key, secret_key, region)
        self.url_ttl_seconds = url_ttl_seconds
        self.http = urllib3.PoolManager(retries=S3_RETRY, timeout=S3_TIMEOUT)

    def url(self, sha256: str) -> str:
        """A presigned GET: the bucket itself stays private."""
        path = self.prefix + object_key(sha256)
        query = self.signer.presigned_query("GET", self.host, path, self.url_ttl_seconds, _now())
        return f"{self.origin}{uri_encode_path(path)}?{query}"

    def _has(self, key: str) -> bool:
        return self._request("HEAD", key, expected=(200, 404)).status == 200

    def _read(self, key: str) -> bytes | None:
        response = self._request("GET", key, expected=(200, 404))
        return response.data if response.status == 200 else None

    def _write(self, key: str, data: bytes) -> None:
        self._request("PUT", key, data, expected=(200,))

    def _request(self, method: str, key: str, body: bytes = b"", expected=(200,)):
        path = self.prefix + key
        headers = self.signer.headers(method, self.host, path, {}, {},
                                      hashlib.sha256(body).hexdigest(), _now())
        try:
            response = self.http.request(method, self.origin + uri_encode_path(path),
                                         body=body or None, headers=headers, redirect=False)
        except urllib3.exceptions.HTTPError as error:
            raise MediaStoreUnavailable(f"S3 {method} {key}: {error}") from error
        if response.status not in expected:
            raise MediaStoreUnavailable(
                f"S3 {method} {key}: HTTP {response.status} {response.data[:300]!r}")
        return response


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- AWS Signature Version 4 -------------------------------------------------------------

SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class SigV4Signer:
    """Signs S3 requests: in the Authorization header, or in a presigned URL's query."""
    access_key: str
    secret_key: str
    region: str
    service: str = "s3"

    def headers(self, method: str, host: str, path: str, query: dict[str, str],
                headers: dict[str, str], payload_sha256: str, now: datetime) -> dict[str, str]:
        """The headers to send: those given, Host, the x-amz ones and Authorization;
        every one of them signed. `path` is unencoded."""
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        signed = {**{name.lower(): value for name, value in headers.items()}, "host": host,
                  "x-amz-content-sha256": payload_sha256, "x-amz-date": amz_date}
        signature = self._signature(method, path, query, signed, payload_sha256, amz_date)
        credential = f"{self.access_key}/{self._scope(amz_date)}"
        return {**signed, "authorization": f"{SIGV4_ALGORITHM} Credential={credential}, "
                f"SignedHeaders={';'.join(sorted(signed))}, Signature={signature}"}

    def presigned_query(self, method: str, host: str, path: str, expires_seconds: int,
                        now: datetime) -> str:
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        query = {"X-Amz-Algorithm": SIGV4_ALGORITHM,
                 "X-Amz-Credential": f"{self.access_key}/{self._scope(amz_date)}",
                 "X-Amz-Date": amz_date, "X-Amz-Expires": str(expires_seconds),
                 "X-Amz-SignedHeaders": "host"}
        signature = self._signature(method, path, query, {"host": host}, "UNSIGNED-PAYLOAD",
                                    amz_date)
        return canonical_query({**query, "X-Amz-Signature": signature})

    def _signature(self, method, path, query, headers, payload_sha256, amz_date) -> str:
        names = sorted(headers)
        canonical_request = "\n".join([
            method, uri_encode_path(path), canonical_query(query),
            "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in names),
            ";".join(names), payload_sha256])
        string_to_sign = "\n".join([SIGV4_ALGORITHM, amz_date, self._scope(amz_date),
                                    hashlib.sha256(canonical_request.encode()).hexdigest()])
        return hmac.new(self._signing_key(amz_date[:8]), string_to_sign.encode(),
                        hashlib.sha256).hexdigest()

    def _scope(self, amz_date: str) -> str:
        return f"{amz_date[:8]}/{self.region}/{self.service}/aws4_request"

    def _signing_key(self, date: str) -> bytes:
        key = f"AWS4{self.secret_key}".encode()
        for part in (date, self.region, self.service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return key


def uri_encode_path(path: str) -> str:
    """S3 encodes each path segment once (unlike other services, which encode twice)."""
    return urllib.parse.quote(path, safe="/")


def canonical_query(query: dict[str, str]) -> str:
    return "&".join(f"{urllib.parse.quote(name, safe='')}={urllib.parse.quote(value, safe='')}"
                    for name, value in sorted(query.items()))


# --- Settings ----------------------------------------------------------------------------

def media_store_from_settings() -> MediaStore:
    """S3 when REPORTS_MEDIA_S3_ENDPOINT is set, local files otherwise."""
    endpoint = settings.get("REPORTS_MEDIA_S3_ENDPOINT")
    if not endpoint:
        return LocalMediaStore(settings.get("REPORTS_MEDIA_DIR"))
    return S3MediaStore(endpoint, settings.get("REPORTS_MEDIA_S3_BUCKET"),
                        settings.get("REPORTS_MEDIA_S3_ACCESS_KEY"),
                        settings.get("REPORTS_MEDIA_S3_SECRET_KEY"),
                        settings.get("REPORTS_MEDIA_S3_REGION"),
                        settings.get_int("REPORTS_MEDIA_URL_TTL_SECONDS"))
