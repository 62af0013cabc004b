import { informationSchemaType } from '../analysis/catalog-loops.js';
import { shapeOf } from '../analysis/ast.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { columnRecreations, failedFiles, stopsAt, whatIsLost, type ColumnRecreation } from './policy-already-exists.js';
import { removeStatement, where } from './lib/util.js';
import type { Model } from '../analysis/model.js';
import { listOr } from '../analysis/words.js';

// An ALTER TABLE … ADD COLUMN, without IF NOT EXISTS, of a column the table already has fails with
// 42701, and the whole ALTER TABLE with it: a migration tool stops there, and one running each file
// in one transaction (the Supabase CLI) applies none of the file's statements — its ENABLE ROW
// LEVEL SECURITY and policies included (worldweaver-ui's 20250913 migrations; mostralo-lovable's
// products.slug). Found by policy-already-exists.ts columnRecreations: the column made by a plain
// CREATE TABLE or an ADD COLUMN of the same folder, nothing between that may take it away. Not
// reported when the file that made it holds a statement PostgreSQL rejects: that file made
// nothing, and this one is most often the author's retry.

/** Whether the ADD COLUMN writes only a name and a type: no DEFAULT, NOT NULL, key, CHECK, REFERENCES, COLLATE, GENERATED. */
function plain(def: Node): boolean {
  return !def.constraints?.length && !def.raw_default && !def.collClause && !def.identity && !def.generated;
}

/** Whether IF NOT EXISTS leaves the column as this statement asks for it: its definition there, or its type with nothing else written. */
function keepsAsWritten(r: ColumnRecreation): boolean {
  if (shapeOf(r.def) === shapeOf(r.madeDef)) return true;
  const written = informationSchemaType(r.def.typeName);
  return written !== undefined && written === informationSchemaType(r.madeDef.typeName) && plain(r.def);
}

/** How the existing column differs from what the statement writes (none when the same definition). */
function differences(r: ColumnRecreation): string[] {
  if (shapeOf(r.def) === shapeOf(r.madeDef)) return [];
  const written = informationSchemaType(r.def.typeName);
  const made = informationSchemaType(r.madeDef.typeName);
  return [
    ...(written !== undefined && made !== undefined && written !== made ? [`its type is ${made}, not the ${written} written here`] : []),
    ...(plain(r.def) ? [] : ['with its own default and constraints, not those written here']),
  ];
}

function fixesOf(model: Model, cols: readonly ColumnRecreation[]): Fix[] {
  const r = cols[0]!;
  const fixes: Fix[] = [
    {
      title: `Write ADD COLUMN IF NOT EXISTS ${cols.map((c) => c.column).join(', ')} (the existing column${cols.length > 1 ? 's stay as they are' : ' stays as it is'})`,
      // (safe where the statement asks for nothing an existing column may lack: the definition that
      // made it, or its type with no constraint or default)
      kind: cols.every(keepsAsWritten) ? 'safe' : 'unsafe',
      edits: cols.map((c) => ({ file: c.nameLoc.file, start: c.nameLoc.start, end: c.nameLoc.start, newText: 'IF NOT EXISTS ' })),
    },
  ];
  if ((r.stmt.node?.cmds ?? []).length === cols.length) fixes.push({ title: `Remove this ALTER TABLE (the existing column${cols.length > 1 ? 's stay as they are' : ' stays as it is'})`, kind: 'unsafe', edits: [removeStatement(model, r.loc)] });
  return fixes;
}

export const columnAlreadyExists = defineRule({
  meta: {
    id: 'column-already-exists',
    description: 'An ALTER TABLE … ADD COLUMN (no IF NOT EXISTS) of a column an earlier migration made, with nothing dropping it between: PostgreSQL rejects the statement (42701) and the migration stops, with the RLS statements after it in its file.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'safe',
    guards:
      'ALTER TABLE … ADD COLUMN fails with 42701 column "…" of relation "…" already exists when the table has the column: the whole ALTER TABLE fails, the migration stops there, and a tool running each file in one transaction applies none of its statements (its ENABLE ROW LEVEL SECURITY, policies, grants).',
    shownBy: { statement: ['42701'] },
  },
  check({ model, report }) {
    const list = columnRecreations(model);
    if (list.length === 0) return;
    const failing = failedFiles(model);
    // one finding per ALTER TABLE (it fails whole), on its first column the table has
    let i = 0;
    while (i < list.length) {
      let j = i + 1;
      while (j < list.length && list[j]!.stmt === list[i]!.stmt) j++;
      const cols = list.slice(i, j).filter((r) => r.madeAt.file === r.loc.file || !failing.has(r.madeAt.file));
      i = j;
      if (cols.length === 0) continue;
      const r = cols[0]!;
      const table = r.table.replace(/^public\./, '');
      const one = cols.length === 1;
      const places = [...new Set(cols.map((c) => where(model, c.madeAt)))];
      const earlier = cols.every((c) => c.madeAt.file !== r.loc.file);
      const diffs = cols.map(differences);
      const asWritten = diffs.every((d) => d.length === 0);
      const differs = one ? diffs[0]!.join(', ') : cols.flatMap((c, k) => (diffs[k]!.length ? [`${c.column} ${diffs[k]!.join(', ').replace(/^its /, 'has its ')}`] : [])).join('; ');
      report({
        ...r.nameLoc,
        message:
          `The table ${table} already has ${one ? `the column ${r.column}: it is made` : `the columns ${listOr(cols.map((c) => c.column), 'and')}: they are made`} at ${listOr(places, 'and')}${earlier ? ` (${places.length > 1 ? 'earlier migrations' : 'an earlier migration'})` : ''} and nothing drops ${one ? 'it' : 'them'} before this statement. ` +
          `PostgreSQL rejects the whole ALTER TABLE with 42701 column "${r.column}" of relation "${r.table.slice(r.table.indexOf('.') + 1)}" already exists, so a migration tool applying the files in order ${stopsAt(model, r.loc)}${whatIsLost(model, r.loc, r.madeAt.file, 'the file that made the column')}` +
          'The other rules read the migrations as if it had run. ' +
          `Write ADD COLUMN IF NOT EXISTS (the existing column${one ? ' stays as it is' : 's stay as they are'}${asWritten ? `, as this statement writes ${one ? 'it' : 'them'}` : differs ? `: ${differs}` : ''}), or remove ${one ? 'it' : 'them'} from this statement${asWritten ? '' : '; to change a column, use ALTER COLUMN'}.`,
        related: cols.map((c) => ({ ...c.madeAt, message: `the column ${c.column} of ${table} is made here` })),
        fixes: fixesOf(model, cols),
      });
    }
  },
});
