{{/*
A component's headless gRPC Service, <componentName>-grpc: no cluster IP, so its DNS name
resolves to the address of every ready pod. Every address the chart fills in is
dns:///<componentName>-grpc:PORT (cascade.grpcAddress), and each client's round_robin
spreads its calls over all of them; servers close connections after
grpc.maxConnectionAgeSeconds, so clients re-resolve and new replicas get calls too.
The component's ordinary Service stays for everything else (and names the certificate).
*/}}
{{- define "cascade.grpcHeadlessService" -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "cascade.grpcServiceName" . }}
  labels:
    {{- include "cascade.labels" . | nindent 4 }}
    cascade/port: grpc-headless
spec:
  type: ClusterIP
  clusterIP: None
  # Pods still starting or draining are left out: readiness fails first on SIGTERM.
  publishNotReadyAddresses: false
  selector:
    {{- include "cascade.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .root.Values.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
{{- end -}}
