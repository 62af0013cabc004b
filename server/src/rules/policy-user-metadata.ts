import { census, identEnd, locationBounds, relationsIn } from '../analysis/ast.js';
import type { Func, Model, Policy } from '../analysis/model.js';
import { sval } from '../analysis/parse.js';
import {
  activeRows,
  activeRowsWith,
  FLAG_USER_METADATA,
  functionsCalledByPolicies,
  bodyFlags,
  BODY_USER_META,
  memoModel,
  textOfFile,
  userMetadataRefs,
  userMetadataRefsAt,
  visitTyped,
  type UserMetadataRef,
} from '../analysis/policy-exprs.js';
import type { Node, Span } from '../analysis/types.js';
import { defineRule, type Edit, type Fix, type Related } from './types.js';
import { foldedAway } from './lib/unreadable.js';
import { AUTH_USERS, mayReadAuthUsers } from './lib/util.js';

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
  const list: Node[] = node.targetList ?? node.returningList ?? [];
  const values = list.map((t: Node) => t?.ResTarget?.val ?? t);
  if (values.length === assigns.length) return values.map((value, i) => ({ vars: [assigns[i]!], value }));
  return [{ vars: assigns, value: values }];
}

/** The (column, value) pairs an INSERT, UPDATE or ON CONFLICT DO UPDATE writes. */
function writtenValues(model: Model, kind: string, n: Node): Array<{ column: string; value: Node }> {
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
  const table = model.tables.get(model.key([n.relation?.schemaname, n.relation?.relname]));
  const cols: string[] = n.cols ? n.cols.map((c: Node) => c?.ResTarget?.name) : (table?.columns ?? []);
  const sel = n.selectStmt?.SelectStmt;
  const rows: Node[][] = sel?.valuesLists ? sel.valuesLists.map((l: Node) => l?.List?.items ?? []) : sel?.targetList ? [sel.targetList.map((t: Node) => t?.ResTarget?.val)] : [];
  for (const row of rows) row.forEach((value, i) => cols[i] && out.push({ column: cols[i]!, value }));
  sets(n.onConflictClause?.targetList);
  return out;
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
  const out: Sink[] = [];
  for (const s of stmts) {
    if (s.kind !== 'InsertStmt' && s.kind !== 'UpdateStmt') continue;
    const table = model.key([s.node.relation?.schemaname, s.node.relation?.relname]);
    for (const { column, value } of writtenValues(model, s.kind, s.node)) {
      if (out.some((x) => x.table === table && x.column === column)) continue;
      const o = originsIn(value, tainted);
      if (o.length) out.push({ func: f, table, column, value, origins: o.map((r) => ({ ...r, file })) });
    }
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
}

/** The first active policy that reads table.column in a sub-select, else through a function it calls (per model). */
function trustOf(model: Model, table: string, column: string): Trust | undefined {
  const memo = memoModel(model, 'policy-user-metadata:trust', () => new Map<string, Trust | null>());
  const key = `${table}\u0000${column}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit ?? undefined;
  let found: Trust | undefined;
  for (const row of activeRows(model)) {
    for (const e of row.exprs) {
      if (relationsIn(e.node).some((r) => r.inSubLink && model.relKey(r) === table) && readsColumn(model, e.node, table, column)) {
        found = { policy: row.policy };
        break;
      }
    }
    if (found) break;
  }
  if (!found) {
    for (const { func, policy } of functionsCalledByPolicies(model)) {
      if (!func.reads.has(table) || !func.body) continue;
      if (func.body.statements.some((s) => readsColumn(model, s.node, table, column))) {
        found = { policy, via: func };
        break;
      }
    }
  }
  memo.set(key, found ?? null);
  return found;
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
const COPY_WHAT =
  'Assign such values on the server: a column default, or app_metadata (auth.users.raw_app_meta_data), which only the service role can write; never from user_metadata.';

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
        const trust = trustOf(model, sink.table, sink.column);
        if (!trust) continue;
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
            `${f.returnsTrigger ? 'Trigger function' : 'Function'} ${f.signature} copies ${describe(model, origin)} into ${target}, and policy "${p.name}" on ${p.table} trusts ${target}` +
            `${trust.via ? ` through ${trust.via.signature}` : ''}: ${COPY_WHY} So a user decides what this function writes into ${target}, and with it what the policy grants. ${COPY_WHAT}`,
          related,
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});
