#!/usr/bin/env python3
"""Writes learned_train.jsonl and learned_test.jsonl: recorded answers of two tiers, small
and large, on three kinds of question: capitals (small nearly always right), arithmetic
(small nearly always wrong) and translations (small mostly right). Logprobs mostly tell a
wrong answer (mean -1.5) from a right one (-0.05), but one wrong small answer in ten is
confident. For the learned start's end-to-end test: learned from the train file, the
router should send arithmetic straight to large. Deterministic (seeded); rerun only to
change the fixture."""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
COUNTRIES = ["France", "Peru", "Japan", "Kenya", "Norway", "Chile", "Egypt", "Canada",
             "India", "Spain", "Ghana", "Nepal", "Cuba", "Iran", "Fiji", "Laos", "Mali",
             "Chad", "Oman", "Togo", "Iraq", "Cyprus", "Malta", "Benin"]
CAPITAL = ["What is the capital city of {}?", "Which city is the capital of {}?",
           "Name the capital of {}.", "Tell me the capital of {}."]
TRANSLATE = ["Translate the word '{}' into {}.", "How do you say '{}' in {}?",
             "What is '{}' in {}?"]
WORDS = ["house", "river", "bread", "window", "friend", "mountain", "letter", "garden"]
LANGUAGES = ["French", "German", "Italian", "Portuguese"]
# P(right) per kind and tier.
KINDS = {
    "capital": {"small": 0.97, "large": 0.99},
    "arithmetic": {"small": 0.03, "large": 0.95},
    "translation": {"small": 0.80, "large": 0.97},
}


def question(rng, kind):
    if kind == "capital":
        return rng.choice(CAPITAL).format(rng.choice(COUNTRIES))
    if kind == "arithmetic":
        return (f"Compute {rng.randint(100, 999)} times {rng.randint(100, 999)} "
                f"modulo {rng.randint(11, 97)}.")
    return rng.choice(TRANSLATE).format(rng.choice(WORDS), rng.choice(LANGUAGES))


def outcome(rng, kind, tier, query_id):
    right = rng.random() < KINDS[kind][tier]
    confident = right or (tier == "small" and rng.random() < 0.1)
    logprob = round(rng.uniform(-0.09, -0.01) if confident else rng.uniform(-2.0, -1.0), 4)
    text = f"{tier} {'right' if right else 'wrong'} answer to {query_id}"
    return {"answer": text, "correct": right,
            "usage": {"prompt_tokens": 20, "completion_tokens": 8 if tier == "small" else 12},
            "logprobs": [{"token": text, "logprob": logprob}]}


def write(name, count_per_kind, rng, prefix, seen):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as out:
        n = 0
        for _ in range(count_per_kind):
            for kind in KINDS:
                text = question(rng, kind)
                while text in seen:
                    text = question(rng, kind)
                seen.add(text)
                query_id = f"{prefix}{n}"
                n += 1
                record = {"id": query_id, "messages": [{"role": "user", "content": text}],
                          "models": {tier: outcome(rng, kind, tier, query_id)
                                     for tier in ("small", "large")}}
                out.write(json.dumps(record) + "\n")


def main():
    rng = random.Random(24)
    seen = set()
    write("learned_train.jsonl", 50, rng, "lt", seen)
    write("learned_test.jsonl", 15, rng, "le", seen)


if __name__ == "__main__":
    main()
