{{/*
Standard labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
Each manifest adds its own app.kubernetes.io/component after these.
Keep templates within what tests/chart/helmlite.py understands (its docstring lists it).
*/}}
{{- define "polyflow-argo.labels" -}}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: polyflow-argo
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
