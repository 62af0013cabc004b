import { columnsBeyond, type Model, type TableRecreation } from '../analysis/model.js';
import { workspaceFacts } from '../analysis/columns.js';
import { defineRule, type Fix } from './types.js';
import { failedFiles } from './policy-already-exists.js';
import { addColumnStatements, existingTable, insertAfter, newColumnsOf, theColumns } from './lib/util.js';

// CREATE TABLE IF NOT EXISTS of a table that exists is skipped with a notice, whatever columns it
// writes: a migration that "creates" a table again to add a column adds nothing. The model records
// such a statement (Model.recreatedTables, ifNotExists) only when the migrations leave no doubt
// that the table exists (both top-level in one folder, nothing between that may drop it unseen)
// and the statement writes a column the table does not have then; reported when the table does
// not have it at the end either.

function fixesOf(model: Model, r: TableRecreation, names: readonly string[]): Fix[] {
  const adds = addColumnStatements(model, r, names);
  if (!adds) return [];
  const title = `Add ${theColumns(names)} with ALTER TABLE … ADD COLUMN IF NOT EXISTS after this statement`;
  return [{ title, kind: 'unsafe', edits: [insertAfter(model, r.loc, adds)] }];
}

export const tableIfNotExistsSkipped = defineRule({
  meta: {
    id: 'table-if-not-exists-skipped',
    description: 'A CREATE TABLE IF NOT EXISTS of a table an earlier migration creates, writing columns the table does not have: PostgreSQL skips it with a notice, and the columns are never added.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'CREATE TABLE IF NOT EXISTS of an existing table only raises a notice (relation "…" already exists, skipping) and compares no columns: the columns it writes that the table lacks are never added, and the statements using them fail with 42703.',
  },
  check({ model, report }) {
    // (dynamic SQL that may make tables — a DO block's EXECUTE, a migration runner EXECUTEing the
    // CREATE TABLE it is handed — may have made the table first, with other columns: which it has
    // is not known. Munkhjavkhlann/mongolec-backend's apply_migration made tenants with the
    // columns said never to be added, before the CREATE TABLE said to make it, which fails with 42P07)
    if (model.recreatedTables.length === 0 || workspaceFacts(model).dynamic) return;
    for (const r of model.recreatedTables) {
      if (!r.ifNotExists) continue;
      // (made in a file PostgreSQL rejects a statement of — a syntax error, a CREATE TABLE
      // referencing a table made only later —: a tool that runs each file in one transaction, as
      // the Supabase CLI does, never made it, and this statement makes the table; vitaluxe-flow)
      if (r.table.created.file !== r.loc.file && failedFiles(model).has(r.table.created.file)) continue;
      // (not those a later statement adds: ALTER TABLE … ADD COLUMN after it, the fix)
      const added = newColumnsOf(r, model);
      if (added.length === 0) continue;
      const { name, intro } = existingTable(model, r);
      const one = added.length === 1;
      // (those a later statement adds: missing until then, for the statements between; we-community's trail_badges)
      const later = columnsBeyond(r.stmt, r.table.columns).filter((c) => !added.includes(c));
      const laterNote = later.length
        ? ` (${theColumns(later)} written here ${later.length === 1 ? 'is' : 'are'} missing too, until a later statement adds ${later.length === 1 ? 'it' : 'them'}: a statement using ${later.length === 1 ? 'it' : 'them'} before that fails with 42703)`
        : '';
      report({
        file: r.nameLoc.file,
        start: r.nameLoc.start,
        end: r.nameLoc.end,
        message:
          intro +
          `PostgreSQL skips CREATE TABLE IF NOT EXISTS with a notice (relation "${r.table.name}" already exists, skipping) without comparing columns, so ${theColumns(added)} written here ${one ? 'is' : 'are'} never added${laterNote}: ` +
          `a policy, index or query naming ${one ? 'it' : 'them'} fails with 42703 (column does not exist), and a migration tool stops there. ` +
          `Add ${one && !later.length ? 'it' : 'them'} with ALTER TABLE … ADD COLUMN IF NOT EXISTS${later.length ? ` (${later.length === 1 ? 'the later one' : 'the later ones'} too: the later ADD COLUMN IF NOT EXISTS then adds nothing)` : ''}.`,
        related: [{ ...r.table.created, message: `the table ${name} is created here` }],
        fixes: fixesOf(model, r, [...added, ...later]),
      });
    }
  },
});
