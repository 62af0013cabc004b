import type { Model, TableRecreation } from '../analysis/model.js';
import { defineRule, type Fix } from './types.js';
import { failedFiles, stopsAt } from './policy-already-exists.js';
import { addColumnStatements, existingTable, fileOf, insertAfter, newColumnsOf, removeStatement, supabaseMigration, textOf, theColumns, where } from './lib/util.js';

// A plain CREATE TABLE of a table that exists fails (42P07) and the table stays as it was: its
// columns, row-level security, policies and grants. The model records such a statement when the
// migrations leave no doubt (Model.recreatedTables: both top-level in one folder, nothing between
// that may drop the table unseen) and keeps the first table, as PostgreSQL does; this rule tells
// that the migrations, run as written, stop there.

/** `CREATE [TEMP|UNLOGGED …] TABLE ` at the statement's start: where IF NOT EXISTS goes. */
const CREATE_TABLE = /^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMPORARY|TEMP|UNLOGGED)\s+)?TABLE\s+/i;


function fixesOf(model: Model, r: TableRecreation): Fix[] {
  const text = fileOf(model, r.loc.file)?.text ?? '';
  const m = CREATE_TABLE.exec(text.slice(r.loc.start, r.loc.end));
  const fixes: Fix[] = [];
  if (m) {
    const at = r.loc.start + m[0].length;
    const ine = { file: r.loc.file, start: at, end: at, newText: 'IF NOT EXISTS ' };
    // (the columns it writes that the table does not have are added after it: IF NOT EXISTS alone skips them, table-if-not-exists-skipped)
    const added = newColumnsOf(r, model);
    const adds = added.length ? addColumnStatements(model, r, added) : [];
    if (adds)
      fixes.push({
        title: `Write CREATE TABLE IF NOT EXISTS (the existing table stays as it is)${adds.length ? `, then add ${theColumns(added)} with ALTER TABLE … ADD COLUMN IF NOT EXISTS` : ''}`,
        kind: 'unsafe',
        edits: adds.length ? [ine, insertAfter(model, r.loc, adds)] : [ine],
      });
  }
  fixes.push({ title: 'Remove this CREATE TABLE (the existing table stays as it is)', kind: 'unsafe', edits: [removeStatement(model, r.loc)] });
  return fixes;
}

/** The last part of a table name as written (`public."A b"` → `A b`), undefined when it cannot be read. */
function writtenName(text: string): string | undefined {
  const m = /(?:^|\.)\s*("(?:[^"]|"")+"|[^."\s]+)\s*$/.exec(text.trim());
  if (!m) return undefined;
  const part = m[1]!;
  return part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase();
}


export const tableAlreadyExists = defineRule({
  meta: {
    id: 'table-already-exists',
    description: 'A CREATE TABLE of a table an earlier migration creates, with nothing dropping it between: PostgreSQL rejects it (42P07), the migration stops, and the table keeps its columns, RLS and policies.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'CREATE TABLE fails with 42P07 (relation "…" already exists) when the table exists: the migration stops there, and the table keeps its columns, row-level security, policies and grants, whatever the new statement and the ones after it meant for a new table.',
    shownBy: { statement: ['42P07'] },
  },
  check({ model, report }) {
    for (const r of model.recreatedTables) {
      if (r.ifNotExists) continue; // (table-if-not-exists-skipped)
      // (made in a file PostgreSQL rejects a statement of: a tool that runs each file in one
      // transaction, as the Supabase CLI does, never made it, and this is most likely the retry)
      if (r.table.created.file !== r.loc.file && failedFiles(model).has(r.table.created.file)) continue;
      const { name, intro } = existingTable(model, r);
      const added = newColumnsOf(r);
      // (a name longer than 63 bytes is cut to 63 (NAMEDATALEN - 1): two different long names may end up the same)
      const written = writtenName(textOf(model, r.nameLoc));
      if (written !== undefined && Buffer.byteLength(written, 'utf8') > 63) {
        report({
          file: r.nameLoc.file,
          start: r.nameLoc.start,
          end: r.nameLoc.end,
          message:
            `The table name ${written} is longer than 63 bytes: PostgreSQL truncates identifiers to 63 bytes (NOTICE 42622), to ${r.table.name}, the name of the table created at ${where(model, r.table.created)}, which nothing drops before this statement. ` +
            `So this CREATE TABLE fails with 42P07 (relation "${r.table.name}" already exists) and a migration tool applying them in order ${stopsAt(model, r.loc)}; the table meant here is never created. ` +
            'Give it a name of at most 63 bytes that no other table shares (IF NOT EXISTS would silently skip it in favour of the other table).',
          related: [{ ...r.table.created, message: `the table ${name} is created here` }],
        });
        continue;
      }
      // (made first in a file of supabase/migrations/ the Supabase CLI skips, this one it applies: with the
      // CLI, supabase db reset never runs that file and makes the table here; app.regua's
      // 20250723234238-dc1e….sql, an app generator's name, hosted projects applied)
      const first = supabaseMigration(r.table.created.file);
      const here = supabaseMigration(r.loc.file);
      const cliSkipsFirst = first?.applied === false && here?.applied === true;
      report({
        file: r.nameLoc.file,
        start: r.nameLoc.start,
        end: r.nameLoc.end,
        message:
          intro +
          (cliSkipsFirst
            ? `Where that migration ran (a hosted project that applied it, or a tool that runs every file): `
            : '') +
          `PostgreSQL rejects this CREATE TABLE with 42P07 (relation "${r.table.name}" already exists), so a migration tool applying them in order (a new database, ${here?.applied === true && first?.applied === true ? 'supabase db reset, ' : ''}CI) ${stopsAt(model, r.loc)}, and the table keeps its columns, row-level security, policies and grants` +
          (added.length ? ` — not ${theColumns(added)} written here` : '') +
          ` (the other rules read it so). ` +
          (cliSkipsFirst
            ? `The Supabase CLI, though, skips ${first!.name} (its name is not <timestamp>_name.sql: supabase-migration-skipped), so supabase db reset makes the table here, as written, and a database built with it differs from one that ran both. `
            : '') +
          `Write CREATE TABLE IF NOT EXISTS${added.length ? ' and add the new columns with ALTER TABLE … ADD COLUMN IF NOT EXISTS' : ''}, or remove the statement; drop the table first only if its data may go.`,
        related: [{ ...r.table.created, message: `the table ${name} is created here` }],
        fixes: fixesOf(model, r),
      });
    }
  },
});
