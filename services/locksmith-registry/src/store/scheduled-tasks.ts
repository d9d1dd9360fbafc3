import type { EntityManager } from '@trades/runtime';

/** Whether this replica runs the named periodic task now; if so it is due again `everySeconds` later. */
export async function claimWhenDue(em: EntityManager, name: string, everySeconds: number): Promise<boolean> {
  // One conditional update decides which replica runs it this period; a replica that stops half-way
  // leaves it to the next period. A due time further off than two of this replica's periods was set
  // with a longer period (the setting was shortened since): it does not hold this one back.
  const claimed = await em.execute<{ name: string }[]>(
    `insert into registry.scheduled_task (name, due_at) values (?, now() + make_interval(secs => ?))
     on conflict (name) do update set due_at = excluded.due_at
       where scheduled_task.due_at <= now() or scheduled_task.due_at > now() + make_interval(secs => ?)
     returning name`,
    [name, everySeconds, 2 * everySeconds],
  );
  return claimed.length > 0;
}
