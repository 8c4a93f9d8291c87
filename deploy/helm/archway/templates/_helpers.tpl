{{/* Object name prefix: "<release>-<chart>", or the release alone when it
already holds the chart name. Kubernetes names are at most 63 characters
for Services and labels. */}}
{{- define "archway.fullname" -}}
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

{{/* Cluster-scoped objects carry the namespace too, so that equal release
names in two namespaces do not collide. */}}
{{- define "archway.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "archway.fullname" .) | trunc 253 | trimSuffix "-" -}}
{{- end -}}

{{- define "archway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "archway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "archway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "archway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "archway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "archway.serviceAccountName" -}}
{{- default (include "archway.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "archway.electionID" -}}
{{- default (printf "%s-leader" (include "archway.fullname" .)) .Values.electionID -}}
{{- end -}}

{{- define "archway.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* "true" when nginx listens on a port below 1024 and so needs
NET_BIND_SERVICE. */}}
{{- define "archway.privilegedPorts" -}}
{{- if or (lt (int .Values.containerPorts.http) 1024) (lt (int .Values.containerPorts.https) 1024) -}}
true
{{- end -}}
{{- end -}}
