{{/*
The labels of every exporter object, and the selector of its pods. Fixed,
not from the release: job="rtsec" comes from app.kubernetes.io/name and the
mixin's rules select that job.
*/}}
{{- define "rtsec.labels" -}}
app.kubernetes.io/name: rtsec
app.kubernetes.io/component: exporter
{{- end }}
