"""What is wrong with a typed codename, in the reader's language: the sentences the
codename confirmation and the follow-up login show (and, with placeholders for the
browser to fill, templates/reporter/_browser.html). The rule itself is
crypto.codename.codename_problems; a sentence names a position and what was typed,
never the expected word."""

from __future__ import annotations

from crypto.codename import CodenameProblem
from crypto.text import visible_name
from portal.i18n import gettext as _

# A typed "word" can be any length; a sentence shows only its start.
SHOWN_WORD_CHARS = 40
# Unicode isolates (FSI … PDI): the English word keeps its own direction inside an
# Urdu sentence, and nothing typed can reorder the sentence around it.
_ISOLATE_START = "\u2068"
_ISOLATE_END = "\u2069"


def shown_word(word: str) -> str:
    """What was typed, for display: forbidden characters escaped, long words cut, isolated."""
    visible = visible_name(word)
    if len(visible) > SHOWN_WORD_CHARS:
        visible = visible[:SHOWN_WORD_CHARS] + "…"
    return _ISOLATE_START + visible + _ISOLATE_END


def empty_sentence() -> str:
    return str(_("Enter your codename: the 8 words you were given when you made your report."))


def count_sentence(count: int | str) -> str:
    return str(_("The codename needs 8 words; you typed %(count)s.", count=count))


def unknown_sentence(position: int | str, word: str) -> str:
    return str(
        _("Word %(position)s, “%(word)s”, is not in the word list. Check its spelling.", position=position, word=word)
    )


def differs_sentence(position: int | str, word: str) -> str:
    return str(
        _("Word %(position)s, “%(word)s”, differs from your codename shown above.", position=position, word=word)
    )


def problem_sentences(problems: list[CodenameProblem]) -> list[str]:
    sentences = []
    for problem in problems:
        if problem.kind == "empty":
            sentences.append(empty_sentence())
        elif problem.kind == "count":
            sentences.append(count_sentence(problem.count))
        elif problem.kind == "unknown":
            sentences.append(unknown_sentence(problem.position, shown_word(problem.word)))
        else:
            sentences.append(differs_sentence(problem.position, shown_word(problem.word)))
    return sentences


def browser_templates() -> dict[str, str]:
    """The same sentences with {count}, {position} and {word} left for the browser's
    code to fill (static/js/codename-problems.js)."""
    return {
        "codename-empty": empty_sentence(),
        "codename-count": count_sentence("{count}"),
        "codename-unknown": unknown_sentence("{position}", "{word}"),
        "codename-differs": differs_sentence("{position}", "{word}"),
    }
