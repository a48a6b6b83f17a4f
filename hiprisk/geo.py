"""Distances on the Earth: the one haversine of hiprisk (GPX/TCX track length, sanity's teleport rule,
terrain's GPS distance).

A sphere is enough here: the haversine on the mean radius differs from the WGS84 ellipsoid's geodesic by
at most ~0.5 % (less along a run's few kilometres than a GPS fix's own error), and device distances use the
same simplification.

References
----------
.. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2):159, 1984.
.. [2] H. Moritz, "Geodetic Reference System 1980", Journal of Geodesy 74:128-133, 2000 (mean radius R1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["EARTH_RADIUS_M", "haversine_m"]

#: Mean Earth radius R1 of GRS80/WGS84 [m].
EARTH_RADIUS_M: float = 6_371_008.8


def haversine_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg, radius_m: float = EARTH_RADIUS_M):
    """Great-circle distance between points on a sphere [m] (vectorised; arrays broadcast).

    Parameters
    ----------
    lat1_deg, lon1_deg, lat2_deg, lon2_deg : float or array_like
        WGS84 coordinates [deg].
    radius_m : float
        Sphere radius [m]; the mean Earth radius by default.

    Returns
    -------
    numpy.ndarray or float
        Distance [m]; NaN where a coordinate is NaN.
    """
    lat1 = np.radians(lat1_deg)
    lat2 = np.radians(lat2_deg)
    dlat = lat2 - lat1
    dlon = np.radians(np.asarray(lon2_deg, dtype=float) - np.asarray(lon1_deg, dtype=float))
    a = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * radius_m * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
