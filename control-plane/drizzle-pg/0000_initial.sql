CREATE TABLE "api_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "api_tokens_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ts" bigint NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text NOT NULL,
	"status" bigint NOT NULL,
	"details" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_desired" (
	"device_id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"rollout_id" text,
	"assignments" jsonb NOT NULL,
	"signed_doc" "bytea" NOT NULL,
	"issued_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_reported" (
	"device_id" text PRIMARY KEY NOT NULL,
	"reported" jsonb NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" text PRIMARY KEY NOT NULL,
	"group" text NOT NULL,
	"tags" jsonb NOT NULL,
	"password_hash" text NOT NULL,
	"hardware" jsonb,
	"connection" text DEFAULT 'offline' NOT NULL,
	"enrolled_at" bigint NOT NULL,
	"last_seen_at" bigint,
	"parent_id" text
);
--> statement-breakpoint
CREATE TABLE "drift_alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cohort" text NOT NULL,
	"line" text NOT NULL,
	"version" bigint NOT NULL,
	"window_start_ms" bigint NOT NULL,
	"window_end_ms" bigint NOT NULL,
	"numbers" jsonb NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_windows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"line" text NOT NULL,
	"version" bigint NOT NULL,
	"window_start_ms" bigint NOT NULL,
	"window_end_ms" bigint NOT NULL,
	"count" bigint NOT NULL,
	"sketch" jsonb NOT NULL,
	"received_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enrolment_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"group" text NOT NULL,
	"tags" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"used_at" bigint,
	"used_by" text
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"at" bigint NOT NULL,
	"kind" text NOT NULL,
	"line" text,
	"version" bigint,
	"error" jsonb,
	"drift" jsonb,
	"received_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fl_eval_sets" (
	"digest" text PRIMARY KEY NOT NULL,
	"rows" bigint NOT NULL,
	"features" bigint NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fl_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"line" text NOT NULL,
	"config" jsonb NOT NULL,
	"state" text NOT NULL,
	"rounds_done" bigint DEFAULT 0 NOT NULL,
	"failed_rounds" bigint DEFAULT 0 NOT NULL,
	"global_digest" text NOT NULL,
	"best_digest" text,
	"best_accuracy" double precision,
	"best_round" bigint,
	"strategy_state" "bytea",
	"registered_version" bigint,
	"rollout_id" text,
	"error" text,
	"created_by" text NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fl_round_clients" (
	"round_id" text NOT NULL,
	"device_id" text NOT NULL,
	"status" text NOT NULL,
	"sample_count" bigint,
	"detail" text,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "fl_round_clients_round_id_device_id_pk" PRIMARY KEY("round_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "fl_rounds" (
	"id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"round" bigint NOT NULL,
	"attempt" bigint NOT NULL,
	"state" text NOT NULL,
	"started_at" bigint NOT NULL,
	"deadline" bigint NOT NULL,
	"input_digest" text NOT NULL,
	"result_digest" text,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"line" text NOT NULL,
	"version" bigint NOT NULL,
	"digest" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"chunk_count" bigint NOT NULL,
	"signed_manifest" "bytea" NOT NULL,
	"description" text,
	"created_at" bigint NOT NULL,
	CONSTRAINT "model_versions_line_version_pk" PRIMARY KEY("line","version")
);
--> statement-breakpoint
CREATE TABLE "rollout_devices" (
	"rollout_id" text NOT NULL,
	"device_id" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"updated_at" bigint NOT NULL,
	"wave" bigint DEFAULT 0 NOT NULL,
	"rank" bigint DEFAULT 0 NOT NULL,
	"assigned_at" bigint,
	"champion_version" bigint,
	CONSTRAINT "rollout_devices_rollout_id_device_id_pk" PRIMARY KEY("rollout_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "rollout_waves" (
	"rollout_id" text NOT NULL,
	"index" bigint NOT NULL,
	"mode" text NOT NULL,
	"state" text NOT NULL,
	"started_at" bigint,
	"observe_from" bigint,
	"ended_at" bigint,
	"gates" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "rollout_waves_rollout_id_index_pk" PRIMARY KEY("rollout_id","index")
);
--> statement-breakpoint
CREATE TABLE "rollouts" (
	"id" text PRIMARY KEY NOT NULL,
	"line" text NOT NULL,
	"version" bigint NOT NULL,
	"group" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" bigint NOT NULL,
	"plan" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'completed' NOT NULL,
	"paused_from" text,
	"current_wave" bigint DEFAULT 0 NOT NULL,
	"champion_version" bigint,
	"outcome" jsonb,
	"updated_at" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_windows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"line" text NOT NULL,
	"champion_version" bigint NOT NULL,
	"challenger_version" bigint NOT NULL,
	"window_start_ms" bigint NOT NULL,
	"window_end_ms" bigint NOT NULL,
	"rows" bigint NOT NULL,
	"agreements" bigint NOT NULL,
	"challenger_errors" bigint NOT NULL,
	"latency_ms" jsonb NOT NULL,
	"received_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "telemetry_windows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"line" text NOT NULL,
	"version" bigint NOT NULL,
	"window_start_ms" bigint NOT NULL,
	"window_end_ms" bigint NOT NULL,
	"count" bigint NOT NULL,
	"errors" bigint NOT NULL,
	"latency_ms" jsonb NOT NULL,
	"received_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "device_desired" ADD CONSTRAINT "device_desired_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_reported" ADD CONSTRAINT "device_reported_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_windows" ADD CONSTRAINT "drift_windows_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fl_round_clients" ADD CONSTRAINT "fl_round_clients_round_id_fl_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."fl_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fl_rounds" ADD CONSTRAINT "fl_rounds_job_id_fl_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."fl_jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_waves" ADD CONSTRAINT "rollout_waves_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_windows" ADD CONSTRAINT "shadow_windows_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_windows" ADD CONSTRAINT "telemetry_windows_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drift_alerts_cohort_window" ON "drift_alerts" USING btree ("cohort","line","version","window_start_ms");--> statement-breakpoint
CREATE UNIQUE INDEX "drift_windows_device_seq" ON "drift_windows" USING btree ("device_id","seq");--> statement-breakpoint
CREATE INDEX "drift_windows_model_start" ON "drift_windows" USING btree ("line","version","window_start_ms");--> statement-breakpoint
CREATE UNIQUE INDEX "events_device_seq" ON "events" USING btree ("device_id","seq");--> statement-breakpoint
CREATE INDEX "fl_rounds_job" ON "fl_rounds" USING btree ("job_id","round");--> statement-breakpoint
CREATE INDEX "model_versions_digest" ON "model_versions" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "rollout_devices_device" ON "rollout_devices" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "rollout_devices_wave_status" ON "rollout_devices" USING btree ("rollout_id","wave","status");--> statement-breakpoint
CREATE INDEX "rollout_devices_wave_queue" ON "rollout_devices" USING btree ("rollout_id","wave","assigned_at","rank");--> statement-breakpoint
CREATE UNIQUE INDEX "shadow_windows_device_seq" ON "shadow_windows" USING btree ("device_id","seq");--> statement-breakpoint
CREATE INDEX "shadow_windows_model_start" ON "shadow_windows" USING btree ("line","challenger_version","window_start_ms");--> statement-breakpoint
CREATE UNIQUE INDEX "telemetry_device_seq" ON "telemetry_windows" USING btree ("device_id","seq");--> statement-breakpoint
CREATE INDEX "telemetry_model_start" ON "telemetry_windows" USING btree ("line","version","window_start_ms");