"""Models on disk: find GGUF files where llama.cpp tools usually leave them, describe them from
their own metadata, and pull new ones from a Hugging Face-style hub."""
