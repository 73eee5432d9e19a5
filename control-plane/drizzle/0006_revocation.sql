ALTER TABLE `devices` ADD `revoked_at` integer;--> statement-breakpoint
ALTER TABLE `enrolment_tokens` ADD `revoked_at` integer;