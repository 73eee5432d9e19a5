ALTER TABLE `fl_round_clients` ADD `public_key` blob;--> statement-breakpoint
ALTER TABLE `fl_round_clients` ADD `update_bytes` blob;--> statement-breakpoint
ALTER TABLE `fl_rounds` ADD `peers_sent_at` integer;