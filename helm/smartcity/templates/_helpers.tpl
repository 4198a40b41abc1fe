{{/* The release's name prefix for every object. */}}
{{- define "smartcity.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A service's object name: <fullname>-<service>. Arg: dict root name. */}}
{{- define "smartcity.serviceName" -}}
{{- printf "%s-%s" (include "smartcity.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "smartcity.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/part-of: smartcity
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "smartcity.selectorLabels" . }}
{{- end -}}

{{/* Labels that pick one component's pods. Arg: dict root name. */}}
{{- define "smartcity.selectorLabels" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "smartcity.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The service class to run, by the repository's convention <name>.service:<Name>Service. */}}
{{- define "smartcity.module" -}}
{{- default (printf "%s.service:%sService" .name (.name | title)) .svc.module -}}
{{- end -}}

{{/* A bundled chart's object name, as Bitnami's and InfluxData's charts name it.
     Arg: dict root chart values. */}}
{{- define "smartcity.dependencyName" -}}
{{- if .values.fullnameOverride -}}
{{- .values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .chart .values.nameOverride -}}
{{- if contains $name .root.Release.Name -}}
{{- .root.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .root.Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "smartcity.amqpUri" -}}
{{- if .Values.rabbitmq.enabled -}}
{{- $host := include "smartcity.dependencyName" (dict "root" . "chart" "rabbitmq" "values" .Values.rabbitmq) -}}
{{- printf "amqp://%s:%s@%s:5672/" (.Values.rabbitmq.auth.username | urlquery) (required "rabbitmq.auth.password is required when rabbitmq.enabled: the services' AMQP_URI embeds it" .Values.rabbitmq.auth.password | urlquery) $host -}}
{{- else -}}
{{- required "external.rabbitmq.uri is required when rabbitmq.enabled is false" .Values.external.rabbitmq.uri -}}
{{- end -}}
{{- end -}}

{{- define "smartcity.eventStoreUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- $host := include "smartcity.dependencyName" (dict "root" . "chart" "postgresql" "values" .Values.postgresql) -}}
{{- $auth := .Values.postgresql.auth -}}
{{- printf "postgresql://%s:%s@%s:5432/%s" ($auth.username | urlquery) (required "postgresql.auth.password is required when postgresql.enabled: the services' EVENT_STORE_URL embeds it" $auth.password | urlquery) $host $auth.database -}}
{{- else -}}
{{- required "external.postgresql.url is required when postgresql.enabled is false" .Values.external.postgresql.url -}}
{{- end -}}
{{- end -}}

{{/* InfluxDB endpoint as a dict url token org bucket; url "" means the embedded store. */}}
{{- define "smartcity.influx" -}}
{{- if .Values.influxdb2.enabled -}}
{{- $host := include "smartcity.dependencyName" (dict "root" . "chart" "influxdb2" "values" .Values.influxdb2) -}}
{{- $admin := .Values.influxdb2.adminUser -}}
{{- dict "url" (printf "http://%s:80" $host) "token" (required "influxdb2.adminUser.token is required when influxdb2.enabled: the sensors service authenticates with it" $admin.token) "org" $admin.organization "bucket" $admin.bucket | toJson -}}
{{- else -}}
{{- $ext := .Values.external.influxdb -}}
{{- dict "url" $ext.url "token" $ext.token "org" $ext.org "bucket" $ext.bucket | toJson -}}
{{- end -}}
{{- end -}}

{{- define "smartcity.identityTarget" -}}
{{- $identity := required "services.identity is required: every service calls it" .Values.services.identity -}}
{{- printf "%s:%v" (include "smartcity.serviceName" (dict "root" . "name" "identity")) $identity.grpcPort -}}
{{- end -}}

{{/* Non-secret settings of a service (ConfigMap data) as JSON. Arg: dict root name svc. */}}
{{- define "smartcity.serviceConfig" -}}
{{- $root := .root -}}
{{- $data := merge (dict) (deepCopy (default (dict) .svc.config)) (deepCopy $root.Values.config) -}}
{{- $_ := set $data "IDENTITY_GRPC_TARGET" (include "smartcity.identityTarget" $root) -}}
{{- if has "influxdb" .svc.uses -}}
{{- $influx := include "smartcity.influx" $root | fromJson -}}
{{- $_ := set $data "INFLUX_URL" $influx.url -}}
{{- $_ := set $data "INFLUX_ORG" $influx.org -}}
{{- $_ := set $data "INFLUX_BUCKET" $influx.bucket -}}
{{- end -}}
{{- toJson $data -}}
{{- end -}}

{{/* Machine credentials identity accepts: each service by its clientSecret, the
     simulator's machines, then what values add. */}}
{{- define "smartcity.machineCredentials" -}}
{{- $entries := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc.enabled $svc.clientSecret (ne $name "identity") -}}
{{- $entries = append $entries (printf "%s=%s" $name (sha256sum $svc.clientSecret)) -}}
{{- end -}}
{{- end -}}
{{- with .Values.simulator -}}
{{- if and .enabled .clientSecret -}}
{{- $entries = append $entries (printf "%s=%s" .clientId (sha256sum .clientSecret)) -}}
{{- end -}}
{{- if and .enabled .operatorClientSecret -}}
{{- $entries = append $entries (printf "%s=%s+ioc_operator" .operatorClientId (sha256sum .operatorClientSecret)) -}}
{{- end -}}
{{- end -}}
{{- with (.Values.services.identity.secrets | default dict).MACHINE_CREDENTIALS -}}
{{- $entries = append $entries . -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}

{{/* Secret settings of a service (Secret stringData) as JSON. Arg: dict root name svc. */}}
{{- define "smartcity.serviceSecrets" -}}
{{- $root := .root -}}
{{- $data := merge (dict) (deepCopy (default (dict) .svc.secrets)) (deepCopy $root.Values.secrets) -}}
{{- $_ := set $data "AMQP_URI" (include "smartcity.amqpUri" $root) -}}
{{- $_ := set $data "EVENT_STORE_URL" (include "smartcity.eventStoreUrl" $root) -}}
{{- $_ := set $data "SERVICE_CLIENT_SECRET" (default "" .svc.clientSecret) -}}
{{- if eq .name "identity" -}}
{{- $_ := set $data "MACHINE_CREDENTIALS" (include "smartcity.machineCredentials" $root) -}}
{{- end -}}
{{- if has "influxdb" .svc.uses -}}
{{- $_ := set $data "INFLUX_TOKEN" (include "smartcity.influx" $root | fromJson).token -}}
{{- end -}}
{{- toJson $data -}}
{{- end -}}

{{- define "smartcity.secretName" -}}
{{- default (include "smartcity.serviceName" (dict "root" .root "name" .name)) .svc.existingSecret -}}
{{- end -}}

{{/* Pods of a bundled dependency, or the external peers. Arg: dict root dep. */}}
{{- define "smartcity.dependencyEgress" -}}
{{- $root := .root -}}
{{- $charts := dict "postgresql" "postgresql" "rabbitmq" "rabbitmq" "influxdb" "influxdb2" -}}
{{- $chart := get $charts .dep -}}
{{- $bundled := get $root.Values $chart -}}
{{- $external := get $root.Values.external .dep -}}
{{- $ports := dict "postgresql" 5432 "rabbitmq" 5672 "influxdb" 8086 -}}
{{- if $bundled.enabled }}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/name: {{ default $chart $bundled.nameOverride }}
          app.kubernetes.io/instance: {{ $root.Release.Name }}
  ports:
    - {protocol: TCP, port: {{ get $ports .dep }}}
{{- else }}
- {{- with $external.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - {protocol: TCP, port: {{ $external.port }}}
{{- end }}
{{- end -}}
