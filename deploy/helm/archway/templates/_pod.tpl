{{/* The controller's pod template, the same for both kinds of workload. */}}
{{- define "archway.podTemplate" -}}
metadata:
  labels:
    {{- include "archway.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "archway.serviceAccountName" . }}
  automountServiceAccountToken: true
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .Values.hostNetwork }}
  hostNetwork: true
  {{- end }}
  {{- with include "archway.dnsPolicy" . }}
  dnsPolicy: {{ . }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 101
    runAsGroup: 101
    fsGroup: 101
    seccompProfile:
      type: RuntimeDefault
    {{- with .Values.sysctls }}
    sysctls:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  containers:
    - name: archway
      image: {{ include "archway.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        {{- include "archway.args" . | nindent 8 }}
      env:
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      # With hostNetwork these are the node's ports (the API server sets
      # hostPort to match); hostPort.enabled forwards node ports to them.
      ports:
        - name: http
          containerPort: {{ .Values.containerPorts.http }}
          {{- if .Values.hostPort.enabled }}
          hostPort: {{ .Values.hostPort.ports.http }}
          {{- end }}
          protocol: TCP
        - name: https
          containerPort: {{ .Values.containerPorts.https }}
          {{- if .Values.hostPort.enabled }}
          hostPort: {{ .Values.hostPort.ports.https }}
          {{- end }}
          protocol: TCP
        - name: metrics
          containerPort: {{ .Values.metrics.port }}
          protocol: TCP
        {{- if .Values.admissionWebhook.enabled }}
        - name: webhook
          containerPort: {{ .Values.admissionWebhook.port }}
          protocol: TCP
        {{- end }}
        {{- range include "archway.streamPorts" . | fromJsonArray }}
        - name: {{ .name }}
          containerPort: {{ int .port }}
          {{- if $.Values.hostPort.enabled }}
          hostPort: {{ int .port }}
          {{- end }}
          protocol: {{ .protocol }}
        {{- end }}
      # /healthz answers while archway runs; /readyz once nginx serves a
      # verified config, so a new replica gets traffic only then.
      livenessProbe:
        httpGet:
          path: /healthz
          port: metrics
        initialDelaySeconds: 10
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 5
      readinessProbe:
        httpGet:
          path: /readyz
          port: metrics
        periodSeconds: 5
        timeoutSeconds: 5
        failureThreshold: 3
      lifecycle:
        # Endpoint removal reaches load balancers with a delay; keep
        # serving new connections meanwhile, then drain on SIGTERM.
        preStop:
          sleep:
            seconds: {{ .Values.shutdownDelaySeconds }}
      securityContext:
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        # nginx binds ports below 1024 through the file capability the
        # image gives it, a privilege gain that no_new_privs
        # (allowPrivilegeEscalation: false) refuses. The kernel refuses to
        # run a file whose capability is not in the bounding set at all
        # (EPERM), so NET_BIND_SERVICE stays there even when no_new_privs
        # makes it a capability nginx cannot gain.
        allowPrivilegeEscalation: {{ include "archway.privilegedPorts" . | eq "true" }}
        capabilities:
          drop: [ALL]
          add: [NET_BIND_SERVICE]
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: runtime
          mountPath: {{ .Values.runtimeDir.path }}
        {{- if .Values.admissionWebhook.enabled }}
        # Updated in place on renewal; archway reads it again.
        - name: webhook-cert
          mountPath: {{ include "archway.webhookCertDir" . }}
          readOnly: true
        {{- end }}
  volumes:
    - name: runtime
      emptyDir:
        {{- with .Values.runtimeDir.medium }}
        medium: {{ . }}
        {{- end }}
        {{- with .Values.runtimeDir.sizeLimit }}
        sizeLimit: {{ . }}
        {{- end }}
    {{- if .Values.admissionWebhook.enabled }}
    - name: webhook-cert
      secret:
        secretName: {{ include "archway.webhookName" . }}
        items:
          - {key: tls.crt, path: tls.crt}
          - {key: tls.key, path: tls.key}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- /* A DaemonSet places one pod per node by itself. */}}
  {{- if eq .Values.kind "Deployment" }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    - {{- toYaml (merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" (include "archway.selectorLabels" $ | fromYaml)))) | nindent 6 }}
    {{- end }}
  {{- end }}
  {{- end }}
{{- end -}}
