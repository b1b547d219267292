# ruff: noqa: UP031, UP036 - this file must run on Pythons too old for the kit, to say so
# candour.pyz's __main__: checks what can go wrong on a reviewer's laptop and says so in
# one sentence, then runs the kit's command line (crypto.cli). Kept to syntax that old
# Pythons can parse, so a too-old python3 gets the sentence, not a SyntaxError.
import os
import sys

ARCHIVE = os.path.dirname(os.path.abspath(__file__))


def _stop(sentence: str) -> None:
    sys.stderr.write(sentence + "\n")
    sys.exit(1)


def _check() -> None:
    if sys.version_info < (3, 11):
        _stop(
            "Candour needs Python 3.11 or newer, and this is Python %d.%d: install a newer python3 "
            "(Tails 6 and later have one) and run it again." % sys.version_info[:2]
        )
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(ARCHIVE) as archive:
            damaged = archive.testzip()
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, zlib.error):
        damaged = "candour.pyz"
    if damaged is not None:
        _stop(
            "This copy of candour.pyz is damaged (%s does not match its checksum): copy the kit again "
            "and check its SHA256SUMS as README.txt says." % damaged
        )
    try:
        import nacl.bindings  # noqa: F401
    except ImportError:
        _stop(
            "Candour needs PyNaCl, which this Python does not have: install the kit with its install.sh "
            "(or install.ps1 on Windows) and start it from the Candour Desk launcher."
        )


_check()
from crypto.cli import main  # noqa: E402

sys.exit(main())
