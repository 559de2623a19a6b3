{{/*
The chart's name, and the objects' base name: <release>-<name>, or the
release's name when it already holds the chart's name (release "rtsec":
"rtsec", the kustomize base's names).
*/}}
{{- define "rtsec.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rtsec.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "rtsec.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The selector of the exporter's pods. app.kubernetes.io/name is fixed, not
from nameOverride: job="rtsec" comes from it and the mixin's rules select
that job. The instance keeps two releases' pods apart.
*/}}
{{- define "rtsec.selectorLabels" -}}
app.kubernetes.io/name: rtsec
app.kubernetes.io/component: exporter
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The labels of every object the chart renders. */}}
{{- define "rtsec.commonLabels" -}}
app.kubernetes.io/name: rtsec
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels of the exporter's objects. */}}
{{- define "rtsec.labels" -}}
{{ include "rtsec.commonLabels" . }}
app.kubernetes.io/component: exporter
{{- end }}

{{/*
The image: repository, :tag (default the chart's appVersion) and @digest
when given.
*/}}
{{- define "rtsec.image" -}}
{{- $image := printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- with .Values.image.digest }}
{{- $image = printf "%s@%s" $image . }}
{{- end }}
{{- $image }}
{{- end }}

{{/*
Whether a Prometheus Operator object is rendered: its value is true, or
"auto" and the cluster serves monitoring.coreos.com/v1 (helm template:
--api-versions monitoring.coreos.com/v1). Without the operator's CRDs an
install of such an object fails, so none is rendered by default.
Called with (list value .); returns "true" or "".
*/}}
{{- define "rtsec.operatorObject" -}}
{{- $value := index . 0 }}
{{- $ctx := index . 1 }}
{{- if or (eq (toString $value) "true") (and (eq (toString $value) "auto") ($ctx.Capabilities.APIVersions.Has "monitoring.coreos.com/v1")) }}true{{ end }}
{{- end }}

{{/* The headless Service: unless the ServiceMonitor is off or a PodMonitor replaces it. */}}
{{- define "rtsec.service" -}}
{{- if and (ne (toString .Values.serviceMonitor.enabled) "false") (not .Values.podMonitor.enabled) }}true{{ end }}
{{- end }}

{{- define "rtsec.serviceMonitor" -}}
{{- if include "rtsec.service" . }}{{ include "rtsec.operatorObject" (list .Values.serviceMonitor.enabled .) }}{{ end }}
{{- end }}

{{/*
The error of a chart whose files/ symlinks (into the repository's alerts/
and dashboards/) did not resolve: a checkout without symlinks. Called with
what is wrong.
*/}}
{{- define "rtsec.noSymlinks" -}}
{{ . }}: files/ links to the repository's alerts/ and dashboards/, and this checkout has the links as plain files (git config core.symlinks true, then check out again), or install the packaged chart (docs/deploy.md)
{{- end }}
