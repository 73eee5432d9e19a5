CREATE TABLE `drift_alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cohort` text NOT NULL,
	`line` text NOT NULL,
	`version` integer NOT NULL,
	`window_start_ms` integer NOT NULL,
	`window_end_ms` integer NOT NULL,
	`numbers` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `drift_alerts_cohort_window` ON `drift_alerts` (`cohort`,`line`,`version`,`window_start_ms`);--> statement-breakpoint
CREATE TABLE `drift_windows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`device_id` text NOT NULL,
	`seq` integer NOT NULL,
	`line` text NOT NULL,
	`version` integer NOT NULL,
	`window_start_ms` integer NOT NULL,
	`window_end_ms` integer NOT NULL,
	`count` integer NOT NULL,
	`sketch` text NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `drift_windows_device_seq` ON `drift_windows` (`device_id`,`seq`);--> statement-breakpoint
CREATE INDEX `drift_windows_model_start` ON `drift_windows` (`line`,`version`,`window_start_ms`);--> statement-breakpoint
ALTER TABLE `events` ADD `drift` text;