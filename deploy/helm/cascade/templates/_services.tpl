{{/*
A component's Services besides its gRPC one, each exposing one port, so that publishing
one (the front door as a LoadBalancer) publishes nothing else (plaintext gRPC, /metrics):
  <componentName>-metrics   ClusterIP, /metrics /healthz /readyz; the ServiceMonitor's
  <componentName>-http      the orchestrator's front door (orchestrator.frontDoorService);
                            the Ingress's backend
Every Service carries `cascade/port: <port name>` (the ServiceMonitor selects on it).
*/}}
{{- define "cascade.metricsServiceName" -}}
{{- printf "%s-metrics" (include "cascade.componentName" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "cascade.frontDoorServiceName" -}}
{{- printf "%s-http" (include "cascade.componentName" . | trunc 58 | trimSuffix "-") -}}
{{- end -}}

{{/* Takes the component's context (root, name, values). */}}
{{- define "cascade.metricsService" -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "cascade.metricsServiceName" . }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
    cascade/port: metrics
spec:
  type: ClusterIP
  selector:
    {{- include "cascade.selectorLabels" . | nindent 4 }}
  ports:
    - name: metrics
      port: {{ .root.Values.ports.metrics }}
      targetPort: metrics
      protocol: TCP
{{- end -}}

{{/* The orchestrator's front door. Takes the orchestrator's context. */}}
{{- define "cascade.frontDoorService" -}}
{{- $s := .values.frontDoorService -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "cascade.frontDoorServiceName" . }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
    cascade/port: http
  {{- with $s.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $s.type }}
  {{- if and (eq $s.type "LoadBalancer") $s.loadBalancerSourceRanges }}
  loadBalancerSourceRanges:
    {{- toYaml $s.loadBalancerSourceRanges | nindent 4 }}
  {{- end }}
  {{- if and (ne $s.type "ClusterIP") $s.externalTrafficPolicy }}
  externalTrafficPolicy: {{ $s.externalTrafficPolicy }}
  {{- end }}
  selector:
    {{- include "cascade.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .root.Values.ports.http }}
      targetPort: http
      protocol: TCP
      appProtocol: http
{{- end -}}

{{/*
The `model` a request to the front door names (helm test, NOTES): tests.model, else the
default policy: policiesFile's default_policy or first policy, else config's. Takes the root.
*/}}
{{- define "cascade.frontDoorModel" -}}
{{- $o := .Values.orchestrator -}}
{{- $model := .Values.tests.model -}}
{{- range $source := list ($o.policiesFile | default dict) ($o.config | default dict) -}}
{{- if and (not $model) $source.policies -}}
{{- $model = $source.default_policy | default (first $source.policies).name -}}
{{- end -}}
{{- end -}}
{{- $model | default "default" -}}
{{- end -}}

{{/*
Where the front door's API keys come from, for a client in the release (the helm test pod,
NOTES): the variable orchestrator.config.http.api_keys_env names, looked up in the
orchestrator's secretEnv, env (extraEnv included) and envFrom secretRefs; tests.apiKeySecret
when set wins. Returns YAML: {} when the door takes no keys, else env (the variable's name)
and either secretName and secretKey, or value (a literal in values), or unknown: true.
Takes the root.
*/}}
{{- define "cascade.frontDoorKey" -}}
{{- $o := .Values.orchestrator -}}
{{- $http := (get ($o.config | default dict) "http") | default dict -}}
{{- $env := get $http "api_keys_env" | default "" -}}
{{- $key := dict -}}
{{- with .Values.tests.apiKeySecret }}{{ if .name }}
{{- $key = dict "env" ($env | default "tests.apiKeySecret") "secretName" .name "secretKey" .key -}}
{{- end }}{{ end -}}
{{- if and $env (not $key) -}}
{{- $_ := set $key "env" $env -}}
{{- $x := include "cascade.podExtensions" (dict "root" . "name" "orchestrator" "values" $o) | fromYaml -}}
{{- range $o.secretEnv | default list -}}
{{- if and (eq .name $env) (not (hasKey $key "secretName")) -}}
{{- $_ := set $key "secretName" .secretName -}}
{{- $_ := set $key "secretKey" .secretKey -}}
{{- end -}}
{{- end -}}
{{- range $x.env | default list -}}
{{- if and (eq .name $env) (not (hasKey $key "secretName")) (not (hasKey $key "value")) -}}
{{- if hasKey . "value" -}}
{{- $_ := set $key "value" .value -}}
{{- else if and .valueFrom .valueFrom.secretKeyRef -}}
{{- $_ := set $key "secretName" .valueFrom.secretKeyRef.name -}}
{{- $_ := set $key "secretKey" .valueFrom.secretKeyRef.key -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $x.envFrom | default list -}}
{{- /* A variable from envFrom is the Secret's key behind the entry's prefix. */ -}}
{{- if and .secretRef (hasPrefix (.prefix | default "") $env) (not (hasKey $key "secretName")) (not (hasKey $key "value")) -}}
{{- $_ := set $key "secretName" .secretRef.name -}}
{{- $_ := set $key "secretKey" (trimPrefix (.prefix | default "") $env) -}}
{{- end -}}
{{- end -}}
{{- if not (or (hasKey $key "secretName") (hasKey $key "value")) -}}
{{- $_ := set $key "unknown" true -}}
{{- end -}}
{{- end -}}
{{- toYaml $key -}}
{{- end -}}
