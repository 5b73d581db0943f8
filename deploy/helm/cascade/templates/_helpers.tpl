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

{{/* The headless Service of a component's gRPC port: <componentName>-grpc. */}}
{{- define "cascade.grpcServiceName" -}}
{{- printf "%s-grpc" (include "cascade.componentName" . | trunc 58 | trimSuffix "-") -}}
{{- end -}}

{{/* The gRPC target of a component inside the cluster: dns:///<componentName>-grpc:PORT.
The headless Service resolves to every ready pod, and the client's round_robin spreads
calls over all of them (a ClusterIP name is one address: one pod per connection). */}}
{{- define "cascade.grpcAddress" -}}
{{- printf "dns:///%s:%d" (include "cascade.grpcServiceName" .) (int .root.Values.ports.grpc) -}}
{{- end -}}

{{/* A cascade.v1.ClientConfig to a component's gRPC Service: its address and, with
tls.enabled, the CA (and with tls.mutual this pod's certificate) from the TLS mount, and
server_name: the component's Service name, which the certificate carries (the headless
name in the address does not). */}}
{{- define "cascade.clientConfig" -}}
{{- $client := dict "address" (include "cascade.grpcAddress" .) -}}
{{- if .root.Values.tls.enabled -}}
{{- $tls := dict "ca_file" "/etc/cascade/tls/ca.crt" "server_name" (include "cascade.componentName" .) -}}
{{- if .root.Values.tls.mutual -}}
{{- $_ := set $tls "cert_file" "/etc/cascade/tls/tls.crt" -}}
{{- $_ := set $tls "key_file" "/etc/cascade/tls/tls.key" -}}
{{- end -}}
{{- $_ := set $client "tls" $tls -}}
{{- end -}}
{{- toYaml $client -}}
{{- end -}}

{{/* A duration in the servers' config syntax ("5s"). */}}
{{- define "cascade.seconds" -}}
{{- printf "%ds" (int .) -}}
{{- end -}}
