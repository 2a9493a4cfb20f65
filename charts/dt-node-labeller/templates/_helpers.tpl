{{/* Chart name, overridable. */}}
{{- define "dt-node-labeller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object name prefix: "<release>-<chart>", or the release name alone when it already contains the chart name. */}}
{{- define "dt-node-labeller.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-<suffix>", still within 63 characters. Call with (list $ "suffix"). */}}
{{- define "dt-node-labeller.suffixedName" -}}
{{- $suffix := index . 1 }}
{{- printf "%s-%s" (include "dt-node-labeller.fullname" (index . 0) | trunc (int (sub 62 (len $suffix)))) $suffix | trimSuffix "-" }}
{{- end }}

{{- define "dt-node-labeller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dt-node-labeller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dt-node-labeller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels for every object; add app.kubernetes.io/component where it helps tell objects apart. */}}
{{- define "dt-node-labeller.labels" -}}
helm.sh/chart: {{ include "dt-node-labeller.chart" . }}
{{ include "dt-node-labeller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dt-node-labeller
{{- end }}

{{- define "dt-node-labeller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dt-node-labeller.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "dt-node-labeller.cleanupServiceAccountName" -}}
{{- include "dt-node-labeller.suffixedName" (list . "cleanup") }}
{{- end }}

{{- define "dt-node-labeller.testServiceAccountName" -}}
{{- include "dt-node-labeller.suffixedName" (list . "test") }}
{{- end }}

{{/* The labeller image, by digest when one is given. */}}
{{- define "dt-node-labeller.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "dt-node-labeller.eventNamespace" -}}
{{- default .Release.Namespace .Values.events.namespace }}
{{- end }}

{{- define "dt-node-labeller.nodeFeatureNamespace" -}}
{{- default .Release.Namespace .Values.nfd.nodeFeature.namespace }}
{{- end }}

{{/*
Where the labels go: "node" (patch the Node), "featuresFile" (NFD's local feature file; no API access at all) or
"nodeFeature" (an NFD NodeFeature object; no Node access). The CLI refuses both NFD flags at once.
*/}}
{{- define "dt-node-labeller.mode" -}}
{{- if and .Values.nfd.featuresFile.enabled .Values.nfd.nodeFeature.enabled }}
{{- fail "nfd.featuresFile.enabled and nfd.nodeFeature.enabled are alternatives: enable at most one" }}
{{- else if .Values.nfd.featuresFile.enabled }}featuresFile
{{- else if .Values.nfd.nodeFeature.enabled }}nodeFeature
{{- else }}node
{{- end }}
{{- end }}

{{/* Whether the ValidatingAdmissionPolicy is rendered: wanted, Node-patching mode, and the API server has it and puts node names in service-account tokens (1.30+). */}}
{{- define "dt-node-labeller.admissionPolicyEnabled" -}}
{{- if and .Values.admissionPolicy.enabled (eq (include "dt-node-labeller.mode" .) "node") (.Capabilities.APIVersions.Has "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy") (semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version) }}true{{- end }}
{{- end }}

{{/* Whether prometheus-operator's API is there. */}}
{{- define "dt-node-labeller.hasMonitoringApi" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}true{{- end }}
{{- end }}

{{/* Container securityContext shared by every pod of the chart, for (list $ uid); uid 0 means root. Never privileged. */}}
{{- define "dt-node-labeller.containerSecurityContext" -}}
{{- $uid := int (index . 1) -}}
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
runAsUser: {{ $uid }}
runAsGroup: {{ $uid }}
runAsNonRoot: {{ ne $uid 0 }}
{{- end }}
