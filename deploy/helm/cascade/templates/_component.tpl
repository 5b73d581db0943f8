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
  existingConfigMaps  optional: file -> the name of a ConfigMap made outside the chart,
            mounted instead of <name>-<file> (routes/policiesFile existingConfigMap)
  claims    optional: writable PersistentVolumeClaims of the pod, each a dict (name,
            mountPath, claimName), e.g. the router's outcomes volume. The pod then gets an
            fsGroup (podSecurityContext's, else its runAsGroup) so the non-root server can
            write them, and fsGroupChangePolicy OnRootMismatch unless set
The pod's extension points (initContainers, extraVolumes, probes, ...) come from
cascade.podExtensions (templates/_extensions.tpl); the headless gRPC Service from
templates/_load_balancing.tpl.
*/}}
{{- define "cascade.component" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $name := include "cascade.componentName" . -}}
{{- $image := mergeOverwrite (deepCopy $root.Values.image) ($v.image | default dict) -}}
{{- $configYaml := toYaml .config -}}
{{- $x := include "cascade.podExtensions" . | fromYaml -}}
{{- $podSecurityContext := deepCopy ($root.Values.podSecurityContext | default dict) -}}
{{- if .claims -}}
{{- /* Kubelet makes a volume group-writable by the pod's fsGroup. Without one (and without
a runAsGroup to use) the platform is left to assign it, as OpenShift's SCCs do. */ -}}
{{- if and (not (hasKey $podSecurityContext "fsGroup")) (hasKey $podSecurityContext "runAsGroup") -}}
{{- $_ := set $podSecurityContext "fsGroup" $podSecurityContext.runAsGroup -}}
{{- end -}}
{{- if and (hasKey $podSecurityContext "fsGroup") (not (hasKey $podSecurityContext "fsGroupChangePolicy")) -}}
{{- $_ := set $podSecurityContext "fsGroupChangePolicy" "OnRootMismatch" -}}
{{- end -}}
{{- end -}}
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
  {{- with $x.strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "cascade.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "cascade.labels" . | nindent 8 }}
        {{- with $x.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A config change rolls the pods; routes and policies files are hot-reloaded instead.
        checksum/config: {{ $configYaml | sha256sum }}
        {{- with $x.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $x.serviceAccount.name }}
      serviceAccountName: {{ . }}
      {{- end }}
      automountServiceAccountToken: {{ $x.serviceAccount.automount }}
      {{- with $x.runtimeClassName }}
      runtimeClassName: {{ . }}
      {{- end }}
      {{- with $x.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $podSecurityContext | nindent 8 }}
      # The server itself waits drain_delay after SIGTERM (readiness failing) and then
      # drain_grace for in-flight calls; the pod gets both plus a little slack.
      terminationGracePeriodSeconds: {{ add $root.Values.drain.delaySeconds $root.Values.drain.graceSeconds $root.Values.drain.terminationSlackSeconds }}
      {{- with $x.initContainers }}
      initContainers:
        {{- toYaml . | nindent 8 }}
      {{- end }}
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
          {{- if or $x.env $v.secretEnv }}
          env:
            {{- with $x.env }}
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
          {{- with $x.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- /* `probes` merged with the component's: e.g. inference's longer startup
          budget, for loading large models. */}}
          startupProbe:
            httpGet: {path: /healthz, port: metrics}
            {{- toYaml $x.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: metrics}
            {{- toYaml $x.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: metrics}
            {{- toYaml $x.probes.readiness | nindent 12 }}
          {{- with $x.lifecycle }}
          lifecycle:
            {{- toYaml . | nindent 12 }}
          {{- end }}
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
            {{- range .claims }}
            - name: {{ .name }}
              mountPath: {{ .mountPath }}
            {{- end }}
            {{- with $x.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
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
            {{- /* existingConfigMaps: a file's ConfigMap managed outside the chart. */}}
            name: {{ get ($.existingConfigMaps | default dict) . | default (printf "%s-%s" $name .) }}
        {{- end }}
        {{- if $root.Values.tls.enabled }}
        - name: tls
          secret:
            secretName: {{ required "tls.secretName is required when tls.enabled" $root.Values.tls.secretName }}
        {{- end }}
        {{- if and (eq .service "inference") $v.modelVolume.enabled }}
        - name: models
          {{- if and (not $v.modelVolume.existingClaim) (hasKey $v.modelVolume "emptyDir") }}
          # Filled by an init container (initContainers mounting the volume `models`).
          emptyDir:
            {{- toYaml ($v.modelVolume.emptyDir | default dict) | nindent 12 }}
          {{- else }}
          persistentVolumeClaim:
            claimName: {{ required "inference.modelVolume.existingClaim (or modelVolume.emptyDir) is required when inference.modelVolume.enabled" $v.modelVolume.existingClaim }}
            readOnly: true
          {{- end }}
        {{- end }}
        {{- range .claims }}
        - name: {{ .name }}
          persistentVolumeClaim:
            claimName: {{ .claimName }}
        {{- end }}
        {{- with $x.extraVolumes }}
        {{- toYaml . | nindent 8 }}
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
      {{- with $x.topologySpreadConstraints }}
      topologySpreadConstraints:
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
{{- /* Metrics and the front door get Services of their own (templates/_services.tpl), so
publishing one (service.type, orchestrator.frontDoorService.type) publishes nothing else. */}}
{{ include "cascade.metricsService" . }}
{{- if .http }}
{{ include "cascade.frontDoorService" . }}
{{- end }}
{{- /* The headless gRPC Service clients balance over (templates/_load_balancing.tpl). */}}
{{ include "cascade.grpcHeadlessService" . }}
{{- include "cascade.componentServiceAccount" . }}
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
  {{- $queue := $v.autoscaling.queueDepth | default dict }}
  {{- if not (or $v.autoscaling.targetCPUUtilizationPercentage $queue.enabled) }}
  {{- fail (printf "%s: autoscaling needs targetCPUUtilizationPercentage or queueDepth.enabled" .name) }}
  {{- end }}
  metrics:
    {{- with $v.autoscaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- if $queue.enabled }}
    # Requests waiting in the models' queues, per pod: a custom metric that an adapter
    # (prometheus-adapter, KEDA) serves from the pods' /metrics (docs/operations.md#gpu).
    - type: Pods
      pods:
        metric:
          name: {{ $queue.metricName }}
        target:
          type: AverageValue
          averageValue: {{ $queue.averageValue | quote }}
    {{- end }}
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
      cascade/port: metrics
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ $root.Values.serviceMonitor.interval }}
      # Dashboards and rules select by namespace (from discovery) and release; the Service
      # name discovery puts in `service` would clash with our own `service` label.
      relabelings:
        - sourceLabels: [__meta_kubernetes_service_label_app_kubernetes_io_instance]
          targetLabel: release
        - action: labeldrop
          regex: service
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
{{- /* From grpc.*: the server asks clients to reconnect (and so re-resolve the headless
Service, finding new replicas) after this age. A component's config.server may set its own. */ -}}
{{- if not (hasKey $server "max_connection_age") -}}
{{- $_ := set $server "max_connection_age" (include "cascade.seconds" $root.Values.grpc.maxConnectionAgeSeconds) -}}
{{- end -}}
{{- if not (hasKey $server "max_connection_age_grace") -}}
{{- $_ := set $server "max_connection_age_grace" (include "cascade.seconds" $root.Values.grpc.maxConnectionAgeGraceSeconds) -}}
{{- end -}}
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
