"""The knowledge bases the app can ground its votes on: those of this machine's data folder
(``hive index add``). A remote node (``hive --connect``) grounds on its own base of that name."""

from __future__ import annotations

from hive_tui.config import data_dir, load_settings
from hive_tui.retrieval.library import list_kbs


def knowledge_base_names(configured_data_dir: str | None = None) -> list[str]:
    folder = data_dir(configured_data_dir if configured_data_dir is not None
                      else load_settings().data_dir)
    return [kb.name for kb in list_kbs(folder)]
