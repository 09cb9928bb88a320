{{/* Chart name and the release's full name (both cut to 63 characters, as Kubernetes names). */}}
{{- define "flotilla.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "flotilla.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
The five services: values key, port, and whether it is a business service (api, bot, worker:
reaches the data services, Redis, RabbitMQ and Chroma) or a data service (reaches one database).
*/}}
{{- define "flotilla.components" -}}
api: { key: api, port: 8000, business: true }
bot: { key: bot, port: 8003, business: true }
worker: { key: worker, port: 8004, business: true }
data-postgres: { key: dataPostgres, port: 8001, business: false }
data-mongo: { key: dataMongo, port: 8002, business: false }
{{- end -}}

{{- define "flotilla.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "flotilla.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flotilla
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "name" "api"). */}}
{{- define "flotilla.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flotilla.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "flotilla.componentLabels" -}}
{{ include "flotilla.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "flotilla.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repository .name (.root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{- define "flotilla.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "flotilla.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The Secret a component reads: its existingSecret, or the one this chart writes. */}}
{{- define "flotilla.secretName" -}}
{{- $values := index .root.Values (include "flotilla.key" .) -}}
{{- $values.existingSecret | default (printf "%s-%s" (include "flotilla.fullname" .root) .name) -}}
{{- end -}}

{{- define "flotilla.key" -}}
{{- $components := include "flotilla.components" .root | fromYaml -}}
{{- (index $components .name).key -}}
{{- end -}}

{{/* Bot replicas: exactly one when polling; replicaCount with a webhook. */}}
{{- define "flotilla.botReplicas" -}}
{{- if eq .Values.bot.mode "webhook" -}}
{{- .Values.bot.replicaCount -}}
{{- else if eq .Values.bot.mode "polling" -}}
{{- 1 -}}
{{- else -}}
{{- fail (printf "bot.mode must be polling or webhook, not %q" .Values.bot.mode) -}}
{{- end -}}
{{- end -}}

{{/*
A required secret value, with a message that says which value and what it is for; tokens and keys
(`minLength`) shorter than the services accept fail here, not in a crash-looping pod.
*/}}
{{- define "flotilla.required" -}}
{{- $value := required (printf "%s is required (%s); or set %s.existingSecret" .path .what .service) .value -}}
{{- if and .minLength (lt (len $value) (int .minLength)) -}}
{{- fail (printf "%s must be at least %d characters (%s)" .path (int .minLength) .what) -}}
{{- end -}}
{{- $value -}}
{{- end -}}

{{/* Connection URLs, passwords escaped; each fails when its password is missing. */}}
{{- define "flotilla.postgresUrl" -}}
{{- $pg := .Values.postgresql -}}
{{- $password := include "flotilla.required" (dict "path" "postgresql.password" "what" "the PostgreSQL user's password" "service" "dataPostgres" "value" $pg.password) -}}
{{- printf "postgres://%s:%s@%s:%v/%s" ($pg.user | urlquery) ($password | urlquery) $pg.host $pg.port $pg.database -}}
{{- if $pg.sslMode }}?sslmode={{ $pg.sslMode }}{{ end -}}
{{- end -}}

{{- define "flotilla.mongoUrl" -}}
{{- $m := .Values.mongodb -}}
{{- $password := include "flotilla.required" (dict "path" "mongodb.password" "what" "the MongoDB user's password" "service" "dataMongo" "value" $m.password) -}}
{{- printf "mongodb://%s:%s@%s:%v/?authSource=%s" ($m.user | urlquery) ($password | urlquery) $m.host $m.port $m.authSource -}}
{{- if $m.options }}&{{ $m.options }}{{ end -}}
{{- end -}}

{{- define "flotilla.redisUrl" -}}
{{- $r := .root.Values.redis -}}
{{- $password := include "flotilla.required" (dict "path" "redis.password" "what" "the Redis password" "service" .service "value" $r.password) -}}
{{- printf "%s://:%s@%s:%v/%v" (ternary "rediss" "redis" $r.tls) ($password | urlquery) $r.host $r.port $r.db -}}
{{- end -}}

{{- define "flotilla.rabbitmqUrl" -}}
{{- $q := .root.Values.rabbitmq -}}
{{- $password := include "flotilla.required" (dict "path" "rabbitmq.password" "what" "the RabbitMQ user's password" "service" .service "value" $q.password) -}}
{{- printf "%s://%s:%s@%s:%v/%s" (ternary "amqps" "amqp" $q.tls) ($q.user | urlquery) ($password | urlquery) $q.host $q.port ($q.vhost | urlquery) -}}
{{- end -}}

{{/* The data services' SERVICE_TOKENS: one caller:token pair per business service. */}}
{{- define "flotilla.serviceTokens" -}}
{{- $s := .root.Values.secrets -}}
{{- $api := include "flotilla.required" (dict "minLength" 32 "path" "secrets.apiDataServiceToken" "what" "the api's token for the data services" "service" .service "value" $s.apiDataServiceToken) -}}
{{- $bot := include "flotilla.required" (dict "minLength" 32 "path" "secrets.botDataServiceToken" "what" "the bot's token for the data services" "service" .service "value" $s.botDataServiceToken) -}}
{{- $worker := include "flotilla.required" (dict "minLength" 32 "path" "secrets.workerDataServiceToken" "what" "the worker's token for the data services" "service" .service "value" $s.workerDataServiceToken) -}}
{{- printf "api:%s,bot:%s,worker:%s" $api $bot $worker -}}
{{- end -}}

{{- /* "true" when Sentry is configured (a DSN in the values or a Secret of one's own), else "". */}}
{{- define "flotilla.sentryEnabled" -}}
{{- if or .Values.telemetry.sentry.existingSecret .Values.telemetry.sentry.dsn }}true{{ end }}
{{- end }}

{{- /* The Secret that holds the Sentry DSN: the user's own, or the one the chart writes. */}}
{{- define "flotilla.sentrySecretName" -}}
{{- .Values.telemetry.sentry.existingSecret | default (printf "%s-sentry" (include "flotilla.fullname" .)) }}
{{- end }}
