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
{{- $privileged := or (lt (int .Values.containerPorts.http) 1024) (lt (int .Values.containerPorts.https) 1024) -}}
{{- range include "archway.streamPorts" . | fromJsonArray -}}
{{- $privileged = or $privileged (lt (int .port) 1024) -}}
{{- end -}}
{{- if $privileged -}}
true
{{- end -}}
{{- end -}}

{{/* The ports of the TCP and UDP services (values tcp and udp), as a JSON
list of {name, port, protocol}. A key that is no port fails the render, and
so does a TCP port the release uses already: archway would refuse the
entry (StreamPortConflict), and the pod's or the Service's ports would
clash. */}}
{{- define "archway.streamPorts" -}}
{{- $taken := dict (toString .Values.containerPorts.http) "containerPorts.http" (toString .Values.containerPorts.https) "containerPorts.https" (toString .Values.metrics.port) "metrics.port" -}}
{{- if .Values.admissionWebhook.enabled -}}
{{- $_ := set $taken (toString .Values.admissionWebhook.port) "admissionWebhook.port" -}}
{{- end -}}
{{- if .Values.service.enabled -}}
{{- $_ := set $taken (toString .Values.service.ports.http) "service.ports.http" -}}
{{- $_ := set $taken (toString .Values.service.ports.https) "service.ports.https" -}}
{{- end -}}
{{- if .Values.hostPort.enabled -}}
{{- $_ := set $taken (toString .Values.hostPort.ports.http) "hostPort.ports.http" -}}
{{- $_ := set $taken (toString .Values.hostPort.ports.https) "hostPort.ports.https" -}}
{{- end -}}
{{- $ports := list -}}
{{- range $protocol, $services := dict "tcp" .Values.tcp "udp" .Values.udp -}}
{{- range $port, $target := $services -}}
{{- if or (not (regexMatch "^[1-9][0-9]{0,4}$" $port)) (gt (atoi $port) 65535) -}}
{{- fail (printf "%s: key %q is no port from 1 to 65535" $protocol $port) -}}
{{- end -}}
{{- if and (eq $protocol "tcp") (hasKey $taken $port) -}}
{{- fail (printf "tcp.%s: port %s is %s already" $port $port (get $taken $port)) -}}
{{- end -}}
{{- $ports = append $ports (dict "name" (printf "%s-%s" $port $protocol) "port" (atoi $port) "protocol" (upper $protocol)) -}}
{{- end -}}
{{- end -}}
{{- toJson $ports -}}
{{- end -}}

{{/* The workload kind, once the values that depend on it agree. */}}
{{- define "archway.kind" -}}
{{- if not (has .Values.kind (list "Deployment" "DaemonSet")) -}}
{{- fail (printf "kind must be Deployment or DaemonSet, not %q" .Values.kind) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (ne .Values.kind "Deployment") -}}
{{- fail "autoscaling.enabled needs kind: Deployment (a DaemonSet runs one pod per node)" -}}
{{- end -}}
{{- if and .Values.hostNetwork .Values.hostPort.enabled -}}
{{- fail "hostPort.enabled and hostNetwork exclude each other: with hostNetwork, containerPorts are the node's ports" -}}
{{- end -}}
{{- if and .Values.hostNetwork .Values.networkPolicy.enabled -}}
{{- fail "networkPolicy.enabled has no effect on hostNetwork pods: filter the node's ports with the node's firewall instead" -}}
{{- end -}}
{{- .Values.kind -}}
{{- end -}}

{{/* "true" when the pod takes ports of its node (hostNetwork or hostPort),
so that two of the release's pods never run on one node. */}}
{{- define "archway.usesNodePorts" -}}
{{- if or .Values.hostNetwork .Values.hostPort.enabled -}}
true
{{- end -}}
{{- end -}}

{{/* A hostNetwork pod resolves with the node's resolv.conf unless told
otherwise; archway must still resolve cluster names. */}}
{{- define "archway.dnsPolicy" -}}
{{- if .Values.dnsPolicy -}}
{{- .Values.dnsPolicy -}}
{{- else if .Values.hostNetwork -}}
ClusterFirstWithHostNet
{{- end -}}
{{- end -}}

{{/* How a rollout replaces a pod. */}}
{{- define "archway.rollingUpdate" -}}
{{- if include "archway.usesNodePorts" . -}}
# The node's ports stay taken until the old pod stops: a new pod beside it
# would never start.
maxUnavailable: 1
maxSurge: 0
{{- else -}}
# A new pod serves before an old one stops.
maxUnavailable: 0
maxSurge: 1
{{- end -}}
{{- end -}}

{{/* Name of the admission webhook's Service, Secret and Certificate. */}}
{{- define "archway.webhookName" -}}
{{- printf "%s-webhook" (include "archway.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The DNS names the API server may call the webhook Service by. */}}
{{- define "archway.webhookHosts" -}}
{{- $name := include "archway.webhookName" . -}}
{{- list $name (printf "%s.%s" $name .Release.Namespace) (printf "%s.%s.svc" $name .Release.Namespace) | toJson -}}
{{- end -}}

{{/* Where the pod mounts the webhook's certificate Secret. */}}
{{- define "archway.webhookCertDir" -}}
/etc/archway/webhook
{{- end -}}
