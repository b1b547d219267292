"""Known answers for the primitives under the envelope and the signatures (X25519, Ed25519).

The vectors in tests/vectors/primitives/ are typed in from RFC 7748 and RFC 8032 (their
"source" fields say where from); the reject cases are Wycheproof-style: low-order X25519
points, and Ed25519 signatures made invalid in the ways Wycheproof probes (non-canonical
S, flipped bits, the small-order trivial forgery). They check the libsodium build that
PyNaCl ships, and the key derivations Candour builds on it.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from nacl import bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

from crypto.identity import _is_low_order

PRIMITIVES = Path(__file__).resolve().parent / "primitives"
X25519 = json.loads((PRIMITIVES / "rfc7748-x25519.json").read_text(encoding="utf-8"))
ED25519 = json.loads((PRIMITIVES / "rfc8032-ed25519.json").read_text(encoding="utf-8"))
# The order of the Ed25519 base point, from RFC 8032 §5.1.
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493


@pytest.mark.parametrize("vector", X25519["scalarmult"], ids=lambda v: v["comment"])
def test_x25519_scalarmult(vector: dict[str, str]) -> None:
    result = bindings.crypto_scalarmult(bytes.fromhex(vector["scalar"]), bytes.fromhex(vector["u"]))
    assert result.hex() == vector["result"]


def test_x25519_iterated() -> None:
    targets = {v["iterations"]: v["result"] for v in X25519["iterated"]}
    k = u = (9).to_bytes(32, "little")
    for iteration in range(1, max(targets) + 1):
        k, u = bindings.crypto_scalarmult(k, u), k
        if iteration in targets:
            assert k.hex() == targets[iteration], f"after {iteration} iterations"


def test_x25519_diffie_hellman() -> None:
    dh = X25519["diffie_hellman"]
    alice, bob = bytes.fromhex(dh["alice_private"]), bytes.fromhex(dh["bob_private"])
    assert bindings.crypto_scalarmult_base(alice).hex() == dh["alice_public"]
    assert bindings.crypto_scalarmult_base(bob).hex() == dh["bob_public"]
    assert bindings.crypto_scalarmult(alice, bytes.fromhex(dh["bob_public"])).hex() == dh["shared"]
    assert bindings.crypto_scalarmult(bob, bytes.fromhex(dh["alice_public"])).hex() == dh["shared"]


@pytest.mark.parametrize("vector", X25519["low_order_public_keys"], ids=lambda v: v["u"][:8])
def test_x25519_low_order_points_are_refused(vector: dict[str, str]) -> None:
    point = bytes.fromhex(vector["u"])
    with pytest.raises(CryptoError):
        bindings.crypto_scalarmult(bytes.fromhex(X25519["diffie_hellman"]["alice_private"]), point)
    # A sealed box to such a key must not be made, and identities refuse such a key.
    with pytest.raises(CryptoError):
        bindings.crypto_box_seal(bytes(32), point)
    assert _is_low_order(point)


def test_x25519_a_real_key_is_not_low_order() -> None:
    assert not _is_low_order(bytes.fromhex(X25519["diffie_hellman"]["alice_public"]))


@pytest.mark.parametrize("vector", ED25519["sign"], ids=lambda v: v["comment"])
def test_ed25519_sign_and_verify(vector: dict[str, str]) -> None:
    key = SigningKey(bytes.fromhex(vector["secret_key"]))
    message = bytes.fromhex(vector["message"])
    assert bytes(key.verify_key).hex() == vector["public_key"]
    assert key.sign(message).signature.hex() == vector["signature"]
    VerifyKey(bytes.fromhex(vector["public_key"])).verify(message, bytes.fromhex(vector["signature"]))


def _rejects(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(public_key).verify(message, signature)
    except (BadSignatureError, CryptoError, ValueError):
        return True
    return False


def _variants(vector: dict[str, Any]) -> list[tuple[str, bytes, bytes, bytes]]:
    public_key = bytes.fromhex(vector["public_key"])
    message = bytes.fromhex(vector["message"])
    signature = bytes.fromhex(vector["signature"])
    s = int.from_bytes(signature[32:], "little")
    non_canonical = signature[:32] + (s + GROUP_ORDER).to_bytes(32, "little")
    flipped_r = bytes([signature[0] ^ 0x01]) + signature[1:]
    flipped_s = signature[:40] + bytes([signature[40] ^ 0x01]) + signature[41:]
    return [
        ("S + L (malleated, non-canonical S)", public_key, message, non_canonical),
        ("a bit of R flipped", public_key, message, flipped_r),
        ("a bit of S flipped", public_key, message, flipped_s),
        ("message extended by one byte", public_key, message + b"\x00", signature),
        ("signature truncated", public_key, message, signature[:63]),
        (
            "another key",
            bytes.fromhex(ED25519["sign"][0]["public_key"])
            if vector is not ED25519["sign"][0]
            else bytes.fromhex(ED25519["sign"][1]["public_key"]),
            message,
            signature,
        ),
    ]


@pytest.mark.parametrize("vector", ED25519["sign"], ids=lambda v: v["comment"])
def test_ed25519_rejects_altered_signatures(vector: dict[str, str]) -> None:
    for what, public_key, message, signature in _variants(vector):
        assert _rejects(public_key, message, signature), what


def test_ed25519_rejects_the_small_order_trivial_forgery() -> None:
    # Identity point as the key and as R with S = 0 satisfies the verification equation
    # for every message in an implementation without the small-order checks.
    identity = (1).to_bytes(32, "little")
    assert _rejects(identity, b"any message", identity + bytes(32))
