"""Text from users (tier names, paths, file contents) made safe to print on one line.

Leaf module. A control character (a newline, an escape sequence, a carriage return) in a
name could split an error line in two or rewrite the terminal; it is shown escaped instead.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with every control or format character written as its escape (``\\x1b``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
