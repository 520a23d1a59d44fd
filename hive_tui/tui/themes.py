"""hive's own themes, read from TOML files, and the remembered choice.

The theme files ship inside the package (``hive_tui/tui/themes``; the repository's top-level
``themes/`` points there), so an installed ``hive`` finds them. Users may add their own in
``<config dir>/themes/*.toml``; a file with a shipped theme's name replaces it.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any

import msgspec
from textual.theme import Theme

from hive_tui.config import config_dir
from hive_tui.errors import HiveError

log = logging.getLogger("hive.tui.themes")

PACKAGED_THEMES = Path(__file__).parent / "themes"
DEFAULT_THEME = "hive-dark"
THEME_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
                "background", "surface", "panel", "boost")


class ThemeError(HiveError, ValueError):
    pass


def theme_from_toml(text: str, source: str = "<theme>") -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{source}: {exc}") from exc
    unknown = set(data) - {"name", "dark", "variables", *THEME_FIELDS}
    if unknown or "name" not in data or "primary" not in data:
        raise ThemeError(f"{source}: needs name and primary; unknown keys {sorted(unknown)}")
    colours: dict[str, Any] = {k: str(data[k]) for k in THEME_FIELDS if k in data}
    return Theme(
        name=str(data["name"]),
        dark=bool(data.get("dark", True)),
        variables={str(k): str(v) for k, v in data.get("variables", {}).items()},
        **colours,
    )


def user_theme_dir() -> Path:
    return config_dir() / "themes"


def load_themes(folders: list[Path] | None = None) -> list[Theme]:
    """Every theme in the folders, later folders winning; a broken user file is skipped."""
    by_name: dict[str, Theme] = {}
    for folder in folders or [PACKAGED_THEMES, user_theme_dir()]:
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path.read_text(), str(path))
            except (OSError, ThemeError) as exc:
                log.warning("skipping theme %s: %s", path, exc)
                continue
            by_name[theme.name] = theme
    return list(by_name.values())


class Prefs(msgspec.Struct):
    theme: str = DEFAULT_THEME


def prefs_path() -> Path:
    return config_dir() / "tui.json"


def load_prefs() -> Prefs:
    try:
        return msgspec.json.decode(prefs_path().read_bytes(), type=Prefs)
    except (OSError, msgspec.DecodeError):
        return Prefs()


def save_prefs(prefs: Prefs) -> None:
    path = prefs_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.encode(prefs))
