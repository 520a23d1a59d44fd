"""The app's knowledge-base toggle: Ctrl+G picks a base and the next vote is grounded on it."""

from __future__ import annotations

import numpy as np
from textual.widgets import OptionList

from hive_tui.config import data_dir
from hive_tui.retrieval.chunking import Chunk
from hive_tui.retrieval.library import open_kb
from hive_tui.tui.knowledge import KnowledgeBasePicker
from tests.tui.support import ask, scripted_app, wait_for, wait_ready, wait_vote


async def test_ctrl_k_picks_a_knowledge_base_for_the_next_votes(isolated_dirs):
    store = open_kb(data_dir(), "notes", create=True)
    fact = Chunk("/notes/mayor.md", 1, 3, "The mayor of Quellbrook is Ondrea Vasket.")
    store.put_file(fact.path, "hash", [fact], np.ones((1, 4), dtype=np.float32))
    store.close()
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, KnowledgeBasePicker), what="picker")
        assert app.screen.names == ["notes"]
        app.screen.query_one(OptionList).highlighted = 1  # past "(no knowledge base)"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.kb == "notes", what="the choice")
        await ask(pilot, "Who is the mayor of Quellbrook?")
        await wait_vote(pilot)
        assert app.conversation.turns[-1].decision is not None
