"""The FIT CRC-16, vectorised with numpy: shared by the FIT decoder (checking) and the synthetic writer.

The FIT SDK's CRC (protocol section *CRC*) is CRC-16/ARC: reflected polynomial 0xA001, initial value 0. It
covers the file header (the header CRC, optional: 0 means "not computed") and the whole file up to the
file CRC.

References
----------
.. [1] Garmin, "FIT Protocol" (developer.garmin.com/fit/protocol/), section *CRC*.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["fit_crc"]


def _crc_table() -> np.ndarray:
    """Byte-wise table of the FIT CRC-16 (CRC-16/ARC, reflected polynomial 0xA001)."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ 0xA001, table >> 1)
    return table.astype(np.uint16)


def _word_table(table: np.ndarray) -> np.ndarray:
    """Two bytes at a time: a 16-bit CRC's state after bytes ``b0, b1`` depends only on
    ``x = state ^ (b0 | b1 << 8)`` (both state bytes are shifted out), so it is ``table2[x]``, the state
    ``x`` run through two zero bytes."""
    state = np.arange(65536, dtype=np.uint32)
    for _ in range(2):
        state = table[state & 0xFF].astype(np.uint32) ^ (state >> 8)
    return state.astype(np.uint16)


_CRC_TABLE = _crc_table()
_CRC_TABLE_LIST = _CRC_TABLE.tolist()
_CRC_WORD_TABLE = _word_table(_CRC_TABLE)
_LANE = 32  # bytes per lane of the vectorised CRC (even: lanes are read as 16-bit words)
_GROUP = 128  # lanes folded together by one vectorised step
_SMALL = 512  # below this many bytes the plain byte loop is faster


def _shift_tables(n_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Tables of the linear map "run *n_bytes* zero bytes through the CRC" on the low/high state byte:
    ``shift(s) = lo[s & 0xFF] ^ hi[s >> 8]``."""
    lo = np.arange(256, dtype=np.uint16)
    hi = lo << np.uint16(8)
    for _ in range(n_bytes):
        lo = _CRC_TABLE[lo & 0xFF] ^ (lo >> np.uint16(8))
        hi = _CRC_TABLE[hi & 0xFF] ^ (hi >> np.uint16(8))
    return lo, hi


@functools.cache
def _fold_tables() -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """Shift tables for the two folds (built on first use, ~1 ms).

    ``lo[b * 256 + x]``/``hi[...]``: lane ``b`` of a group shifted past the ``_GROUP - 1 - b`` lanes after
    it; then the Python lists shifting a group's CRC past one whole group.
    """
    lane_lo, lane_hi = _shift_tables(_LANE)
    lo = np.empty((_GROUP, 256), np.uint16)
    hi = np.empty((_GROUP, 256), np.uint16)
    cur_lo = np.arange(256, dtype=np.uint16)
    cur_hi = cur_lo << np.uint16(8)
    for b in range(_GROUP - 1, -1, -1):
        lo[b], hi[b] = cur_lo, cur_hi
        cur_lo = lane_lo[cur_lo & 0xFF] ^ lane_hi[cur_lo >> 8]
        cur_hi = lane_lo[cur_hi & 0xFF] ^ lane_hi[cur_hi >> 8]
    # cur_* now shifts by _GROUP lanes: one whole group
    return lo.ravel(), hi.ravel(), cur_lo.tolist(), cur_hi.tolist()


def fit_crc(data: bytes | bytearray | memoryview) -> int:
    """FIT CRC-16 of *data* (initial value 0), as defined in the protocol's *CRC* section [1]_.

    The FIT SDK's nibble-table algorithm is CRC-16/ARC (no standard-library routine computes it:
    ``binascii.crc_hqx`` is CRC-16/XMODEM, another polynomial). That CRC is linear with a zero initial
    value, so ``crc(A + B) = shift(crc(A), len(B)) ^ crc(B)``: the data is cut into 32-byte lanes whose
    CRCs are computed side by side in numpy, two bytes per step through a 65,536-entry table (in place,
    ``np.take`` with ``out=``: fancy indexing would convert the indices to a new array every step); the
    lanes are folded by groups of 128 with precomputed per-position shift tables, and the groups in a
    short Python loop. Leading zero bytes do not change a zero-initialised CRC, so the data is
    zero-padded at the front. About 0.13 ms for a 100 kB file (the previous 256-byte lanes with a
    Python fold took 0.3 ms).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    if buf.size < _SMALL:
        crc = 0
        table = _CRC_TABLE_LIST
        for byte in buf.tolist():
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        return crc
    pad = (-buf.size) % (_LANE * _GROUP)
    padded = np.concatenate([np.zeros(pad, np.uint8), buf])
    words = padded.view("<u2").reshape(-1, _LANE // 2).T.copy()  # row j: word j of every lane
    crc = np.zeros(words.shape[1], dtype=np.uint16)
    table2 = _CRC_WORD_TABLE
    for column in words:
        np.bitwise_xor(crc, column, out=crc)
        np.take(table2, crc, out=crc)
    lo, hi, group_lo, group_hi = _fold_tables()
    base = np.arange(0, _GROUP * 256, 256, dtype=np.intp)  # table row of each lane in its group
    crc = crc.astype(np.intp).reshape(-1, _GROUP)
    groups = np.bitwise_xor.reduce(lo[base + (crc & 0xFF)] ^ hi[base + (crc >> 8)], axis=1)
    state = 0
    for group_crc in groups.tolist():
        state = group_lo[state & 0xFF] ^ group_hi[state >> 8] ^ group_crc
    return state
