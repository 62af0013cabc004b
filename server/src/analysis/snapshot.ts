// Schema snapshots. Some migration tools keep a pg_dump of the schema the migrations build
// beside them (graphile-migrate's `data/schema.sql`, written after each migration; a
// `schema.sql` kept for review; a sqitch project's deploy scripts bundled as an extension
// script): it re-creates what the migrations created, and PostgreSQL would
// reject it after them (42P06, 42P07, 42723). It is not a migration: the model does not replay it
// (its findings belong to the migrations that made each object), nor does verify run it. A dump
// with no migration before it that creates its tables (Rails' `db/structure.sql` with Ruby
// migrations, a baseline dump as the first migration) is the schema's source: it is replayed. Pure.
import type { ParsedFile } from './types.js';

/**
 * pg_dump's and pg_dumpall's header, at the top of the file; or an extension script's guard
 * (`\echo Use "CREATE EXTENSION x" to load this file. \quit`: psql stops there, and only
 * CREATE EXTENSION runs it), as sqitch/pgpm projects bundle their deploy scripts into
 * `sql/<name>--<version>.sql`.
 */
const DUMP_HEADER = /^\uFEFF?\s*(?:--[^\n]*\n--\s*PostgreSQL database (?:cluster )?dump\b|(?:--[^\n]*\n\s*)*\\echo Use "(?:CREATE|ALTER) EXTENSION)/i;

/** `schema.name` of each table a file's statements create (unqualified: `public`). */
function tablesCreated(f: ParsedFile): string[] {
  const out: string[] = [];
  for (const s of f.statements) {
    if (s.origin !== 'file' || s.kind !== 'CreateStmt') continue;
    const rel = s.node?.relation;
    if (rel?.relname) out.push(`${rel.schemaname ?? 'public'}.${rel.relname}`);
  }
  return out;
}

/**
 * The files among `ordered` (in migration order) that are snapshots of what the files before
 * them create: a dump or extension script (by its header) at least half of whose tables an
 * earlier file that is not one creates.
 */
export function schemaSnapshots(ordered: readonly ParsedFile[]): Set<ParsedFile> {
  const out = new Set<ParsedFile>();
  if (!ordered.some((f) => DUMP_HEADER.test(f.text.slice(0, 300)))) return out;
  const earlier = new Set<string>();
  for (const f of ordered) {
    const tables = tablesCreated(f);
    if (DUMP_HEADER.test(f.text.slice(0, 300))) {
      const again = tables.filter((t) => earlier.has(t)).length;
      if (tables.length > 0 && again * 2 >= tables.length) {
        out.add(f);
        continue;
      }
    }
    for (const t of tables) earlier.add(t);
  }
  return out;
}
