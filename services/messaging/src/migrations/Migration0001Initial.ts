import { Migration } from '@mikro-orm/migrations';

export class Migration0001Initial extends Migration {
  override name = 'Messaging0001Initial';

  override up(): void {
    // Every SMS in and out. `purpose` is the natural key of an outbound message ("offer:<offerId>"):
    // a redelivered event finds its row and sends nothing. `sid` is Twilio's MessageSid: an inbound
    // webhook delivered twice is recorded once.
    this.addSql(`create table message (
      id uuid primary key,
      sid text,
      direction text not null check (direction in ('inbound', 'outbound')),
      from_phone text not null,
      to_phone text not null,
      body text not null,
      status text not null check (status in
        ('received', 'pending', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed')),
      purpose text,
      job_id uuid,
      provider_id uuid,
      offer_id uuid,
      command jsonb,
      error_code text,
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint message_sid_unique unique (sid),
      constraint message_purpose_unique unique (purpose)
    )`);
    this.addSql('create index message_newest on message (created_at desc, id desc)');
    this.addSql("create index message_pending on message (next_attempt_at) where status = 'pending'");
    this.addSql('create index message_to_phone on message (to_phone, created_at desc)');
    this.addSql('create index message_from_phone on message (from_phone, created_at desc)');
    this.addSql('create index message_job on message (job_id, created_at desc) where job_id is not null');
    // Status callbacks that arrived before the MessageSid was stored (see messages.ts, lockSid).
    this.addSql(`create table early_status (
      sid text not null,
      status text not null,
      error_code text,
      received_at timestamptz not null default now(),
      primary key (sid, status)
    )`);
    // Numbers that texted STOP: nothing is sent to them until they text START.
    this.addSql(`create table opt_out (
      phone text primary key,
      opted_out_at timestamptz not null default now(),
      message_sid text
    )`);
  }

  override down(): void {
    this.addSql('drop table opt_out');
    this.addSql('drop table early_status');
    this.addSql('drop table message');
  }
}
