#!/usr/bin/env python3
"""Writes routing_kinds.jsonl: 40 recorded answers of a weak and a strong model, for
cascade-routing-eval's test. Two templated kinds of question, 20 each: on arithmetic the
weak model is always wrong and the strong one right; on capitals the weak model is always
right and the strong one wrong on every fourth. A router that learns the kind from the
question's words recovers the gap early (APGR well above random's 0.5).
Deterministic (seeded); rerun only to change the fixture."""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
COUNTRIES = ["France", "Spain", "Italy", "Norway", "Peru", "Japan", "Kenya", "Chile", "Egypt",
             "Canada", "Greece", "Poland", "Brazil", "Ghana", "Nepal", "Cuba", "Mali", "Laos",
             "Oman", "Fiji"]


def outcome(model, right, query_id):
    return {"answer": f"{model}-{'right' if right else 'wrong'}-{query_id}", "correct": right,
            "usage": {"prompt_tokens": 24, "completion_tokens": 4}}


def records(rng):
    countries = COUNTRIES[:]
    rng.shuffle(countries)
    for i in range(40):
        if i % 2 == 0:
            a, b = rng.randint(100, 999), rng.randint(100, 999)
            question = f"Multiply {a} by {b} and add the digits of the product together."
            weak_right, strong_right = False, True
        else:
            country = countries[i // 2]
            question = f"Which city is the capital of {country}, and on which continent is it?"
            weak_right, strong_right = True, (i // 2) % 4 != 0
        yield {"id": f"r{i}", "messages": [{"role": "user", "content": question}],
               "models": {"weak": outcome("weak", weak_right, i),
                          "strong": outcome("strong", strong_right, i)}}


if __name__ == "__main__":
    with open(os.path.join(HERE, "routing_kinds.jsonl"), "w", encoding="utf-8") as out:
        for record in records(random.Random(23)):
            out.write(json.dumps(record) + "\n")
