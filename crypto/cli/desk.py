"""`desk`: the Candour Desk (crypto/desk), started from the command line."""

from ..desk.command import run_desk

__all__ = ["run_desk"]
