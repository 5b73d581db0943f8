"""The metrics catalogue (docs/architecture.md's, copied here) and the label analysis of
PromQL that dashboards and rules share: the series an expression selects, the labels they
carry, the variables it must filter by."""
import re

# docs/architecture.md's metrics catalogue (binding): dashboards and rules use only these
# series, and filter or aggregate only by these labels (`rules_use_catalogue` checks this
# table against the document). A histogram's _bucket/_count/_sum series are its own.
CATALOGUE = {
    "cascade_grpc_server_requests_total": {"service", "method", "code"},
    "cascade_grpc_server_request_duration_seconds": {"service", "method"},
    "cascade_build_info": {"service", "version"},
    "cascade_inference_requests_total": {"model", "outcome"},
    "cascade_inference_tokens_total": {"model", "direction"},
    "cascade_inference_time_to_first_token_seconds": {"model"},
    "cascade_inference_time_per_output_token_seconds": {"model"},
    "cascade_inference_queue_depth": {"model"},
    "cascade_inference_queue_wait_seconds": {"model"},
    "cascade_inference_batch_sequences": {"model"},
    "cascade_inference_kv_cache_usage_ratio": {"model"},
    "cascade_inference_prefix_reused_tokens_total": {"model"},
    "cascade_speculative_rounds_total": {"model", "drafter"},
    "cascade_speculative_draft_tokens_total": {"model", "drafter"},
    "cascade_speculative_accepted_tokens_total": {"model", "drafter"},
    "cascade_speculative_accepted_at_position_total": {"model", "drafter", "position"},
    "cascade_tier_requests_total": {"tier", "model", "outcome"},
    "cascade_tier_tokens_total": {"tier", "model", "direction"},
    "cascade_tier_cost_usd_total": {"tier", "model"},
    "cascade_tier_upstream_duration_seconds": {"tier", "model"},
    "cascade_tier_retries_total": {"tier", "model", "reason"},
    "cascade_tier_in_flight": {"tier", "model"},
    "cascade_router_decisions_total": {"route"},
    "cascade_router_below_threshold_total": set(),
    "cascade_router_score": set(),
    "cascade_router_embed_duration_seconds": set(),
    "cascade_router_search_duration_seconds": set(),
    "cascade_router_exemplars": set(),
    "cascade_router_reloads_total": set(),
    "cascade_router_reload_failures_total": set(),
    "cascade_router_embed_failures_total": set(),
    "cascade_router_tier_estimates_total": {"outcome"},
    "cascade_router_outcome_exemplars": {"policy"},
    "cascade_router_outcome_reloads_total": {"outcome"},
    "cascade_judge_score": {"method"},
    "cascade_judge_duration_seconds": {"method"},
    "cascade_judge_cost_usd_total": {"method"},
    "cascade_judge_degraded_total": {"reason"},
    "cascade_requests_total": {"policy", "route", "final_tier", "outcome"},
    "cascade_request_cost_usd_total": {"policy", "route"},
    "cascade_request_baseline_cost_usd_total": {"policy", "route"},
    "cascade_escalations_total": {"policy", "from_tier", "to_tier", "reason"},
    "cascade_tier_attempts_total": {"policy", "tier", "outcome"},
    "cascade_request_duration_seconds": {"route"},
    "cascade_step_duration_seconds": {"tier"},
    "cascade_confidence": {"tier", "method"},
    "cascade_tier_circuit_open": {"tier"},
    "cascade_policy_reloads_total": {"outcome"},
    "cascade_learned_skips_total": {"policy", "tier"},
    "cascade_router_estimates_missing_total": {"policy", "reason"},
    "cascade_cache_lookups_total": {"policy", "outcome"},
    "cascade_cache_rejections_total": {"policy", "guard"},
    "cascade_cache_embedding_errors_total": {"policy"},
    "cascade_cache_entries": set(),
    "cascade_cache_bytes": set(),
    "cascade_cache_evictions_total": set(),
    "cascade_cache_purged_total": {"policy"},
    "cascade_shadow_evaluations_total": {"policy", "tier", "outcome"},
    "cascade_shadow_cost_usd_total": {"policy"},
    "cascade_shadow_exemplars_total": {"policy", "outcome"},
    "cascade_http_requests_total": {"policy", "code"},
    "cascade_http_time_to_first_byte_seconds": {"policy"},
    "cascade_http_time_to_first_token_seconds": {"policy"},
    "cascade_http_in_flight": set(),
    "cascade_http_rejected_total": {"reason"},
}
# Every series carries these target labels (the ServiceMonitor's relabelings; static
# labels in a hand-written scrape config): every query filters by them, every rule keeps them.
TARGET_LABELS = ("namespace", "release")
# Dashboard variables that filter the series carrying a label of the same name.
FILTER_VARIABLES = ("policy", "route", "tier")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
SELECTOR = re.compile(r"\b(cascade_[a-z_]+|cascade:[a-z0-9_:]+)(\{[^}]*\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def catalogue_name(series):
    """The catalogue entry of a scraped series name (a histogram's parts are its own)."""
    if series in CATALOGUE:
        return series
    for suffix in HISTOGRAM_SUFFIXES:
        if series.endswith(suffix) and series.removesuffix(suffix) in CATALOGUE:
            return series.removesuffix(suffix)
    return None


def selectors(expr):
    """(series name, {label: (operator, value)}) of every selector of an expression."""
    found = []
    for m in SELECTOR.finditer(expr):
        matchers = {l: (op, v) for l, op, v in MATCHER.findall(m.group(2) or "")}
        found.append((m.group(1), matchers))
    return found


def series_labels(name, recorded):
    if name in recorded:
        return recorded[name]
    entry = catalogue_name(name)
    return CATALOGUE[entry] if entry else None


def filter_variables(expr, recorded):
    """The variables an expression must filter by: those whose label every series of it
    carries (filtering one side of a ratio only would mix filtered and unfiltered)."""
    sets = [series_labels(n, recorded) or set() for n, _ in selectors(expr)]
    return {v for v in FILTER_VARIABLES if sets and all(v in s for s in sets)}


def document_catalogue(ctx):
    """The series names of docs/architecture.md's catalogue table."""
    text = open(ctx.path("docs/architecture.md")).read()
    table = text[text.index("| owner | series | labels |"):]
    table = table[:table.index("\n\n")]
    names = set()
    for row in table.splitlines()[2:]:
        series_cell = row.split("|")[2]
        while re.search(r"\([^()]*\)", series_cell):  # notes in parentheses name no series
            series_cell = re.sub(r"\([^()]*\)", "", series_cell)
        names |= {"cascade_" + n for n in re.findall(r"`([a-z_]+)`", series_cell)}
    return names
