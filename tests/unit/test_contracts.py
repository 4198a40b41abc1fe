"""The committed generated code matches protos/, and the documented
configuration matches the settings the code reads."""
import filecmp
import os
import re

from grpc_tools import protoc

from kit.settings import SETTINGS, markdown_table

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENPROTO = os.path.join(ROOT, "services", "kit", "genproto")


def proto_files():
    for folder, _, files in os.walk(os.path.join(ROOT, "protos")):
        yield from (os.path.join(folder, f) for f in files if f.endswith(".proto"))


def relative_files(top):
    return sorted(os.path.relpath(os.path.join(folder, f), top)
                  for folder, _, files in os.walk(top) for f in files if "__pycache__" not in folder)


def test_generated_code_is_up_to_date(tmp_path):
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    status = protoc.main(["protoc", "-I", os.path.join(ROOT, "protos"), "-I", well_known,
                          f"--python_out={tmp_path}",
                          f"--pyi_out={tmp_path}", f"--grpc_python_out={tmp_path}",
                          *sorted(proto_files())])
    assert status == 0
    expected = relative_files(tmp_path)
    assert relative_files(GENPROTO) == expected, "run `make protos`"
    stale = [f for f in expected
             if not filecmp.cmp(tmp_path / f, os.path.join(GENPROTO, f), shallow=False)]
    assert not stale, f"generated code is stale, run `make protos`: {stale}"


def test_configuration_doc_lists_exactly_the_settings():
    with open(os.path.join(ROOT, "docs", "configuration.md"), encoding="utf-8") as doc:
        text = doc.read()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, re.MULTILINE))
    assert documented == {s.name for s in SETTINGS}
    assert markdown_table() in text, "run `make docs`"
