// MySQL's index clauses inside CREATE TABLE (`INDEX idx_events_tenant (tenant_id)`, `KEY k (a, b)`),
// which assistants and ports from MySQL write into PostgreSQL migrations. PostgreSQL has no index
// clause there: its grammar reads one as a column named index (or key) whose type is the index's
// name, the columns its type modifiers, and the statement fails when the type is looked up (42704
// type "idx_events_tenant" does not exist, measured on PGlite), so the table is never made. (With
// DESC, UNIQUE INDEX or FULLTEXT it is a syntax error instead: syntax-error.) Pure.
import type { Node } from './types.js';

/** One such clause: its word as parsed (`index` or `key`), the index's name, the columns it lists. */
export interface InlineIndex {
  /** the ColumnDef node it is parsed as (its `location` is where INDEX or KEY is written) */
  column: Node;
  name: string;
  columns: string[];
}

/** The inline index clauses of a CREATE TABLE statement's node (CreateStmt's fields), in order. */
export function inlineIndexes(createStmt: Node): InlineIndex[] {
  const elts = createStmt?.tableElts;
  if (!Array.isArray(elts)) return NONE;
  let out: InlineIndex[] | undefined;
  for (const e of elts) {
    const c = e?.ColumnDef;
    if (!c || (c.colname !== 'index' && c.colname !== 'key')) continue;
    const t = c.typeName;
    const names = (t?.names ?? []) as Node[];
    const mods = (t?.typmods ?? []) as Node[];
    // (a real column named key or index: its type's modifiers are constants, `key varchar(50)`)
    if (names.length === 0 || mods.length === 0 || t.arrayBounds || !mods.every((m) => m?.ColumnRef)) continue;
    const columns = mods.map((m) => {
      const fields = (m.ColumnRef.fields ?? []) as Node[];
      return String(fields[fields.length - 1]?.String?.sval ?? '');
    });
    if (columns.some((x) => !x)) continue;
    (out ??= []).push({ column: c, name: String(names[names.length - 1]?.String?.sval ?? ''), columns });
  }
  return out ?? NONE;
}

const NONE: InlineIndex[] = [];
