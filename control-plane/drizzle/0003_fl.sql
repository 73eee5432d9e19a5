CREATE TABLE `fl_eval_sets` (
	`digest` text PRIMARY KEY NOT NULL,
	`rows` integer NOT NULL,
	`features` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `fl_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`line` text NOT NULL,
	`config` text NOT NULL,
	`state` text NOT NULL,
	`rounds_done` integer DEFAULT 0 NOT NULL,
	`failed_rounds` integer DEFAULT 0 NOT NULL,
	`global_digest` text NOT NULL,
	`best_digest` text,
	`best_accuracy` real,
	`best_round` integer,
	`strategy_state` blob,
	`registered_version` integer,
	`rollout_id` text,
	`error` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `fl_round_clients` (
	`round_id` text NOT NULL,
	`device_id` text NOT NULL,
	`status` text NOT NULL,
	`sample_count` integer,
	`detail` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`round_id`, `device_id`),
	FOREIGN KEY (`round_id`) REFERENCES `fl_rounds`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `fl_rounds` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`round` integer NOT NULL,
	`attempt` integer NOT NULL,
	`state` text NOT NULL,
	`started_at` integer NOT NULL,
	`deadline` integer NOT NULL,
	`input_digest` text NOT NULL,
	`result_digest` text,
	`metrics` text DEFAULT '{}' NOT NULL,
	`error` text,
	FOREIGN KEY (`job_id`) REFERENCES `fl_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `fl_rounds_job` ON `fl_rounds` (`job_id`,`round`);