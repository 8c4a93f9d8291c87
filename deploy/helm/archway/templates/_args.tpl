{{/* The controller's command-line flags, one quoted YAML list item each. */}}
{{- define "archway.args" -}}
- {{ printf "--ingress-class=%s" .Values.ingressClass.name | quote }}
- {{ printf "--controller-class=%s" .Values.ingressClass.controllerValue | quote }}
- {{ printf "--gateway-controller-name=%s" .Values.gatewayAPI.controllerName | quote }}
{{- if .Values.gatewayAPI.required }}
- "--gateway-api"
{{- end }}
{{- with .Values.gatewayAPI.service }}
- {{ printf "--gateway-service=%s" .mode | quote }}
{{- if eq .mode "per-gateway" }}
- {{ printf "--gateway-port-range=%s" .portRange | quote }}
- {{ printf "--gateway-service-type=%s" .type | quote }}
- {{ printf "--gateway-service-namespace=%s" $.Release.Namespace | quote }}
{{- $selector := list }}
{{- range $key, $value := include "archway.selectorLabels" $ | fromYaml }}
{{- $selector = append $selector (printf "%s=%s" $key $value) }}
{{- end }}
- {{ printf "--gateway-service-selector=%s" (join "," $selector) | quote }}
{{- end }}
{{- end }}
- {{ printf "--configmap=%s/%s" .Release.Namespace (include "archway.fullname" .) | quote }}
{{- with .Values.watchNamespace }}
- {{ printf "--watch-namespace=%s" . | quote }}
{{- end }}
{{- with .Values.defaultSSLCertificate }}
- {{ printf "--default-ssl-certificate=%s" . | quote }}
{{- end }}
{{- if .Values.watchIngressWithoutClass }}
- "--watch-ingress-without-class"
{{- end }}
- {{ printf "--update-status=%t" .Values.updateStatus | quote }}
{{- if .Values.publishService.enabled }}
{{- if not (or .Values.service.enabled .Values.publishService.pathOverride) }}
{{- fail "publishService.enabled publishes the release's Service: turn on service.enabled, set publishService.pathOverride, or publish fixed addresses (publishStatusAddress)" }}
{{- end }}
- {{ printf "--publish-service=%s" (default (printf "%s/%s" .Release.Namespace (include "archway.fullname" .)) .Values.publishService.pathOverride) | quote }}
{{- else if .Values.publishStatusAddress }}
- {{ printf "--publish-status-address=%s" (join "," .Values.publishStatusAddress) | quote }}
{{- end }}
- {{ printf "--election-id=%s" (include "archway.electionID" .) | quote }}
- {{ printf "--http-port=%d" (int .Values.containerPorts.http) | quote }}
- {{ printf "--https-port=%d" (int .Values.containerPorts.https) | quote }}
- {{ printf "--metrics-address=:%d" (int .Values.metrics.port) | quote }}
- {{ printf "--runtime-dir=%s" .Values.runtimeDir.path | quote }}
{{- with .Values.limits }}
{{- range $flag, $value := dict "max-paths-per-ingress" .pathsPerIngress "max-paths-per-namespace" .pathsPerNamespace "max-hosts-per-namespace" .hostsPerNamespace }}
{{- if not (kindIs "invalid" $value) }}
- {{ printf "--%s=%d" $flag (int $value) | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.admissionWebhook.enabled }}
- {{ printf "--webhook-address=:%d" (int .Values.admissionWebhook.port) | quote }}
- {{ printf "--webhook-cert-file=%s/tls.crt" (include "archway.webhookCertDir" .) | quote }}
- {{ printf "--webhook-key-file=%s/tls.key" (include "archway.webhookCertDir" .) | quote }}
{{- end }}
{{- range $protocol, $services := dict "tcp" .Values.tcp "udp" .Values.udp }}
{{- if $services }}
- {{ printf "--%s-services-configmap=%s/%s-%s" $protocol $.Release.Namespace (include "archway.fullname" $) $protocol | quote }}
{{- end }}
{{- end }}
{{- if .Values.sslPassthrough }}
- "--enable-ssl-passthrough"
{{- end }}
{{- range $flag, $value := .Values.extraArgs }}
- {{ printf "--%s=%v" $flag $value | quote }}
{{- end }}
{{- end -}}
