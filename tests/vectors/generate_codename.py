"""Write the codename derivation vectors, versions 1 and 2 (docs/format.md §6).

    .venv/bin/python tests/vectors/generate_codename.py            # rewrite the files
    .venv/bin/python tests/vectors/generate_codename.py --check    # compare, write nothing

Files: tests/vectors/codename-derivation/codename-v<version>-<case>.json (a folder of
their own: the flat tests/vectors/*.json are envelope vectors, and generate.py removes
any other file there). Every input is fixed, so regenerating gives the same bytes;
`--check` fails when a committed file differs from what the code derives now.

Version 2's values are computed here from the text of §6 with hashlib and PyNaCl's
primitives, not through crypto.codename, so a change to the reference that the
specification does not describe fails the check instead of being written into a file.
Version 1's master key is Argon2id (crypto_pwhash) over the same inputs.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id as argon2id
from nacl import bindings

from crypto.codename import normalise_codename
from crypto.wordlist import words

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUT = HERE / "codename-derivation"


def fixed_bytes(label: str, size: int) -> bytes:
    return hashlib.blake2b(label.encode("ascii"), digest_size=size, person=b"candour-vectors").digest()


def subkey(parent: bytes, label: str) -> bytes:
    return hashlib.blake2b(label.encode("ascii"), digest_size=32, key=parent).digest()


def master_key(version: int, normal_form: str, salt: bytes) -> bytes:
    data = normal_form.encode("ascii")
    if version == 2:
        return hashlib.blake2b(b"candour/v2 codename master\x00" + data, digest_size=32, key=salt).digest()
    return argon2id.kdf(32, data, salt, opslimit=2, memlimit=64 * 1024 * 1024)


def derived(version: int, typed: str, salt: bytes, pepper: bytes) -> dict[str, str]:
    normal = normalise_codename(typed)
    master = master_key(version, normal, salt)
    login = subkey(master, "candour/v1 login")
    reply_secret = subkey(master, "candour/v1 reporter reply box")
    sign_seed = subkey(master, "candour/v1 reporter sign")
    sign_public, _sign_secret = bindings.crypto_sign_seed_keypair(sign_seed)
    return {
        "normal_form": normal,
        "master_key": master.hex(),
        "login_token": login.hex(),
        "reply_secret_key": reply_secret.hex(),
        "reply_public_key": bindings.crypto_scalarmult_base(reply_secret).hex(),
        "sign_seed": sign_seed.hex(),
        "sign_public_key": sign_public.hex(),
        "login_lookup": hashlib.blake2b(login, digest_size=32, key=pepper).hexdigest(),
    }


def cases() -> list[tuple[str, str, str, bytes]]:
    """(case, description, typed, salt): the same inputs for both versions."""
    word_list = words()
    ends = " ".join(word_list[index] for index in (0, 1, 2, 3, 2045, 2046, 2047, 1024))
    longest = " ".join(word for word in word_list if len(word) == 8)
    longest = " ".join(longest.split()[:8])  # the longest normal form: 8 eight-letter words
    salt = fixed_bytes("codename vector instance salt", 16)
    other_salt = fixed_bytes("codename vector other instance salt", 16)
    return [
        ("list-ends", "words from both ends and the middle of the list", ends, salt),
        (
            "typed-loosely",
            "the list-ends codename typed in capitals with dashes, commas, a tab and CR LF: the same keys",
            "  " + ends.upper().replace(" ", "-", 3).replace(" ", ",\t", 1).replace(" ", "\r\n", 1) + " ",
            salt,
        ),
        ("other-salt", "the list-ends codename under another instance salt: other keys", ends, other_salt),
        ("longest", "eight eight-letter words (71 ASCII bytes, the longest normal form)", longest, salt),
        ("zero-salt", "an all-zero instance salt", "zoo " * 7 + "zoo", bytes(16)),
    ]


def documents() -> dict[str, dict[str, Any]]:
    pepper = fixed_bytes("codename vector pepper", 32)
    out: dict[str, dict[str, Any]] = {}
    for version in (1, 2):
        for case, description, typed, salt in cases():
            name = f"codename-v{version}-{case}"
            out[name] = {
                "name": name,
                "kind": "codename-derivation",
                "description": description,
                "version": version,
                "typed": typed,
                "instance_salt": salt.hex(),
                "pepper": pepper.hex(),
                "expected": derived(version, typed, salt, pepper),
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    args = parser.parse_args()
    wanted = {name: json.dumps(document, indent=1, ensure_ascii=False) + "\n" for name, document in documents().items()}
    if args.check:
        differing = [
            name
            for name, text in wanted.items()
            if not (OUT / f"{name}.json").exists() or (OUT / f"{name}.json").read_text("utf-8") != text
        ]
        extra = sorted({path.stem for path in OUT.glob("*.json")} - set(wanted))
        if differing or extra:
            print(f"differ from the code: {differing}; not generated: {extra}", file=sys.stderr)
            return 1
        print(f"{len(wanted)} codename vectors match")
        return 0
    OUT.mkdir(exist_ok=True)
    for path in OUT.glob("*.json"):
        if path.stem not in wanted:
            path.unlink()
    for name, text in wanted.items():
        (OUT / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"{len(wanted)} codename vectors written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
