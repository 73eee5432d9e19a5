CREATE TABLE `rollout_waves` (
	`rollout_id` text NOT NULL,
	`index` integer NOT NULL,
	`mode` text NOT NULL,
	`state` text NOT NULL,
	`started_at` integer,
	`observe_from` integer,
	`ended_at` integer,
	`gates` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`rollout_id`, `index`),
	FOREIGN KEY (`rollout_id`) REFERENCES `rollouts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `shadow_windows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`device_id` text NOT NULL,
	`seq` integer NOT NULL,
	`line` text NOT NULL,
	`champion_version` integer NOT NULL,
	`challenger_version` integer NOT NULL,
	`window_start_ms` integer NOT NULL,
	`window_end_ms` integer NOT NULL,
	`rows` integer NOT NULL,
	`agreements` integer NOT NULL,
	`challenger_errors` integer NOT NULL,
	`latency_ms` text NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `shadow_windows_device_seq` ON `shadow_windows` (`device_id`,`seq`);--> statement-breakpoint
CREATE INDEX `shadow_windows_model_start` ON `shadow_windows` (`line`,`challenger_version`,`window_start_ms`);--> statement-breakpoint
ALTER TABLE `rollout_devices` ADD `wave` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollout_devices` ADD `rank` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollout_devices` ADD `assigned_at` integer;--> statement-breakpoint
ALTER TABLE `rollout_devices` ADD `champion_version` integer;--> statement-breakpoint
CREATE INDEX `rollout_devices_device` ON `rollout_devices` (`device_id`);--> statement-breakpoint
CREATE INDEX `rollout_devices_wave_status` ON `rollout_devices` (`rollout_id`,`wave`,`status`);--> statement-breakpoint
CREATE INDEX `rollout_devices_wave_queue` ON `rollout_devices` (`rollout_id`,`wave`,`assigned_at`,`rank`);--> statement-breakpoint
ALTER TABLE `rollouts` ADD `plan` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `state` text DEFAULT 'completed' NOT NULL;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `paused_from` text;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `current_wave` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `champion_version` integer;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `outcome` text;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `updated_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `telemetry_model_start` ON `telemetry_windows` (`line`,`version`,`window_start_ms`);