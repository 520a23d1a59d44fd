"""Tools for the model: everything here is off until the user enables it.

* ``paths``   - a model's path -> a real path inside the working folder, or ``PathEscape``.
* ``sandbox`` - ``execute_bash`` in bubblewrap: no network, timeout kills the tree, output cap.
* ``builtin`` - ``read_file`` / ``write_file`` / ``execute_bash``, ``ToolPolicy``, ``run_tool``.
* ``calls``   - the ``<tool_call>`` format, parsing workers' text, canonical JSON.
* ``prompt``  - tools into the prompt when the chat template does not take them itself.
* ``decide``  - a finished vote -> a voted tool call or a text answer (the vote itself is
  ``hive_tui.consensus.toolvote``).
* ``runner``  - the built-in loop with a confirm callback, for ``hive ask --tools`` and the TUI.
"""
