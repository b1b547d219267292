"""Hostile submission manifests (found by tests/fuzz, issue #7): values of the wrong type are `FormatError`."""

import json

import pytest

from crypto.codename import reporter_keys_from_master
from crypto.errors import FormatError
from crypto.identity import b64url
from crypto.strict_json import dumps_compact
from crypto.submission import SIGNATURE_CONTEXT, ReporterPublic, build_manifest, parse_part0

REPORTER = reporter_keys_from_master(bytes([4]) * 32)


# --- submissions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [["report"], {"report": 1}])
def test_manifest_kind_of_the_wrong_type_is_a_format_error(kind: object) -> None:
    manifest = json.loads(
        build_manifest(bytes(16), "report", None, "2026-11-28", ReporterPublic.from_keys(REPORTER), {"what": "x"}, [])
    )
    manifest["kind"] = kind  # was TypeError: unhashable type
    signed = dumps_compact(manifest)
    signature = REPORTER.signing_key.sign(SIGNATURE_CONTEXT + signed).signature
    with pytest.raises(FormatError, match="'kind' must be"):
        parse_part0(dumps_compact({"signed": b64url(signed), "signature": b64url(signature)}))
