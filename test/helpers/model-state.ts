// The RLS state and policies of the public tables, as the model has them and as PostgreSQL
// (PGlite) makes them from the same migrations: the replay's tests compare the two
// (catalog-loops, call-replay).
import type { Model } from '../../server/src/analysis/model.js';
import { getDb, inRollback } from './pg.js';

/** The model's RLS state and policies of the public tables, as `name enabled forced policy:command,…`. */
export function modelState(m: Model): string[] {
  return [...m.tables.values()]
    .filter((t) => t.schema === 'public')
    .map((t) => `${t.name} ${t.rlsEnabled} ${t.rlsForced} ${t.policies.map((p) => `${p.name}:${p.command}`).sort().join(',')}`)
    .sort();
}

/** The same as PGlite has it after running the text. */
export async function pgState(text: string): Promise<string[]> {
  let out: string[] = [];
  await inRollback(await getDb(), async (q) => {
    await q(text);
    const rows = (await q(`SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
        coalesce((SELECT string_agg(p.policyname || ':' || lower(p.cmd), ',' ORDER BY p.policyname || ':' || lower(p.cmd)) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname), '') AS policies
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`)) as Array<{ name: string; enabled: boolean; forced: boolean; policies: string }>;
    out = rows.map((r) => `${r.name} ${r.enabled} ${r.forced} ${r.policies}`).sort();
  });
  return out;
}
