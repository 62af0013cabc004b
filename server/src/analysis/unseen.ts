// Statements that may drop or rename tables, policies or functions where the replay cannot see
// it: the model and policy-already-exists trust that an object created earlier is still there
// only when no such statement ran since. Pure.
//
// - a DO block running dynamic SQL whose text mentions DROP or RENAME (a loop enabling RLS on
//   every table with EXECUTE format('ALTER TABLE %I …') does not count);
// - a top-level SELECT or CALL (or a DO block's statement) calling a function of the workspace
//   whose body drops or renames statically, runs dynamic SQL mentioning DROP or RENAME (in the
//   body or the call's arguments), or is written in another language than SQL or PL/pgSQL (not
//   looked into); or calling a function of an application schema the migrations do not create
//   (an unqualified one, or one of the platform's schemas, is most likely built in);
// - DROP OWNED, DROP SCHEMA … CASCADE (the model follows neither).
// A DROP of a view, function, trigger, index… takes no table (nor, without CASCADE, a policy).
// A dynamic DROP VIEW … CASCADE takes only the policies that depend on a view (mayDropUnseen's
// readsView): vip-drive-florida's loops over pg_views hid CREATE POLICY statements failing with
// 42710 (its storage.objects avatar policies written again).
// Also the loops over pg_policies the replay follows: those dropping every policy of some tables
// (PolicyDropLoop) and those rewriting the policies to wrap calls in sub-selects (PolicyCallWrap).
import { census, conjuncts, memoStmt, PLATFORM_SCHEMAS, stringConst } from './ast.js';
import { nameParts, stripComments, sval, walk } from './parse.js';
import type { DynamicExecute, FunctionBody, Node, Statement } from './types.js';
import { CATALOG_DROP_POLICIES_KIND, CATALOG_LOOP_KIND } from './catalog-loops.js';

/** The folder of a file (a path or a URI): two statements of one folder belong to one sequence of migrations. */
export function folderOf(file: string): string {
  const k = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return k < 0 ? '' : file.slice(0, k);
}

/** What mayDropUnseen asks of the replay or the model. */
export interface UnseenLookup {
  /** the workspace's function a call names (its first overload), if any */
  func(parts: string[]): { language: string; body?: FunctionBody; nameLoc: { file: string } } | undefined;
  /** text of a file */
  text(file: string): string;
}

/** A question asked of a body once: its answer kept with the body (none, as null). */
function perBody<T>(compute: (body: FunctionBody) => T | undefined): (body: FunctionBody) => T | undefined {
  const kept = new WeakMap<FunctionBody, T | null>();
  return (body) => {
    let hit = kept.get(body);
    if (hit === undefined) kept.set(body, (hit = compute(body) ?? null));
    return hit ?? undefined;
  };
}

const STATIC_DROPS = new Set(['DropStmt', 'RenameStmt', 'DropOwnedStmt', 'AlterPolicyStmt']);

/**
 * What an unseen drop is asked about: a table (a DROP VIEW … CASCADE cannot take one), or a policy
 * (nor can a DROP VIEW without CASCADE: fantastic-auth's and circle-marketplace's DO blocks
 * dropping views did not let a table or policy made before them be made again), or a function
 * (only a DROP of a function, procedure or routine, of its schema, or DROP OWNED takes one).
 */
export type Dropped = 'table' | 'policy' | 'function';

/** What a DROP must name to take a function (in a text, and as a DropStmt's removeType). */
const FUNCTION_KINDS = /^(?:function|procedure|routine|schema|owned)\b/i;
const FUNCTION_REMOVES = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_SCHEMA']);
const DO_MEMO: Record<Dropped, string> = { table: 'unseenDoTable', policy: 'unseenDoPolicy', function: 'unseenDoFunction' };

/** Objects whose DROP takes neither a table (with or without CASCADE) nor, without CASCADE, a policy. */
const NO_TABLE_KINDS = /^(?:materialized\s+view|view|function|procedure|routine|trigger|index|sequence|publication|rule|aggregate|operator|cast|event\s+trigger|policy|role|user|default|not\s+null|constraint|column|statistics|server|subscription)\b/i;
const NO_TABLE_REMOVES = new Set(['OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_TRIGGER', 'OBJECT_INDEX', 'OBJECT_SEQUENCE', 'OBJECT_PUBLICATION', 'OBJECT_RULE', 'OBJECT_AGGREGATE', 'OBJECT_OPERATOR', 'OBJECT_CAST', 'OBJECT_EVENT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_STATISTIC_EXT']);

/**
 * The DROPs and RENAMEs of a text that may take a `what` (see Dropped): `n`, and apart, for a
 * policy, the DROP [MATERIALIZED] VIEW … CASCADE (`views`): they take only the policies that read
 * the view, or call a function depending on it.
 */
interface Drops {
  n: number;
  views: number;
}

function dropsIn(written: string, what: Dropped): Drops {
  // (a comment drops nothing: betterbooks' `-- Drop existing function if it exists` above a DO block's EXECUTE)
  const text = stripComments(written);
  const out: Drops = { n: 0, views: 0 };
  for (const m of text.matchAll(DROPS_ALL)) {
    if (m[1]!.toLowerCase() === 'drop') {
      const rest = text.slice(m.index! + m[0].length, m.index! + m[0].length + 240);
      if (what === 'function') {
        if (FUNCTION_KINDS.test(rest.replace(/^\s+/, ''))) out.n++;
        continue;
      }
      const kind = NO_TABLE_KINDS.exec(rest.replace(/^\s+/, ''));
      if (kind) {
        // (the statement's rest, up to its end: CASCADE there may take the policies that depend on the object)
        const cascade = /\bcascade\b/i.test(rest.split(';')[0]!);
        const policy = /^policy\b/i.test(kind[0]);
        if (what === 'table' || (!cascade && !policy)) continue;
        if (VIEW_KINDS.test(kind[0])) {
          out.views++;
          continue;
        }
      }
    }
    out.n++;
  }
  return out;
}
const VIEW_KINDS = /^(?:materialized\s+)?view\b/i;
const anyDrop = (d: Drops) => d.n + d.views !== 0;

/**
 * What an unseen drop may take of what is asked about: anything (true), nothing (false), or, of the
 * policies, only those that read a view of `schemas` (undefined: of any schema), or call a function
 * depending on one: a dynamic DROP VIEW … CASCADE. PostgreSQL drops with a view only what depends
 * on it; vip-drive-florida's loops over pg_views (`EXECUTE format('DROP VIEW IF EXISTS %I.%I
 * CASCADE', …)`) left its storage.objects policies in place, and writing them again failed with
 * 42710.
 */
export type Take = boolean | { viewSchemas: readonly string[] | undefined };

/** Whether a policy may be taken by a DROP VIEW … CASCADE of the views of `schemas` (undefined: any schema). */
export type ReadsView = (schemas: readonly string[] | undefined) => boolean;

/** Whether what `take` may take includes what is asked about (for a policy, `readsView` tells; none given: it may). */
function takes(take: Take, readsView: ReadsView | undefined): boolean {
  return typeof take === 'boolean' ? take : !readsView || readsView(take.viewSchemas);
}

/** What the drops left unseen in a body take (a DROP VIEW … CASCADE: the views of the schemas the body's catalog queries keep). */
function takeOf(left: Drops, body: FunctionBody, text: string): Take {
  return left.n > 0 ? true : left.views > 0 ? { viewSchemas: viewLoopSchemas(body, text) } : false;
}

/** The catalogs that list views, and the columns naming a view's schema in their queries. */
const isViewCatalog = (rv: Node) =>
  ((rv?.relname === 'pg_views' || rv?.relname === 'pg_matviews' || rv?.relname === 'pg_class') && (rv.schemaname === undefined || rv.schemaname === 'pg_catalog')) ||
  (rv?.relname === 'views' && rv.schemaname === 'information_schema');
const SCHEMA_COLUMNS = new Set(['schemaname', 'table_schema', 'nspname', 'relnamespace']);
/** A DROP [MATERIALIZED] VIEW whose name is written (not `%I`, nor a string ended to append it). */
const NAMED_VIEW_DROP = /\bdrop\s+(?:materialized\s+)?view\s+(?!(?:if\s+exists\s+)?[%'])/i;

/**
 * The schemas a body's dynamic DROP VIEWs take views of: those its queries of the catalog of views
 * keep (`FOR r IN SELECT schemaname, viewname FROM pg_views WHERE schemaname = 'public'`), when
 * each such query keeps some and no DROP VIEW writes the view's name (`%I.%I` fills it from the
 * query); otherwise undefined (any schema).
 */
function viewLoopSchemas(body: FunctionBody, text: string): string[] | undefined {
  const out: string[] = [];
  if (NAMED_VIEW_DROP.test(stripComments(text.slice(body.start, body.end)))) return undefined;
  for (const s of body.statements) {
    if (s.kind !== 'SelectStmt' || !census(s.node).rangeVars.some(isViewCatalog)) continue;
    let kept: string[] | undefined;
    for (const c of conjuncts(s.node.whereClause)) {
      const e = c?.A_Expr;
      if (!e || sval(e.name?.[0]) !== '=' || !SCHEMA_COLUMNS.has(lastColumn(e.lexpr) ?? '')) continue;
      const values: Node[] | undefined = e.kind === 'AEXPR_IN' ? (e.rexpr?.List?.items ?? e.rexpr) : e.kind === 'AEXPR_OP_ANY' ? e.rexpr?.A_ArrayExpr?.elements : e.kind === 'AEXPR_OP' ? [e.rexpr] : undefined;
      // ('public'::regnamespace: a string cast to another type)
      const consts = Array.isArray(values) ? values.map((v) => stringConst(v) ?? stringConst(v?.TypeCast?.arg)) : [];
      if (consts.length && consts.every((x) => typeof x === 'string')) kept = consts as string[];
    }
    if (!kept) return undefined;
    out.push(...kept);
  }
  return out.length ? out : undefined;
}

/** Whether a static statement of a body may take a `what`. */
function staticMayDrop(s: Statement, what: Dropped): boolean {
  if (!STATIC_DROPS.has(s.kind)) return false;
  if (what === 'function') return s.kind === 'DropOwnedStmt' || s.kind === 'RenameStmt' || (s.kind === 'DropStmt' && FUNCTION_REMOVES.has(s.node?.removeType));
  if (s.kind !== 'DropStmt' || !NO_TABLE_REMOVES.has(s.node?.removeType)) return true;
  return what === 'policy' && (s.node?.behavior === 'DROP_CASCADE' || s.node?.removeType === 'OBJECT_POLICY');
}

/** What a body may drop or rename unseen (see above); `text` is its file's text. */
function bodyMayDrop(body: FunctionBody | undefined, text: string, args: string, what: Dropped): Take {
  if (!body) return false;
  for (const s of body.statements) if (staticMayDrop(s, what)) return true;
  if (body.dynamicExecutes.length === 0) return false;
  const inBody = dropsIn(text.slice(body.start, body.end), what);
  const inArgs = dropsIn(args, what);
  if (inArgs.n !== 0) return true;
  // (a DROP VIEW … CASCADE the call's arguments write: of any schema)
  return inArgs.views !== 0 ? (inBody.n !== 0 ? true : { viewSchemas: undefined }) : takeOf(inBody, body, text);
}

/** Whether a statement calls such a function. */
function callsDroppingFunction(stmt: Statement, text: string, look: UnseenLookup, what: Dropped, readsView: ReadsView | undefined): boolean {
  const calls = census(stmt.node).funcCalls;
  for (let i = 0; i < calls.length; i++) {
    const parts = nameParts(calls[i]!.funcname);
    const f = look.func(parts);
    if (!f) {
      if (parts.length > 1 && !PLATFORM_SCHEMAS.has(parts[0]!) && parts[0] !== 'pg_catalog' && parts[0] !== 'public') return true;
      continue;
    }
    if (f.language !== 'sql' && f.language !== 'plpgsql') return true;
    if (takes(bodyMayDrop(f.body, look.text(f.nameLoc.file), text.slice(stmt.start, stmt.end), what), readsView)) return true;
  }
  return false;
}

/**
 * Whether a replayed statement of `file` may drop or rename a table, policy or function unseen (see
 * above). For a policy, `readsView` says whether a DROP VIEW … CASCADE of views of some schemas
 * may take it (none given: any policy may be taken).
 */
export function mayDropUnseen(stmt: Statement, file: string, look: UnseenLookup, what: Dropped, readsView?: ReadsView): boolean {
  switch (stmt.kind) {
    case 'DropOwnedStmt':
      return true;
    case 'DropStmt':
      return stmt.node?.removeType === 'OBJECT_SCHEMA' && stmt.node?.behavior === 'DROP_CASCADE';
    case 'DoStmt': {
      const body = stmt.body;
      if (!body) return false;
      const text = look.text(file);
      if (takes(memoStmt(stmt, DO_MEMO[what], (): Take => (body.dynamicExecutes.length === 0 ? false : takeOf(dropsUnseen(body, text, what), body, text))), readsView)) return true;
      for (const s of body.statements) if (callsDroppingFunction(s, text, look, what, readsView)) return true;
      return false;
    }
    case 'SelectStmt':
    case 'CallStmt':
      return callsDroppingFunction(stmt, look.text(file), look, what, readsView);
    default:
      return false;
  }
}

/**
 * The DROPs and RENAMEs the DO block's text holds that the replay does not follow: not a static
 * DROP or RENAME statement of the block (replayed as the block's own statements: `DROP TRIGGER …
 * ON people` before an EXECUTE 'CREATE TRIGGER …'), nor its policy-dropping loops' (see
 * PolicyDropLoop) over named tables (OpDynamic). Any other mention (in a string, a dynamic
 * EXECUTE) may drop something unseen.
 */
function dropsUnseen(body: FunctionBody, text: string, what: Dropped): Drops {
  const unseen = dropsIn(text.slice(body.start, body.end), what);
  if (!anyDrop(unseen)) return unseen;
  const less = (s: string) => {
    const d = dropsIn(s, what);
    unseen.n -= d.n;
    unseen.views -= d.views;
  };
  for (const s of body.statements) if (s.kind === 'DropStmt' || s.kind === 'RenameStmt') less(text.slice(s.start, s.end));
  // (a catalog loop's DROP POLICY, and its loop over pg_policies dropping each policy of its
  // table, replayed for each table it reaches: catalog-loops.ts)
  const replayed = body.statements.flatMap((s) => (s.kind === CATALOG_LOOP_KIND ? (s.catalog?.templates ?? []) : [])).filter((t) => t.kind === CATALOG_DROP_POLICIES_KIND || t.kind === 'DropStmt');
  const inReplayed = (d: DynamicExecute) => replayed.some((t) => d.start <= t.start && t.end <= d.end);
  for (const d of body.dynamicExecutes) if (DROP_POLICY.test(d.text) && inReplayed(d)) less(d.text);
  if ((unseen.n > 0 || unseen.views > 0) && body.dynamicExecutes.some((d) => DROP_POLICY.test(d.text) && !inReplayed(d))) {
    const loops = policyDropLoops(body);
    if (!loops || loops.some((l) => l.byParameter)) return dropsIn(text.slice(body.start, body.end), what);
    for (const d of body.dynamicExecutes) if (DROP_POLICY.test(d.text) && !inReplayed(d)) less(d.text);
  }
  return unseen;
}
const DROPS_ALL = /\b(drop|rename)\b/gi;

/**
 * A loop that drops every policy of some tables with dynamic SQL, as projects write it before
 * creating the policies again: `FOR pol IN SELECT policyname FROM pg_policies WHERE schemaname =
 * 'public' AND tablename IN ('a', 'b') LOOP EXECUTE format('DROP POLICY %I ON …', …)`. The tables
 * are the ones its WHERE names (`tables`, and `schemas`; undefined: any), or, in a function whose
 * WHERE compares them with its parameters (`byParameter`), the ones a call names in its string
 * arguments; a WHERE may also leave policies out by name (`except`: `policyname <> 'keep'`, as
 * lms-esid's RLS simplification keeps its service_role_bypass policies). A WHERE on anything else
 * (a policy's name equal to a value, its command) is not such a loop.
 */
export interface PolicyDropLoop {
  tables: string[] | undefined;
  schemas: string[] | undefined;
  byParameter: boolean;
  /** the policies its WHERE leaves out by name (`policyname <> 'keep'`, `policyname NOT IN (…)`), if any */
  except?: string[];
  /** `cmd IN ('UPDATE', 'DELETE')` (or =, = ANY): only the policies for those commands (pg_policies' upper-case names), if any */
  commands?: string[];
}

const DROP_POLICY = /\bdrop\s+policy\b/i;

/**
 * The body's policy-dropping loops (see PolicyDropLoop), one per query of pg_policies (a DO block
 * often has one per table), if every such query is one.
 */
export const policyDropLoops = perBody(policyDropLoopsUncached);

function policyDropLoopsUncached(body: FunctionBody): PolicyDropLoop[] | undefined {
  if (!body.dynamicExecutes.some((d) => DROP_POLICY.test(d.text))) return undefined;
  const out: PolicyDropLoop[] = [];
  for (const s of body.statements) {
    // (`SELECT count(*) INTO n FROM pg_policies …`, a check, is no loop)
    if (s.kind !== 'SelectStmt' || s.assigns || s.inCatalogLoop || !census(s.node).rangeVars.some(isPgPolicies)) continue;
    const loop = dropLoopOf(s.node);
    if (!loop) return undefined;
    out.push(loop);
  }
  return out.length ? out : undefined;
}

const isPgPolicies = (rv: Node) => rv?.relname === 'pg_policies' && (rv.schemaname === undefined || rv.schemaname === 'pg_catalog');

/** The loop a query of pg_policies makes (see PolicyDropLoop): FROM pg_policies alone, a WHERE on schemas and tables alone. */
function dropLoopOf(n: Node): PolicyDropLoop | undefined {
  const from: Node[] = n?.fromClause ?? [];
  if (from.length !== 1 || !isPgPolicies(from[0]?.RangeVar)) return undefined;
  const out: PolicyDropLoop = { tables: undefined, schemas: undefined, byParameter: false };
  for (const c of conjuncts(n.whereClause)) {
    const e = c?.A_Expr;
    const col = e ? lastColumn(e.lexpr) : undefined;
    if (col === 'policyname') {
      // (`policyname <> 'service_role_bypass'`, `policyname NOT IN ('a', 'b')`: every policy but those)
      const kept = e.kind === 'AEXPR_IN' ? (e.rexpr?.List?.items ?? e.rexpr) : e.kind === 'AEXPR_OP' ? [e.rexpr] : undefined;
      const names = Array.isArray(kept) ? kept.map(stringConst) : [];
      if (sval(e.name?.[0]) !== '<>' || !names.length || !names.every((x: unknown) => typeof x === 'string')) return undefined;
      out.except = [...(out.except ?? []), ...names];
      continue;
    }
    if (col === 'cmd') {
      // (poddispatch's `AND cmd IN ('UPDATE','DELETE')`: a table's UPDATE and DELETE policies dropped, its SELECT and INSERT kept)
      const listed = e.kind === 'AEXPR_IN' ? (e.rexpr?.List?.items ?? e.rexpr) : e.kind === 'AEXPR_OP_ANY' ? e.rexpr?.A_ArrayExpr?.elements : e.kind === 'AEXPR_OP' ? [e.rexpr] : undefined;
      const cmds = Array.isArray(listed) ? listed.map(stringConst) : [];
      if (sval(e.name?.[0]) !== '=' || !cmds.length || !cmds.every((x: unknown) => typeof x === 'string')) return undefined;
      out.commands = [...(out.commands ?? []), ...(cmds as string[])];
      continue;
    }
    if (col !== 'tablename' && col !== 'schemaname') return undefined;
    const values = e.kind === 'AEXPR_IN' ? (e.rexpr?.List?.items ?? e.rexpr) : e.kind === 'AEXPR_OP_ANY' ? e.rexpr?.A_ArrayExpr?.elements : e.kind === 'AEXPR_OP' ? [e.rexpr] : undefined;
    if (!Array.isArray(values) || sval(e.name?.[0]) !== '=') return undefined;
    const consts = values.map(stringConst);
    if (consts.every((x: unknown) => typeof x === 'string')) {
      if (col === 'tablename') out.tables = consts;
      else out.schemas = consts;
    } else out.byParameter = true;
  }
  return out;
}

/** The last name of a column reference (`tablename`, `p.tablename`). */
export function lastColumn(n: Node): string | undefined {
  const fields: Node[] | undefined = n?.ColumnRef?.fields;
  return fields?.length ? sval(fields[fields.length - 1]) : undefined;
}

/**
 * A rewrite of policies by dynamic SQL that wraps calls in sub-selects, as projects apply
 * Supabase's auth_rls_initplan advice to every policy at once: a query of pg_policies (or
 * pg_policy) for the expressions' text, `replace()` or `regexp_replace()` into `(select
 * auth.uid())`, and EXECUTE of the CREATE POLICY or ALTER POLICY made of it. `calls`: the calls
 * wrapped (a name, and the first argument when the replacement names one as a string); `schemas`,
 * `tables`, `names`: the policies the query may return (undefined: any; compared with a
 * variable, every string the block writes, as a loop over a VALUES list of tables names them).
 */
export interface PolicyCallWrap {
  calls: WrappedCall[];
  schemas: string[] | undefined;
  tables: string[] | undefined;
  names: string[] | undefined;
}
export interface WrappedCall {
  /** lower-case name parts as written in the replacement (`auth`, `uid`) */
  name: string[];
  /** the first argument, a string (`app.current_tenant_id`) */
  arg: string | undefined;
}

/** The replacement text of a wrap: `(select auth.uid())`, `(SELECT current_setting('app.tenant_id'::text, true))`. */
const WRAPPED_CALL = /^\s*\(\s*select\s+([A-Za-z_][\w$]*(?:\s*\.\s*[A-Za-z_][\w$]*)?)\s*\(\s*(?:'((?:[^']|'')*)')?[^()]*\)(?:\s+as\s+[A-Za-z_][\w$]*)?\s*\)\s*$/i;
const POLICY_DDL = /\b(?:create|alter)\s+policy\b/i;
const isPolicyCatalog = (rv: Node) => (rv?.relname === 'pg_policies' || rv?.relname === 'pg_policy') && (rv.schemaname === undefined || rv.schemaname === 'pg_catalog');

/** The body's policy-rewriting queries (see PolicyCallWrap), one per query of the catalog. */
export const policyCallWraps = perBody(policyCallWrapsUncached);

function policyCallWrapsUncached(body: FunctionBody): PolicyCallWrap[] | undefined {
  if (!body.dynamicExecutes.length) return undefined;
  const queries = body.statements.filter((s) => s.kind === 'SelectStmt' && census(s.node).rangeVars.some(isPolicyCatalog));
  if (!queries.length) return undefined;
  // the strings the block writes, and the constant each variable is declared with
  const strings: string[] = [];
  const constants = new Map<string, string>();
  for (const s of body.statements) {
    walk(s.node, (key, v) => {
      if (key === 'A_Const' && typeof v.sval?.sval === 'string') strings.push(v.sval.sval);
    });
    const target: Node[] | undefined = s.node?.targetList;
    const value = s.assigns?.length === 1 && target?.length === 1 && !s.node.fromClause ? stringConst(target[0]?.ResTarget?.val) : undefined;
    if (value !== undefined) constants.set(s.assigns![0]!, value);
  }
  if (!strings.some((x) => POLICY_DDL.test(x)) && !body.dynamicExecutes.some((d) => POLICY_DDL.test(d.text))) return undefined;
  const calls: WrappedCall[] = [];
  for (const s of body.statements) {
    for (const c of census(s.node).funcCalls) {
      const fn = nameParts(c.funcname);
      const last = fn[fn.length - 1];
      if ((last !== 'replace' && last !== 'regexp_replace') || (c.args?.length ?? 0) < 3) continue;
      const r: Node = c.args[2];
      const col = r?.ColumnRef?.fields;
      const text = stringConst(r) ?? (col?.length === 1 ? constants.get(String(sval(col[0])).toLowerCase()) : undefined);
      const m = text === undefined ? null : WRAPPED_CALL.exec(text);
      if (!m) continue;
      const name = m[1]!.split('.').map((x) => x.trim().toLowerCase());
      const arg = m[2]?.replace(/''/g, "'");
      if (!calls.some((w) => w.name.join('.') === name.join('.') && w.arg === arg)) calls.push({ name, arg });
    }
  }
  if (!calls.length) return undefined;
  return queries.map((q) => {
    const out: PolicyCallWrap = { calls, schemas: undefined, tables: undefined, names: undefined };
    for (const c of conjuncts(q.node.whereClause)) {
      const e = c?.A_Expr;
      if (!e || sval(e.name?.[0]) !== '=') continue;
      const col = lastColumn(e.lexpr);
      const dim = col === 'schemaname' || col === 'nspname' || col === 'relnamespace' ? 'schemas' : col === 'tablename' || col === 'relname' ? 'tables' : col === 'policyname' || col === 'polname' ? 'names' : undefined;
      if (!dim) continue;
      const values: Node[] | undefined = e.kind === 'AEXPR_IN' ? (e.rexpr?.List?.items ?? e.rexpr) : e.kind === 'AEXPR_OP_ANY' ? e.rexpr?.A_ArrayExpr?.elements : e.kind === 'AEXPR_OP' ? [e.rexpr] : undefined;
      if (!Array.isArray(values)) continue;
      // ('public'::regnamespace: a string cast to another type)
      const consts = values.map((v) => stringConst(v) ?? stringConst(v?.TypeCast?.arg));
      out[dim] = consts.every((x) => typeof x === 'string') ? (consts as string[]) : strings;
    }
    return out;
  });
}
