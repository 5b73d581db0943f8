{{/*
Every tier worker, in climbing order, each entry merged over tierWorkerDefaults:
tierWorkers, then extraTierWorkers (an entry with `before: NAME` goes just below that tier
instead of on top), so `-f add-tier.yaml` holding one extraTierWorkers entry adds a tier
without restating the list. Disabled entries are kept (enabled: false); callers skip them.
A name used twice, or a `before` naming no tier, fails the render.
Takes the root context; returns YAML: {tiers: [...]}.
*/}}
{{- define "cascade.tierWorkers" -}}
{{- $root := . -}}
{{- $tiers := list -}}
{{- $names := dict -}}
{{- range $i, $entry := $root.Values.tierWorkers -}}
{{- $tier := mergeOverwrite (deepCopy $root.Values.tierWorkerDefaults) (deepCopy $entry) -}}
{{- if hasKey $names $tier.name -}}
{{- fail (printf "tierWorkers[%d]: tier %q is listed twice" $i $tier.name) -}}
{{- end -}}
{{- $_ := set $names $tier.name true -}}
{{- $tiers = append $tiers $tier -}}
{{- end -}}
{{- range $i, $entry := $root.Values.extraTierWorkers -}}
{{- $tier := mergeOverwrite (deepCopy $root.Values.tierWorkerDefaults) (deepCopy $entry) -}}
{{- if hasKey $names $tier.name -}}
{{- fail (printf "extraTierWorkers[%d]: tier %q is already a tier worker (tierWorkers or extraTierWorkers): use another name" $i $tier.name) -}}
{{- end -}}
{{- $before := $tier.before | default "" -}}
{{- $_ := unset $tier "before" -}}
{{- if $before -}}
{{- if not (hasKey $names $before) -}}
{{- fail (printf "extraTierWorkers[%d] (%s): before: %q is not a tier worker (tiers: %s)" $i $tier.name $before (join ", " (keys $names | sortAlpha))) -}}
{{- end -}}
{{- $placed := list -}}
{{- range $tiers -}}
{{- if eq .name $before -}}
{{- $placed = append $placed $tier -}}
{{- end -}}
{{- $placed = append $placed . -}}
{{- end -}}
{{- $tiers = $placed -}}
{{- else -}}
{{- $tiers = append $tiers $tier -}}
{{- end -}}
{{- $_ := set $names $tier.name true -}}
{{- end -}}
{{- toYaml (dict "tiers" $tiers) -}}
{{- end -}}

{{/*
The orchestrator's policies, completed and checked against the tiers. Arguments (a dict):
  policies  the list of cascade.v1.CascadePolicyConfig (as values)
  tiers     the orchestrator's tier names, in climbing order
  accept    tier name -> the `accept:` of its tier worker entry
  check     true when `tiers` are this release's tier workers (not the config's own)
  field     where the policies come from, for messages
A policy without `tiers` climbs every tier in order, each (but the last, which always
accepts) with its tier worker's `accept`; with check, a policy naming a tier that is not a
deployed tier worker fails the render. Returns YAML: {policies: [...]}.
*/}}
{{- define "cascade.policies" -}}
{{- $args := . -}}
{{- $policies := list -}}
{{- range $i, $policy := $args.policies -}}
{{- $policy = deepCopy $policy -}}
{{- if not $policy.tiers -}}
{{- if not $args.tiers -}}
{{- fail (printf "%s: policy %q lists no tiers, and there is no tier to fill in (no tier worker is enabled)" $args.field ($policy.name | toString)) -}}
{{- end -}}
{{- $ladder := list -}}
{{- $last := sub (len $args.tiers) 1 -}}
{{- range $j, $name := $args.tiers -}}
{{- $rung := dict "tier" $name -}}
{{- if and (lt $j $last) (hasKey $args.accept $name) -}}
{{- $_ := set $rung "accept" (deepCopy (get $args.accept $name)) -}}
{{- end -}}
{{- $ladder = append $ladder $rung -}}
{{- end -}}
{{- $_ := set $policy "tiers" $ladder -}}
{{- else if $args.check -}}
{{- range $policy.tiers -}}
{{- if not (has .tier $args.tiers) -}}
{{- fail (printf "%s: policy %q names tier %q, which is not a deployed tier worker (deployed tiers: %s). Add it to tierWorkers or extraTierWorkers (enabled), or take it out of the policy." $args.field ($policy.name | toString) (.tier | toString) (join ", " $args.tiers)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $policies = append $policies $policy -}}
{{- end -}}
{{- toYaml (dict "policies" $policies) -}}
{{- end -}}
