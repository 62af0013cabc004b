import { memoised } from '../analysis/ast.js';
import type { Model, Table } from '../analysis/model.js';
import { changedColumn, workspaceFacts } from '../analysis/columns.js';
import { sval, walk } from '../analysis/parse.js';
import { activeRowsWith, FLAG_READS_RELATION, memoModel } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';

// Supabase Storage's path helpers take an object's name (its path): storage.foldername(name),
// storage.filename(name), storage.extension(name). A storage policy that calls one inside a
// sub-select reading a table with a `name` column of its own (projects, teams, profiles …) gets
// that table's name: PostgreSQL looks an unqualified column up in the innermost FROM list first.

const PATH_FUNCTIONS = new Set(['foldername', 'filename', 'extension']);
const STORAGE_OBJECTS = 'storage.objects';

/** A path helper's call on an unqualified `name` inside a sub-select, with the sub-select's FROM list. */
interface Candidate {
  /** the ColumnRef `name` (its location is where it is written) */
  ref: Node;
  fn: string;
  /** the RangeVars of the sub-select's FROM list (tables and inner or outer joins of tables) */
  from: Node[];
}

/** The RangeVars of a FROM item made only of tables (joined or not); undefined for a function or a sub-query. */
function tablesOf(item: Node, out: Node[]): boolean {
  if (item?.RangeVar) {
    if (!item.RangeVar.relname) return false;
    out.push(item.RangeVar);
    return true;
  }
  const j = item?.JoinExpr;
  return !!j && tablesOf(j.larg, out) && tablesOf(j.rarg, out);
}

/** The path helper calls on an unqualified `name` in one SELECT's own clauses (not in a nested SELECT, whose FROM list comes first). */
function callsIn(select: Node, from: Node[], out: Candidate[]): void {
  for (const part of [select.whereClause, select.targetList]) {
    if (!part) continue;
    walk(part, (k, v) => {
      if (k === 'SelectStmt') return false;
      if (k !== 'FuncCall') return;
      const names: Node[] = v.funcname ?? [];
      const fn = sval(names[names.length - 1]);
      const schema = names.length === 2 ? sval(names[0]) : undefined;
      if (names.length > 2 || !fn || !PATH_FUNCTIONS.has(fn) || (schema !== undefined && schema !== 'storage') || v.args?.length !== 1) return;
      const fields: Node[] | undefined = v.args[0]?.ColumnRef?.fields;
      if (fields?.length === 1 && sval(fields[0]) === 'name') out.push({ ref: v.args[0].ColumnRef, fn: `${schema ? 'storage.' : ''}${fn}`, from });
    });
  }
}

/** The candidates of a policy expression (syntax only, kept on the node). */
const candidatesOf = memoised((expr: Node): Candidate[] => {
  const out: Candidate[] = [];
  walk(expr, (k, v) => {
    if (k !== 'SelectStmt' || !v.fromClause?.length) return;
    const from: Node[] = [];
    for (const item of v.fromClause as Node[]) if (!tablesOf(item, from)) return;
    callsIn(v, from, out);
  });
  return out;
});

/** Whether a `name` column of the table is added, dropped, retyped or renamed (to or from) by an ALTER TABLE of the migrations. */
function nameChanged(model: Model, t: Table): boolean {
  const ws = workspaceFacts(model);
  if (changedColumn(ws, 'name', t.name) || ws.adds.get(t.key)?.some((a) => a.column === 'name')) return true;
  return memoModel(model, 'storage-name:renamedTo', (m) => {
    const out = new Set<string>();
    for (const { stmt } of m.statements) if (stmt.kind === 'RenameStmt' && stmt.node?.renameType === 'OBJECT_COLUMN' && stmt.node.newname === 'name' && stmt.node.relation?.relname) out.add(m.relKey(stmt.node.relation));
    return out;
  }).has(t.key);
}

/** Supabase's own tables with a `name` column, which the migrations do not create (storage.buckets: a bucket's name). */
const PLATFORM_NAMED = new Set(['storage.buckets']);

/**
 * The one relation of the FROM list with a `name` column (its key and RangeVar), when the columns
 * of every relation of it are known and just one has it (two: 42702, the policy is rejected).
 */
function shadowing(model: Model, from: Node[]): { key: string; bare: string; rv: Node } | undefined {
  let found: { key: string; bare: string; rv: Node } | undefined;
  for (const rv of from) {
    const key = model.relKey(rv);
    const t = model.tables.get(key);
    if (!t && !PLATFORM_NAMED.has(key)) return undefined;
    // (PostgreSQL binds the name when the CREATE POLICY runs: a name column added, renamed or
    // dropped by an ALTER TABLE may not be the one the table had then; not told)
    if (t && nameChanged(model, t)) return undefined;
    if (t && !t.columns.includes('name')) continue;
    if (found) return undefined;
    found = { key, bare: t ? t.name : String(rv.relname), rv };
  }
  return found;
}

export const policyStorageNameShadowed = defineRule({
  meta: {
    id: 'policy-storage-name-shadowed',
    description:
      "A storage policy calls storage.foldername(name) (or filename, extension) inside a sub-select reading a table with its own name column: PostgreSQL takes that table's name, not the object's path.",
    severity: 'error',
    category: 'correctness',
    fixKind: 'safe',
    guards:
      "An unqualified column in a sub-select is looked up in the sub-select's own FROM list first: in EXISTS (SELECT 1 FROM projects WHERE projects.id::text = (storage.foldername(name))[1] …) name is projects.name, so the policy tests the project's name as if it were the file's path: its owner gets none of the files (reads return nothing, uploads fail with 42501), or a condition that compares the table with itself admits every file.",
  },
  check({ model, report }) {
    for (const row of activeRowsWith(model, FLAG_READS_RELATION)) {
      const p = row.policy;
      if (p.table !== STORAGE_OBJECTS) continue;
      for (const e of row.exprs) {
        for (const c of candidatesOf(e.node)) {
          const at: number = c.ref.location;
          if (typeof at !== 'number' || at < 0) continue;
          const s = shadowing(model, c.from);
          if (!s) continue;
          const alias: string = s.rv.alias?.aliasname ?? s.rv.relname;
          // (objects.name names the policy's row unless the sub-select has a relation called objects too)
          const fixable = !c.from.some((rv) => (rv.alias?.aliasname ?? rv.relname) === 'objects');
          const fixes: Fix[] = fixable
            ? [{ title: "Qualify name with the policy's table: objects.name", kind: 'safe', edits: [{ file: e.file, start: at, end: at + 'name'.length, newText: 'objects.name' }] }]
            : [];
          const effect =
            e.clause === 'check'
              ? `are refused (${p.command === 'update' ? 'an UPDATE' : 'an upload'} of one fails with 42501 new row violates row-level security policy)`
              : p.command === 'select' || p.command === 'all'
                ? 'are not returned'
                : `are not reached by its ${p.command.toUpperCase()}s`;
          report({
            file: e.file,
            start: at,
            end: at + 'name'.length,
            message:
              `In policy "${p.name}" on storage.objects, ${c.fn}(name) is inside a sub-select reading ${s.key}, which has a column "name" of its own: PostgreSQL looks an unqualified column up in the sub-select's FROM list first, so this is ${alias}.name (the name of the ${s.key} row), not the object's path. ` +
              `The sub-select tests that name as if it were the file's path, so it does not find the row it was written for, and the files the policy should admit through it ${effect}; a condition comparing it with a column of that same row (such as = ${alias}.name) would instead hold for every file. ` +
              (fixable ? 'Write objects.name.' : "Qualify it with the policy's table (objects.name), after renaming the sub-select's own relation called objects."),
            fixes,
          });
        }
      }
    }
  },
});
