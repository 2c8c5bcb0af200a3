"""Text helpers. The embedded PostgreSQL has no unaccent/ICU: accent-folded
search and sort keys are built here, in Python, and stored."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation: 'Émilie  Œuvre-Sainte' -> 'emilie oeuvre sainte'."""
    text = (text or "").replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(_NON_WORD.sub(" ", ascii_text).split())
