"""Local retrieval: knowledge bases of the user's files, searched to ground the swarm's answers.

* ``chunking``: files cut into passages that keep their path and line range;
* ``embedder``: a GGUF embedding model run by llama.cpp in a child process (``embed_child``);
* ``store``: one SQLite file per knowledge base: passages, float32 vectors, an FTS5 index;
* ``search``: hybrid retrieval, vector k-NN and FTS5 bm25 fused by reciprocal rank;
* ``library``: the knowledge bases under the data folder (names, shared flag);
* ``indexer``: files -> chunks -> vectors -> store, skipping unchanged files;
* ``grounding``: passages into the prompt, and how well an answer is supported by them.
"""
