// A policy comparing a column of its table with a text value, where PostgreSQL has no operator
// for the pair: `tenant_id = auth.jwt() ->> 'tenant_id'` with tenant_id uuid. Text does not cast
// to uuid, integer, boolean, a date or jsonb implicitly, so PostgreSQL rejects the CREATE POLICY
// with 42883 operator does not exist: uuid = text (measured on PGlite, top-level and in a DO
// block). Only what the text tells for certain: a column of the policy's own table, typed by its
// first CREATE TABLE (no plain CREATE TABLE of it after, no column of that name retyped, dropped or
// renamed anywhere), compared with `=` or `<>` to `->>`, current_setting(…), a cast to text, or a
// one-value sub-select of those. Pure: reads the model.
import { census, typeName } from './ast.js';
import { changedColumn, ownColumnOf, type WorkspaceColumnFacts } from './columns.js';
import type { Model, Policy, Table } from './model.js';
import { nameParts, sval } from './parse.js';
import type { Node } from './types.js';

export interface OperatorMismatch {
  /** the comparison (A_Expr), its operator's location, the column and the text operand */
  node: Node;
  location: number;
  column: string;
  columnType: string;
  text: Node;
  op: string;
  /** the column is written on the left */
  columnFirst: boolean;
}

/** Types with no operator against text and no implicit cast from it (PostgreSQL's names, as typeName gives them). */
const NO_TEXT_OPERATOR = new Set(['uuid', 'integer', 'bigint', 'smallint', 'numeric', 'boolean', 'date', 'timestamp', 'timestamp with time zone', 'jsonb', 'real', 'double precision']);

/** Whether an expression is text for certain: `x ->> 'k'`, current_setting(…), `…::text`, or a sub-select of one such value. */
function isText(n: Node): boolean {
  if (!n || typeof n !== 'object') return false;
  const e = n.A_Expr;
  if (e && e.kind === 'AEXPR_OP' && sval(e.name?.[e.name.length - 1]) === '->>') return true;
  const f = n.FuncCall;
  if (f) {
    const name = nameParts(f.funcname);
    return name.length <= 2 && name[name.length - 1] === 'current_setting' && (name.length === 1 || name[0] === 'pg_catalog') && (f.args?.length === 1 || f.args?.length === 2);
  }
  const c = n.TypeCast;
  if (c) return typeName(c.typeName) === 'text';
  const s = n.SubLink;
  if (s && s.subLinkType === 'EXPR_SUBLINK') {
    const sel = s.subselect?.SelectStmt;
    const targets = sel?.targetList ?? [];
    if (!sel || sel.fromClause?.length || targets.length !== 1) return false;
    return isText(targets[0]?.ResTarget?.val);
  }
  return false;
}

/** The first comparison of a column of the policy's table with a text value PostgreSQL has no operator for. */
export function operatorMismatchOf(model: Model, p: Policy, ws: WorkspaceColumnFacts): OperatorMismatch | undefined {
  // (one in a DO block fails there if it runs, and its block with it: either way it does not exist)
  if (p.stmt.kind !== 'CreatePolicyStmt' || ws.dynamic) return undefined;
  const t = model.tables.get(p.table);
  // (a table made IF NOT EXISTS is the one written, where the migrations make it first: kan01's
  // idempotent `create table if not exists public.kanban_stages (… org_id uuid …)`)
  if (!t || t.stmt.kind !== 'CreateStmt' || ws.recreated.has(t.key)) return undefined;
  let types: Map<string, string> | undefined;
  const typeOf = (column: string): string | undefined => {
    if (!types) {
      types = new Map();
      for (const el of t.stmt.node?.tableElts ?? []) if (el?.ColumnDef?.colname) types.set(el.ColumnDef.colname, typeName(el.ColumnDef.typeName));
    }
    const type = types.get(column);
    return type !== undefined && NO_TEXT_OPERATOR.has(type) && !changedColumn(ws, column, t.name) ? type : undefined;
  };
  let found: OperatorMismatch | undefined;
  const visit = (n: Node): void => {
    if (found || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    // (a sub-select has tables of its own in scope: not looked into)
    if (n.SubLink) {
      visit(n.SubLink.testexpr);
      return;
    }
    const e = n.A_Expr;
    if (e && e.kind === 'AEXPR_OP' && (e.name?.length ?? 0) === 1) {
      const op = sval(e.name[0]);
      if (op === '=' || op === '<>' || op === '!=') {
        for (const [col, other, columnFirst] of [
          [e.lexpr, e.rexpr, true],
          [e.rexpr, e.lexpr, false],
        ] as const) {
          const ref = col?.ColumnRef;
          const column = ref ? ownColumnOf(t, ref) : undefined;
          const type = column !== undefined ? typeOf(column) : undefined;
          if (column !== undefined && type !== undefined && isText(other)) {
            found = { node: n, location: typeof e.location === 'number' ? e.location : -1, column, columnType: type, text: other, op: op === '!=' ? '<>' : op, columnFirst };
            return;
          }
        }
      }
    }
    for (const k in n) {
      const v = n[k];
      if (v && typeof v === 'object') visit(v);
    }
  };
  // (no column, nothing to compare: most policies' census says so without a walk)
  for (const e of [p.stmt.node?.qual, p.stmt.node?.with_check]) if (e && !found && census(e).columnRefs.length !== 0) visit(e);
  return found;
}
