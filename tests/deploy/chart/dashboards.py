"""The Grafana dashboards (deploy/helm/cascade/dashboards): well formed, on the catalogue's
metrics, filtered by their variables, their PromQL parsing, shipped as ConfigMaps."""
import json
import os
import re

from .catalogue import (FILTER_VARIABLES, TARGET_LABELS, catalogue_name, filter_variables,
                        selectors, series_labels)
from .render import expect, run, section
from .rules import recorded_labels, rules_file

DASHBOARDS = "deploy/helm/cascade/dashboards"


def dashboard_files(ctx):
    directory = ctx.path(DASHBOARDS)
    return sorted(os.path.join(directory, n) for n in os.listdir(directory) if n.endswith(".json"))


def dashboard_queries(dashboard):
    """(panel title, expr) of every target of every panel (rows' nested panels too)."""
    queries = []

    def walk(panels):
        for panel in panels:
            walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                queries.append((panel["title"], target["expr"]))
    walk(dashboard["panels"])
    return queries


def grafana_to_promql(expr, rate_interval="1m", range_="1h"):
    """What Grafana sends: its interval variables substituted."""
    return expr.replace("$__rate_interval", rate_interval).replace("$__range", range_)


def dashboard_variables(dashboard):
    """(name, label_values selector, label) of every query variable."""
    found = []
    for v in dashboard["templating"]["list"]:
        if v["type"] != "query":
            continue
        query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query.strip())
        found.append((v["name"], m.group(1) if m else None, m.group(2) if m else None))
    return found


def query_filter_problems(expr, recorded):
    """What a dashboard query lacks: $namespace and $release on every selector, and each
    of $policy, $route, $tier exactly where filter_variables says."""
    problems = []
    wanted = filter_variables(expr, recorded)
    for name, matchers in selectors(expr):
        if series_labels(name, recorded) is None:
            problems.append(f"{name} is neither in the catalogue nor a recorded series")
            continue
        for label in TARGET_LABELS + FILTER_VARIABLES:
            has = matchers.get(label) == ("=~", f"${label}")
            if label in TARGET_LABELS or label in wanted:
                if not has:
                    problems.append(f'{name} lacks {label}=~"${label}"')
            elif label in matchers:
                problems.append(f"{name} filters {label}, which not all of the query's series "
                                "carry")
    return problems


def dashboards_well_formed(ctx):
    titles = set()
    recorded = recorded_labels(rules_file(ctx))
    for path in dashboard_files(ctx):
        dashboard = json.load(open(path))
        name = os.path.basename(path)
        titles.add(dashboard["title"])
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        expect(variables.get("datasource", {}).get("type") == "datasource" and
               variables["datasource"]["query"] == "prometheus",
               f"{name}: has a ${{datasource}} variable of Prometheus data sources")
        expect(dashboard.get("schemaVersion", 0) >= 38, f"{name}: Grafana 10 schema")
        panels = [p for p in dashboard["panels"] if p["type"] != "row"]
        expect(all(p.get("targets") for p in panels), f"{name}: every panel has a query")
        expect(all(p["datasource"]["uid"] == "${datasource}" and
                   all(t["datasource"]["uid"] == "${datasource}" for t in p["targets"])
                   for p in panels), f"{name}: every panel and query uses ${{datasource}}")
        ids = [p["id"] for p in dashboard["panels"]]
        expect(len(ids) == len(set(ids)), f"{name}: panel ids are unique")
        queries = dashboard_queries(dashboard)
        metrics = set(re.findall(r"\bcascade_[a-z_]+", " ".join(e for _, e in queries)))
        unknown = {m for m in metrics if catalogue_name(m) is None}
        expect(not unknown, f"{name}: uses only catalogue metrics (unknown: {sorted(unknown)})")
        # The variables: namespace and release on every dashboard; policy, route and tier
        # where some query's series carry them. Each is a query variable of label values,
        # filtered by the ones before it, multi-valued, its All matching any value (and a
        # series without the label).
        used = set().union(*(filter_variables(e, recorded) for _, e in queries))
        wanted = list(TARGET_LABELS) + [v for v in FILTER_VARIABLES if v in used]
        query_variables = dashboard_variables(dashboard)
        expect([n for n, _, _ in query_variables] == wanted,
               f"{name}: variables {', '.join(wanted)} (in that order), besides ${{datasource}}")
        for index, (variable, selector, label) in enumerate(query_variables):
            v = variables[variable]
            found = selectors(selector or "")
            carried = series_labels(found[0][0], recorded) if found else None
            before = [b for b in wanted[:index]
                      if b in TARGET_LABELS or b in (carried or set())]
            matchers = found[0][1] if found else {}
            expect(label == variable and carried is not None and variable in carried | {
                       *TARGET_LABELS}
                   and all(matchers.get(b) == ("=~", f"${b}") for b in before)
                   and v.get("datasource", {}).get("uid") == "${datasource}"
                   and v.get("multi") and v.get("includeAll") and v.get("allValue") == ".*",
                   f"{name}: ${variable} lists label_values(..., {variable}) filtered by "
                   f"{', '.join('$' + b for b in before) or 'nothing'}; multi-valued, All = .*")
        # Every panel query filters by the variables: a new panel without them fails here.
        for title, expr in queries:
            problems = query_filter_problems(expr, recorded)
            expect(not problems, f"{name}: {title!r} filters by $namespace, $release"
                   + "".join(f", ${v}" for v in FILTER_VARIABLES
                             if v in filter_variables(expr, recorded))
                   + (f" ({'; '.join(problems)})" if problems else ""))
    expect(titles == {"Cascade cost", "Cascade performance", "Inference"},
           "the three dashboards ship: Cascade cost, Cascade performance, Inference")
    rendered = ctx.template().stdout
    for path in dashboard_files(ctx):
        name = os.path.basename(path)
        doc = section(rendered, "dashboard-" + name.removesuffix(".json"))
        expect('grafana_dashboard: "1"' in doc and f"  {name}: |" in doc,
               f"{name} ships as a ConfigMap labeled grafana_dashboard: \"1\"")


def dashboard_queries_parse(ctx):
    """Every panel's PromQL parses (promtool, as recording rules); data is the e2e's job."""
    rules = []
    for path in dashboard_files(ctx):
        dashboard = json.load(open(path))
        stem = os.path.basename(path)[:-5].replace('-', '_')
        for i, (title, expr) in enumerate(dashboard_queries(dashboard)):
            rules.append({"record": f"dashboard:{stem}:{i}", "expr": grafana_to_promql(expr)})
        # The variables' label_values() selectors too.
        for variable, selector, _ in dashboard_variables(dashboard):
            rules.append({"record": f"dashboard:{stem}:variable_{variable}", "expr": selector})
    path = os.path.join(ctx.work, "dashboard-queries.rules.json")
    # JSON is YAML: promtool reads it as a rules file.
    with open(path, "w") as f:
        json.dump({"groups": [{"name": "dashboards", "rules": rules}]}, f, indent=1)
    result = run(["promtool", "check", "rules", path], check=False)
    print(result.stdout[-2000:], result.stderr[-4000:])
    expect(result.returncode == 0, f"all {len(rules)} dashboard queries parse as PromQL")
