"""The replay part of `make demo OUTCOMES=FILE`: a ladder of replay tier workers, one per
model of an outcomes file (docs/outcomes.md), answers every query of the file through the
front door, and the demo prints what the whole workload cost against the top model alone
and its accuracy against the top model's.

The policy is set by hand, not fitted: every model but the last is a tier accepting an
answer whose mean token logprob is at least --replay-min-logprob when it has recorded
logprobs, else whose recorded self-check P(yes) is at least --replay-min-p-yes (a model
with neither is left out); the last model of the file's ladder is the top tier."""

import json
import os
import re
import urllib.request

PRICE_LINE = re.compile(r"^([\w.-]+):\s*\{\s*input_usd_per_mtok:\s*([\d.]+)\s*,"
                        r"\s*output_usd_per_mtok:\s*([\d.]+)\s*\}\s*$")


def read_prices(path):
    """{model: (input, output)} in USD per million tokens, from `model: {input_usd_per_mtok:
    X, output_usd_per_mtok: Y}` lines (comments and blank lines skipped)."""
    prices = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#")[0].strip()
            if not line:
                continue
            match = PRICE_LINE.match(line)
            if not match:
                raise SystemExit(f"{path}:{number}: expected 'MODEL: {{input_usd_per_mtok: X, "
                                 f"output_usd_per_mtok: Y}}'")
            prices[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    return prices


def read_outcomes(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ladder_of(records, prices):
    """The file's models in order; every one needs a price."""
    models = []
    for record in records:
        for model in record["models"]:
            if model not in models:
                models.append(model)
    missing = [m for m in models if m not in prices]
    if missing:
        raise SystemExit(f"no price for {', '.join(missing)}: add them to the prices file")
    return models


def pico_usd(usage, price):
    return (usage["prompt_tokens"] * round(price[0] * 1e6) +
            usage["completion_tokens"] * round(price[1] * 1e6))


def run(outcomes, prices_path, min_logprob, min_p_yes, start, scratch):
    """Starts the replay ladder with `start(binary, name, config_text) -> listening`, sends
    every query, prints the summary. True when every query was answered."""
    records = read_outcomes(outcomes)
    prices = read_prices(prices_path)
    models = ladder_of(records, prices)
    top = models[-1]
    with_logprobs = {m for r in records for m, o in r["models"].items() if o.get("logprobs")}
    with_self_check = {m for r in records for m, o in r["models"].items() if o.get("self_check")}
    rules = {}
    for model in models[:-1]:
        if model in with_logprobs:
            rules[model] = f"{{logprob: {{aggregate: mean, min: {min_logprob}}}}}"
        elif model in with_self_check:
            rules[model] = f"{{self_check: {{min: {min_p_yes}}}}}"
    tiers = [m for m in models[:-1] if m in rules] + [top]
    print(f"\nReplay of {outcomes}: {len(records)} queries, ladder {' -> '.join(tiers)} "
          f"(accept: mean logprob >= {min_logprob} where recorded, else self-check P(yes) >= "
          f"{min_p_yes}; set by hand, not fitted)")
    tier_lines, policy_lines = [], []
    for index, model in enumerate(tiers):
        config = (f'tier: {model}\nreplay: {{outcomes: "{os.path.abspath(outcomes)}", '
                  f'model: "{model}"}}\nprice: {{input_usd_per_mtok: {prices[model][0]}, '
                  f'output_usd_per_mtok: {prices[model][1]}}}\n')
        listening = start("cascade-tier-worker", f"replay-{index}", config)
        tier_lines.append(f'  - {{name: "{model}", endpoint: {{address: "{listening["grpc"]}"}}}}')
        accept = "" if model == top else f", accept: {rules[model]}"
        policy_lines.append(f'      - {{tier: "{model}"{accept}}}')
    orchestrator = start("cascade-orchestrator", "replay-orchestrator",
                         "tiers:\n" + "\n".join(tier_lines) +
                         "\npolicies:\n  - name: replay\n    routing: false\n    tiers:\n" +
                         "\n".join(policy_lines) + "\n")
    url = f"http://{orchestrator['http']}/v1/chat/completions"
    answered = right = top_right = cost = top_cost = 0
    finals = {model: 0 for model in tiers}
    for record in records:
        body = json.dumps({"model": "replay", "messages": record["messages"]}).encode()
        request = urllib.request.Request(url, data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                trace = json.load(response)["cascade"]
        except OSError as error:
            print(f"  {record.get('id', '?')}: {error}")
            continue
        answered += 1
        final = trace["final_tier"]
        finals[final] += 1
        right += bool(record["models"][final].get("correct"))
        top_right += bool(record["models"][top].get("correct"))
        cost += trace["cost_pusd"]
        top_cost += pico_usd(record["models"][top]["usage"], prices[top])
    if answered:
        print(f"  answered {answered}/{len(records)}; final tier: " +
              ", ".join(f"{m} {n}" for m, n in finals.items()))
        print(f"  accuracy {right / answered:.3f} (the top model alone: {top_right / answered:.3f})")
        print(f"  cost ${cost / 1e12:.6f} (the top model alone: ${top_cost / 1e12:.6f}; "
              f"{cost / top_cost:.2f} of it)" if top_cost else f"  cost ${cost / 1e12:.6f}")
    return answered == len(records)
