"""The one error the strippers raise."""

from __future__ import annotations


class ScrubError(ValueError):
    """The file claims to be a JPEG or PNG but breaks that format, so its hidden data
    cannot be removed with certainty. The message says where, never what it holds."""
