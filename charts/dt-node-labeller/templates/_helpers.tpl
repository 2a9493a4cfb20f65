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

{{/* The Jetson facts' key prefix, as the CLI defaults --tegra-prefix: tegra.<prefix>. */}}
{{- define "dt-node-labeller.tegraPrefix" -}}
{{- default (printf "tegra.%s" .Values.labeller.prefix) .Values.tegra.prefix }}
{{- end }}

{{/* The instance's ownership annotation, as the CLI names it: [<instance>.]dt-node-labeller.<prefix>/owned-labels. */}}
{{- define "dt-node-labeller.ownershipAnnotation" -}}
{{- with .Values.labeller.instance }}{{ . }}.{{ end }}dt-node-labeller.{{ .Values.labeller.prefix }}/owned-labels
{{- end }}

{{/* The flags naming the labeller instance (JSON list), shared by `run` and the cleanup hook so both mean the same one. */}}
{{- define "dt-node-labeller.instanceArgs" -}}
{{- $args := list (printf "--prefix=%s" .Values.labeller.prefix) }}
{{- with .Values.tegra.prefix }}{{ $args = append $args (printf "--tegra-prefix=%s" .) }}{{ end }}
{{- with .Values.labeller.instance }}{{ $args = append $args (printf "--instance=%s" .) }}{{ end }}
{{- toJson $args }}
{{- end }}

{{/* Combinations the schema cannot see, refused with the reason (the CLI would refuse them at start). */}}
{{- define "dt-node-labeller.checkValues" -}}
{{- if and .Values.tegra.facts (eq (include "dt-node-labeller.tegraPrefix" .) .Values.labeller.prefix) }}
{{- fail "tegra.prefix must differ from labeller.prefix, or fact keys could collide with compatible-derived keys" }}
{{- end }}
{{- if and .Values.tegra.nvidiaGpuPresent (not .Values.tegra.facts) }}
{{- fail "tegra.nvidiaGpuPresent needs tegra.facts: the GPU is found by the Jetson facts" }}
{{- end }}
{{- if and .Values.tegra.gfdLabels (not .Values.tegra.facts) }}
{{- fail "tegra.gfdLabels needs tegra.facts: the GPU is found by the Jetson facts" }}
{{- end }}
{{- if and .Values.kubeedge.enabled (eq (include "dt-node-labeller.mode" .) "featuresFile") }}
{{- fail "kubeedge.enabled is for the modes that talk to the API server: nfd.featuresFile needs no API access and runs on edge nodes as it is" }}
{{- end }}
{{- end }}

{{/* The role label every KubeEdge edge node carries (its docs require it; edged registers nodes with it), and the key of keadm's edge taint. */}}
{{- define "dt-node-labeller.edgeRoleKey" -}}node-role.kubernetes.io/edge{{- end }}

{{/*
The labeller DaemonSets (JSON list): main, plus <fullname>-l4t when the L4T release file is wanted (see tegra in
values.yaml), each doubled into an -edge variant with kubeedge.enabled. A variant is a name and its required
node-affinity "alternatives": lists of expressions, each ANDed into the terms, the lists ORed (a copy of every
term per list). They keep the variants on disjoint sets of nodes: main requires l4t.devicetree absent and the
SoC not among tegra.l4tRelease.socs; -l4t requires either.
*/}}
{{- define "dt-node-labeller.variants" -}}
{{- $tegraPrefix := include "dt-node-labeller.tegraPrefix" . }}
{{- $l4tKey := printf "%s/l4t.devicetree" $tegraPrefix }}
{{- $socKey := printf "%s/soc" $tegraPrefix }}
{{- $socs := .Values.tegra.l4tRelease.socs | default (list) }}
{{- $edgeKey := include "dt-node-labeller.edgeRoleKey" . }}
{{- $split := and .Values.tegra.facts .Values.tegra.l4tRelease.enabled }}
{{- $kubeedge := .Values.kubeedge.enabled }}
{{- $variants := list }}
{{- range $edge := ternary (list false true) (list false) $kubeedge }}
{{- range $l4t := ternary (list false true) (list false) $split }}
{{- $base := list }}
{{- if $kubeedge }}
{{- $base = append $base (dict "key" $edgeKey "operator" (ternary "Exists" "DoesNotExist" $edge)) }}
{{- end }}
{{- $alternatives := list $base }}
{{- if and $split $l4t }}
{{- $alternatives = list (append $base (dict "key" $l4tKey "operator" "In" "values" (list "true"))) }}
{{- with $socs }}{{ $alternatives = append $alternatives (append $base (dict "key" $socKey "operator" "In" "values" .)) }}{{ end }}
{{- else if $split }}
{{- $main := append $base (dict "key" $l4tKey "operator" "DoesNotExist") }}
{{- with $socs }}{{ $main = append $main (dict "key" $socKey "operator" "NotIn" "values" .) }}{{ end }}
{{- $alternatives = list $main }}
{{- end }}
{{- $name := join "-" (compact (list (ternary "edge" "" $edge) (ternary "l4t" "" $l4t))) }}
{{- $variants = append $variants (dict "name" (default "main" $name) "suffix" $name "edge" $edge "l4t" $l4t "alternatives" $alternatives) }}
{{- end }}
{{- end }}
{{- toJson $variants }}
{{- end }}

{{/*
Pod affinity for (list $ ALTERNATIVES OUT), written into the dict OUT: the values' affinity, whose nodeAffinity
defaults to the architectures rule, with each list of ALTERNATIVES added to a copy of every required
nodeSelectorTerm. Terms are ORed and the expressions inside one are ANDed, so only a copy in each term holds for
every node the pod may run on.
*/}}
{{- define "dt-node-labeller.affinityInto" -}}
{{- $root := index . 0 }}
{{- $alternatives := index . 1 }}
{{- $out := index . 2 }}
{{- $affinity := deepCopy $root.Values.affinity }}
{{- $nodeAffinity := dict }}
{{- if $affinity.nodeAffinity }}
{{- $nodeAffinity = $affinity.nodeAffinity }}
{{- else if $root.Values.architectures }}
{{- $archTerm := dict "matchExpressions" (list (dict "key" "kubernetes.io/arch" "operator" "In" "values" $root.Values.architectures)) }}
{{- $_ := set $nodeAffinity "requiredDuringSchedulingIgnoredDuringExecution" (dict "nodeSelectorTerms" (list $archTerm)) }}
{{- end }}
{{- if ne (toJson $alternatives) "[[]]" }}
{{- $required := get $nodeAffinity "requiredDuringSchedulingIgnoredDuringExecution" | default (dict) }}
{{- $terms := get $required "nodeSelectorTerms" | default (list (dict)) }}
{{- $anded := list }}
{{- range $terms }}
{{- $term := . }}
{{- range $extra := $alternatives }}
{{- $copy := deepCopy $term }}
{{- $_ := set $copy "matchExpressions" (concat (get $copy "matchExpressions" | default (list)) $extra) }}
{{- $anded = append $anded $copy }}
{{- end }}
{{- end }}
{{- $_ := set $required "nodeSelectorTerms" $anded }}
{{- $_ := set $nodeAffinity "requiredDuringSchedulingIgnoredDuringExecution" $required }}
{{- end }}
{{- if $nodeAffinity }}
{{- $_ := set $affinity "nodeAffinity" $nodeAffinity }}
{{- end }}
{{- range $key, $value := $affinity }}
{{- $_ := set $out $key $value }}
{{- end }}
{{- end }}
