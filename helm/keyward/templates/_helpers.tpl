{{/* The release's full name, at most 63 characters. */}}
{{- define "keyward.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "keyward.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "keyward.labels" -}}
{{ include "keyward.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "keyward.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "keyward.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "keyward.leaderElection" -}}
{{- if gt (int .Values.replicas) 1 -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/* config.operator.watchNamespaces as a JSON list without empty or repeated names. */}}
{{- define "keyward.watchedNamespaces" -}}
{{- splitList "," (.Values.config.operator.watchNamespaces | default "") | compact | uniq | toJson -}}
{{- end -}}

{{/* What the operator does on the cluster-scoped ApiUsers: watched, a TOTP code taken off by
update, status (the slot ledger, MFA state) written. */}}
{{- define "keyward.userRules" -}}
- apiGroups: ["keyward.io"]
  resources: ["apiusers"]
  verbs: ["get", "list", "watch", "update"]
- apiGroups: ["keyward.io"]
  resources: ["apiusers/status"]
  verbs: ["update"]
{{- end -}}

{{/* What the operator does in a namespace of ApiKeys: in a ClusterRole when it watches all
namespaces, in a Role of each watched namespace otherwise. */}}
{{- define "keyward.keyRules" -}}
# The ApiKeys: watched, finalizer patched, a TOTP code taken off by update, status written.
- apiGroups: ["keyward.io"]
  resources: ["apikeys"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["keyward.io"]
  resources: ["apikeys/status"]
  verbs: ["update"]
# Key Secrets (and, watching all namespaces, the TOTP enrolment Secrets of its own). Watches are
# narrowed to Keyward's label by the operator; RBAC cannot narrow by label.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
# A key whose Secret vanished is issued again only if its namespace is not being deleted. In a
# Role, this grants reading that one Namespace object.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "get", "patch"]
# spec.rolloutRestart: each workload is read (does it consent?), then the pod-template annotation
# `kubectl rollout restart` sets is patched.
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets", "daemonsets"]
  verbs: ["get", "patch"]
{{- end -}}

{{- define "keyward.verifier.fullname" -}}
{{- printf "%s-verifier" (include "keyward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keyward.verifier.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}-verifier
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "keyward.verifier.labels" -}}
{{ include "keyward.verifier.selectorLabels" . }}
app.kubernetes.io/component: verifier
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* verifier.config.watchNamespaces as a JSON list without empty or repeated names. */}}
{{- define "keyward.verifier.watchedNamespaces" -}}
{{- splitList "," (.Values.verifier.config.watchNamespaces | default "") | compact | uniq | toJson -}}
{{- end -}}

{{/* What the verifier reads in a namespace of keys, and the one thing it writes: a key's
last use (status.lastUsedAt, by merge patch). Never a write on Secrets. */}}
{{- define "keyward.verifier.keyRules" -}}
# get: fabric8 reads the ApiKey before it sends the status patch.
- apiGroups: ["keyward.io"]
  resources: ["apikeys"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["keyward.io"]
  resources: ["apikeys/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["list", "watch"]
{{- end -}}

{{/* The admission webhook's names: the ValidatingWebhookConfiguration is the release's full
name, its Service and the Secret of its serving certificate are named after it. */}}
{{- define "keyward.webhook.configurationName" -}}
{{- include "keyward.fullname" . -}}
{{- end -}}

{{- define "keyward.webhook.serviceName" -}}
{{- printf "%s-webhook" (include "keyward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keyward.webhook.secretName" -}}
{{- printf "%s-webhook-tls" (include "keyward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The serving Certificate (CertManager mode), the object cert-manager's CA injector reads. */}}
{{- define "keyward.webhook.certificateName" -}}
{{- include "keyward.webhook.serviceName" . -}}
{{- end -}}

{{/* On clusters with matchConditions (1.28 and later) an UPDATE skips objects being deleted, so
the update webhook may fail closed; before, a down webhook would wedge finalizer removal. */}}
{{- define "keyward.webhook.matchConditions" -}}
{{- if semverCompare ">=1.28-0" .Capabilities.KubeVersion.Version -}}true{{- end -}}
{{- end -}}

{{/* What the three webhooks share: the Service, the API server's timeout, no side effects. */}}
{{- define "keyward.webhook.endpoint" -}}
clientConfig:
  service:
    name: {{ include "keyward.webhook.serviceName" . }}
    namespace: {{ .Release.Namespace }}
    port: 443
    path: /validate
sideEffects: None
admissionReviewVersions: ["v1"]
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
{{- end -}}
