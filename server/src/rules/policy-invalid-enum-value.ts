import { census } from '../analysis/ast.js';
import type { Model, Table } from '../analysis/model.js';
import { nameParts, sval, walk } from '../analysis/parse.js';
import { anyStatementIn, memoModel } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { defineRule } from './types.js';

// A policy comparing a column of an enum type with a string that is not one of the type's
// values: PostgreSQL converts the string to the enum when it analyses the CREATE POLICY and
// rejects the statement with 22P02 invalid input value for enum (event-spark-plan's 'usuario').

/** An enum type of the workspace: its values as each statement leaves them, in replay order. */
interface EnumType {
  name: string;
  /** [replay position, values from then on] */
  states: Array<[number, ReadonlySet<string>]>;
}

interface EnumFacts {
  /** enum types by key */
  types: Map<string, EnumType>;
  /**
   * table key → column → its types, in replay order: [replay position from which it holds (-1: as
   * the table is made), enum type key, or undefined once it is of another type]
   */
  columns: Map<string, Map<string, Array<[number, string | undefined]>>>;
}

/** The enum type key of a column when the statement at replay position `at` runs. */
function typeAt(facts: EnumFacts, table: string, column: string, at: number): string | undefined {
  let out: string | undefined;
  for (const [i, k] of facts.columns.get(table)?.get(column) ?? []) if (i < at) out = k;
  return out;
}

const NO_FACTS: EnumFacts = { types: new Map(), columns: new Map() };

const makesEnum = anyStatementIn((s) => s.kind === 'CreateEnumStmt' || !!s.body?.statements.some((b) => b.kind === 'CreateEnumStmt'));

/** The workspace's enum types and the table columns typed with one (none: NO_FACTS), once per model. */
function enumFacts(model: Model): EnumFacts {
  return memoModel(model, 'rules:enumFacts', (m) => {
    // (most workspaces make no enum type: their files say so once, kept per parsed file)
    if (!m.files.some(makesEnum)) return NO_FACTS;
    let types: Map<string, EnumType> | undefined;
    for (let i = 0; i < m.statements.length; i++) {
      const stmt = m.statements[i]!.stmt;
      const n = stmt.node;
      if (stmt.kind === 'CreateEnumStmt') {
        const parts = nameParts(n?.typeName);
        const values = new Set(((n?.vals ?? []) as Node[]).map((v) => sval(v) ?? ''));
        (types ??= new Map()).set(m.key(parts.length === 1 ? [undefined, parts[0]] : parts), { name: parts.join('.'), states: [[i, values]] });
      } else if (stmt.kind === 'AlterEnumStmt' && types) {
        const parts = nameParts(n?.typeName);
        const t = types.get(m.key(parts.length === 1 ? [undefined, parts[0]] : parts));
        if (!t) continue;
        const next = new Set(t.states[t.states.length - 1]![1]);
        if (n.oldVal !== undefined && n.newVal !== undefined) {
          next.delete(n.oldVal);
          next.add(n.newVal);
        } else if (n.newVal !== undefined) next.add(n.newVal);
        t.states.push([i, next]);
      }
    }
    if (!types) return NO_FACTS;
    const columns = new Map<string, Map<string, Array<[number, string | undefined]>>>();
    // (a column of another type is recorded only where it was of an enum type before: ALTER COLUMN … TYPE)
    const typed = (table: string, name: string | undefined, typeName: Node, at: number) => {
      const names = nameParts(typeName?.names);
      if (!name || names.length === 0) return;
      const k = typeName.arrayBounds ? undefined : m.key(names.length === 1 ? [undefined, names[0]] : names);
      const enumKey = k !== undefined && types!.has(k) ? k : undefined;
      let cols = columns.get(table);
      if (!enumKey && !cols?.has(name)) return;
      if (!cols) columns.set(table, (cols = new Map()));
      let states = cols.get(name);
      if (!states) cols.set(name, (states = []));
      states.push([at, enumKey]);
    };
    for (const t of m.tables.values()) for (const e of (t.stmt.node?.tableElts ?? []) as Node[]) if (e?.ColumnDef) typed(t.key, e.ColumnDef.colname, e.ColumnDef.typeName, -1);
    for (let i = 0; i < m.statements.length; i++) {
      const stmt = m.statements[i]!.stmt;
      if (stmt.kind !== 'AlterTableStmt' || !stmt.node?.relation) continue;
      const key = m.relKey(stmt.node.relation);
      for (const c of (stmt.node.cmds ?? []) as Node[]) {
        const cmd = c?.AlterTableCmd;
        if (cmd?.subtype === 'AT_AddColumn') typed(key, cmd.def?.ColumnDef?.colname, cmd.def?.ColumnDef?.typeName, i);
        // (ALTER COLUMN role TYPE public.team_membership_role: zen-demand's team_members)
        else if (cmd?.subtype === 'AT_AlterColumnType') typed(key, cmd.name, cmd.def?.ColumnDef?.typeName, i);
      }
    }
    return { types, columns };
  });
}

/** The values of an enum type when the statement at replay position `at` runs. */
function valuesAt(t: EnumType, at: number): ReadonlySet<string> | undefined {
  let out: ReadonlySet<string> | undefined;
  for (const [i, v] of t.states) if (i < at) out = v;
  return out;
}

/** The key of the type a cast names. */
function castKey(model: Model, typeName: Node): string | undefined {
  const names = nameParts(typeName?.names);
  if (names.length === 0 || typeName.arrayBounds) return undefined;
  return model.key(names.length === 1 ? [undefined, names[0]] : names);
}

/** A string constant (`'x'`, or `'x'::type`) and its location. */
function stringConst(n: Node): { value: string; location: number } | undefined {
  const c = n?.A_Const ?? n?.TypeCast?.arg?.A_Const;
  const v = c?.sval?.sval;
  return typeof v === 'string' ? { value: v, location: c.location ?? -1 } : undefined;
}

interface BadValue {
  file: string;
  value: string;
  location: number;
  column: string;
  type: EnumType;
  values: ReadonlySet<string>;
}

/**
 * The first string a policy's expressions compare (=, <>, IN) with a column of an enum type that
 * is not one of its values when the policy is made: the column of the policy's table, or of a
 * table its sub-selects read under that name or alias (unqualified: the one table in reach with it).
 */
function badValue(model: Model, table: string, at: number, exprs: ReadonlyArray<{ node: Node; file: string }>, facts: EnumFacts): BadValue | undefined {
  const tables = new Map<string, string>(); // alias or name → table key
  tables.set(table.slice(table.indexOf('.') + 1), table);
  for (const e of exprs) {
    for (const rv of census(e.node).rangeVars) {
      const key = model.relKey(rv);
      tables.set(String(rv.alias?.aliasname ?? rv.relname), key);
    }
  }
  if (facts.types.size === 0) return undefined;
  const columnOf = (n: Node): { column: string; type: string } | undefined => {
    const fields: Node[] | undefined = n?.ColumnRef?.fields;
    if (!fields || fields.length === 0 || fields.length > 2) return undefined;
    const parts = fields.map((f) => sval(f));
    if (parts.some((x) => x === undefined)) return undefined;
    const column = parts[parts.length - 1]!;
    if (parts.length === 2) {
      const k = tables.get(parts[0]!);
      const type = k ? typeAt(facts, k, column, at) : undefined;
      return type ? { column: `${parts[0]}.${column}`, type } : undefined;
    }
    // (unqualified: every table in reach with such a column must agree on its type)
    const found = new Set<string | undefined>();
    for (const k of new Set(tables.values())) {
      const t: Table | undefined = model.tables.get(k);
      if (t?.columns.includes(column)) found.add(typeAt(facts, k, column, at));
    }
    const type = found.size === 1 ? [...found][0] : undefined;
    return type ? { column, type } : undefined;
  };
  let out: BadValue | undefined;
  for (const e of exprs) {
    walk(e.node, (k, v) => {
      if (out) return false;
      // (a string cast to an enum type it is no value of, wherever it stands: `has_role(auth.uid(),
      // 'admin'::app_role)`, cavity-care-pro's policies, whose app_role has no 'admin')
      if (k === 'TypeCast') {
        const key = castKey(model, v.typeName);
        const type = key ? facts.types.get(key) : undefined;
        const values = type ? valuesAt(type, at) : undefined;
        const s = values ? stringConst({ TypeCast: v }) : undefined;
        if (s && s.location >= 0 && !values!.has(s.value)) {
          out = { file: e.file, value: s.value, location: s.location, column: '', type: type!, values: values! };
          return false;
        }
        return undefined;
      }
      if (k !== 'A_Expr') return;
      const op = sval(v.name?.[0]);
      let pairs: Array<[Node, Node[]]> = [];
      if (v.kind === 'AEXPR_OP' && (op === '=' || op === '<>' || op === '!=')) pairs = [[v.lexpr, [v.rexpr]], [v.rexpr, [v.lexpr]]];
      else if (v.kind === 'AEXPR_IN') pairs = [[v.lexpr, ((v.rexpr?.List?.items ?? v.rexpr) as Node[]) ?? []]];
      for (const [side, others] of pairs) {
        const col = columnOf(side);
        if (!col) continue;
        const type = facts.types.get(col.type)!;
        const values = valuesAt(type, at);
        if (!values) continue;
        for (const o of Array.isArray(others) ? others : []) {
          // (a string cast to another type, `'owner'::public.team_membership_role`, is of that type:
          // comparing it with the column fails otherwise, 42883 operator does not exist, when it does)
          if (o?.TypeCast && castKey(model, o.TypeCast.typeName) !== col.type) continue;
          const s = stringConst(o);
          if (s && s.location >= 0 && !values.has(s.value)) {
            out = { file: e.file, value: s.value, location: s.location, column: col.column, type, values };
            return false;
          }
        }
      }
      return undefined;
    });
    if (out) break;
  }
  return out;
}

export const policyInvalidEnumValue = defineRule({
  meta: {
    id: 'policy-invalid-enum-value',
    description: 'A policy compares a column of an enum type with a string that is not one of its values, or casts such a string to the type: PostgreSQL rejects the CREATE POLICY (22P02).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "PostgreSQL converts a string compared with an enum column to the enum when it analyses the policy: a string that is not one of the type's values fails the CREATE POLICY (or ALTER POLICY) with 22P02 invalid input value for enum, and the policy does not exist.",
    shownBy: { statement: ['22P02'] },
  },
  check({ model, report }) {
    const facts = enumFacts(model);
    if (facts.types.size === 0) return;
    // (each CREATE POLICY and ALTER POLICY where it runs: one a later statement replaces failed all the same)
    for (let i = 0; i < model.statements.length; i++) {
      const { file, stmt } = model.statements[i]!;
      if (stmt.kind !== 'CreatePolicyStmt' && stmt.kind !== 'AlterPolicyStmt') continue;
      const n = stmt.node;
      if (!n?.table) continue;
      const exprs = [n.qual, n.with_check].filter(Boolean).map((node: Node) => ({ node, file: file.file }));
      const bad = badValue(model, model.relKey(n.table), i, exprs, facts);
      if (!bad) continue;
      const name = String(n.policy_name ?? '');
      const list = [...bad.values].map((v) => `'${v}'`).join(', ');
      report({
        file: bad.file,
        start: bad.location,
        end: bad.location + bad.value.length + 2,
        message:
          (bad.column
            ? `Policy "${name}" on ${model.relKey(n.table)} compares ${bad.column}, of the enum type ${bad.type.name}, with '${bad.value}', which is not one of its values (${list}) when the policy is made: `
            : `Policy "${name}" on ${model.relKey(n.table)} casts '${bad.value}' to the enum type ${bad.type.name}, which has no such value (${list}) when the policy is made: `) +
          `PostgreSQL converts the string to ${bad.type.name} as it analyses the policy and rejects the ${stmt.kind === 'AlterPolicyStmt' ? 'ALTER' : 'CREATE'} POLICY with 22P02 invalid input value for enum ${bad.type.name}: "${bad.value}", so ${stmt.kind === 'AlterPolicyStmt' ? 'the policy keeps its old expressions' : 'the policy is not created'} (a migration tool stops here). ` +
          `Use one of its values, or add this one first (ALTER TYPE ${bad.type.name} ADD VALUE '${bad.value}', in an earlier migration).`,
      });
    }
  },
});
