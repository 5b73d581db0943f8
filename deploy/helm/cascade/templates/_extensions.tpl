{{/*
The pod extension points of one component: the chart-wide values (top level of values.yaml)
combined with the component's own section:
  lists extend, chart-wide first   initContainers, extraVolumes, extraVolumeMounts, envFrom,
                                   topologySpreadConstraints; extraEnv (chart-wide) before the
                                   component's env, which replaces a chart-wide variable of the
                                   same name
  maps merge, the component wins   podLabels, podAnnotations, probes (key by key per probe)
  the component's replaces         runtimeClassName, priorityClassName, strategy, lifecycle,
                                   serviceAccount (see cascade.serviceAccount)
Takes the component's context (root, name, values); returns the result as YAML.
*/}}
{{- define "cascade.podExtensions" -}}
{{- $g := .root.Values -}}
{{- $v := .values -}}
{{- $x := dict -}}
{{- range $key := list "initContainers" "extraVolumes" "extraVolumeMounts" "envFrom" "topologySpreadConstraints" -}}
{{- $_ := set $x $key (concat (get $g $key | default list) (get $v $key | default list)) -}}
{{- end -}}
{{- /* An init container without a securityContext gets the chart's (restricted) one; one
without an image, the component's (e.g. cascade-quantize making F16 copies: values-gpu.yaml). */ -}}
{{- $image := mergeOverwrite (deepCopy $g.image) ($v.image | default dict) -}}
{{- $inits := list -}}
{{- range $x.initContainers -}}
{{- $c := deepCopy . -}}
{{- if not (hasKey $c "securityContext") -}}
{{- $_ := set $c "securityContext" (deepCopy $g.securityContext) -}}
{{- end -}}
{{- if not (hasKey $c "image") -}}
{{- $_ := set $c "image" (printf "%s:%s" $image.repository ($image.tag | default $.root.Chart.AppVersion)) -}}
{{- $_ := set $c "imagePullPolicy" $image.pullPolicy -}}
{{- end -}}
{{- $inits = append $inits $c -}}
{{- end -}}
{{- $_ := set $x "initContainers" $inits -}}
{{- /* A spread constraint without a labelSelector spreads this component's pods. */ -}}
{{- $spread := list -}}
{{- range $x.topologySpreadConstraints -}}
{{- $c := deepCopy . -}}
{{- if not (hasKey $c "labelSelector") -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (include "cascade.selectorLabels" $ | fromYaml)) -}}
{{- end -}}
{{- $spread = append $spread $c -}}
{{- end -}}
{{- $_ := set $x "topologySpreadConstraints" $spread -}}
{{- /* Environment: chart-wide extraEnv, less what the component's env or secretEnv set. */ -}}
{{- $own := dict -}}
{{- range concat ($v.env | default list) ($v.secretEnv | default list) -}}
{{- $_ := set $own .name true -}}
{{- end -}}
{{- $env := list -}}
{{- range $g.extraEnv | default list -}}
{{- if not (hasKey $own .name) -}}
{{- $env = append $env . -}}
{{- end -}}
{{- end -}}
{{- $_ := set $x "env" (concat $env ($v.env | default list)) -}}
{{- /* Labels and annotations: never the chart's own keys (the selector, the checksum). */ -}}
{{- $chartLabels := include "cascade.labels" . | fromYaml -}}
{{- $labels := mergeOverwrite (deepCopy ($g.podLabels | default dict)) (deepCopy ($v.podLabels | default dict)) -}}
{{- range $key, $_ := $chartLabels -}}
{{- $_ := unset $labels $key -}}
{{- end -}}
{{- $_ := set $x "podLabels" $labels -}}
{{- $annotations := mergeOverwrite (deepCopy ($g.podAnnotations | default dict)) (deepCopy ($v.podAnnotations | default dict)) -}}
{{- $_ := set $x "podAnnotations" (omit $annotations "checksum/config") -}}
{{- range $key := list "runtimeClassName" "priorityClassName" "strategy" "lifecycle" -}}
{{- $_ := set $x $key (get $v $key | default (get $g $key) | default "") -}}
{{- end -}}
{{- $probes := dict -}}
{{- range $probe := list "startup" "liveness" "readiness" -}}
{{- $_ := set $probes $probe (mergeOverwrite (deepCopy (get $g.probes $probe | default dict)) (deepCopy (get ($v.probes | default dict) $probe | default dict))) -}}
{{- end -}}
{{- $_ := set $x "probes" $probes -}}
{{- $_ := set $x "serviceAccount" (include "cascade.serviceAccount" . | fromYaml) -}}
{{- toYaml $x -}}
{{- end -}}

{{/*
A component's service account, from serviceAccount (chart-wide) and the component's own:
  the component's create: true   its own ServiceAccount, named name or <componentName>
  the component's name           that existing ServiceAccount
  otherwise create: true         the release's ServiceAccount, named name or <fullname>
  otherwise name                 that existing ServiceAccount
  otherwise                      the namespace's default
automountServiceAccountToken: the component's when it sets one, else the chart-wide one
(false: no pod of the chart talks to the Kubernetes API).
Returns YAML: name ("" for the default), create, annotations, automount.
*/}}
{{- define "cascade.serviceAccount" -}}
{{- $global := .root.Values.serviceAccount | default dict -}}
{{- $own := .values.serviceAccount | default dict -}}
{{- $sa := dict "name" "" "create" false "annotations" dict -}}
{{- if $own.create -}}
{{- $sa = dict "name" ($own.name | default (include "cascade.componentName" .)) "create" true "annotations" ($own.annotations | default dict) -}}
{{- else if $own.name -}}
{{- $_ := set $sa "name" $own.name -}}
{{- else if $global.create -}}
{{- $_ := set $sa "name" ($global.name | default (include "cascade.fullname" .root)) -}}
{{- else if $global.name -}}
{{- $_ := set $sa "name" $global.name -}}
{{- end -}}
{{- if hasKey $own "automountServiceAccountToken" -}}
{{- $_ := set $sa "automount" $own.automountServiceAccountToken -}}
{{- else -}}
{{- $_ := set $sa "automount" ($global.automountServiceAccountToken | default false) -}}
{{- end -}}
{{- toYaml $sa -}}
{{- end -}}

{{/* The ServiceAccount a component creates for itself (serviceAccount.create), if any. */}}
{{- define "cascade.componentServiceAccount" -}}
{{- $sa := include "cascade.serviceAccount" . | fromYaml -}}
{{- if $sa.create }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $sa.name }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
  {{- with $sa.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ $sa.automount }}
{{- end }}
{{- end -}}
