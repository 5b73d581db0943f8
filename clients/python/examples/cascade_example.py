#!/usr/bin/env python3
"""The client contract's four calls (docs/clients.md) with the cascade_client helper: a
completion with its trace, a stream, a route query and an error with its status code, one
stdout line each. Against `make demo`'s suite:

    python cascade_example.py --orchestrator 127.0.0.1:50050 --router 127.0.0.1:50051

The completion's trace table goes to stderr.
"""

import argparse
import json
import os
import sys

import cascade_client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orchestrator", default="127.0.0.1:50050", help="HOST:PORT")
    parser.add_argument("--router", default="127.0.0.1:50051", help="HOST:PORT")
    parser.add_argument("--api-key-env", help="the NAME of a variable holding an API key, "
                        "sent as `authorization: Bearer KEY`")
    parser.add_argument("--ca-file", help="TLS: the CA that signed the servers' certificates")
    parser.add_argument("--server-name", help="TLS: the name the servers' certificates carry, "
                        "when it is not the address's host")
    options = parser.parse_args()
    api_key = None
    if options.api_key_env:
        api_key = os.environ.get(options.api_key_env)
        if not api_key:
            parser.error(f"--api-key-env: the variable {options.api_key_env} is not set")
    security = {"api_key": api_key, "ca_file": options.ca_file,
                "server_name": options.server_name}

    with cascade_client.connect(options.orchestrator, **security) as cascade:
        answer = cascade.complete("hello there", policy="default", max_tokens=16,
                                  temperature=0)
        print(f"completion tier={answer.final_tier} tiers={','.join(answer.tiers)} "
              f"cost_usd={answer.cost_usd:.12f} baseline_usd={answer.baseline_usd:.12f} "
              f"savings_usd={answer.savings_usd:.12f} text={json.dumps(answer.text)}")
        print(answer.trace(), file=sys.stderr)

        chunks, last = 0, None
        for chunk in cascade.stream_complete("ROMEO:", max_tokens=24, temperature=0):
            chunks += 1
            last = chunk.answer or last
        if last is None:
            print("the stream ended without its final chunk", file=sys.stderr)
            return 1
        print(f"stream chunks={chunks} tier={last.final_tier} text={json.dumps(last.text)}")

        try:
            cascade.complete([])  # No messages: the server answers INVALID_ARGUMENT.
            print("error code=OK message=\"\"")
        except cascade_client.CascadeError as error:
            print(f"error code={error.code.name} message={json.dumps(error.details)}")

    with cascade_client.connect_router(options.router, **security) as router:
        decision = router.route("write a python function that sorts a list")
        print(f"route route={decision.route} tier={decision.tier} score={decision.score:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
