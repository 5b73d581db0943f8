#!/usr/bin/env python3
"""Writes fit_train.jsonl and fit_test.jsonl: synthetic recorded ladders (tiny, mid, top;
prices in prices.yaml) for the policy fitter's end-to-end test. The cheaper models' answer
logprobs and tiny's self-check say, imperfectly, when they are right; the top model is right
most often. Deterministic (seeded); rerun only to change the fixture."""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = {  # P(right), logprob of a right / wrong answer's tokens (mean, spread)
    "tiny": (0.70, (-0.05, 0.04), (-1.2, 0.8)),
    "mid": (0.85, (-0.04, 0.03), (-1.0, 0.7)),
    "top": (0.95, (-0.02, 0.02), (-0.8, 0.5)),
}


def answer(rng, model, query):
    p_right, right_lp, wrong_lp = MODELS[model]
    right = rng.random() < p_right
    mean, spread = right_lp if right else wrong_lp
    tokens = [min(0.0, rng.gauss(mean, spread)) for _ in range(2)]
    text = f"{model}-{'right' if right else 'wrong'}-{query}"
    outcome = {"answer": text, "correct": right,
               "usage": {"prompt_tokens": 20 + query % 7, "completion_tokens": 2},
               "logprobs": [{"token": text[:len(text) // 2], "logprob": round(tokens[0], 4)},
                            {"token": text[len(text) // 2:], "logprob": round(tokens[1], 4)}]}
    if model == "tiny":
        p_yes = min(0.999, max(0.001, rng.gauss(0.9 if right else 0.5, 0.15)))
        outcome["self_check"] = {"p_yes": round(p_yes, 4),
                                 "usage": {"prompt_tokens": 60, "completion_tokens": 1}}
    return outcome


def write(name, first, count, rng):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as out:
        for query in range(first, first + count):
            record = {"id": f"f{query}",
                      "messages": [{"role": "user", "content": f"Synthetic question {query}?"}],
                      "models": {model: answer(rng, model, query) for model in MODELS}}
            out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    rng = random.Random(17)
    write("fit_train.jsonl", 0, 600, rng)
    write("fit_test.jsonl", 600, 200, rng)
