"""The BIP-39 English word list (2048 words, 11 bits each), used for codenames and fingerprints."""

from functools import cache
from pathlib import Path

WORD_BITS = 11
WORD_COUNT = 1 << WORD_BITS


@cache
def words() -> tuple[str, ...]:
    listed = tuple((Path(__file__).parent / "wordlist_bip39_english.txt").read_text(encoding="utf-8").split())
    if len(listed) != WORD_COUNT:
        raise RuntimeError("the bundled word list is damaged: reinstall Candour")
    return listed


@cache
def word_index() -> dict[str, int]:
    return {word: index for index, word in enumerate(words())}


def bits_to_words(data: bytes, count: int) -> str:
    """The first count × 11 bits of `data`, as space-separated words."""
    if len(data) * 8 < count * WORD_BITS:
        raise ValueError("not enough bytes for that many words")
    number = int.from_bytes(data, "big")
    shift = len(data) * 8
    chosen = []
    for position in range(1, count + 1):
        chosen.append(words()[(number >> (shift - position * WORD_BITS)) & (WORD_COUNT - 1)])
    return " ".join(chosen)
