{{/* Names and labels. */}}
{{- define "cascade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cascade.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of a component's objects: <fullname>-<component>, e.g. cascade-tier-small. */}}
{{- define "cascade.componentName" -}}
{{- printf "%s-%s" (include "cascade.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cascade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cascade.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "cascade.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: cascade
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "cascade.selectorLabels" . }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Chart-wide labels (objects that belong to no component). */}}
{{- define "cascade.chartLabels" -}}
{{ include "cascade.labels" (dict "root" . "name" "cascade") }}
{{- end -}}

{{/* host:port of a component's gRPC Service inside the cluster. */}}
{{- define "cascade.grpcAddress" -}}
{{- printf "%s:%d" (include "cascade.componentName" .) (int .root.Values.ports.grpc) -}}
{{- end -}}

{{/* A duration in the servers' config syntax ("5s"). */}}
{{- define "cascade.seconds" -}}
{{- printf "%ds" (int .) -}}
{{- end -}}
