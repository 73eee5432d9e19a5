ALTER TABLE "devices" ADD COLUMN "revoked_at" bigint;--> statement-breakpoint
ALTER TABLE "enrolment_tokens" ADD COLUMN "revoked_at" bigint;