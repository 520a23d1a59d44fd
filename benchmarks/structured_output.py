"""The structured-output acceptance run: N seeded `json_schema` requests (strict, a small person
schema) through the `openai` client; prints how many came back valid and how the votes agreed.

Usage (from the repository root):
    python3 benchmarks/structured_output.py [--requests 50] [--workers 3] [--slots 1] [--url URL]
Without --url it starts `hive --node` with the embedded model, one thread per worker.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import jsonschema
import openai

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_structured_output import ASK_PERSON, MAX_TOKENS, PERSON, PERSON_FORMAT  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=MAX_TOKENS)
    parser.add_argument("--slots", type=int, help="1: the one-sequence engine per worker")
    parser.add_argument("--url", help="a running node; else one is started")
    args = parser.parse_args()
    node = None
    url = args.url
    if url is None:
        from tests.conftest import NodeProcess

        slots = ["--slots", str(args.slots)] if args.slots else []
        node = NodeProcess(["--workers", str(args.workers), "--threads", "1", *slots])
        node.wait_ready(args.workers)
        url = node.url
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)
    valid, errors, agree, candidates_valid, candidates, times = 0, 0, [], 0, 0, []
    try:
        for seed in range(args.requests):
            started = time.perf_counter()
            try:
                r = client.chat.completions.create(
                    model="hive",
                    messages=ASK_PERSON,
                    seed=seed,
                    max_tokens=args.max_tokens,
                    response_format=PERSON_FORMAT,
                )
            except openai.APIError as exc:
                errors += 1
                print(f"seed {seed}: error {exc}")
                continue
            times.append(time.perf_counter() - started)
            content = r.choices[0].message.content or ""
            try:
                jsonschema.validate(json.loads(content), PERSON)
                valid += 1
            except (ValueError, jsonschema.ValidationError) as exc:
                print(f"seed {seed}: INVALID {content!r}: {exc}")
            vote = r.model_extra["hive"]
            agree.append(vote["agree_count"])
            for c in vote["candidates"]:
                candidates += 1
                try:
                    jsonschema.validate(json.loads(c["text"]), PERSON)
                    candidates_valid += 1
                except (ValueError, jsonschema.ValidationError):
                    pass
            print(f"seed {seed}: {content} ({vote['agreement_text']}, {times[-1]:.1f} s)")
    finally:
        if node is not None:
            node.stop()
    n = args.requests
    print(
        f"\nvalid answers: {valid}/{n} ({100 * valid / n:.0f}%), errors: {errors}; "
        f"valid candidates: {candidates_valid}/{candidates}; "
        f"mean agree_count {statistics.mean(agree or [0]):.2f} of {args.workers}; "
        f"median {statistics.median(times or [0]):.2f} s per request, max_tokens {args.max_tokens}"
    )
    return 0 if valid == n else 1


if __name__ == "__main__":
    sys.exit(main())
