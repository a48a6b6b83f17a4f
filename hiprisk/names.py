"""How gear names are compared: Unicode NFC, whitespace folded, case-insensitive; closest-match hints.

Pure functions shared by the store (matching export gear on import) and the gear manager.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

from .errors import ConfigError

MAX_NAME_CHARS = 100  # longest shoe name accepted [characters]


def normalise_name(name: str) -> str:
    """A shoe name as stored: Unicode NFC, surrounding whitespace stripped, inner whitespace runs → one space.

    Raises
    ------
    ConfigError
        The name is empty (after trimming), longer than ``MAX_NAME_CHARS`` or holds control characters.
    """
    if not isinstance(name, str):
        raise ConfigError(f"a shoe name must be text, not {name!r}")
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        raise ConfigError("a shoe name cannot be empty")
    if len(text) > MAX_NAME_CHARS:
        raise ConfigError(f"a shoe name can have at most {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ConfigError(f"a shoe name cannot hold control characters: {text!r}")
    return text


def name_key(name: str) -> str:
    """The matching key of a name: normalised and case-folded (``"Pegasus 40"`` ≡ ``"pegasus 40 "``)."""
    text = " ".join(unicodedata.normalize("NFC", str(name)).split())
    return unicodedata.normalize("NFC", text.casefold())


def closest_name(name: str, names: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (difflib ratio ≥ 0.6 on the keys, or a prefix match), else None."""
    names = [n for n in names if n]
    by_key = {name_key(n): n for n in names}
    key = name_key(name)
    if not key:
        return None
    found = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
    if found:
        return by_key[found[0]]
    starts = [k for k in by_key if k.startswith(key) or key.startswith(k)]
    return by_key[starts[0]] if len(starts) == 1 else None
