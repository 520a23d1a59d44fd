"""The app's headless side: what it talks to (a node in process or over HTTP), a turn of the
conversation and how a vote settles it, the tool loop, saved conversations, the peers' rows
and hardware samples. Nothing here imports Textual; ``hive_tui.tui`` draws it."""
