import { Migration } from '@mikro-orm/migrations';

/**
 * Releasing a locksmith when a job leaves them (`where busy_job_id = ?`, on every job that starts or
 * restarts dispatching, fails, completes or is canceled) scanned the whole provider table: 39 ms per
 * job event with 100,000 providers in the bench. A partial index holds only the busy few.
 */
export class Migration0003BusyJobIndex extends Migration {
  override name = 'Registry0003BusyJobIndex';

  override up(): void {
    this.addSql('create index provider_busy_job on provider (busy_job_id) where busy_job_id is not null');
  }

  override down(): void {
    this.addSql('drop index provider_busy_job');
  }
}
