"""The FIT CRC-16, vectorised with numpy: shared by the FIT decoder (checking) and the synthetic writer.

The FIT SDK's CRC (protocol section *CRC*) is CRC-16/ARC: reflected polynomial 0xA001, initial value 0. It
covers the file header (the header CRC, optional: 0 means "not computed") and the whole file up to the
file CRC.

References
----------
.. [1] Garmin, "FIT Protocol" (developer.garmin.com/fit/protocol/), section *CRC*.
"""

from __future__ import annotations

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
_CRC_CHUNK = 256  # bytes per lane of the vectorised CRC (even: lanes are read as 16-bit words)


def _zero_shift_tables(n_bytes: int) -> tuple[list[int], list[int]]:
    """Tables of the linear map "run *n_bytes* zero bytes through the CRC" on the low/high byte."""
    lo = np.arange(256, dtype=np.uint16)
    hi = lo << np.uint16(8)
    for _ in range(n_bytes):
        lo = _CRC_TABLE[lo & 0xFF] ^ (lo >> np.uint16(8))
        hi = _CRC_TABLE[hi & 0xFF] ^ (hi >> np.uint16(8))
    return lo.tolist(), hi.tolist()


_SHIFT_LO, _SHIFT_HI = _zero_shift_tables(_CRC_CHUNK)


def fit_crc(data: bytes | bytearray | memoryview) -> int:
    """FIT CRC-16 of *data* (initial value 0), as defined in the protocol's *CRC* section [1]_.

    The FIT SDK's nibble-table algorithm is CRC-16/ARC. That CRC is linear with a zero initial value,
    so ``crc(A + B) = shift(crc(A), len(B)) ^ crc(B)``: the data is cut into 256-byte lanes whose CRCs
    are computed side by side in numpy, two bytes per step through a 65,536-entry table, then folded
    together with a precomputed 256-zero-byte shift. Leading zero bytes do not change a zero-initialised
    CRC, so the data is zero-padded at the front. About 300 MB/s on 100–200 kB files.
    """
    buf = np.frombuffer(bytes(data), dtype=np.uint8)
    if buf.size < 4 * _CRC_CHUNK:
        crc = 0
        table = _CRC_TABLE_LIST
        for byte in buf.tolist():
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        return crc
    pad = (-buf.size) % _CRC_CHUNK
    padded = np.concatenate([np.zeros(pad, np.uint8), buf])
    words = padded.view("<u2").reshape(-1, _CRC_CHUNK // 2).T.copy()  # row j: word j of every lane
    crc = np.zeros(words.shape[1], dtype=np.uint16)
    table2 = _CRC_WORD_TABLE
    for column in words:
        crc = table2[crc ^ column]
    state = 0
    lo, hi = _SHIFT_LO, _SHIFT_HI
    for lane_crc in crc.tolist():
        state = lo[state & 0xFF] ^ hi[state >> 8] ^ lane_crc
    return state
