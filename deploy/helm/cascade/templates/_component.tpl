{{/*
Every object of one component: its config ConfigMap, Deployment, Service and, when
enabled, HorizontalPodAutoscaler (autoscaling/v2), PodDisruptionBudget (policy/v1) and
ServiceMonitor. Arguments (a dict):
  root      the chart's root context
  name      the component's object suffix (router, orchestrator, tier-small, ...)
  service   the binary's service name (router, orchestrator, tier-worker, judge, inference)
  values    the component's values section
  config    the rendered cascade.v1.*Config (a dict; the chart-owned fields already set)
  http      true for the orchestrator (its front door port)
  reloaded  names of hot-reloaded files (routes, policies): each one's ConfigMap
            (<name>-<file>, rendered by the caller) is mounted at /etc/cascade/<file> as a
            directory, so an upgrade reaches running pods without rolling them
*/}}
{{- define "cascade.component" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $name := include "cascade.componentName" . -}}
{{- $image := mergeOverwrite (deepCopy $root.Values.image) ($v.image | default dict) -}}
{{- $configYaml := toYaml .config -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}-config
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
data:
  config.yaml: |
    {{- $configYaml | nindent 4 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "cascade.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "cascade.labels" . | nindent 8 }}
      annotations:
        # A config change rolls the pods; routes and policies files are hot-reloaded instead.
        checksum/config: {{ $configYaml | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      automountServiceAccountToken: false
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      # The server itself waits drain_delay after SIGTERM (readiness failing) and then
      # drain_grace for in-flight calls; the pod gets both plus a little slack.
      terminationGracePeriodSeconds: {{ add $root.Values.drain.delaySeconds $root.Values.drain.graceSeconds $root.Values.drain.terminationSlackSeconds }}
      containers:
        - name: {{ .service }}
          image: "{{ $image.repository }}:{{ $image.tag | default $root.Chart.AppVersion }}"
          imagePullPolicy: {{ $image.pullPolicy }}
          command: ["/usr/local/bin/cascade-{{ .service }}"]
          args: ["--config", "/etc/cascade/config/config.yaml"]
          ports:
            - name: grpc
              containerPort: {{ $root.Values.ports.grpc }}
              protocol: TCP
            - name: metrics
              containerPort: {{ $root.Values.ports.metrics }}
              protocol: TCP
            {{- if .http }}
            - name: http
              containerPort: {{ $root.Values.ports.http }}
              protocol: TCP
            {{- end }}
          {{- if or $v.env $v.secretEnv }}
          env:
            {{- with $v.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- range $v.secretEnv }}
            - name: {{ .name }}
              valueFrom:
                secretKeyRef:
                  name: {{ .secretName }}
                  key: {{ .secretKey }}
            {{- end }}
          {{- end }}
          startupProbe:
            httpGet: {path: /healthz, port: metrics}
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet: {path: /healthz, port: metrics}
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet: {path: /readyz, port: metrics}
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          resources:
            {{- $resources := deepCopy ($v.resources | default dict) -}}
            {{- if and (eq .service "inference") $v.gpu.enabled -}}
            {{- $limits := $resources.limits | default dict -}}
            {{- $_ := set $limits "nvidia.com/gpu" $v.gpu.count -}}
            {{- $_ := set $resources "limits" $limits -}}
            {{- end }}
            {{- toYaml $resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/cascade/config
              readOnly: true
            - name: tmp
              mountPath: /tmp
            {{- range .reloaded }}
            - name: {{ . }}
              mountPath: /etc/cascade/{{ . }}
              readOnly: true
            {{- end }}
            {{- if $root.Values.tls.enabled }}
            - name: tls
              mountPath: /etc/cascade/tls
              readOnly: true
            {{- end }}
            {{- if and (eq .service "inference") $v.modelVolume.enabled }}
            - name: models
              mountPath: {{ $v.modelVolume.mountPath }}
              readOnly: true
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ $name }}-config
        - name: tmp
          emptyDir: {}
        {{- range .reloaded }}
        - name: {{ . }}
          configMap:
            name: {{ $name }}-{{ . }}
        {{- end }}
        {{- if $root.Values.tls.enabled }}
        - name: tls
          secret:
            secretName: {{ required "tls.secretName is required when tls.enabled" $root.Values.tls.secretName }}
        {{- end }}
        {{- if and (eq .service "inference") $v.modelVolume.enabled }}
        - name: models
          persistentVolumeClaim:
            claimName: {{ required "inference.modelVolume.existingClaim is required when inference.modelVolume.enabled" $v.modelVolume.existingClaim }}
            readOnly: true
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $tolerations := $v.tolerations | default list -}}
      {{- if and (eq .service "inference") $v.gpu.enabled -}}
      {{- $tolerations = append $tolerations (dict "key" "nvidia.com/gpu" "operator" "Exists" "effect" "NoSchedule") -}}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "cascade.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $root.Values.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: metrics
      port: {{ $root.Values.ports.metrics }}
      targetPort: metrics
      protocol: TCP
    {{- if .http }}
    - name: http
      port: {{ $root.Values.ports.http }}
      targetPort: http
      protocol: TCP
    {{- end }}
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- if $v.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
spec:
  {{- if hasKey $v.podDisruptionBudget "maxUnavailable" }}
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  {{- else }}
  minAvailable: {{ $v.podDisruptionBudget.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "cascade.selectorLabels" . | nindent 6 }}
{{- end }}
{{- if $root.Values.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $name }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
    {{- with $root.Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "cascade.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ $root.Values.serviceMonitor.interval }}
{{- end }}
{{- end -}}

{{/*
The server fields the chart owns, merged over a component's config block (the block's
other server fields, e.g. log_level, are kept).
*/}}
{{- define "cascade.serverConfig" -}}
{{- $root := .root -}}
{{- $config := deepCopy (.config | default dict) -}}
{{- $server := deepCopy (get $config "server" | default dict) -}}
{{- $_ := set $server "grpc_listen" (printf "0.0.0.0:%d" (int $root.Values.ports.grpc)) -}}
{{- $_ := set $server "metrics_listen" (printf "0.0.0.0:%d" (int $root.Values.ports.metrics)) -}}
{{- $_ := set $server "drain_delay" (include "cascade.seconds" $root.Values.drain.delaySeconds) -}}
{{- $_ := set $server "drain_grace" (include "cascade.seconds" $root.Values.drain.graceSeconds) -}}
{{- if and $root.Values.tls.enabled (not (hasKey $server "tls")) -}}
{{- $tls := dict "cert_file" "/etc/cascade/tls/tls.crt" "key_file" "/etc/cascade/tls/tls.key" -}}
{{- if $root.Values.tls.mutual -}}
{{- $_ := set $tls "client_ca_file" "/etc/cascade/tls/ca.crt" -}}
{{- end -}}
{{- $_ := set $server "tls" $tls -}}
{{- end -}}
{{- $_ := set $config "server" $server -}}
{{- toYaml $config -}}
{{- end -}}
