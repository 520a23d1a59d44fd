"""``hive bench rag``: retrieval on a corpus of invented facts (``corpus``), scored (``run``)."""
