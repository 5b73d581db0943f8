"""The Prometheus rules (deploy/helm/cascade/rules/cascade-rules.yaml): the PrometheusRule
holds the file, promtool checks and unit-tests it, and it uses the catalogue's metrics and
keeps their target labels."""
import re

from .catalogue import (CATALOGUE, TARGET_LABELS, catalogue_name, document_catalogue,
                        filter_variables, selectors, series_labels)
from .render import expect, run

RULES = "deploy/helm/cascade/rules/cascade-rules.yaml"
RULE_TESTS = "tests/deploy/cascade-rules.test.yaml"
# Alerts tests/e2e/dashboard_proof.py drives to firing on the real suite.
E2E_FIRED = {"CascadeTierDown", "CascadeEscalationRateHigh"}
AGGREGATION = re.compile(r"\b(sum|avg|min|max|count|group|stddev|stdvar|topk|bottomk|quantile|"
                         r"count_values)\s*(by\s*\(([^)]*)\)|without\b|\()")


def rules_file(ctx):
    """(kind, name, expr) of every rule of the plain rules file, parsed without a YAML
    library (its simple shape: `- record:`/`- alert:`, then `expr:` plain or folded `>-`)."""
    rules, folding = [], None
    for line in open(ctx.path(RULES)).read().splitlines():
        m = re.match(r"^\s+- (record|alert): (\S+)", line)
        if m:
            rules.append([m.group(1), m.group(2), ""])
            folding = None
            continue
        m = re.match(r"^(\s+)expr: (.*)$", line)
        if m and rules:
            folding = len(m.group(1)) if m.group(2).strip() == ">-" else None
            rules[-1][2] = "" if folding is not None else m.group(2).strip()
            continue
        if folding is not None:
            if line.strip() and len(line) - len(line.lstrip()) > folding:
                rules[-1][2] = (rules[-1][2] + " " + line.strip()).strip()
            else:
                folding = None
    return [tuple(r) for r in rules]


def recorded_labels(rules):
    """Labels of each recorded series: its aggregation's `by` labels (le dropped by
    histogram_quantile), or those of the recorded series it is computed from."""
    labels = {}
    for kind, name, expr in rules:
        if kind != "record":
            continue
        groups = [m.group(3) for m in AGGREGATION.finditer(expr) if m.group(3) is not None]
        if groups:
            labels[name] = {l.strip() for l in groups[0].split(",") if l.strip()} - {"le"}
        else:
            sources = [n for n, _ in selectors(expr) if n in labels]
            labels[name] = set(labels[sources[0]]) if sources else set()
    return labels


def rule_label_problems(kind, name, expr, recorded):
    """Every aggregation keeps namespace and release (`by`, never without it); a recording
    rule's also keeps the policy, route and tier labels all its series carry."""
    problems = []
    wanted = set(TARGET_LABELS)
    if kind == "record":
        wanted |= filter_variables(expr, recorded)
    for m in AGGREGATION.finditer(expr):
        if m.group(3) is None:
            problems.append(f"{m.group(1)} without `by (...)`")
            continue
        kept = {l.strip() for l in m.group(3).split(",")}
        if not wanted <= kept:
            problems.append(f"{m.group(1)} by ({m.group(3)}) drops {sorted(wanted - kept)}")
    for series, _ in selectors(expr):
        if series_labels(series, recorded) is None:
            problems.append(f"{series} is neither in the catalogue nor a recorded series")
    return problems


def prometheus_rule_matches_file(ctx):
    rendered = ctx.render_to("rules.yaml", "--set", "prometheusRule.enabled=true")
    result = run(["node", ctx.path("tests/deploy/compare_rules.mjs"), ctx.node_modules, rendered,
                  ctx.path(RULES)], check=False)
    print(result.stdout, result.stderr)
    expect(result.returncode == 0, "the PrometheusRule holds exactly the plain rules file")


def promtool_rules(ctx):
    result = run(["promtool", "check", "rules", ctx.path(RULES)], check=False)
    print(result.stdout, result.stderr)
    expect(result.returncode == 0, "promtool check rules passes on the plain rules file")
    names = re.findall(r"^\s+- alert: (\S+)", open(ctx.path(RULES)).read(), re.M)
    for alert in ["CascadeEscalationRateHigh", "CascadeSpendOverBudget", "CascadeTierDown",
                  "CascadeSpeculativeAcceptanceLow", "CascadeErrorRateHigh",
                  "CascadeSavingsOffNorm", "CascadeTierAcceptanceOffNorm"]:
        expect(alert in names, f"alert {alert} is defined")


def rules_use_catalogue(ctx):
    text = open(ctx.path(RULES)).read()
    metrics = set(re.findall(r"\bcascade_[a-z_]+", text))
    unknown = {m for m in metrics if catalogue_name(m) is None}
    expect(not unknown, f"the rules use only catalogue metrics (unknown: {sorted(unknown)})")
    documented = document_catalogue(ctx)
    expect(documented == set(CATALOGUE),
           "the checks' catalogue is docs/architecture.md's (only in the document: "
           f"{sorted(documented - set(CATALOGUE))}; only here: {sorted(set(CATALOGUE) - documented)})")
    rules = rules_file(ctx)
    recorded = recorded_labels(rules)
    for kind, name, expr in rules:
        problems = rule_label_problems(kind, name, expr, recorded)
        expect(not problems, f"{kind} {name} keeps namespace, release"
               + (" and " + ", ".join(sorted(filter_variables(expr, recorded)))
                  if kind == "record" and filter_variables(expr, recorded) else "")
               + (f" ({'; '.join(problems)})" if problems else ""))


def promtool_rule_tests(ctx):
    """promtool's unit tests of the alerts: series fed in, alerts that must (and must not)
    fire; every alert the dashboard proof does not drive to firing has one."""
    tests = ctx.path(RULE_TESTS)
    result = run(["promtool", "test", "rules", tests], check=False)
    print(result.stdout[-6000:], result.stderr[-3000:])
    expect(result.returncode == 0, "promtool test rules passes on tests/deploy/cascade-rules.test.yaml")
    tested = set(re.findall(r"^\s+- alertname: (\S+)", open(tests).read(), re.M))
    for kind, name, _ in rules_file(ctx):
        if kind == "alert":
            expect(name in tested or name in E2E_FIRED,
                   f"alert {name} has a promtool unit test"
                   + (" (and the dashboard proof fires it)" if name in E2E_FIRED else ""))
