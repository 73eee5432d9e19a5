ALTER TABLE "fl_round_clients" ADD COLUMN "public_key" "bytea";--> statement-breakpoint
ALTER TABLE "fl_round_clients" ADD COLUMN "update_bytes" "bytea";--> statement-breakpoint
ALTER TABLE "fl_rounds" ADD COLUMN "peers_sent_at" bigint;