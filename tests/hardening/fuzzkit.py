"""Fuzzing kit shared by ``tests/hardening/test_fuzz.py`` and ``benchmarks/fuzz.py``: seeds, mutator, runner.

Seeds are real corpus files (some trimmed to their first track points so that the default suite stays
fast) and small synthetic files. :func:`run_case` passes one input through
:func:`hiprisk.ingest.prepare` under a hard time bound and classifies the outcome.

A mutation is a tuple of plain values (an *op*), so a failing case is printed, stored and replayed
exactly: ``apply(seed_bytes, ops)``. Ops address positions as fractions of the current length, so the
same op applies to any file.

* Byte ops (every format): ``flip`` one bit, ``set`` one byte, ``magic`` (a boundary value of 1, 2 or
  4 bytes: 0, 0x7F.., 0x80.., 0xFF..), ``truncate``, ``insert`` random bytes, ``delete`` a span, ``dup``
  (copy a chunk elsewhere: repeated records, chained headers).
* Text op (GPX/TCX): ``text`` replaces the k-th element text or attribute value with a hostile value
  (NaN, 1e309, -1, dates before 1900 or after 2100, empty, ...), keeping the XML well-formed.
* FIT op: ``field`` writes a boundary value into the k-th data field found by :func:`fit_fields`
  (timestamps, positions, distances, session totals), keeping the structure.
* Wrappers: ``gzip`` (compress what is there so far), ``fitfix`` (rewrite the FIT header's data size and
  both CRCs so that the damage reaches the decoder instead of stopping at the CRC check).
"""

from __future__ import annotations

import gzip
import random
import re
import signal
import struct
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from hiprisk.errors import HipriskError
from hiprisk.synthetic.fitwrite import fit_crc

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

MAGIC = {
    1: (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF),
    2: (0x0000, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF),
    4: (0x00000000, 0x0FFFFFFF, 0x10000000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF),
}
HOSTILE_TEXT = (
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-1",
    "-0",
    "0",
    "1e-400",
    "99999999999999999999",
    "0x10",
    "abc",
    "\u221e",
    "1899-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2100-01-01T00:00:00Z",
    "2020-13-45T25:61:61Z",
    "2020-01-01T00:00:00+99:00",
    "2020-01-01T00:00:00.1234567890123Z",
    "9999-12-31T23:59:59Z",
    "Running",
    "Biking",
)
_TEXT_RE = re.compile(rb">([^<>]{0,60})<|=\"([^\"]{0,60})\"")
OPS = ("flip", "set", "magic", "truncate", "insert", "delete", "dup")
TEXT_OPS = ("text",)
FIELD_OPS = ("field",)


def _at(data: bytes | bytearray, frac: float) -> int:
    return min(int(frac * len(data)), max(len(data) - 1, 0))


def fit_fix(data: bytes) -> bytes:
    """Make a (mutated) FIT file pass the header and CRC checks: rewrite data size and both CRCs.

    Only the first header and the final CRC are touched (a chained file's later headers keep their
    damage). Data shorter than a header is returned unchanged.
    """
    if len(data) < 14 or data[0] not in (12, 14):
        return data
    head_len = data[0]
    body = bytearray(data)
    struct.pack_into("<I", body, 4, max(len(body) - head_len - 2, 0))
    if head_len == 14:
        struct.pack_into("<H", body, 12, fit_crc(bytes(body[:12])))
    if len(body) >= head_len + 2:
        struct.pack_into("<H", body, len(body) - 2, fit_crc(bytes(body[:-2])))
    return bytes(body)


def fit_fields(data: bytes) -> list[tuple[int, int, int]]:
    """``(offset, size, global message number)`` of every data-message field of a FIT file's first chunk.

    A light walker over the record headers and definitions (FIT protocol, "Record Format"), used to
    aim mutations at values instead of structure. Stops quietly at anything it does not understand.
    """
    out: list[tuple[int, int, int]] = []
    if len(data) < 14 or data[8:12] != b".FIT":
        return out
    pos = data[0]
    end = min(len(data) - 2, pos + struct.unpack_from("<I", data, 4)[0])
    defs: dict[int, tuple[int, list[int], int]] = {}  # local → (global, field sizes, dev bytes)
    while pos < end:
        header = data[pos]
        pos += 1
        if header & 0x80:  # compressed timestamp header: a data message of local type 0-3
            local = (header >> 5) & 0x3
        elif header & 0x40:  # definition message
            if pos + 5 > end:
                return out
            big = data[pos + 1] == 1
            number = struct.unpack_from(">H" if big else "<H", data, pos + 2)[0]
            count = data[pos + 4]
            pos += 5
            sizes = [data[pos + 3 * i + 1] for i in range(count) if pos + 3 * i + 1 < end]
            pos += 3 * count
            dev = 0
            if header & 0x20 and pos < end:
                dev_count = data[pos]
                dev = sum(data[pos + 1 + 3 * i + 1] for i in range(dev_count) if pos + 3 * i + 2 < end)
                pos += 1 + 3 * dev_count
            defs[header & 0x0F] = (number, sizes, dev)
            continue
        else:
            local = header & 0x0F
        if local not in defs:
            return out
        number, sizes, dev = defs[local]
        for size in sizes:
            if size and pos + size <= end:
                out.append((pos, size, number))
            pos += size
        pos += dev
    return out


def apply_op(data: bytes, op: tuple) -> bytes:
    """Apply one op (see the module docs) to ``data``."""
    kind = op[0]
    buf = bytearray(data)
    if kind == "gzip":
        return gzip.compress(bytes(buf), mtime=0)
    if kind == "fitfix":
        return fit_fix(bytes(buf))
    if kind == "truncate":
        return bytes(buf[: int(op[1] * len(buf))])
    if kind == "field":  # ("field", k, choice, little-endian): a boundary value into the k-th FIT field
        fields = fit_fields(bytes(buf))
        if not fields:
            return bytes(buf)
        pos, size, _ = fields[op[1] % len(fields)]
        width = max(w for w in MAGIC if w <= size)
        value = MAGIC[width][op[2] % len(MAGIC[width])]
        buf[pos : pos + width] = value.to_bytes(width, "little" if op[3] else "big")
        return bytes(buf)
    if kind == "text":
        spans = [m.span(1) if m.group(1) is not None else m.span(2) for m in _TEXT_RE.finditer(buf)]
        if not spans:
            return bytes(buf)
        lo, hi = spans[op[1] % len(spans)]
        return bytes(buf[:lo] + HOSTILE_TEXT[op[2] % len(HOSTILE_TEXT)].encode() + buf[hi:])
    if kind == "insert":
        i = int(op[1] * len(buf))
        return bytes(buf[:i] + op[2] + buf[i:])
    if not buf:
        return bytes(buf)
    i = _at(buf, op[1])
    if kind == "flip":
        buf[i] ^= 1 << (op[2] % 8)
    elif kind == "set":
        buf[i] = op[2] % 256
    elif kind == "magic":
        width = op[2]
        value = MAGIC[width][op[3] % len(MAGIC[width])]
        chunk = value.to_bytes(width, "little" if op[4] else "big")
        buf[i : i + width] = chunk[: max(len(buf) - i, 0)]
    elif kind == "delete":
        del buf[i : i + op[2]]
    elif kind == "dup":
        chunk = bytes(buf[i : i + op[2]])
        j = _at(buf, op[3])
        buf[j:j] = chunk
    else:
        raise ValueError(f"unknown op {op!r}")
    return bytes(buf)


def apply(data: bytes, ops: list[tuple]) -> bytes:
    """Apply ``ops`` in order."""
    for op in ops:
        data = apply_op(data, op)
    return data


def random_ops(rng: random.Random, fmt: str, max_ops: int = 4) -> list[tuple]:
    """Draw a list of ops for a file of format ``fmt`` (the long fuzz run's generator)."""
    ops: list[tuple] = []
    kinds = OPS + (TEXT_OPS * 3 if fmt in ("gpx", "tcx") else ())
    if fmt in ("gpx", "tcx") and rng.random() < 0.6:
        kinds = TEXT_OPS  # well-formed XML with hostile values reaches the decoder's own logic
        max_ops *= 2
    fields_only = fmt == "fit" and rng.random() < 0.5
    if fields_only:
        kinds = FIELD_OPS  # structure intact, hostile values in the fields
        max_ops *= 2
    for _ in range(rng.randint(1, max_ops)):
        ops.append(random_op(rng, rng.choice(kinds)))
    if fmt == "fit" and (fields_only or rng.random() < 0.7):
        ops.append(("fitfix",))
    if rng.random() < 0.05:
        ops.append(("gzip",))
        if rng.random() < 0.5:
            ops.append(("truncate", rng.random()))
    return ops


def random_op(rng: random.Random, kind: str) -> tuple:
    """One op of ``kind`` with random arguments."""
    if kind == "flip":
        return ("flip", rng.random(), rng.randrange(8))
    if kind == "set":
        return ("set", rng.random(), rng.randrange(256))
    if kind == "magic":
        width = rng.choice((1, 2, 4))
        return ("magic", rng.random(), width, rng.randrange(8), rng.random() < 0.5)
    if kind == "truncate":
        return ("truncate", rng.random())
    if kind == "insert":
        return ("insert", rng.random(), bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))))
    if kind == "delete":
        return ("delete", rng.random(), rng.randint(1, 64))
    if kind == "dup":
        return ("dup", rng.random(), rng.randint(1, 512), rng.random())
    if kind == "text":
        return ("text", rng.randrange(10_000), rng.randrange(len(HOSTILE_TEXT)))
    if kind == "field":
        return ("field", rng.randrange(1_000_000), rng.randrange(8), rng.random() < 0.5)
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------- seeds


def trim_xml(data: bytes, tag: bytes, keep: int) -> bytes:
    """A real GPX/TCX file cut down to its first ``keep`` ``<tag>`` elements (the rest removed)."""
    pattern = re.compile(rb"<(?:\w+:)?" + tag + rb"[\s>].*?</(?:\w+:)?" + tag + rb">", re.S)
    count = 0

    def sub(match: re.Match) -> bytes:
        nonlocal count
        count += 1
        return match.group(0) if count <= keep else b""

    return pattern.sub(sub, data)


def corpus_seed(rel: str, keep: int | None = None) -> tuple[str, bytes] | None:
    """(format, bytes) of a corpus file, GPX/TCX trimmed to ``keep`` points; None when absent."""
    path = CORPUS / rel
    if not path.is_file():
        return None
    fmt = rel.rsplit(".", 1)[1].lower()
    data = path.read_bytes()
    if keep is not None:
        data = trim_xml(data, b"trkpt" if fmt == "gpx" else b"Trackpoint", keep)
    return fmt, data


def synthetic_seeds() -> dict[str, tuple[str, bytes]]:
    """Small synthetic files: a FIT run with laps and a UTC offset, a smart-recording trail FIT, a GPX."""
    from hiprisk.synthetic import encode_activity, encode_gpx, simulate_run

    run = simulate_run("2026-03-02T06:00:00Z", 0.4, seed=1, utc_offset_s=3600)
    smart = simulate_run("2026-03-03T06:00:00Z", 0.6, seed=2, smart_recording=True, profile="trail")
    return {
        "synthetic/run.fit": ("fit", encode_activity(run, lap_m=200.0)),
        "synthetic/smart.fit": ("fit", encode_activity(smart)),
        "synthetic/run.gpx": ("gpx", encode_gpx(run)),
    }


# ---------------------------------------------------------------------------------------------- runner


class CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so that no decoder's ``except Exception`` swallows it."""


def _alarm(signum, frame):
    raise CaseTimeout


@dataclass
class Outcome:
    """How one case ended: ``kind`` is "parsed", "typed" or "bug"; ``detail`` says more."""

    kind: str
    detail: str
    seconds: float
    activities: int = 0
    traceback: str | None = None
    warnings: list[str] = field(default_factory=list)


def run_case(data: bytes, fmt: str, name: str, timeout_s: float = 5.0) -> Outcome:
    """Pass ``data`` through :func:`hiprisk.ingest.prepare` with a hard time bound (main thread only).

    Allowed: activities, or a :class:`~hiprisk.errors.HipriskError` whose message is one line naming
    the file. A bug: any other exception, a timeout, a multi-line or anonymous message, or a numpy
    "invalid value encountered in cast" warning (a float stored as a garbage integer).
    """
    from hiprisk.ingest import prepare

    previous = signal.signal(signal.SIGALRM, _alarm)
    t0 = time.perf_counter()
    tb = None
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            _, acts = prepare(data, fmt, name, None)
            outcome = Outcome("parsed", "activities", 0.0, activities=len(acts))
        except HipriskError as exc:
            message = str(exc)
            if "\n" in message or not message.startswith(f"{name}: "):
                outcome = Outcome("bug", f"bad message {message!r}", 0.0)
            else:
                outcome = Outcome("typed", type(exc).__name__, 0.0)
        except CaseTimeout:
            outcome = Outcome("bug", f"timeout after {timeout_s:g} s", 0.0)
        except Exception as exc:  # the bug class hunted here
            tb = traceback.format_exc()
            outcome = Outcome("bug", f"{type(exc).__name__}: {exc}", 0.0)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    outcome.seconds = time.perf_counter() - t0
    outcome.traceback = tb
    outcome.warnings = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in seen]
    cast = [w for w in outcome.warnings if "encountered in cast" in w]
    if cast and outcome.kind != "bug":
        outcome.kind, outcome.detail = "bug", cast[0]
    return outcome
