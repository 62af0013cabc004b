import { callsIn, census, conjuncts, constValue, identEnd, locationBounds, relationsIn, returningOf, TEXT_TYPES, typeName, shapeOf } from '../analysis/ast.js';
import type { Func, Model, Policy } from '../analysis/model.js';
import { enumTypeOfColumn } from '../analysis/enum-values.js';
import { sval } from '../analysis/parse.js';
import {
  activeRows,
  activeRowsWith,
  FLAG_USER_METADATA,
  functionsCalledByPolicies,
  bodyFlags,
  BODY_USER_META,
  memoModel,
  policyExprs,
  textOfFile,
  userMetadataRefs,
  userMetadataRefsAt,
  visitTyped,
  type UserMetadataRef,
} from '../analysis/policy-exprs.js';
import type { Node, Span, Statement } from '../analysis/types.js';
import { defineRule, type Edit, type Fix, type Related } from './types.js';
import { foldedAway } from './lib/unreadable.js';
import { AUTH_USERS, columnRef, mayReadAuthUsers, sqlString } from './lib/util.js';

interface Ref extends UserMetadataRef {
  file: string;
}

/** The span of the word to replace (`user_metadata` in a literal, `raw_user_meta_data` as a column). */
function wordSpan(model: Model, r: Ref): { start: number; end: number; newText: string } | undefined {
  const text = textOfFile(model, r.file);
  const word = r.kind === 'claim' ? 'user_metadata' : 'raw_user_meta_data';
  const window = text.slice(r.location, r.location + 120).toLowerCase();
  const i = window.indexOf(word);
  if (i < 0) return undefined;
  const start = r.location + i;
  return { start, end: start + word.length, newText: r.kind === 'claim' ? 'app_metadata' : 'raw_app_meta_data' };
}

function describe(model: Model, r: Ref): string {
  if (r.kind === 'column') return 'auth.users.raw_user_meta_data';
  return "the JWT's user_metadata claim";
}

function fixFor(model: Model, refs: Ref[]): Fix | undefined {
  const edits: Edit[] = [];
  for (const r of refs) {
    const w = wordSpan(model, r);
    if (!w) return undefined;
    edits.push({ file: r.file, ...w });
  }
  const words = [...new Set(refs.map((r) => (r.kind === 'claim' ? 'user_metadata → app_metadata' : 'raw_user_meta_data → raw_app_meta_data')))].join(', ');
  return { title: `Read app_metadata instead (${words}); the data must be moved there by the server`, kind: 'unsafe', edits };
}

const WHY =
  'every signed-in user can rewrite their own user_metadata with supabase.auth.updateUser({ data: … }), and the value lands in their next JWT and in auth.users.raw_user_meta_data, ' +
  'so a user can give themselves whatever value this checks.';
/** For a policy that reads auth.users itself, which Supabase's API roles cannot (WHY's last clause is not true as written). */
const WHY_UNREADABLE =
  'every signed-in user can rewrite their own user_metadata with supabase.auth.updateUser({ data: … }), and the value lands in their next JWT and in auth.users.raw_user_meta_data, ' +
  'so it is a check whose answer the user chooses. As written, its sub-select reads auth.users, on which Supabase grants anon and authenticated no privilege (nor do these migrations): ' +
  'for them every query the policy applies to fails with 42501 permission denied for table users ' +
  '(unless another of their permissive policies for the command is always true: PostgreSQL then drops the sub-select). Read through a SECURITY DEFINER function, as is usual, the check would let any user pass.';
const API_ROLES = ['anon', 'authenticated'];

/**
 * Whether the policy reads auth.users in a sub-select for Supabase's API roles (or PUBLIC),
 * none of which a GRANT in the workspace lets read it: PostgreSQL checks the querying role's privileges on
 * the relations of a policy's sub-selects, so its queries fail with 42501 (unless foldedAway).
 */
function readsUnreadableAuthUsers(model: Model, p: Policy, nodes: Node[]): boolean {
  if (!nodes.some((n) => relationsIn(n).some((r) => r.inSubLink && model.relKey(r) === AUTH_USERS))) return false;
  const roles = p.roles.includes('public') ? API_ROLES : API_ROLES.filter((r) => p.roles.includes(r));
  return roles.length > 0 && roles.every((r) => !foldedAway(model, p, r) && !mayReadAuthUsers(model, r));
}

const WHAT =
  'Use app_metadata (raw_app_meta_data in auth.users), which only the service role can write, and move the data there (e.g. supabase.auth.admin.updateUserById(id, { app_metadata: … })).';

// ---------------------------------------------------------------------------------------
// Metadata copied into a table that a policy trusts

/** A column a function body fills from user metadata. */
interface Sink {
  func: Func;
  /** the table's key and the column */
  table: string;
  column: string;
  /** the value written (in the function's file) */
  value: Node;
  /** the metadata references the value comes from, by location */
  origins: Ref[];
  /** the values it can write */
  values: Values;
  /** the metadata does not flow into the value but chooses it: an IF on it picks the branch that assigns or writes it */
  chosen?: boolean;
}

/** Parts of a query that choose rows rather than give the value: metadata there is a look-up, not a copy. */
const NOT_VALUE = new Set(['whereClause', 'havingClause', 'fromClause', 'quals', 'sortClause', 'groupClause', 'limitCount', 'limitOffset', 'withClause']);

/**
 * The metadata references (userMetadataRefs' kinds) in a value expression, and those of the
 * variables of `tainted` it uses, outside the parts of sub-queries that choose rows; by location.
 */
function originsIn(value: Node, tainted: ReadonlyMap<string, UserMetadataRef[]>): UserMetadataRef[] {
  const found = new Map<number, UserMetadataRef>();
  const refs: UserMetadataRef[] = [];
  const walk = (n: Node): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    for (const k in n) {
      const v = n[k];
      if (!v || typeof v !== 'object' || NOT_VALUE.has(k)) continue;
      const c0 = k.charCodeAt(0);
      if (c0 >= 65 && c0 <= 90 && !Array.isArray(v)) {
        refs.length = 0;
        userMetadataRefsAt(k, v, refs);
        for (const r of refs) if (r.location >= 0) found.set(r.location, r);
        if (k === 'ColumnRef' && v.fields?.length === 1) {
          const name = sval(v.fields[0])?.toLowerCase();
          for (const r of (name !== undefined && tainted.get(name)) || []) found.set(r.location, r);
        }
      }
      walk(v);
    }
  };
  walk(value);
  return [...found.values()].sort((x, y) => x.location - y.location);
}

/** The values of an assignment statement, one per assigned variable (all of them when they cannot be paired). */
function assignedValues(node: Node, assigns: readonly string[]): Array<{ vars: readonly string[]; value: Node }> {
  const list: Node[] = node.targetList ?? returningOf(node);
  const values = list.map((t: Node) => t?.ResTarget?.val ?? t);
  if (values.length === assigns.length) return values.map((value, i) => ({ vars: [assigns[i]!], value }));
  return [{ vars: assigns, value: values }];
}

/** The (column, value) pairs an INSERT, UPDATE or ON CONFLICT DO UPDATE of f's body writes. */
function writtenValues(model: Model, f: Func, kind: string, n: Node): Array<{ column: string; value: Node }> {
  const out: Array<{ column: string; value: Node }> = [];
  const sets = (targets: Node[] | undefined) => {
    for (const t of targets ?? []) {
      const r = t?.ResTarget;
      if (!r?.name) continue;
      const m = r.val?.MultiAssignRef;
      const value = m ? (m.source?.RowExpr?.args?.[m.colno - 1] ?? m.source) : r.val;
      out.push({ column: r.name, value });
    }
  };
  if (kind === 'UpdateStmt') sets(n.targetList);
  if (kind !== 'InsertStmt') return out;
  const table = n.relation?.relname ? model.tables.get(model.funcRelKey(f, n.relation)) : undefined;
  const cols: string[] = n.cols ? n.cols.map((c: Node) => c?.ResTarget?.name) : (table?.columns ?? []);
  const sel = n.selectStmt?.SelectStmt;
  const rows: Node[][] = sel?.valuesLists ? sel.valuesLists.map((l: Node) => l?.List?.items ?? []) : sel?.targetList ? [sel.targetList.map((t: Node) => t?.ResTarget?.val)] : [];
  for (const row of rows) row.forEach((value, i) => cols[i] && out.push({ column: cols[i]!, value }));
  sets(n.onConflictClause?.targetList);
  return out;
}

// ---------------------------------------------------------------------------------------
// The values a copy can take. the-suite (hlieb-decodifi/the-suite) maps the role a user chose
// before storing it: `CASE WHEN v = 'admin' THEN 'client' WHEN v IN ('client', 'professional')
// THEN v ELSE 'client' END` never writes 'admin', and its policies grant on 'admin' (PGlite: a
// sign-up with { role: 'admin' } stores 'client' and sees none of the admins' rows).

/** The values an expression can take: a set of constants' texts (NULL left out: it equals nothing), or any value. */
type Values = ReadonlySet<string> | 'any';
const NO_VALUES: ReadonlySet<string> = new Set();
/** Restrictions a CASE branch's condition puts on expressions (by keyOf): the constants each can be there. */
type Restrictions = ReadonlyMap<string, ReadonlySet<string>>;
const NO_RESTRICTIONS: Restrictions = new Map();

/** Types a cast to changes the text of a value (`'1.0'::numeric` is 1.0): a constant cast to them is not followed. Others keep it (text, an enum label, a domain over text). */
const NORMALISING_TYPE = /^(bool|boolean|smallint|integer|bigint|int[248]?|numeric|decimal|real|float[48]?|double precision|uuid|jsonb?|date|time.*|interval|bytea|inet|cidr|money|oid)(\[\])*$/;

function keepsText(cast: Node): boolean {
  const t = typeName(cast.typeName);
  // (citext keeps the text but compares it ignoring case, varchar(5) cuts it: not followed)
  return t !== 'citext' && !cast.typeName?.typmods?.length && (TEXT_TYPES.has(t) || (!t.endsWith('[]') && !NORMALISING_TYPE.test(t)));
}

/** The expression under casts that keep its text. */
function bare(n: Node): Node {
  while (n?.TypeCast && keepsText(n.TypeCast)) n = n.TypeCast.arg;
  return n;
}

/** An expression's shape (locations aside, casts keeping its text aside): the same variable or JSON access written twice has one key. */
function keyOf(n: Node): string {
  return shapeOf(bare(n));
}

/** The text of a constant (cast to a type that keeps it), null for NULL; undefined for anything else. */
function constText(n: Node): string | null | undefined {
  const v = constValue(bare(n));
  return v === undefined || v === null ? v : String(v);
}

/** The constants a list (`IN (…)`), an `ARRAY[…]` or one constant gives, NULLs left out; undefined when anything is not a constant. */
function constsOf(n: Node): Set<string> | undefined {
  const b = bare(n);
  const items: Node[] = Array.isArray(b) ? b : b?.A_ArrayExpr ? (b.A_ArrayExpr.elements ?? []) : b?.List ? (b.List.items ?? []) : [b];
  const out = new Set<string>();
  for (const x of items) {
    const c = constText(x);
    if (c === undefined) return undefined;
    if (c !== null) out.add(c);
  }
  return out;
}

/** The last part of an operator's name. */
const opOf = (a: Node): string | undefined => sval(a?.name?.[a.name.length - 1]);

/** What a condition being true says of expressions: `x = 'c'`, `x IN ('a', 'b')`, `x = ANY (ARRAY[…])`, and ANDs / ORs of them. */
function restrictionsOf(cond: Node): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  const b = cond?.BoolExpr;
  if (b?.boolop === 'AND_EXPR' || b?.boolop === 'OR_EXPR') {
    const parts: Map<string, ReadonlySet<string>>[] = (b.args ?? []).map(restrictionsOf);
    if (b.boolop === 'AND_EXPR') {
      for (const m of parts) for (const [k, v] of m) out.set(k, out.has(k) ? new Set([...out.get(k)!].filter((x) => v.has(x))) : v);
    } else {
      for (const [k, v] of parts[0] ?? []) if (parts.every((m) => m.has(k))) out.set(k, new Set(parts.flatMap((m) => [...m.get(k)!])));
    }
    return out;
  }
  const a = cond?.A_Expr;
  if (!a || opOf(a) !== '=' || !['AEXPR_OP', 'AEXPR_IN', 'AEXPR_OP_ANY'].includes(a.kind)) return out;
  const right = constsOf(a.rexpr);
  if (right && (a.kind !== 'AEXPR_OP' || constText(a.rexpr) !== undefined)) out.set(keyOf(a.lexpr), right);
  else if (a.kind === 'AEXPR_OP' && constText(a.lexpr) != null) out.set(keyOf(a.rexpr), new Set([constText(a.lexpr)!]));
  return out;
}

function union(a: Values, b: Values): Values {
  if (a === 'any' || b === 'any') return 'any';
  if (b.size === 0) return a;
  return new Set([...a, ...b]);
}

/**
 * The values an expression can take, where `vars` holds those of a function's variables (one not
 * there can be anything): constants, the variables, casts that keep the text, `coalesce(…)`, and
 * `CASE`, whose branch `WHEN v IN ('a', 'b') THEN v` gives v only as 'a' or 'b'; anything else, any value.
 */
function valuesOf(n: Node, vars: ReadonlyMap<string, Values>, restrict: Restrictions): Values {
  const r = restrict.size ? restrict.get(keyOf(n)) : undefined;
  if (r) return r;
  const c = constText(n);
  if (c !== undefined) return c === null ? NO_VALUES : new Set([c]);
  const b = bare(n);
  if (b?.CaseExpr) {
    const x = b.CaseExpr;
    let out: Values = NO_VALUES;
    // (a branch is taken only when the earlier ones were not: after `WHEN v = 'admin' THEN …`, v is not 'admin')
    const excluded = new Map<string, Set<string>>();
    for (const w of x.args ?? []) {
      const when = w?.CaseWhen;
      // (`CASE v WHEN 'a' THEN …`: the branch is taken when v = 'a')
      const more = x.arg ? new Map(constText(when?.expr) !== undefined ? [[keyOf(x.arg), constsOf(when.expr)!]] : []) : restrictionsOf(when?.expr);
      const inBranch = new Map(restrict);
      for (const [k, v] of more) {
        const not = excluded.get(k);
        inBranch.set(k, new Set([...(restrict.get(k) ?? v)].filter((y) => v.has(y) && !not?.has(y))));
      }
      out = union(out, valuesOf(when?.result, vars, inBranch));
      if (out === 'any') return out;
      // (only a single comparison is false exactly when its value is not among the constants)
      if (x.arg || when?.expr?.A_Expr) for (const [k, v] of more) excluded.set(k, new Set([...(excluded.get(k) ?? []), ...v]));
    }
    // (no ELSE: NULL)
    return x.defresult ? union(out, valuesOf(x.defresult, vars, restrict)) : out;
  }
  if (b?.CoalesceExpr) {
    let out: Values = NO_VALUES;
    for (const a of b.CoalesceExpr.args ?? []) if ((out = union(out, valuesOf(a, vars, restrict))) === 'any') break;
    return out;
  }
  const col = b?.ColumnRef;
  if (col?.fields?.length === 1) {
    const name = sval(col.fields[0])?.toLowerCase();
    return (name !== undefined && vars.get(name)) || 'any';
  }
  return 'any';
}

/** The values of a function's variables, from all their assignments (in any branch), to a fixpoint. */
function variableValues(stmts: readonly { node: Node; assigns?: readonly string[] }[]): Map<string, Values> {
  const vars = new Map<string, Values>();
  for (const s of stmts) for (const v of s.assigns ?? []) vars.set(v.toLowerCase(), NO_VALUES);
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of stmts) {
      if (!s.assigns) continue;
      for (const { vars: names, value } of assignedValues(s.node, s.assigns)) {
        const v = valuesOf(value, vars, NO_RESTRICTIONS);
        for (const name of names) {
          const had = vars.get(name.toLowerCase()) ?? NO_VALUES;
          const now = union(had, v);
          if (now === had || (now !== 'any' && had !== 'any' && now.size === had.size)) continue;
          vars.set(name.toLowerCase(), now);
          changed = true;
        }
      }
    }
  }
  return vars;
}

/**
 * The columns a function body fills from user metadata: variables assigned (`:=`, `SELECT …
 * INTO`) a value that holds a metadata reference or such a variable are tainted, to a fixpoint;
 * an INSERT / UPDATE / ON CONFLICT DO UPDATE writing a reference or a tainted variable into a
 * column is a sink. Metadata only tested (`IF NEW.raw_user_meta_data ? 'x'`, a WHERE) is not copied.
 */
function sinksOf(model: Model, f: Func): Sink[] {
  const stmts = f.body?.statements ?? [];
  if (!stmts.some((s) => census(s.node).userMeta)) return [];
  const file = f.created.file;
  const tainted = new Map<string, UserMetadataRef[]>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of stmts) {
      if (!s.assigns) continue;
      for (const { vars, value } of assignedValues(s.node, s.assigns)) {
        const o = originsIn(value, tainted);
        if (o.length === 0) continue;
        for (const v of vars) {
          const had = tainted.get(v) ?? [];
          const more = o.filter((r) => !had.some((x) => x.location === r.location));
          if (more.length === 0) continue;
          tainted.set(v, [...had, ...more].sort((x, y) => x.location - y.location));
          changed = true;
        }
      }
    }
  }
  // (metadata that chooses a value: the variables a branch of an IF on it assigns, frotaapp's
  // `IF NEW.raw_user_meta_data->>'phone' = '912345678' THEN user_role := 'admin'`, to a fixpoint)
  const chosen = new Map<string, UserMetadataRef[]>();
  const choosing = (st: (typeof stmts)[number]) => choosersOf(stmts, st, tainted, chosen);
  for (let changed = true; changed; ) {
    changed = false;
    for (const st of stmts) {
      if (!st.assigns || !st.arms?.length || st.armCond || lookupGated(stmts, st, tainted)) continue;
      const o = choosing(st);
      if (o.length === 0) continue;
      for (const v of st.assigns) {
        const had = chosen.get(v) ?? [];
        const more = o.filter((r) => !had.some((x) => x.location === r.location));
        if (more.length === 0) continue;
        chosen.set(v, [...had, ...more].sort((x, y) => x.location - y.location));
        changed = true;
      }
    }
  }
  const out: Sink[] = [];
  let vars: Map<string, Values> | undefined;
  for (const s of stmts) {
    if (s.kind !== 'InsertStmt' && s.kind !== 'UpdateStmt') continue;
    if (!s.node.relation?.relname) continue;
    // (the table as the model resolves it in the function: its own search_path)
    const table = model.funcRelKey(f, s.node.relation);
    const written = writtenValues(model, f, s.kind, s.node);
    // (a text value, such as `NEW.raw_user_meta_data->>'role'`, written into a column of an enum
    // type: text has no assignment cast to an enum, so PostgreSQL rejects the statement each time
    // it runs, 42804 column "role" is of type user_role but expression is of type text, and it
    // writes nothing, whatever the metadata holds; SethRoll3/AcercateSys' handle_new_user)
    if (written.some(({ column, value }) => textTyped(value) && enumTypeOfColumn(model, table, column) !== undefined)) continue;
    let by: UserMetadataRef[] | undefined;
    for (const { column, value } of written) {
      if (out.some((x) => x.table === table && x.column === column)) continue;
      const o = originsIn(value, tainted);
      if (o.length) {
        // (a variable the lookup gating the statement required equal to a column of the row it
        // found: the value is that row's, an invitation's organization, not the metadata's pick)
        const v = columnRef(value);
        if (v && v.qual === undefined && s.arms?.length && gatingLookups(stmts, s, tainted)?.has(v.name)) continue;
        out.push({ func: f, table, column, value, origins: o.map((r) => ({ ...r, file })), values: valuesOf(value, (vars ??= variableValues(stmts)), NO_RESTRICTIONS) });
        continue;
      }
      // (a value the metadata chose: a variable a branch on it assigned, or any value written in such a branch)
      // (only a value among a few constants: the metadata then picks which is written, or whether;
      // a value such as the new user's id is not the user's to choose, whether the row is written or not)
      const viaVars = originsIn(value, chosen);
      const c = [...viaVars, ...(by ??= s.arms?.length && !lookupGated(stmts, s, tainted) ? choosing(s) : [])];
      // (a constant written in the branch the IFs take when the metadata holds none of the keys they
      // read — the ELSE of `IF NEW.raw_user_meta_data->>'invite_token' IS NOT NULL`: every user who
      // sends no metadata gets it, and the metadata can only turn it away; remix-of-immoflow's
      // handle_new_user(), whose ordinary sign-up writes 'admin')
      if (c.length && viaVars.length === 0 && constText(value) !== undefined && takenWithoutMetadata(stmts, s)) continue;
      const values = c.length ? valuesOf(value, (vars ??= variableValues(stmts)), NO_RESTRICTIONS) : 'any';
      if (values !== 'any') out.push({ func: f, table, column, value, origins: c.map((r) => ({ ...r, file })), values, chosen: true });
    }
  }
  return out;
}

/** What an expression is when the user's metadata holds none of the keys read: true, false, NULL (null), a string constant ({ text }), some other value ('value'), or not known (undefined). */
type Absent = boolean | null | 'value' | { text: string } | undefined;
const isValue = (a: Absent): boolean => a === 'value' || (typeof a === 'object' && a !== null);

const JSON_OPS = new Set(['->', '->>', '#>', '#>>']);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=', '~~', '!~~', '~~*', '!~~*', '~', '!~', '~*', '!~*']);

/**
 * Whether statement `st` of a PL/pgSQL body runs when the user's metadata holds none of the keys
 * the IFs around it read (a sign-up sending no `data`): each condition of the branches before its
 * own is then false or NULL, and its own branch's is true (an ELSE has none). Only where every such
 * condition evaluates so: a NULL test or a comparison of a key of raw_user_meta_data (`->>`, `->`),
 * directly or through variables every assignment of which is such a key, under AND, OR and NOT.
 */
function takenWithoutMetadata(stmts: readonly Statement[], st: Statement): boolean {
  const arms = st.arms ?? [];
  if (arms.length === 0) return false;
  const seen = new Set<string>();
  // (a variable is NULL then when every assignment of it is: `v := NEW.raw_user_meta_data->>'k'`)
  const variable = (name: string): Absent => {
    if (seen.has(name)) return undefined;
    seen.add(name);
    // (or the same string constant: `v := COALESCE(NEW.raw_user_meta_data->>'role', 'seller')`)
    let out: Absent;
    let first = true;
    search: for (const s of stmts) {
      if (!s.assigns?.some((v) => v.toLowerCase() === name)) continue;
      for (const { vars, value } of assignedValues(s.node, s.assigns)) {
        if (!vars.some((v) => v.toLowerCase() === name)) continue;
        const a = Array.isArray(value) ? undefined : absent(value);
        const same = a === null ? out === null : typeof a === 'object' && typeof out === 'object' && out !== null && out.text === a.text;
        if ((a !== null && typeof a !== 'object') || (!first && !same)) {
          out = undefined;
          break search;
        }
        out = a;
        first = false;
      }
    }
    seen.delete(name);
    return out;
  };
  const absent = (n: Node | undefined): Absent => {
    if (!n || typeof n !== 'object') return undefined;
    if (n.TypeCast) return absent(n.TypeCast.arg);
    if (n.A_Const) return n.A_Const.isnull ? null : n.A_Const.boolval !== undefined ? !!n.A_Const.boolval.boolval : typeof n.A_Const.sval?.sval === 'string' ? { text: n.A_Const.sval.sval } : 'value';
    if (n.CoalesceExpr) {
      // (the first argument that is not NULL then; undefined where one before it may not be)
      for (const x of n.CoalesceExpr.args ?? []) {
        const v = absent(x);
        if (v !== null) return v;
      }
      return null;
    }
    if (n.ColumnRef) {
      const f = n.ColumnRef.fields ?? [];
      const name = f.length === 1 ? sval(f[0])?.toLowerCase() : undefined;
      return name !== undefined ? variable(name) : undefined;
    }
    if (n.NullTest) {
      const v = absent(n.NullTest.arg);
      if (v === undefined) return undefined;
      const isNull = v === null;
      return n.NullTest.nulltesttype === 'IS_NULL' ? isNull : !isNull;
    }
    if (n.BoolExpr) {
      const args: Absent[] = (n.BoolExpr.args ?? []).map((a: Node) => absent(a));
      if (args.some(isValue)) return undefined;
      if (n.BoolExpr.boolop === 'NOT_EXPR') return args[0] === undefined || args[0] === null ? args[0] : !args[0];
      const and = n.BoolExpr.boolop === 'AND_EXPR';
      if (args.includes(!and)) return !and; // (false decides an AND, true an OR)
      if (args.includes(undefined)) return undefined;
      return args.includes(null) ? null : and;
    }
    const a = n.A_Expr;
    if (a?.kind === 'AEXPR_OP') {
      const op = sval(a.name?.[a.name.length - 1]) ?? '';
      if (JSON_OPS.has(op)) {
        const l = a.lexpr?.ColumnRef?.fields;
        if (l?.length && sval(l[l.length - 1])?.toLowerCase() === 'raw_user_meta_data' && constText(a.rexpr) !== undefined) return null;
        return absent(a.lexpr) === null ? null : undefined;
      }
      // (these operators are strict: a NULL operand makes the comparison NULL)
      if (COMPARISONS.has(op) && a.lexpr && a.rexpr) {
        const [l, r] = [absent(a.lexpr), absent(a.rexpr)];
        if (l === null || r === null) return null;
        // (two string constants: `v_role = 'seller'` where v_role is then 'seller')
        if ((op === '=' || op === '<>' || op === '!=') && typeof l === 'object' && typeof r === 'object') return op === '=' ? l.text === r.text : l.text !== r.text;
      }
    }
    return undefined;
  };
  const cond = (c: Statement): Node | undefined => c.node?.targetList?.[0]?.ResTarget?.val;
  const levels = new Set<number>();
  for (const c of stmts) {
    const ca = c.armCond ? c.arms : undefined;
    if (!ca || ca.length > arms.length) continue;
    let within = true;
    for (let i = 0; i < ca.length - 1 && within; i++) if (ca[i] !== arms[i]) within = false;
    if (!within) continue;
    const mine = ca[ca.length - 1]!, its = arms[ca.length - 1]!;
    if (mine > its) continue;
    const v = absent(cond(c));
    if (mine < its ? v !== false && v !== null : v !== true) return false;
    if (mine === its) levels.add(ca.length);
  }
  // (each IF it is in: its own branch's condition held, or it is the ELSE after conditions that did not)
  for (let l = 2; l <= arms.length; l += 2) if (!levels.has(l) && !stmts.some((c) => c.armCond && c.arms?.length === l && c.arms.slice(0, l - 1).every((x, i) => x === arms[i]))) return false;
  return true;
}

/**
 * Whether an expression is of type text as PostgreSQL types it, not a literal of unknown type:
 * a JSON field read as text (`->>`, `#>>`), a cast to a string type, or a coalesce() of such
 * values and string literals or NULLs.
 */
function textTyped(n: Node): boolean {
  if (n?.TypeCast) {
    const t = typeName(n.TypeCast.typeName);
    return TEXT_TYPES.has(t) && t !== 'unknown' && !n.TypeCast.typeName?.arrayBounds?.length;
  }
  const a = n?.A_Expr;
  if (a) return a.kind === 'AEXPR_OP' && (opOf(a) === '->>' || opOf(a) === '#>>');
  const args: Node[] | undefined = n?.CoalesceExpr?.args;
  if (!args) return false;
  let text = false;
  for (const x of args) {
    if (textTyped(x)) text = true;
    else if (!(x?.A_Const && (x.A_Const.isnull || x.A_Const.sval))) return false;
  }
  return text;
}

/** A column holding a secret a lookup is keyed by: an invitation's token or code. */
const SECRET_COLUMN = /token|secret|nonce|(?:^|_)otp(?:$|_)|^(?:invite_|invitation_|verification_|access_|join_)?code$/i;

/**
 * Whether `st` runs only where a lookup keyed by the metadata found a row: it is in the THEN
 * branch of an `IF FOUND` right after a `SELECT … INTO` whose WHERE requires a column named for
 * a secret (SECRET_COLUMN) equal to a metadata value (Kinetic639/coreframe-boilerplate's
 * handle_user_signup_hook: `SELECT … INTO invitation_record FROM public.invitations i WHERE
 * i.token = invitation_token AND lower(i.email)
 * = lower(user_email) …; IF FOUND THEN INSERT INTO public.organization_members …`). The metadata
 * then carries a key, an invitation token, that must match a row someone else wrote: it does not
 * choose what is written, the row it matches does (a value copied from the metadata itself is
 * still a copy).
 */
function lookupGated(stmts: readonly Statement[], st: Statement, tainted: ReadonlyMap<string, UserMetadataRef[]>): boolean {
  return gatingLookups(stmts, st, tainted) !== undefined;
}

/**
 * The variables (bare names) that the lookups gating `st` (lookupGated's) require equal to a
 * column of the row they found, or undefined where no such lookup gates it: a value of one of
 * them that `st` writes is that row's column (handle_new_auth_user's invitation_org_id, required
 * `organization_id = invitation_org_id`), not one the metadata chose freely.
 */
function gatingLookups(stmts: readonly Statement[], st: Statement, tainted: ReadonlyMap<string, UserMetadataRef[]>): Set<string> | undefined {
  const arms = st.arms;
  if (!arms?.length) return undefined;
  let bound: Set<string> | undefined;
  for (let i = 1; i < stmts.length; i++) {
    const c = stmts[i]!;
    const ca = c.armCond ? c.arms : undefined;
    // (the THEN branch of an IF that st is in)
    if (!ca || ca.length > arms.length || ca[ca.length - 1] !== 0 || (ca.length === arms.length && c === st)) continue;
    let within = true;
    for (let k = 0; k < ca.length && within; k++) if (ca[k] !== arms[k]) within = false;
    if (!within) continue;
    const cond: Node = c.node?.targetList?.length === 1 ? c.node.targetList[0]?.ResTarget?.val : undefined;
    const found = columnRef(cond);
    if (!found || found.qual !== undefined || found.name !== 'found') continue;
    // (the statement right before the IF, in the same block: the lookup FOUND reports on)
    const p = stmts[i - 1]!;
    const outer = ca.slice(0, -2);
    if (p.kind !== 'SelectStmt' || !p.assigns?.length || p.armCond || (p.arms ?? []).length !== outer.length || outer.some((x, k) => p.arms![k] !== x) || !p.node?.whereClause) continue;
    // (keyed by a secret: a column named for one, `token`, `invite_code`; a lookup by an id the
    // user may name, `WHERE id = meta_org_id`, finds any row and gates nothing)
    const vars = new Set<string>();
    let keyed = false;
    for (const part of conjuncts(p.node.whereClause)) {
      const x = part?.A_Expr;
      if (x?.kind !== 'AEXPR_OP' || x.name?.length !== 1 || sval(x.name[0]) !== '=') continue;
      for (const [col, val] of [[x.lexpr, x.rexpr], [x.rexpr, x.lexpr]] as const) {
        const c = columnRef(col);
        if (!c || !originsIn(val, tainted).length) continue;
        if (SECRET_COLUMN.test(c.name)) keyed = true;
        const v = columnRef(val);
        if (v && v.qual === undefined) vars.add(v.name);
      }
    }
    if (keyed) {
      bound ??= new Set();
      for (const v of vars) bound.add(v);
    }
  }
  return bound;
}

/**
 * The metadata references that choose whether `st` runs: those in the conditions of the IF branches
 * it is in (of each IF, the branch it is in and those before it, whose conditions were false), read
 * directly or through variables the metadata filled or chose.
 */
function choosersOf(
  stmts: readonly Statement[],
  st: Statement,
  tainted: ReadonlyMap<string, UserMetadataRef[]>,
  chosen: ReadonlyMap<string, UserMetadataRef[]>,
): UserMetadataRef[] {
  const arms = st.arms ?? [];
  const out: UserMetadataRef[] = [];
  for (const c of stmts) {
    const ca = c.armCond ? c.arms : undefined;
    if (!ca || ca.length > arms.length || ca[ca.length - 1]! > arms[ca.length - 1]!) continue;
    let within = true;
    for (let i = 0; i < ca.length - 1 && within; i++) if (ca[i] !== arms[i]) within = false;
    if (!within) continue;
    out.push(...originsIn(c.node, tainted), ...originsIn(c.node, chosen));
  }
  return out;
}

/** Whether a FROM list reads the table directly (joins included, sub-queries aside). */
function fromReads(model: Model, from: Node, table: string): boolean {
  if (Array.isArray(from)) return from.some((x) => fromReads(model, x, table));
  if (!from || typeof from !== 'object') return false;
  if (from.RangeVar) return model.relKey(from.RangeVar) === table;
  if (from.JoinExpr) return fromReads(model, from.JoinExpr.larg, table) || fromReads(model, from.JoinExpr.rarg, table);
  return false;
}

/** Whether a query in the tree reads the table and names the column (a reference whose last part is it). */
function readsColumn(model: Model, node: Node, table: string, column: string): boolean {
  let found = false;
  visitTyped(node, (type, n) => {
    if (found) return false;
    if (type !== 'SelectStmt' || !fromReads(model, n.fromClause, table)) return;
    visitTyped(n, (t, c) => {
      if (found) return false;
      if (t === 'ColumnRef' && sval(c.fields?.[c.fields.length - 1]) === column) found = true;
    });
    if (found) return false;
  });
  return found;
}

interface Trust {
  policy: Policy;
  /** the function the policy calls (directly or through others) that reads the column */
  via?: Func;
  /** the values of the column the policy checks for (`r.role = 'admin'`, `IN (…)`, a helper's parameter the policy passes a constant), or any when it reads the column otherwise */
  grants: Values;
  /** the policy's call of `via` that passes the constants of `grants` (a FuncCall node), if one does */
  call?: Node;
}

/**
 * The values of table.column the queries of `roots` that read the table compare it with
 * (`= 'admin'`, `IN ('a', 'b')`, `= ANY (ARRAY[…])`), and the parameters (of `params`, by
 * position) it is compared with; any when the column is read in any other way.
 */
function comparedValues(model: Model, roots: Node[], table: string, column: string, params: readonly string[] = []): { values: Set<string>; params: Set<number> } | 'any' {
  const values = new Set<string>();
  const at = new Set<number>();
  const handled = new Set<Node>();
  let any = false;
  const isColumn = (n: Node): Node | undefined => {
    const c = bare(n)?.ColumnRef;
    return c && sval(c.fields?.[c.fields.length - 1]) === column ? c : undefined;
  };
  for (const root of roots) {
    visitTyped(root, (type, n) => {
      if (any) return false;
      if (type !== 'SelectStmt' || !fromReads(model, n.fromClause, table)) return;
      visitTyped(n, (t, c) => {
        if (any) return false;
        if (t === 'A_Expr' && opOf(c) === '=') {
          for (const [a, b] of [
            [c.lexpr, c.rexpr],
            [c.rexpr, c.lexpr],
          ]) {
            const col = isColumn(a);
            if (!col || (b !== c.rexpr && c.kind !== 'AEXPR_OP')) continue;
            const consts = c.kind === 'AEXPR_OP' ? (constText(b) !== undefined ? constsOf(b) : undefined) : c.kind === 'AEXPR_IN' || c.kind === 'AEXPR_OP_ANY' ? constsOf(b) : undefined;
            const p = bare(b);
            const param = c.kind !== 'AEXPR_OP' ? -1 : p?.ParamRef ? (p.ParamRef.number ?? 0) - 1 : p?.ColumnRef?.fields?.length === 1 ? params.indexOf(sval(p.ColumnRef.fields[0])?.toLowerCase() ?? '') : -1;
            if (consts) for (const v of consts) values.add(v);
            else if (param >= 0) at.add(param);
            else continue;
            handled.add(col);
          }
        } else if (t === 'ColumnRef' && !handled.has(c) && sval(c.fields?.[c.fields.length - 1]) === column) any = true;
      });
      return false;
    });
  }
  return any ? 'any' : { values, params: at };
}

/** The names of a function's input parameters, in order ('' for an unnamed one). */
function inputParams(f: Func): string[] {
  return ((f.stmt.node?.parameters ?? []) as Node[])
    .map((p) => p?.FunctionParameter)
    .filter((p) => p && (p.mode === undefined || p.mode === 'FUNC_PARAM_IN' || p.mode === 'FUNC_PARAM_DEFAULT' || p.mode === 'FUNC_PARAM_INOUT' || p.mode === 'FUNC_PARAM_VARIADIC'))
    .map((p) => String(p.name ?? '').toLowerCase());
}

/**
 * The active policies that read table.column in a sub-select, then those calling a function
 * (directly or through others) that reads it, each with the values it checks for (per model).
 */
function trustsOf(model: Model, table: string, column: string): Trust[] {
  const memo = memoModel(model, 'policy-user-metadata:trust', () => new Map<string, Trust[]>());
  const key = `${table}\u0000${column}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const found: Trust[] = [];
  for (const row of activeRows(model)) {
    const nodes = row.exprs.filter((e) => relationsIn(e.node).some((r) => r.inSubLink && model.relKey(r) === table) && readsColumn(model, e.node, table, column)).map((e) => e.node);
    if (nodes.length === 0) continue;
    const c = comparedValues(model, nodes, table, column);
    found.push({ policy: row.policy, grants: c === 'any' ? c : c.values });
  }
  for (const { func, policy } of functionsCalledByPolicies(model)) {
    if (!func.reads.has(table) || !func.body) continue;
    const stmts = func.body.statements.filter((s) => readsColumn(model, s.node, table, column)).map((s) => s.node);
    if (stmts.length === 0) continue;
    const c = comparedValues(model, stmts, table, column, inputParams(func));
    if (c === 'any' || c.params.size === 0) {
      found.push({ policy, via: func, grants: c === 'any' ? c : c.values });
      continue;
    }
    // compared with a parameter: the constants the policies calling the function pass it (has_role(auth.uid(), 'admin'))
    let called = false;
    for (const row of activeRows(model)) {
      for (const e of row.exprs) {
        for (const call of callsIn(e.node)) {
          if (call.name[call.name.length - 1]?.toLowerCase() !== func.name || call.args.length !== func.argTypes.length) continue;
          called = true;
          let grants: Values = c.values;
          for (const i of c.params) grants = union(grants, constsOf(call.args[i]) ?? 'any');
          found.push({ policy: row.policy, via: func, grants, call: call.node });
        }
      }
    }
    // (called only through other functions: what they pass is not followed)
    if (!called) found.push({ policy, via: func, grants: 'any' });
  }
  memo.set(key, found);
  return found;
}

/** The first of the trusts that checks for a value among `values`, where the choice among them changes what its policy admits (choiceMatters). */
function trustFor(trusts: readonly Trust[], values: Values): Trust | undefined {
  return trusts.find((t) => (values === 'any' || t.grants === 'any' || [...t.grants].some((g) => values.has(g))) && choiceMatters(trusts, t, values));
}

/**
 * Whether the value the user chooses among `values` changes what the trust's policy admits. Not
 * where the policy calls the helper once per value, with every one of them, the calls the parts of
 * one OR: each choice passes it alike. courier-scheduler-ninja's handle_new_user() writes
 * 'b2b_customer' or 'b2c_customer' into user_roles.role by the user's is_business, and its orders
 * INSERT policy admits `has_role(auth.uid(), 'b2b_customer') OR has_role(auth.uid(), 'b2c_customer')
 * OR …`: the message said the user decides what the policy grants.
 */
function choiceMatters(trusts: readonly Trust[], t: Trust, values: Values): boolean {
  if (values === 'any' || values.size < 2 || t.grants === 'any' || !t.call) return true;
  const same = trusts.filter((x) => x.policy === t.policy && x.via === t.via && x.grants !== 'any' && [...x.grants].some((g) => values.has(g)));
  if (same.some((x) => !x.call)) return true;
  const union = new Set(same.flatMap((x) => [...(x.grants as Set<string>)]));
  if (![...values].every((v) => union.has(v))) return true;
  const calls = new Set(same.map((x) => x.call));
  // (the disjuncts of an OR, nested ORs flattened)
  const disjuncts = (n: Node): Node[] => (n?.BoolExpr?.boolop === 'OR_EXPR' ? (n.BoolExpr.args as Node[]).flatMap(disjuncts) : [n]);
  let ored = false;
  const visit = (n: Node): void => {
    if (ored || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(visit);
    if (n.BoolExpr?.boolop === 'OR_EXPR') {
      const parts = new Set(disjuncts(n).map((d) => d?.FuncCall));
      if ([...calls].every((c) => parts.has(c))) ored = true;
    }
    for (const k in n) if (n[k] && typeof n[k] === 'object') visit(n[k]);
  };
  for (const e of [t.policy.using, t.policy.withCheck]) visit(e);
  return !ored;
}

/** The span of an expression in the text: its first and last tokens, parentheses around it balanced. */
function exprSpan(text: string, node: Node): Span {
  const { min: lo, max: hi } = locationBounds(node);
  if (hi < 0) return { start: 0, end: 0 };
  let end: number;
  const c = text[hi];
  if (c === "'") {
    end = hi + 1;
    while (end < text.length && !(text[end] === "'" && text[end + 1] !== "'")) end += text[end] === "'" ? 2 : 1;
    end++;
  } else if (c !== undefined && /[\w"$]/.test(c)) end = identEnd(text, hi);
  else end = hi + 1;
  // parentheses opened before the last token and closed after it
  let depth = 0;
  for (let i = lo; i < end; i++) {
    const ch = text[i];
    if (ch === "'") {
      i++;
      while (i < end && !(text[i] === "'" && text[i + 1] !== "'")) i += text[i] === "'" ? 2 : 1;
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
  }
  for (; depth > 0; depth--) {
    const close = text.indexOf(')', end);
    if (close < 0) break;
    end = close + 1;
  }
  let start = lo;
  for (; depth < 0; depth++) {
    const open = text.lastIndexOf('(', start - 1);
    if (open < 0 || text.slice(open + 1, start).trim()) break;
    start = open;
  }
  return { start, end };
}

const COPY_WHY =
  'every user chooses their own user_metadata when they sign up (supabase.auth.signUp({ options: { data: … } })), and may change it at any time (supabase.auth.updateUser({ data: … })): ' +
  'a copy takes what they chose when it is made (at sign-up, for a trigger on INSERT into auth.users); it is stored in auth.users.raw_user_meta_data and carried in their JWT.';
const CHOICE_WHY =
  'every user chooses their own user_metadata when they sign up (supabase.auth.signUp({ options: { data: … } })), and may change it at any time (supabase.auth.updateUser({ data: … })): ' +
  'a condition on it is one the user answers (at sign-up, for a trigger on INSERT into auth.users).';
const COPY_WHAT =
  'Assign such values on the server: a column default, or app_metadata (auth.users.raw_app_meta_data), which only the service role can write; never from user_metadata.';

const quoted = (values: Iterable<string>): string => [...values].map(sqlString).join(', ');

/** What the user decides: any value, or which of the few the function can write (and those of them the policy checks for). */
/**
 * Whether what a policy (or the function it calls) reads of `table` could hold for a NULL there: an
 * IS NULL, IS [NOT] DISTINCT FROM, coalesce() or nullif() where it reads the table — in a
 * sub-select reading it, the function's statements reading it, or anywhere in a policy on the
 * table itself. (`IS NOT NULL` and the comparisons hold for no NULL.)
 */
function nullSensitive(model: Model, t: Trust, table: string): boolean {
  const holds = (root: Node): boolean => {
    let found = false;
    visitTyped(root, (type, node) => {
      if (found) return false;
      if (type === 'CoalesceExpr' || (type === 'NullTest' && node.nulltesttype === 'IS_NULL')) found = true;
      else if (type === 'A_Expr' && (node.kind === 'AEXPR_DISTINCT' || node.kind === 'AEXPR_NOT_DISTINCT' || node.kind === 'AEXPR_NULLIF')) found = true;
    });
    return found;
  };
  const reads = (n: Node) => relationsIn(n).some((r) => model.relKey(r) === table);
  for (const e of policyExprs(t.policy)) {
    if (t.policy.table === table ? holds(e.node) : false) return true;
    let found = false;
    visitTyped(e.node, (type, node) => {
      if (found) return false;
      if (type === 'SubLink' && reads(node.subselect) && holds(node.subselect)) found = true;
    });
    if (found) return true;
  }
  return !!t.via?.body?.statements.some((s) => reads(s.node) && holds(s.node));
}

function decides(values: Values, grants: Values, target: string, chosen = false): string {
  if (values === 'any') return `So a user decides what this function writes into ${target}, and with it what the policy grants.`;
  if (values.size === 0) return `So a user decides whether this function writes NULL into ${target}, and with it what the policy grants.`;
  const hits = grants === 'any' ? [] : [...values].filter((v) => grants.has(v));
  return (
    (chosen && values.size === 1 ? `So a user decides whether this function writes ${quoted(values)} into ${target}` : `So a user decides which of ${quoted(values)} this function writes into ${target}`) +
    (hits.length ? `, and the policy checks ${target} for ${quoted(hits)}.` : ', and with it what the policy grants.')
  );
}

export const policyUserMetadata = defineRule({
  meta: {
    id: 'policy-user-metadata',
    description: 'A policy (or a function it calls) trusts Supabase user_metadata, which users can edit themselves, or a column a function copies it into.',
    severity: 'error',
    category: 'security',
    fixKind: 'unsafe',
    guards: "Supabase's user_metadata (auth.jwt() -> 'user_metadata', auth.users.raw_user_meta_data) is writable by the user it describes: a check on it, or on a column a function fills from it (a sign-up trigger copying a role), is a check the user chooses the answer to.",
    sources: ['splinter 0015 rls_references_user_metadata'],
  },
  check({ model, report }) {
    const reportFirst = (refs: Ref[], subject: string, why = WHY) => {
      if (refs.length === 0) return;
      const first = refs[0]!;
      const w = wordSpan(model, first);
      const fix = fixFor(model, refs);
      report({
        file: first.file,
        start: w?.start ?? first.location,
        end: w?.end ?? first.location + 1,
        message: `${subject} trusts ${describe(model, first)}: ${why} ${WHAT}`,
        fixes: fix ? [fix] : [],
      });
    };
    for (const row of activeRowsWith(model, FLAG_USER_METADATA)) {
      const p = row.policy;
      const refs = row.exprs.flatMap((e) => userMetadataRefs(e.node).map((r) => ({ ...r, file: e.file })));
      const unreadable = refs[0]?.kind === 'column' && readsUnreadableAuthUsers(model, p, row.exprs.map((e) => e.node));
      reportFirst(refs, `Policy "${p.name}" on ${p.table}`, unreadable ? WHY_UNREADABLE : WHY);
    }
    // (no function body of the workspace has the kind of content looked for: none to follow)
    if (!(bodyFlags(model) & BODY_USER_META)) return;
    for (const { func: f, policy: p } of functionsCalledByPolicies(model)) {
      if (!f.body) continue;
      reportFirst(
        f.body.statements.flatMap((s) => userMetadataRefs(s.node).map((r) => ({ ...r, file: f.created.file }))),
        `Function ${f.signature}, called by policy "${p.name}" on ${p.table},`,
      );
    }
    // functions that copy metadata into a column a policy trusts (a sign-up trigger on auth.users, an RPC)
    for (const f of model.allFunctions()) {
      for (const sink of sinksOf(model, f)) {
        // (a copy mapped to values no policy checks for, as the-suite's CASE, grants nothing)
        const trusts = trustsOf(model, sink.table, sink.column);
        const trust = trustFor(trusts, sink.values);
        if (!trust) continue;
        // (the metadata chooses only whether NULL is written: a comparison, `=` or IN, never admits
        // NULL; remix-of-immoflow's invite sign-up leaving profiles.organization_id NULL, which
        // `organization_id IN (SELECT profiles.organization_id …)` matches for no row. Unless a
        // policy trusting it tests for NULL: IS NULL, IS DISTINCT FROM, coalesce(), nullif())
        if (sink.chosen && sink.values !== 'any' && sink.values.size === 0 && !trusts.some((t) => t.grants === 'any' && nullSensitive(model, t, sink.table))) continue;
        const text = textOfFile(model, f.created.file);
        const span = exprSpan(text, sink.value);
        const target = `${sink.table}.${sink.column}`;
        const p = trust.policy;
        const origin = sink.origins[0]!;
        const related: Related[] = sink.origins.map((r) => {
          const w = wordSpan(model, r);
          return { file: r.file, start: w?.start ?? r.location, end: w?.end ?? r.location + 1, message: `the value comes from ${describe(model, r)} here` };
        });
        related.push({ ...p.nameLoc, message: `policy "${p.name}" on ${p.table} trusts ${target}${trust.via ? ` through ${trust.via.signature}` : ''}` });
        if (trust.via) related.push({ ...trust.via.nameLoc, message: `${trust.via.signature} reads ${target}` });
        const fix = fixFor(model, sink.origins);
        report({
          file: f.created.file,
          start: span.start,
          end: span.end,
          message:
            `${f.returnsTrigger ? 'Trigger function' : 'Function'} ${f.signature} ${sink.chosen ? `writes into ${target} a value ${describe(model, origin)} chooses (an IF on it picks what is written)` : `copies ${describe(model, origin)} into ${target}`}, and policy "${p.name}" on ${p.table} trusts ${target}` +
            `${trust.via ? ` through ${trust.via.signature}` : ''}: ${sink.chosen ? CHOICE_WHY : COPY_WHY} ${decides(sink.values, trust.grants, target, sink.chosen)} ${COPY_WHAT}`,
          related,
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});
