import { literalSpan, relationsIn } from '../analysis/ast.js';
import type { Model } from '../analysis/model.js';
import { sval } from '../analysis/parse.js';
import { activeRowsWith, FLAG_HARDCODED_ID, hardcodedIds, memoModel, textOfFile, type HardcodedId } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { defineRule } from './types.js';

/**
 * The foreign-key columns (`table key.column`) whose referenced table the migrations fill
 * themselves with INSERT … VALUES (classroomio's role: ADMIN, TUTOR, STUDENT), each with the text
 * of those INSERTs: an id of such a row is the same in every database they make.
 */
function seededReferences(model: Model): Map<string, string> {
  return memoModel(model, 'rules:seededReferences', (m) => {
    const inserts = new Map<string, string>();
    for (const { file, stmt } of m.statements) {
      if (stmt.kind !== 'InsertStmt' || !stmt.node?.relation || !stmt.node.selectStmt?.SelectStmt?.valuesLists) continue;
      const k = m.relKey(stmt.node.relation);
      inserts.set(k, (inserts.get(k) ?? '') + file.text.slice(stmt.start, stmt.end));
    }
    const out = new Map<string, string>();
    if (inserts.size === 0) return out;
    const add = (table: string, cols: string[], target: Node) => {
      const seeded = target ? inserts.get(m.relKey(target)) : undefined;
      if (seeded !== undefined) for (const c of cols) out.set(`${table}.${c}`, seeded);
    };
    const constraint = (table: string, c: Node, column?: string) => {
      if (c?.contype !== 'CONSTR_FOREIGN') return;
      const cols = column ? [column] : ((c.fk_attrs ?? []) as Node[]).map((x) => sval(x)!).filter(Boolean);
      add(table, cols, c.pktable);
    };
    for (const t of m.tables.values()) {
      for (const e of (t.stmt.node?.tableElts ?? []) as Node[]) {
        if (e?.ColumnDef) for (const c of (e.ColumnDef.constraints ?? []) as Node[]) constraint(t.key, c?.Constraint, e.ColumnDef.colname);
        else constraint(t.key, e?.Constraint);
      }
    }
    for (const { stmt } of m.statements) {
      if (stmt.kind !== 'AlterTableStmt' || !stmt.node?.relation) continue;
      const table = m.relKey(stmt.node.relation);
      for (const cmd of (stmt.node.cmds ?? []) as Node[]) {
        const a = cmd?.AlterTableCmd;
        if (a?.subtype === 'AT_AddConstraint') constraint(table, a.def?.Constraint);
        else if (a?.subtype === 'AT_AddColumn') for (const c of (a.def?.ColumnDef?.constraints ?? []) as Node[]) constraint(table, c?.Constraint, a.def.ColumnDef.colname);
      }
    }
    return out;
  });
}

/**
 * Whether a literal id is one of a row the migrations insert themselves into the table its
 * column references (a number: any such table; a uuid: written in those INSERTs).
 */
function seededId(model: Model, tables: readonly string[], h: HardcodedId): boolean {
  if (!h.column) return false;
  const refs = seededReferences(model);
  if (refs.size === 0) return false;
  const column = h.column.split('.').pop()!;
  for (const t of tables) {
    const seeded = refs.get(`${t}.${column}`);
    if (seeded !== undefined && (typeof h.value === 'number' || /^\d+$/.test(String(h.value)) || seeded.includes(String(h.value)))) return true;
  }
  return false;
}

export const policyHardcodedId = defineRule({
  meta: {
    id: 'policy-hardcoded-id',
    description: 'A policy compares with a literal id (a uuid, or a literal compared to an id column).',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards: 'A literal id ties access to one row or user of one database: in another environment the same literal names nobody or someone else, so the policy silently denies or grants access there.',
  },
  check({ model, report }) {
    for (const row of activeRowsWith(model, FLAG_HARDCODED_ID)) {
      const p = row.policy;
      // (the policy's table and those its sub-selects read: where the compared column may be)
      const tables = [p.table, ...row.exprs.flatMap((e) => relationsIn(e.node).map((r) => model.relKey(r)))];
      const found = row.exprs.flatMap((e) => hardcodedIds(e.node).filter((h) => !seededId(model, tables, h)).map((h) => ({ ...h, file: e.file, clause: e.clause })));
      if (found.length === 0) continue;
      const first = found[0]!;
      const text = textOfFile(model, first.file);
      const span = literalSpan(text, first.location);
      const lit = text.slice(span.start, span.end);
      const more = found.length > 1 ? ` (and ${found.length - 1} more literal id${found.length > 2 ? 's' : ''})` : '';
      report({
        file: first.file,
        ...span,
        message:
          `Policy "${p.name}" on ${p.table} ${first.column ? `compares ${first.column} with the literal ${lit}` : `contains the literal id ${lit}`} in its ${first.clause === 'using' ? 'USING' : 'WITH CHECK'}${more}: ` +
          'access is tied to one specific row or user of one database. Ids are generated per database, so in another environment (local, staging, production, a restored copy) ' +
          'the same literal names nobody or someone else, and the policy silently denies or grants access there. ' +
          'Keep such ids in data the policy looks up (e.g. EXISTS (SELECT 1 FROM admins WHERE user_id = (select auth.uid()))) or in a claim only the server sets (app_metadata).',
      });
    }
  },
});
