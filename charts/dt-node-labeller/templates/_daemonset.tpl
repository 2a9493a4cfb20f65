{{/*
One labeller DaemonSet, for (dict "root" $ "variant" V) with V from dt-node-labeller.variants. Every DaemonSet of
the chart is this one template: a variant adds its node-affinity requirements and, where it says so, the L4T
release file (l4t) or the KubeEdge settings (edge); nothing else differs.
*/}}
{{- define "dt-node-labeller.daemonSet" -}}
{{- $root := .root }}
{{- $v := .variant }}
{{- $values := $root.Values }}
{{- $nonRoot := $values.security.runAsNonRoot }}
{{- $mode := include "dt-node-labeller.mode" $root }}
{{- $nfdFile := $values.nfd.featuresFile }}
{{- $kubeedge := $values.kubeedge }}
{{- /* MetaServer without authorization listens on the node's loopback only, with no authentication. */}}
{{- $hostNetwork := and $v.edge (not $kubeedge.requireAuthorization) }}
{{- $port := ternary $kubeedge.metricsPort $values.metrics.port $hostNetwork }}
{{- $affinity := dict }}
{{- $_ := include "dt-node-labeller.affinityInto" (list $root $v.alternatives $affinity) }}
{{- $nodeSelector := merge (deepCopy $values.nodeSelector) (dict "kubernetes.io/os" "linux") }}
{{- $tolerations := $values.tolerations | default (list) }}
{{- if $v.edge }}
{{- $edgeToleration := dict "key" (include "dt-node-labeller.edgeRoleKey" $root) "operator" "Exists" "effect" "NoSchedule" }}
{{- if not (has $edgeToleration $tolerations) }}
{{- $tolerations = append $tolerations $edgeToleration }}
{{- end }}
{{- end }}
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ ternary (include "dt-node-labeller.fullname" $root) (include "dt-node-labeller.suffixedName" (list $root $v.suffix)) (eq $v.suffix "") }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "dt-node-labeller.labels" $root | nindent 4 }}
    app.kubernetes.io/component: labeller
    dt-node-labeller/variant: {{ $v.name }}
spec:
  # The variant label keeps the selectors of the chart's DaemonSets apart; the Service, the monitors and the
  # helm test select every labeller pod by app.kubernetes.io/component alone.
  selector:
    matchLabels:
      {{- include "dt-node-labeller.selectorLabels" $root | nindent 6 }}
      app.kubernetes.io/component: labeller
      dt-node-labeller/variant: {{ $v.name }}
  updateStrategy:
    {{- toYaml $values.updateStrategy | nindent 4 }}
  revisionHistoryLimit: {{ $values.revisionHistoryLimit }}
  template:
    metadata:
      labels:
        {{- include "dt-node-labeller.labels" $root | nindent 8 }}
        app.kubernetes.io/component: labeller
        dt-node-labeller/variant: {{ $v.name }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "dt-node-labeller.serviceAccountName" $root }}
      {{- if eq $mode "featuresFile" }}
      # Writing NFD's feature file needs no API access.
      automountServiceAccountToken: false
      {{- else if $hostNetwork }}
      # MetaServer without requireAuthorization takes no credentials: no token to mount.
      automountServiceAccountToken: false
      {{- else }}
      automountServiceAccountToken: true
      {{- end }}
      {{- if $hostNetwork }}
      # MetaServer listens on the edge node's 127.0.0.1 (KubeEdge's default), reachable only from its network namespace.
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      {{- end }}
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      {{- with $values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: {{ $nonRoot }}
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: labeller
          image: {{ include "dt-node-labeller.image" $root }}
          imagePullPolicy: {{ $values.image.pullPolicy }}
          args:
            - run
            # Also as non-root: the 0400 blob is then unreadable, so the labeller reads the world-readable expanded
            # tree under the same root (and, in the -l4t pods, the release file).
            - --host-root=/host
            {{- range include "dt-node-labeller.instanceArgs" $root | fromJsonArray }}
            - {{ . }}
            {{- end }}
            {{- if not $values.tegra.facts }}
            - --no-tegra-facts
            {{- else }}
            {{- if $values.tegra.nvidiaGpuPresent }}
            - --nvidia-gpu-present
            {{- end }}
            {{- if $values.tegra.gfdLabels }}
            - --nvidia-gfd-labels
            {{- end }}
            {{- end }}
            {{- with $values.labeller.nodes }}
            - --nodes={{ join "," . }}
            {{- end }}
            {{- if $values.labeller.includeDisabled }}
            - --include-disabled
            {{- end }}
            {{- with $values.labeller.rereadInterval }}
            - --reread-interval={{ . }}
            {{- end }}
            - --resync-interval={{ $values.labeller.resyncInterval }}
            - --metrics-address=:{{ $port }}
            - --log-format={{ $values.labeller.logFormat }}
            - --log-level={{ $values.labeller.logLevel }}
            {{- if and $v.edge $kubeedge.requireAuthorization }}
            # MetaServer's HTTPS on the dummy interface: its certificate chains to the cluster CA the pod has.
            - --api-server=https://{{ $kubeedge.metaServer.dummyAddress }}
            {{- else if $v.edge }}
            - --api-server=http://{{ $kubeedge.metaServer.address }}
            {{- end }}
            {{- if eq $mode "featuresFile" }}
            - --nfd-features-file=/nfd/features.d/{{ $nfdFile.fileName }}
            {{- else if eq $mode "nodeFeature" }}
            - --publish-nodefeature
            - --nodefeature-namespace={{ include "dt-node-labeller.nodeFeatureNamespace" $root }}
            {{- else }}
            {{- if not $values.events.enabled }}
            - --no-events
            {{- end }}
            {{- if $values.labeller.adoptExisting }}
            - --adopt-existing
            {{- end }}
            {{- end }}
            {{- range $values.labeller.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          env:
            - name: NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            {{- with $values.labeller.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            # With hostNetwork this is a port of the node itself (kubeedge.metricsPort).
            - name: metrics
              containerPort: {{ $port }}
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /healthz
              port: metrics
            {{- toYaml $values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: metrics
            {{- toYaml $values.probes.readiness | nindent 12 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- include "dt-node-labeller.containerSecurityContext" (list $root (ternary $values.security.nonRootUser 0 $nonRoot)) | nindent 12 }}
          volumeMounts:
            # /sys/firmware inside the container is masked by the runtime; the host's copy is mounted beside it.
            - name: host-firmware
              mountPath: /host/sys/firmware
              readOnly: true
            {{- if $v.l4t }}
            - name: l4t-release
              mountPath: /host/etc/nv_tegra_release
              readOnly: true
            {{- end }}
            {{- if eq $mode "featuresFile" }}
            - name: nfd-features
              mountPath: /nfd/features.d
            {{- end }}
      volumes:
        - name: host-firmware
          hostPath:
            path: /sys/firmware
            type: Directory
        {{- if $v.l4t }}
        # Only on nodes labelled l4t.devicetree=true (see tegra.l4tRelease): type File fails pod start where the
        # file is missing rather than creating anything on the host.
        - name: l4t-release
          hostPath:
            path: /etc/nv_tegra_release
            type: File
        {{- end }}
        {{- if eq $mode "featuresFile" }}
        - name: nfd-features
          hostPath:
            path: {{ $nfdFile.hostPath }}
            type: DirectoryOrCreate
        {{- end }}
      nodeSelector:
        {{- toYaml $nodeSelector | nindent 8 }}
      {{- with $affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
