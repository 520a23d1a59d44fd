"""hive: a local LLM swarm with a terminal face."""

__version__ = "0.1.0"
