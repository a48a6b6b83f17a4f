"""Configuration: the athlete profile and per-rule settings, read from ``hiprisk.toml`` in the data folder.

Rule thresholds have their defaults in the rule itself (``hiprisk/rules``); this file only stores the
user's overrides, so a default lives in one place. ``hiprisk config show`` prints the effective values.

Example ``hiprisk.toml``::

    [athlete]
    timezone = "Australia/Sydney"   # IANA name; default: the system's
    week_start = "monday"           # or "sunday"
    max_hr_bpm = 188
    threshold_hr_bpm = 168          # HR above this counts as hard
    threshold_pace_s_per_km = 270   # used for runs without HR

    [rules.weekly_increase]
    caution_pct = 10
    high_pct = 30

    [rules.cadence]
    enabled = false
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from .errors import ConfigError

CONFIG_NAME = "hiprisk.toml"
WEEK_STARTS = {"monday": 0, "sunday": 6}


def data_home() -> Path:
    """The data folder: ``$HIPRISK_HOME`` when set, else the platform's user data dir."""
    env = os.environ.get("HIPRISK_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("hiprisk", appauthor=False))


def system_timezone() -> str:
    """The machine's IANA time zone name (``TZ``, ``/etc/timezone`` or ``/etc/localtime``), else "UTC"."""
    tz = os.environ.get("TZ", "").lstrip(":")
    candidates = [tz] if tz else []
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name and _valid_zone(name):
            return name
    return "UTC"


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Athlete:
    """The athlete profile. ``None`` means "not set": rules then estimate from the log and say so."""

    timezone: str = ""  # "" = system time zone
    week_start: str = "monday"
    max_hr_bpm: float | None = None
    rest_hr_bpm: float | None = None
    threshold_hr_bpm: float | None = None
    threshold_pace_s_per_km: float | None = None

    @property
    def tz(self) -> str:
        """The effective IANA time zone name."""
        return self.timezone or system_timezone()


@dataclass(frozen=True)
class Config:
    """Effective configuration: athlete profile plus per-rule overrides (``{rule_id: {key: value}}``)."""

    athlete: Athlete = field(default_factory=Athlete)
    rules: dict[str, dict] = field(default_factory=dict)

    def rule(self, rule_id: str) -> dict:
        """The user's overrides for one rule (empty when none)."""
        return dict(self.rules.get(rule_id, {}))

    def with_rule(self, rule_id: str, **values) -> Config:
        """A copy with some settings of one rule changed (handy in notebooks)."""
        rules = {k: dict(v) for k, v in self.rules.items()}
        rules.setdefault(rule_id, {}).update(values)
        return replace(self, rules=rules)

    def with_athlete(self, **values) -> Config:
        """A copy with athlete-profile values changed."""
        return replace(self, athlete=_athlete(asdict(self.athlete) | values))

    def to_dict(self) -> dict:
        return {"athlete": asdict(self.athlete) | {"tz": self.athlete.tz}, "rules": self.rules}


def _athlete(values: dict) -> Athlete:
    known = {f.name for f in fields(Athlete)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown [athlete] setting(s): {', '.join(sorted(unknown))}")
    athlete = Athlete(**values)
    if athlete.week_start not in WEEK_STARTS:
        raise ConfigError(f"week_start must be 'monday' or 'sunday', not {athlete.week_start!r}")
    if athlete.timezone and not _valid_zone(athlete.timezone):
        raise ConfigError(f"unknown time zone {athlete.timezone!r} (use an IANA name like 'Europe/Paris')")
    for name in ("max_hr_bpm", "rest_hr_bpm", "threshold_hr_bpm", "threshold_pace_s_per_km"):
        value = getattr(athlete, name)
        if value is not None and (not isinstance(value, int | float) or value <= 0):
            raise ConfigError(f"[athlete] {name} must be a positive number, not {value!r}")
    return athlete


def load_config(home: Path | None = None) -> Config:
    """Read ``hiprisk.toml`` from the data folder; a missing file gives the defaults."""
    path = (home or data_home()) / CONFIG_NAME
    if not path.is_file():
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
    return parse_config(raw)


def parse_config(raw: dict) -> Config:
    """Validate a config mapping (as read from TOML)."""
    unknown = set(raw) - {"athlete", "rules"}
    if unknown:
        raise ConfigError(f"unknown section(s) in {CONFIG_NAME}: {', '.join(sorted(unknown))}")
    athlete = _athlete(dict(raw.get("athlete", {})))
    rules = raw.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise ConfigError("[rules] must hold one table per rule, e.g. [rules.weekly_increase]")
    return Config(athlete=athlete, rules={k: dict(v) for k, v in rules.items()})
