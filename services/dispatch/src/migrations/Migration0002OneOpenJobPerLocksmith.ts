import { Migration } from '@mikro-orm/migrations';

const OPEN_WITH_LOCKSMITH = `'ASSIGNED','EN_ROUTE'`;

/**
 * A locksmith is on at most one open job. Two operators assigning the same locksmith at once, or a YES
 * for one job between the steps of an assignment to another, could both succeed; the unique index
 * refuses the second wherever it comes from. It replaces the plain index on the same rows.
 */
export class Migration0002OneOpenJobPerLocksmith extends Migration {
  override name = 'Dispatch0002OneOpenJobPerLocksmith';

  override up(): void {
    // Say which jobs to sort out rather than fail on a bare unique violation.
    this.addSql(`do $$
      declare doubled text;
      begin
        select string_agg(format('locksmith %s on jobs %s', locksmith_id, codes), '; ') into doubled
        from (select locksmith_id, string_agg(code, ', ' order by code) as codes from job
              where state in (${OPEN_WITH_LOCKSMITH}) group by locksmith_id having count(*) > 1) twice;
        if doubled is not null then
          raise exception 'Some locksmiths are on more than one open job (%): re-dispatch or finish all but one of each, then migrate again.', doubled;
        end if;
      end $$`);
    this.addSql(
      `create unique index job_one_open_per_locksmith on job (locksmith_id) where state in (${OPEN_WITH_LOCKSMITH})`,
    );
    this.addSql('drop index job_locksmith_open_idx');
  }

  override down(): void {
    this.addSql(
      `create index job_locksmith_open_idx on job (locksmith_id) where state in (${OPEN_WITH_LOCKSMITH})`,
    );
    this.addSql('drop index job_one_open_per_locksmith');
  }
}
