// What a policy expression does when the session context it reads is unset: a small
// three-valued evaluator over libpg-query expression trees, in which one context value (a
// custom setting read with current_setting(), or Supabase's auth.uid()) is given the value it
// has when nobody set it, and everything else — columns, other settings, sub-queries — is
// unknown. Used by policy-context-fails-open (does the expression admit every row then?) and
// policy-current-setting-unsafe (would its nullif() rewrite make it do so?). Pure.
//
// The states, measured on PGlite (test/rules/policy-context-fails-open.test.ts):
// - never: a session that never set the setting: current_setting(x, true) is NULL (T15),
//   current_setting(x) raises 42704;
// - ended: after a transaction-local set (set_config(x, v, true), SET LOCAL) has ended, the
//   setting reads '' for the rest of the session (T15b), so a cast to uuid raises 22P02;
// - no-user: Supabase's auth.uid() is NULL for a request without a signed-in user and in a
//   session that never set the request's JWT claims.
//
// Evaluation order matters and differs by use (all measured). Execution stops OR and AND at the
// first deciding branch, left to right, and COALESCE and CASE likewise. But a policy's USING is
// also planned as a filter, and the planner's selectivity estimates fold current_setting() and
// evaluate what is computed from it: `current_setting(x, true)::uuid` (or current_setting(x)
// while x was never set) raises its error at plan time wherever it stands in USING, even in a
// branch execution would never reach. Inside a scalar sub-select, `(select …::uuid)`, it is an
// InitPlan, computed only when reached; inside `x IN (SELECT …::uuid)` or `x = ANY (SELECT …)` a
// hashed SubPlan, whose hash table is built the first time the filter reaches it (measured: 3 and
// 1003 rows, `cs = '' OR tenant_id IN (SELECT cs::uuid)` admits every row once cs reads ''). A CASE is the exception: the estimates never look
// inside a CASE that is itself a clause, and folding one (as an operand) drops the branches
// whose WHEN is false before computing them, so its branches raise only when reached in
// order, as in execution (measured: `CASE WHEN current_setting(x, true) = '' THEN false ELSE
// tenant_id = current_setting(x, true)::uuid END` answers 0 rows, no 22P02, once x reads '').
// So in `filter` mode an error outside sub-selects makes
// the answer "not every row" wherever it is ("early"), and every other error (`late`) counts
// only on the path actually evaluated — the only rule in `check` mode (WITH CHECK, and USING
// as the check for new rows), which is executed but not planned as a filter.
//
// Columns are unknown, but one is the same value wherever it stands: `tenant_id = coalesce(
// current_setting(x, true)::uuid, tenant_id)` falls back to the row's own column when the setting
// is unset, and `tenant_id = tenant_id` is true where tenant_id is not NULL (NULL = NULL is NULL:
// measured, the row without a tenant stays hidden). Such a comparison (the same casts on both
// sides; no identity crosses a helper call, whose parameters and result may be coerced) is
// evaluated again with the column taken to be non-NULL, and openIn names the columns it needed.
import { census, compareConstants, conjuncts, constValue, nodeFacts, stringConst, TEXT_TYPES, typeName, type NodeFacts } from './ast.js';
import type { Func, Model, Policy } from './model.js';
import { nameParts, sval, walk } from './parse.js';
import type { Command } from './policies.js';
import { callKeyList, callListSig, funcSig, functionsToken, internSig, keptUnderWith, memoModel, policyExprs, unsafeSettingCalls, type CallKey, type PolicyExpr, type PolicyRow } from './policy-exprs.js';
import type { Node } from './types.js';

/** `setting:<name>` (lower-case) or `auth.uid`. */
export type ContextKey = string;
export type UnsetState = 'never' | 'ended' | 'no-user';
export type EvalMode = 'filter' | 'check';

/** How a rewrite would change current_setting() calls (for judging a fix before it is made). */
export type CallRewrite = 'missing-ok' | 'nullif';

export interface EvalOptions {
  mode: EvalMode;
  /** current_setting() call nodes (the FuncCall value) as a rewrite would leave them */
  rewritten?: ReadonlyMap<Node, CallRewrite>;
}

/** `late`: a possible error that can only happen when execution reaches it (inside a sub-select). */
type Val =
  /** `param`: the value of a scalar sub-select — a parameter to the planner, so a cast of it is computed only when reached */
  | { t: 'const'; v: string | number | boolean | null; ctx: boolean; param?: boolean }
  /** `col`: the value is the row's own column (lower-case name, then each cast applied to it), see sameColumn */
  | { t: 'unknown'; nonNull: boolean; ctx: boolean; mayError: boolean; late?: boolean; col?: string }
  | { t: 'error'; ctx: boolean; late?: boolean };

// Values are never mutated (a changed value is a copy): the common ones are shared, frozen
// objects, as every policy is evaluated once per key, state and use. (With the changes marked
// "bench" here, in the rule and in policy-exprs.ts, what policy-context-fails-open allocates in
// the bench's cold lint went from ≈ 70 to ≈ 17 MB (sampled) and its CPU time from 295–553
// (median 411) to 200–271 (235) ms, 8 runs each on a loaded VM; on the calibration project
// fastnd-poc, 330 policies, from 14–23 (17) to 11–13 (12) ms.)
/** unknown(ctx, mayError, nonNull) and the same with `late`, by index (ctx | mayError << 1 | nonNull << 2 | late << 3). */
const UNKNOWNS: readonly Val[] = Array.from({ length: 16 }, (_, i) =>
  Object.freeze({ t: 'unknown' as const, nonNull: (i & 4) !== 0, ctx: (i & 1) !== 0, mayError: (i & 2) !== 0, ...((i & 8) !== 0 ? { late: true as const } : {}) }),
);
const UNKNOWN: Val = UNKNOWNS[0]!;
const unknown = (ctx: boolean, mayError: boolean, nonNull = false): Val => UNKNOWNS[(ctx ? 1 : 0) | (mayError ? 2 : 0) | (nonNull ? 4 : 0)]!;
/** unknown(…), with `late: true` when `late` is true. */
const unknownLate = (ctx: boolean, mayError: boolean, nonNull: boolean, late: boolean | undefined): Val =>
  UNKNOWNS[(ctx ? 1 : 0) | (mayError ? 2 : 0) | (nonNull ? 4 : 0) | (late ? 8 : 0)]!;
/** konst(null | true | false, ctx), by index (ctx | value << 1: null 0, false 1, true 2). */
const KONSTS: readonly Val[] = [null, false, true].flatMap((v) => [Object.freeze({ t: 'const' as const, v, ctx: false }), Object.freeze({ t: 'const' as const, v, ctx: true })]);
const konst = (v: string | number | boolean | null, ctx: boolean): Val =>
  v === null ? KONSTS[ctx ? 1 : 0]! : v === false ? KONSTS[ctx ? 3 : 2]! : v === true ? KONSTS[ctx ? 5 : 4]! : { t: 'const', v, ctx };
/** An error value, with `late: true` when `late` is true (index ctx | late << 1). */
const ERRORS: readonly Val[] = [0, 1, 2, 3].map((i) => Object.freeze({ t: 'error' as const, ctx: (i & 1) !== 0, ...((i & 2) !== 0 ? { late: true as const } : {}) }));
const error = (ctx: boolean, late: boolean | undefined): Val => ERRORS[(ctx ? 1 : 0) | (late ? 2 : 0)]!;
const isNullV = (v: Val) => v.t === 'const' && v.v === null;
const mayFail = (v: Val) => v.t === 'error' || (v.t === 'unknown' && v.mayError);
/** A possible error the planner may raise whatever the evaluation order. */
const early = (v: Val) => mayFail(v) && !(v as { late?: boolean }).late;
/** The value without its column identity (for a value computed from it, which is not the column). */
const plain = (v: Val): Val => (v.t === 'unknown' && v.col !== undefined ? unknownLate(v.ctx, v.mayError, v.nonNull, v.late) : v);
/** The column a column identity starts from (`tenant_id::text` → `tenant_id`). */
const baseColumn = (col: string) => col.split('::')[0]!;

/** Text types: '' casts to them without error. */
/** Types whose input function rejects '' (22P02 or 22007). */
const EMPTY_REJECTED = new Set([
  'uuid', 'integer', 'bigint', 'smallint', 'numeric', 'decimal', 'real', 'double precision', 'boolean', 'json', 'jsonb',
  'date', 'timestamp', 'timestamp with time zone', 'timestamp without time zone', 'time', 'inet', 'cidr', 'oid', 'int', 'float',
]);
const TRUE_WORDS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['f', 'false', 'n', 'no', 'off', '0']);
/** Operators that are strict (NULL in, NULL out) on every built-in type. */
const STRICT_OPS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=', '||', '~~', '!~~', '~~*', '!~~*', '~', '~*', '!~', '!~*', '->', '->>', '#>', '#>>', '@>', '<@', '?', '+', '-', '*', '/']);
/** Built-in string functions evaluated on constants. */
const STRING_FNS: Record<string, (s: string) => string | number> = {
  length: (s) => [...s].length,
  char_length: (s) => [...s].length,
  character_length: (s) => [...s].length,
  octet_length: (s) => Buffer.byteLength(s),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  btrim: (s) => s.trim(),
  ltrim: (s) => s.trimStart(),
  rtrim: (s) => s.trimEnd(),
};

const lower = (parts: string[]) => parts.map((p) => p.toLowerCase());

/**
 * The length of nameParts(list).join('.'), without building it. The evaluator asks what every
 * call of a policy is, several times per policy: a name that is not as long as the one looked
 * for is not it, and most are not (lower-casing keeps the length of a name that becomes ASCII).
 */
function nameLength(list: Node[] | undefined): number {
  if (!list) return 0;
  let len = -1;
  for (let i = 0; i < list.length; i++) {
    const s = sval(list[i]);
    if (s) len += s.length + 1;
  }
  return len < 0 ? 0 : len;
}

/** Whether lower(nameParts(list)).join('.') is `name`, without building it. */
function isName(list: Node[] | undefined, name: string): boolean {
  if (!list) return name === '';
  let pos = 0;
  for (let i = 0; i < list.length; i++) {
    const s = sval(list[i]);
    if (!s) continue; // (nameParts drops it)
    if (pos > 0) {
      if (name.charCodeAt(pos) !== 46 /* . */) return false;
      pos++;
    }
    // (a name written in lower case, the common case, is compared without a lower-case copy)
    if (name.startsWith(s, pos)) pos += s.length;
    else {
      const l = s.toLowerCase();
      if (l === s || !name.startsWith(l, pos)) return false;
      pos += l.length;
    }
  }
  return pos === name.length;
}

/** The setting a current_setting() call reads and whether it passes missing_ok = true; undefined if it is not such a call. */
export function settingCallOf(call: Node): { setting: string; missingOk: boolean } | undefined {
  // `current_setting` or `pg_catalog.current_setting`
  const len = nameLength(call.funcname);
  if (len !== 15 && len !== 26) return undefined;
  if (!isName(call.funcname, 'current_setting') && !isName(call.funcname, 'pg_catalog.current_setting')) return undefined;
  const args: Node[] = call.args ?? [];
  const s = stringConst(args[0]);
  if (s === undefined || !s.includes('.') || args.length > 2) return undefined;
  let ok: boolean | undefined = false;
  if (args[1]) {
    const v = constValue(args[1]) ?? (args[1].TypeCast ? constValue(args[1].TypeCast.arg) : undefined);
    const w = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    ok = typeof v === 'boolean' ? v : w !== undefined && TRUE_WORDS.has(w) ? true : w !== undefined && FALSE_WORDS.has(w) ? false : undefined;
  }
  if (ok === undefined) return undefined;
  return { setting: s.toLowerCase(), missingOk: ok };
}

/** Whether a call is Supabase's auth.uid() as the platform defines it (the workspace does not define its own). */
function isPlatformAuthUid(r: Resolver, call: Node): boolean {
  if ((call.args?.length ?? 0) !== 0 || nameLength(call.funcname) !== 8) return false;
  return isName(call.funcname, 'auth.uid') && !r.ownAuthUid;
}

/** Whether a call is Supabase's auth.jwt() or auth.email() as the platform defines it (the workspace does not define its own). */
function isPlatformAuthCall(r: Resolver, call: Node, name: 'auth.jwt' | 'auth.email'): boolean {
  if ((call.args?.length ?? 0) !== 0 || nameLength(call.funcname) !== name.length) return false;
  return isName(call.funcname, name) && !(name === 'auth.jwt' ? r.ownAuthJwt : r.ownAuthEmail);
}

/** Whether a node is the platform's auth.jwt(), or `(select auth.jwt())`. */
function isPlatformJwt(r: Resolver, n: Node): boolean {
  const sl = n?.SubLink;
  const q = sl?.subLinkType === 'EXPR_SUBLINK' ? sl.subselect?.SelectStmt : undefined;
  const call = q && valueOnlySelect(q) ? q.targetList[0].ResTarget.val?.FuncCall : n?.FuncCall;
  return !!call && isPlatformAuthCall(r, call, 'auth.jwt');
}

/**
 * The claims of Supabase's JWT that only a signed-in user's token holds: the anon key's payload
 * is iss, ref, role, iat and exp, and a session that never set the request's claims has none. So
 * wherever auth.uid() is NULL (the `no-user` state), `auth.jwt() ->> 'email'` is NULL too, and so is
 * auth.email(): `email = (auth.jwt() ->> 'email')` admits no row then (measured: anon, and a session
 * without claims, update and read no invite of 99g0dx/dttracker-main's team_invites).
 */
const USER_CLAIMS = new Set(['sub', 'email', 'phone', 'app_metadata', 'user_metadata', 'aal', 'amr', 'session_id', 'is_anonymous']);

/**
 * Per model: what calls resolve to (model.findFunction by name parts and argument count,
 * without building the parts or the key per call: each policy evaluated asks of each of its
 * calls several times), and which function bodies read a context value.
 */
interface Resolver {
  model: Model;
  /** by first name part, then second ('' for a one-part name), then argument count (null: no workspace function) */
  byName: Map<string, Map<string, Array<Func | null | undefined>>>;
  /** the workspace defines auth.uid() itself */
  ownAuthUid: boolean;
  /** the workspace defines auth.jwt() or auth.email() itself */
  ownAuthJwt: boolean;
  ownAuthEmail: boolean;
  /** bodyTouches by key, function and depth */
  touched: Map<ContextKey, Map<Func, Array<boolean | undefined>>>;
}

const newResolver = (model: Model): Resolver => ({
  model,
  byName: new Map(),
  ownAuthUid: !!model.findFunction(['auth', 'uid'], 0),
  ownAuthJwt: !!model.findFunction(['auth', 'jwt'], 0),
  ownAuthEmail: !!model.findFunction(['auth', 'email'], 0),
  touched: new Map(),
});
const resolverOf = (model: Model): Resolver => memoModel(model, 'unset-context:resolver', newResolver);

/** model.findFunction(nameParts(call.funcname), its argument count), kept per model by the name's parts. */
function resolve(r: Resolver, call: Node): Func | undefined {
  const list: Node[] | undefined = call.funcname;
  const argc = call.args?.length ?? 0;
  const n = list?.length ?? 0;
  const p0 = n === 1 || n === 2 ? sval(list![0]) : undefined;
  const p1 = n === 2 ? sval(list![1]) : '';
  // (a name of three parts, or with a part that is not a string, is looked up as it is)
  if (!p0 || p1 === undefined || (n === 2 && !p1)) return r.model.findFunction(nameParts(list), argc);
  let byFirst = r.byName.get(p0);
  if (!byFirst) r.byName.set(p0, (byFirst = new Map()));
  let byArgc = byFirst.get(p1);
  if (!byArgc) byFirst.set(p1, (byArgc = []));
  let f = byArgc[argc];
  if (f === undefined) byArgc[argc] = f = r.model.findFunction(n === 1 ? [p0] : [p0, p1], argc) ?? null;
  return f ?? undefined;
}

/** The setting name of a key (`setting:<name>`), undefined for auth.uid. */
const settingOfKey = (key: ContextKey): string | undefined => (key.startsWith('setting:') ? key.slice('setting:'.length) : undefined);

/** Whether a call reads the key itself: current_setting() of its setting, or the platform's auth.uid(). */
function readsKey(r: Resolver, call: Node, key: ContextKey, setting: string | undefined): boolean {
  const s = settingCallOf(call);
  return s ? s.setting === setting : key === 'auth.uid' && isPlatformAuthUid(r, call);
}

// ---------------------------------------------------------------------------------------
// SQL helpers: `LANGUAGE sql` functions whose body is one `SELECT <expression>`

interface Helper {
  expr: Node;
  params: string[];
  strict: boolean;
  /** settings the function sets with SET clauses (they change what current_setting() reads inside) */
  sets: Set<string>;
}

/** What a call of a SQL function binds and sets: its input parameters' names (lower-case), STRICT, and the settings its SET clauses change. */
function callShape(f: Func): { params: string[]; strict: boolean; sets: Set<string> } {
  const node = f.stmt.node ?? {};
  const params = ((node.parameters ?? []) as Node[])
    .map((p) => p?.FunctionParameter)
    .filter((p) => p && (p.mode === undefined || p.mode === 'FUNC_PARAM_IN' || p.mode === 'FUNC_PARAM_DEFAULT'))
    .map((p) => String(p.name ?? '').toLowerCase());
  const strict = ((node.options ?? []) as Node[]).some((o) => o?.DefElem?.defname === 'strict' && o.DefElem.arg?.Boolean?.boolval === true);
  return { params, strict, sets: new Set(f.settings.map((x) => x.name.toLowerCase())) };
}

const helperCache = new WeakMap<Func, Helper | null>();
function helperOf(f: Func): Helper | undefined {
  const hit = helperCache.get(f);
  if (hit !== undefined) return hit ?? undefined;
  let h: Helper | null = null;
  const stmts = f.body?.statements ?? [];
  const s = stmts[0];
  if (f.language === 'sql' && !f.isProcedure && !f.returnsTrigger && stmts.length === 1 && s!.kind === 'SelectStmt' && valueOnlySelect(s!.node)) {
    h = { expr: s!.node.targetList[0].ResTarget.val, ...callShape(f) };
  }
  helperCache.set(f, h);
  return h ?? undefined;
}

/**
 * SQL lookups: `LANGUAGE sql` functions returning one value (not a set) whose body is one plain
 * `SELECT <expression> FROM … WHERE …` (public.role(): `SELECT role FROM public.profiles WHERE id =
 * auth.uid()`). PostgreSQL returns the first row's value, or NULL when no row passes the WHERE:
 * the evaluator only says the latter, when an AND-ed part of the WHERE is certainly NULL or false
 * (existsWhereNeverTrue), and leaves every other answer unknown.
 */
interface Lookup {
  select: Node;
  params: string[];
  strict: boolean;
  sets: Set<string>;
}

const lookupCache = new WeakMap<Func, Lookup | null>();
function lookupOf(f: Func): Lookup | undefined {
  const hit = lookupCache.get(f);
  if (hit !== undefined) return hit ?? undefined;
  let l: Lookup | null = null;
  const stmts = f.body?.statements ?? [];
  const s = stmts[0];
  if (
    f.language === 'sql' && !f.isProcedure && !f.returnsTrigger && !/^setof\b/i.test(f.returnType) && stmts.length === 1 && s!.kind === 'SelectStmt' &&
    (s!.node?.targetList?.length ?? 0) === 1 && s!.node.fromClause && s!.node.whereClause
  ) {
    l = { select: s!.node, ...callShape(f) };
  }
  lookupCache.set(f, l);
  return l ?? undefined;
}

/** `SELECT <one expression>` with no FROM, WHERE, grouping, set operation or limit. */
function valueOnlySelect(n: Node): boolean {
  return (
    (n?.targetList?.length ?? 0) === 1 &&
    !!n.targetList[0]?.ResTarget?.val &&
    !n.fromClause && !n.whereClause && !n.groupClause && !n.havingClause && !n.limitCount && !n.limitOffset && !n.valuesLists && !n.withClause &&
    (!n.op || n.op === 'SETOP_NONE')
  );
}

// ---------------------------------------------------------------------------------------
// Which context values an expression reads

/** The context keys an expression reads, directly or through SQL helpers, in first-seen order. */
function contextKeysUncached(model: Model, node: Node): ContextKey[] {
  const acc: KeysFound = { r: resolverOf(model), out: undefined, seen: undefined };
  keysIn(acc, node, 0);
  return acc.out ? sharedKeys(acc.out) : NONE;
}

/** What contextKeysUncached has found so far (lists rather than sets: an expression reads few keys and calls few helpers). */
interface KeysFound {
  r: Resolver;
  out: ContextKey[] | undefined;
  /** the helpers followed */
  seen: Func[] | undefined;
}

function keysIn(acc: KeysFound, n: Node, depth: number): void {
  // every FuncCall, in the order walk() meets them
  const calls = callsUnder(n);
  for (let i = 0; i < calls.length; i++) {
    const v = calls[i]!;
    const s = settingCallOf(v);
    const k = s ? `setting:${s.setting}` : isPlatformAuthUid(acc.r, v) ? 'auth.uid' : undefined;
    if (k !== undefined) {
      if (!acc.out) acc.out = [k];
      else if (!acc.out.includes(k)) acc.out.push(k);
      continue;
    }
    const f = resolve(acc.r, v);
    const h = f && helperOf(f);
    if (f && h && !acc.seen?.includes(f) && depth < MAX_DEPTH) {
      (acc.seen ??= []).push(f);
      keysIn(acc, h.expr, depth + 1);
    }
  }
}

/** One frozen list per content of one key (the common case), kept as long as results are: equal results share it. */
const oneKey = new Map<ContextKey, ContextKey[]>();
function sharedKeys(keys: ContextKey[]): ContextKey[] {
  if (keys.length !== 1) return keys;
  let list = oneKey.get(keys[0]!);
  if (!list) {
    if (oneKey.size >= 1000) oneKey.clear();
    oneKey.set(keys[0]!, (list = Object.freeze(keys) as ContextKey[]));
  }
  return list;
}

/** Every FuncCall of a node (sub-selects included), in the order walk() meets them. */
function callsUnder(n: Node): Node[] {
  if (!n || typeof n !== 'object') return [];
  return census(n).funcCalls;
}

/**
 * Whether some FuncCall of a node (those census() lists) passes `test`, stopping at the first.
 * A wrapper made for the question (`{ A_Expr: a }`, `{ FuncCall: call }`, `wrapped`) is not
 * asked its census, which would be kept on an object thrown away: the node it wraps is (and
 * the call it is). The census of a part of an expression is kept on it: a walk per question
 * cost more (a policy's sub-select is asked per key, state and use; bench).
 */
function someCall(n: Node, c: Ctx, test: (c: Ctx, call: Node) => boolean, wrapped = false): boolean {
  if (!n || typeof n !== 'object') return false;
  if (wrapped) {
    for (const k in n) {
      const inner = n[k];
      if (k === 'FuncCall' && test(c, inner)) return true;
      if (someCall(inner, c, test)) return true;
    }
    return false;
  }
  const calls = census(n).funcCalls;
  for (let i = 0; i < calls.length; i++) if (test(c, calls[i]!)) return true;
  return false;
}

/** Whether an expression reads the context value at all (through any function the workspace defines). */
function touches(c: Ctx, node: Node, wrapped: boolean): boolean {
  return someCall(node, c, touchesAt0, wrapped);
}
const touchesAt0 = (c: Ctx, v: Node) => callTouches(c.res, v, c.key, c.setting, 0);

/** Whether a call reads the context value, itself or in the body of the function it resolves to (`depth`: of the call). */
function callTouches(r: Resolver, v: Node, key: ContextKey, setting: string | undefined, depth: number): boolean {
  if (readsKey(r, v, key, setting)) return true;
  const f = resolve(r, v);
  return !!f && depth < MAX_DEPTH && !!f.body && bodyTouches(r, f, key, setting, depth + 1);
}

/** Whether some call of the function's body statements (at `depth`) reads the context value; kept per model, key, function and depth. */
function bodyTouches(r: Resolver, f: Func, key: ContextKey, setting: string | undefined, depth: number): boolean {
  let byFunc = r.touched.get(key);
  if (!byFunc) r.touched.set(key, (byFunc = new Map()));
  let byDepth = byFunc.get(f);
  if (!byDepth) byFunc.set(f, (byDepth = []));
  const hit = byDepth[depth];
  if (hit !== undefined) return hit;
  let out = false;
  for (const st of f.body!.statements) {
    const calls = callsUnder(st.node);
    for (let i = 0; i < calls.length && !out; i++) out = callTouches(r, calls[i]!, key, setting, depth);
    if (out) break;
  }
  byDepth[depth] = out;
  return out;
}

/**
 * Whether a part of the expression the evaluator does not understand could raise an error in
 * this state: a current_setting() without missing_ok while never set, a cast of it without
 * nullif after a local set ended, or any function that reads the context value.
 */
function mayRaise(c: Ctx, node: Node, wrapped: boolean): boolean {
  const state = c.state;
  if (state === 'set' || state === 'no-user') return false;
  const name = c.key.slice('setting:'.length);
  const opts = c.opts;
  for (const sc of unsafeSettingCalls(node)) {
    if (sc.setting.toLowerCase() !== name) continue;
    const rw = opts.rewritten?.get(sc.node);
    if (state === 'never' && sc.missing && !rw) return true;
    if (state === 'ended' && sc.castType && rw !== 'nullif') return true;
  }
  return someCall(node, c, callMayRaise, wrapped);
}
const callMayRaise = (c: Ctx, v: Node): boolean => {
  if (settingCallOf(v)) return false;
  const f = resolve(c.res, v);
  return !!f?.body && bodyTouches(c.res, f, c.key, c.setting, 1);
};

// ---------------------------------------------------------------------------------------
// The evaluator

const MAX_DEPTH = 8;

interface Scope {
  params: string[];
  args: Val[];
}

/**
 * What an evaluation is asked under. One class (every context has the same fields in the same
 * order): the evaluator's functions then read one shape of object, and a context costs no more
 * than its fields (contexts made by spreading were larger and of several shapes: bench).
 */
class Ctx {
  /** this context with inSub, once made (inSubCtx) */
  sub: Ctx | undefined = undefined;
  constructor(
    readonly model: Model,
    readonly res: Resolver,
    readonly key: ContextKey,
    /** the key's setting name (settingOfKey) */
    readonly setting: string | undefined,
    readonly state: UnsetState | 'set',
    readonly opts: EvalOptions,
    readonly depth: number,
    readonly scope: Scope | undefined,
    /** inside a scalar sub-select: errors are raised only when execution gets there */
    readonly inSub: boolean,
    /** row columns taken to be non-NULL (the question is then about the rows where they are) */
    readonly assume: ReadonlySet<string> | undefined,
    /** row columns met compared with themselves (`col = coalesce(<NULL>, col)`), first-seen order: what `assume` may try */
    readonly selfCompared: string[] | undefined,
  ) {}
}

/** A context at the top of an expression. */
function topCtx(model: Model, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions, assume: ReadonlySet<string> | undefined, selfCompared: string[] | undefined): Ctx {
  return new Ctx(model, resolverOf(model), key, settingOfKey(key), state, opts, 0, undefined, false, assume, selfCompared);
}

/** The context inside a helper's body, its parameters bound to `args`. */
function helperCtx(c: Ctx, h: { params: string[] }, args: Val[]): Ctx {
  return new Ctx(c.model, c.res, c.key, c.setting, c.state, c.opts, c.depth + 1, { params: h.params, args }, c.inSub, c.assume, c.selfCompared);
}

/** Records a column compared with itself (when the question asks for them). */
function selfCompared(c: Ctx, col: string): void {
  const list = c.selfCompared;
  if (list && !list.includes(col)) list.push(col);
}

/** An unknown result of inputs combined by allOf. */
const fromAll = (all: All, nonNull = false): Val => unknownLate(all.ctx, all.mayError, nonNull, all.mayError && all.late);
const errorAt = (c: Ctx, ctx: boolean): Val => error(ctx, c.inSub);
/** Whether errors in a filter are raised whatever the order (planned), or only on the path taken. */
const anyOrder = (c: Ctx) => c.opts.mode === 'filter';

interface All {
  error?: Val;
  ctx: boolean;
  mayError: boolean;
  late: boolean;
}

/** Combines the values of several inputs evaluated one after another (no short-circuit). */
function allOf(vals: Val[]): All {
  // (counted in one pass, no filtered copies: bench)
  let ctx = false;
  let failing = false;
  let earlyFail = false;
  let errs = false;
  let earlyErr = false;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i]!;
    if (v.ctx) ctx = true;
    if (!mayFail(v)) continue;
    failing = true;
    const e = early(v);
    if (e) earlyFail = true;
    if (v.t === 'error') {
      errs = true;
      if (e) earlyErr = true;
    }
  }
  return { error: errs ? error(ctx, !earlyErr) : undefined, ctx, mayError: failing, late: failing && !earlyFail };
}

/** allOf of two values, without the array. */
function allOf2(l: Val, r: Val): All {
  const ctx = l.ctx || r.ctx;
  const lf = mayFail(l);
  const rf = mayFail(r);
  const le = lf && early(l);
  const re = rf && early(r);
  const errs = l.t === 'error' || r.t === 'error';
  const earlyErr = (l.t === 'error' && le) || (r.t === 'error' && re);
  return { error: errs ? error(ctx, !earlyErr) : undefined, ctx, mayError: lf || rf, late: (lf || rf) && !le && !re };
}

function evalNode(c: Ctx, n: Node): Val {
  if (!n || typeof n !== 'object') return UNKNOWN;
  // (a node is an object of one field, its kind: the kinds policies are made of most are tested
  // first, as each test of a kind the node is not is a look-up that fails; bench)
  if (n.A_Expr) return evalAExpr(c, n.A_Expr);
  if (n.ColumnRef) return evalColumn(c, n.ColumnRef);
  if (n.FuncCall) return evalCall(c, n.FuncCall);
  if (n.A_Const) return konst(constValue(n) ?? null, false);
  if (n.BoolExpr) return evalBool(c, n.BoolExpr);
  if (n.TypeCast) return evalCast(c, n.TypeCast);
  if (n.NullTest) return evalNullTest(c, n.NullTest);
  if (n.BooleanTest) return evalBooleanTest(c, n.BooleanTest);
  if (n.CoalesceExpr) return evalCoalesce(c, n.CoalesceExpr.args ?? []);
  if (n.CaseExpr) return evalCase(c, n.CaseExpr);
  if (n.SubLink && valueOnlySelect(n.SubLink.subselect?.SelectStmt)) {
    const sl = n.SubLink;
    if (sl.subLinkType === 'EXPR_SUBLINK') return evalSubValue(c, sl.subselect.SelectStmt);
    // `x IN (SELECT v)`, `x op ANY / ALL (SELECT v)`: the sub-select returns exactly one row, so
    // this is `x op v` — with v computed only when execution reaches it (a hashed SubPlan is
    // built on first use: measured, see the top)
    if ((sl.subLinkType === 'ANY_SUBLINK' || sl.subLinkType === 'ALL_SUBLINK') && sl.testexpr && !sl.testexpr.RowExpr) {
      const names: Node[] = sl.operName ?? [];
      const op = names.length ? (sval(names[names.length - 1]) ?? '') : '=';
      return evalOp(c, op, evalNode(c, sl.testexpr), evalSubValue(c, sl.subselect.SelectStmt));
    }
  }
  if (n.ParamRef && c.scope) return c.scope.args[(n.ParamRef.number ?? 0) - 1] ?? UNKNOWN;
  if (n.SQLValueFunction) return unknown(false, false, true);
  // (`EXISTS (SELECT …)`, and `x IN (SELECT … FROM t WHERE … AND user_id = auth.uid())`, whose
  // sub-select then returns no row: x = ANY of no row is false, whatever x is, NULL too; ALL of
  // no row would be true. portal-ctmo's post_reactions, `student_id IN (SELECT id FROM students
  // WHERE user_id = auth.uid())`, reaches no row without a signed-in user)
  if (n.SubLink?.subLinkType === 'EXISTS_SUBLINK' || n.SubLink?.subLinkType === 'ANY_SUBLINK') {
    const v = existsWhereNeverTrue(c, n.SubLink.subselect?.SelectStmt);
    if (v) return v;
  }
  return opaque(c, n);
}

/**
 * `EXISTS (SELECT … WHERE … AND user_id = _u)` where an AND-ed part of the WHERE is NULL or false
 * (here, with `_u` NULL: garden's user_has_unit_access(auth.uid(), unit_id) for a request without
 * a signed-in user): no row passes the WHERE, so EXISTS is false. Only for a plain SELECT: an
 * aggregate, GROUP BY or HAVING may return a row from no rows (`SELECT count(*) … WHERE false`).
 */
function existsWhereNeverTrue(c: Ctx, s: Node): Val | undefined {
  if (!s?.whereClause || s.groupClause || s.havingClause || s.groupDistinct || (s.op && s.op !== 'SETOP_NONE') || s.withClause) return undefined;
  for (const t of s.targetList ?? []) if (census(t).funcCalls.length) return undefined;
  const sub = inSubCtx(c);
  const parts = conjuncts(s.whereClause);
  for (let i = 0; i < parts.length; i++) {
    const v = evalNode(sub, parts[i]);
    if (v.t === 'const' && v.v !== true && !parts.some((p) => mayFail(evalNode(sub, p)))) return konst(false, v.ctx);
  }
  return undefined;
}

function evalColumn(c: Ctx, cr: Node): Val {
  const f: Node[] = cr.fields ?? [];
  const name = f.length === 1 ? sval(f[0])?.toLowerCase() : undefined;
  const i = name && c.scope ? c.scope.params.indexOf(name) : -1;
  if (i >= 0) return c.scope!.args[i] ?? UNKNOWN;
  // outside a helper's body, a plain name (or table.name) is a column of the policy's row
  const col = !c.scope && f.length >= 1 && f.length <= 3 && allNamed(f) ? sval(f[f.length - 1])!.toLowerCase() : undefined;
  if (col && c.assume?.has(NULL_COLUMN + col)) return konst(null, false);
  return col ? { t: 'unknown', nonNull: !!c.assume?.has(col), ctx: false, mayError: false, col } : UNKNOWN;
}

/** In `assume`, a column taken to be NULL (retryOpen asks whether the rows where it is NULL are admitted too): this prefix and its name. */
const NULL_COLUMN = '\u0000null:';

/** Whether every field of a column reference is a name (`f.every((x) => sval(x) !== undefined)`). */
function allNamed(f: Node[]): boolean {
  for (let i = 0; i < f.length; i++) if (sval(f[i]) === undefined) return false;
  return true;
}

/** The value of a sub-select that is one `SELECT <expression>`: a parameter, its errors raised only when reached. */
function evalSubValue(c: Ctx, select: Node): Val {
  const v = evalNode(inSubCtx(c), select.targetList[0].ResTarget.val);
  return v.t === 'const' ? asParam(v) : v;
}

/** The context inside a scalar sub-select, made once per context (a policy's sub-selects are evaluated per key, state and use: bench). */
function inSubCtx(c: Ctx): Ctx {
  if (c.inSub) return c;
  return (c.sub ??= new Ctx(c.model, c.res, c.key, c.setting, c.state, c.opts, c.depth, c.scope, true, c.assume, c.selfCompared));
}

/** konst(null | false | true, ctx) with `param`, by index as KONSTS. */
const PARAM_KONSTS: readonly Val[] = KONSTS.map((k) => Object.freeze({ ...k, param: true }));
/** The constant as the value of a scalar sub-select (`param`). */
function asParam(v: Val & { t: 'const' }): Val {
  if (v.param) return v;
  const i = v.v === null ? 0 : v.v === false ? 2 : v.v === true ? 4 : -1;
  return i < 0 ? { ...v, param: true } : PARAM_KONSTS[i + (v.ctx ? 1 : 0)]!;
}

/** A part the evaluator does not model: unknown, and possibly failing if it reads the context. */
function opaque(c: Ctx, n: Node, wrapped = false): Val {
  const ctx = touches(c, n, wrapped) || (c.scope !== undefined && mentionsParams(n));
  return unknown(ctx, ctx && (mayRaise(c, n, wrapped) || c.scope !== undefined));
}

function mentionsParams(n: Node): boolean {
  let found = false;
  walk(n, (k) => {
    if (k === 'ParamRef' || k === 'ColumnRef') found = true;
    return !found;
  });
  return found;
}

function evalCast(c: Ctx, tc: Node): Val {
  const v = evalNode(c, tc.arg);
  const t = typeName(tc.typeName);
  if (v.t === 'const' && v.param) c = inSubCtx(c);
  // an unknown value read from an unset context may be '', which the cast rejects
  if (v.t === 'unknown') {
    if (v.ctx && !TEXT_TYPES.has(t) && c.state !== 'set') return unknownLate(true, true, v.nonNull, c.inSub && (!v.mayError || !early(v)));
    // the same cast of the same column gives the same value: keep the identity, with the cast (and its modifiers)
    if (v.col === undefined) return v;
    const mods = ((tc.typeName?.typmods ?? []) as Node[]).map((m) => String(constValue(m) ?? '?')).join(',');
    return { ...v, col: `${v.col}::${t}${mods ? `(${mods})` : ''}` };
  }
  if (v.t === 'error') return v;
  if (v.v === null) return v;
  if (TEXT_TYPES.has(t)) return typeof v.v === 'string' ? v : konst(String(v.v), v.ctx);
  if (typeof v.v !== 'string') return t === 'boolean' && typeof v.v === 'boolean' ? v : unknown(v.ctx, false, true);
  const s = v.v.trim().toLowerCase();
  if (t === 'boolean') {
    if (TRUE_WORDS.has(s)) return konst(true, v.ctx);
    if (FALSE_WORDS.has(s)) return konst(false, v.ctx);
    return errorAt(c, v.ctx);
  }
  if (v.v === '' && EMPTY_REJECTED.has(t)) return errorAt(c, v.ctx);
  if (v.v === '') return unknownLate(v.ctx, true, false, c.inSub);
  return unknown(v.ctx, false, true);
}

function evalBool(c: Ctx, b: Node): Val {
  const args: Node[] = b.args ?? [];
  if (b.boolop === 'NOT_EXPR') {
    const v = evalNode(c, args[0]);
    return v.t === 'const' ? (v.v === null ? v : konst(!v.v, v.ctx)) : plain(v);
  }
  // OR stops at the first true branch, AND at the first false one, left to right
  const decisive = b.boolop !== 'AND_EXPR';
  // what the branches evaluated so far were (running flags rather than a list copied per branch: bench)
  let ctx = false;
  let unknownSeen = false;
  let failSeen = false;
  let earlySeen = false;
  let nullSeen = false;
  let result: Val | undefined;
  for (let i = 0; i < args.length; i++) {
    const v = evalNode(c, args[i]);
    // (filter mode goes on once decided: the planner may evaluate any branch)
    if (!result) {
      // an earlier unknown branch may have decided first, or failed first
      if (v.t === 'error') result = unknownSeen ? unknownLate(true, true, false, !early(v)) : v;
      else if (v.t === 'const' && v.v === decisive) result = failSeen ? unknownLate(v.ctx, true, false, !earlySeen) : v;
    }
    if (v.ctx) ctx = true;
    if (v.t === 'unknown') unknownSeen = true;
    if (mayFail(v)) {
      failSeen = true;
      if (early(v)) earlySeen = true;
    }
    if (isNullV(v)) nullSeen = true;
    if (result && !anyOrder(c)) break;
  }
  // an error the planner raises while estimating a filter surfaces whatever the branch
  if (anyOrder(c) && earlySeen) return result?.t === 'error' && early(result) ? result : unknown(ctx, true);
  if (result) return result;
  if (unknownSeen) return unknownLate(ctx, failSeen, false, failSeen && !earlySeen);
  if (nullSeen) return konst(null, ctx);
  return konst(!decisive, ctx);
}

function evalNullTest(c: Ctx, nt: Node): Val {
  if (nt.arg?.RowExpr) return opaque(c, nt.arg);
  const v = evalNode(c, nt.arg);
  const wantNull = nt.nulltesttype !== 'IS_NOT_NULL';
  if (v.t === 'error') return v;
  if (v.t === 'const') return konst((v.v === null) === wantNull, v.ctx);
  if (v.nonNull && !v.mayError) return konst(!wantNull, v.ctx);
  return unknownLate(v.ctx, v.mayError, true, v.late);
}

function evalBooleanTest(c: Ctx, bt: Node): Val {
  const v = evalNode(c, bt.arg);
  if (v.t !== 'const') return v.t === 'error' ? v : unknownLate(v.ctx, v.mayError, true, v.late);
  const b = v.v;
  if (b !== null && typeof b !== 'boolean') return unknown(v.ctx, true, true);
  const r: Record<string, boolean> = {
    IS_TRUE: b === true,
    IS_NOT_TRUE: b !== true,
    IS_FALSE: b === false,
    IS_NOT_FALSE: b !== false,
    IS_UNKNOWN: b === null,
    IS_NOT_UNKNOWN: b !== null,
  };
  const out = r[bt.booltesttype];
  return out === undefined ? unknown(v.ctx, false, true) : konst(out, v.ctx);
}

function evalAExpr(c: Ctx, a: Node): Val {
  const op = sval(a.name?.[a.name.length - 1]) ?? '';
  switch (a.kind) {
    case 'AEXPR_OP': {
      if (!a.lexpr) return opaque(c, { A_Expr: a }, true); // prefix operator
      // (a claim only a user's token holds: NULL without a signed-in user, see USER_CLAIMS)
      if (c.state === 'no-user' && c.key === 'auth.uid' && (op === '->>' || op === '->') && isPlatformJwt(c.res, a.lexpr)) {
        const claim = stringConst(a.rexpr);
        if (claim !== undefined && USER_CLAIMS.has(claim)) return konst(null, true);
      }
      return evalOp(c, op, evalNode(c, a.lexpr), evalNode(c, a.rexpr));
    }
    case 'AEXPR_NULLIF': {
      const l = evalNode(c, a.lexpr);
      const r = evalNode(c, a.rexpr);
      const all = allOf2(l, r);
      if (all.error) return all.error;
      if (isNullV(l)) return all.mayError ? fromAll(all) : konst(null, all.ctx);
      if (l.t === 'const' && r.t === 'const' && l.v !== null && r.v !== null) {
        const eq = compareConstants('=', l.v, r.v);
        if (eq !== undefined) return eq ? konst(null, all.ctx) : { ...l, ctx: all.ctx };
      }
      return fromAll(all);
    }
    case 'AEXPR_IN': {
      const l = evalNode(c, a.lexpr);
      const items: Node[] = a.rexpr?.List?.items ?? [];
      const vals = items.map((i) => evalNode(c, i));
      const all = allOf([l, ...vals]);
      if (all.error) return all.error;
      if (l.t === 'const' && vals.every((v) => v.t === 'const') && !all.mayError) {
        if (l.v === null) return konst(null, all.ctx);
        const hit = vals.some((v) => v.t === 'const' && v.v !== null && compareConstants('=', l.v!, v.v) === true);
        const neg = op === '<>';
        if (hit) return konst(!neg, all.ctx);
        if (vals.some(isNullV)) return konst(null, all.ctx);
        if (vals.every((v) => v.t === 'const' && compareConstants('=', l.v!, v.v!) === false)) return konst(neg, all.ctx);
      }
      if (isNullV(l)) return all.mayError ? fromAll(all) : konst(null, all.ctx);
      return fromAll(all);
    }
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      const l = evalNode(c, a.lexpr);
      const r = evalNode(c, a.rexpr);
      const all = allOf2(l, r);
      if (all.error) return all.error;
      if (l.t === 'const' && r.t === 'const' && !all.mayError) {
        const same = l.v === null || r.v === null ? l.v === r.v : compareConstants('=', l.v, r.v);
        if (same !== undefined) return konst(a.kind === 'AEXPR_DISTINCT' ? !same : same, all.ctx);
      }
      return fromAll(all, true);
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
    case 'AEXPR_SIMILAR': {
      const l = evalNode(c, a.lexpr);
      const r = evalNode(c, a.rexpr);
      const all = allOf2(l, r);
      if (all.error) return all.error;
      if ((isNullV(l) || isNullV(r)) && !all.mayError) return konst(null, all.ctx);
      return fromAll(all);
    }
  }
  return opaque(c, { A_Expr: a }, true);
}

/** `l op r` (a binary operator), from the values of its operands. */
function evalOp(c: Ctx, op: string, l: Val, r: Val): Val {
  const all = allOf2(l, r);
  if (all.error) return all.error;
  if (op === '=' && sameColumn(c, l, r) && !all.mayError) return konst(true, all.ctx);
  if (!STRICT_OPS.has(op)) return fromAll(all);
  if (isNullV(l) || isNullV(r)) return all.mayError ? fromAll(all) : konst(null, all.ctx);
  if (l.t === 'const' && r.t === 'const') {
    if (op === '||' && typeof l.v === 'string' && typeof r.v === 'string') return konst(l.v + r.v, all.ctx);
    const b = compareConstants(op, l.v!, r.v!);
    if (b !== undefined) return konst(b, all.ctx);
  }
  const nonNull = (l.t === 'const' || (l.t === 'unknown' && l.nonNull)) && (r.t === 'const' || (r.t === 'unknown' && r.nonNull));
  return fromAll(all, nonNull);
}

/**
 * Whether `l = r` compares a row's column with itself (the same casts applied on both sides) where
 * the column is taken to be non-NULL: then it is true (PostgreSQL's `=` is reflexive; NULL = NULL
 * is NULL, so where the column is NULL the row is not admitted — hence the assumption). A
 * comparison met without the assumption is remembered, so that openIn can ask again with it.
 */
function sameColumn(c: Ctx, l: Val, r: Val): boolean {
  if (l.t !== 'unknown' || r.t !== 'unknown' || l.col === undefined || l.col !== r.col) return false;
  if (l.nonNull && r.nonNull) return true;
  selfCompared(c, baseColumn(l.col));
  return false;
}

function evalCoalesce(c: Ctx, args: Node[]): Val {
  // the first non-NULL argument, left to right
  // what the arguments evaluated so far were (running flags, as in evalBool)
  let ctx = false;
  let unknownSeen = false;
  let failSeen = false;
  let earlySeen = false;
  let allNull = true;
  let result: Val | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = evalNode(c, a);
    const ctxBefore = ctx;
    const nullsBefore = allNull;
    const unknownBefore = unknownSeen;
    if (v.ctx) ctx = true;
    if (v.t === 'unknown') unknownSeen = true;
    if (mayFail(v)) {
      failSeen = true;
      if (early(v)) earlySeen = true;
    }
    if (!isNullV(v)) allNull = false;
    if (result) continue;
    // after arguments that are NULL, the row's own column is the value: all of it if it is the
    // last argument or taken to be non-NULL (and then it is compared with itself, see sameColumn)
    if (v.t === 'unknown' && v.col !== undefined && nullsBefore) {
      if (v.nonNull || a === args[args.length - 1]) {
        result = { ...v, ctx: v.ctx || ctxBefore };
        if (!anyOrder(c)) break;
        continue;
      }
      selfCompared(c, baseColumn(v.col));
    }
    if (v.t === 'error') result = unknownBefore ? unknownLate(true, true, false, !earlySeen) : v;
    else if ((v.t === 'const' && v.v !== null) || (v.t === 'unknown' && v.nonNull)) result = unknownBefore || v.t === 'unknown' ? unknownLate(true, failSeen, true, !earlySeen) : v;
    if (result && !anyOrder(c)) break;
  }
  if (anyOrder(c) && earlySeen) return result?.t === 'error' && early(result) ? result : unknown(ctx, true);
  if (result) return result.t === 'const' ? konst(result.v, ctx) : result.t === 'unknown' ? (result.ctx === ctx ? result : { ...result, ctx }) : result;
  if (unknownSeen) return unknownLate(ctx, failSeen, false, !earlySeen);
  return konst(null, ctx);
}

function evalCase(c: Ctx, ce: Node): Val {
  const subject = ce.arg ? evalNode(c, ce.arg) : undefined;
  const seen: Val[] = subject ? [subject] : [];
  let result: Val | undefined = subject?.t === 'error' ? subject : undefined;
  for (const w of (result ? [] : (ce.args ?? [])) as Node[]) {
    let cond = evalNode(c, w.CaseWhen?.expr);
    if (subject) {
      const all = allOf2(subject, cond);
      cond = all.error ?? (subject.t === 'const' && cond.t === 'const' && subject.v !== null && cond.v !== null ? konst(compareConstants('=', subject.v, cond.v) ?? false, all.ctx) : fromAll(all));
    }
    seen.push(cond);
    if (cond.t === 'error') result = cond;
    else if (cond.t === 'unknown') result = unknown(true, caseMayRaise(c, ce, mayFail)); // which branch is taken depends on the row
    else if (cond.v === true) result = evalNode(c, w.CaseWhen.result);
    if (result) break;
  }
  result ??= ce.defresult ? evalNode(c, ce.defresult) : konst(null, false);
  const ctx = seen.some((p) => p.ctx) || result.ctx;
  // in `filter` mode too: planning folds a CASE in order and computes no branch it drops (see the top)
  return result.t === 'const' ? konst(result.v, ctx) : result.t === 'unknown' ? { ...result, ctx } : result;
}

/** Whether some branch of a CASE could fail (`test`: any failure, or one the planner raises in any branch). */
function caseMayRaise(c: Ctx, ce: Node, test: (v: Val) => boolean): boolean {
  const branches: Node[] = [ce.arg, ...((ce.args ?? []) as Node[]).flatMap((w) => [w.CaseWhen?.expr, w.CaseWhen?.result]), ce.defresult].filter(Boolean);
  return branches.some((b) => test(evalNode(c, b)));
}

function evalCall(c: Ctx, call: Node): Val {
  const s = settingCallOf(call);
  if (s) {
    if (s.setting !== c.setting) return UNKNOWN;
    const rw = c.opts.rewritten?.get(call);
    if (c.state === 'set') return unknown(true, false, true);
    if (c.state === 'never') return s.missingOk || rw ? konst(null, true) : errorAt(c, true);
    if (c.state === 'ended') return rw === 'nullif' ? konst(null, true) : konst('', true);
    return UNKNOWN;
  }
  if (isPlatformAuthUid(c.res, call)) {
    if (c.key !== 'auth.uid') return UNKNOWN;
    return c.state === 'set' ? unknown(true, false, true) : c.state === 'no-user' ? konst(null, true) : UNKNOWN;
  }
  // (the email claim of the request's JWT: NULL without a signed-in user, as auth.uid(), see USER_CLAIMS)
  if (c.state === 'no-user' && c.key === 'auth.uid' && isPlatformAuthCall(c.res, call, 'auth.email')) return konst(null, true);
  if (call.agg_star || call.over || call.agg_filter || call.agg_order || call.agg_distinct) return opaque(c, { FuncCall: call }, true);
  const argNodes: Node[] = call.args ?? [];
  // a helper's parameter or result may be coerced to another type: no column identity crosses the call
  const args = argNodes.map((a) => plain(evalNode(c, a)));
  const all = allOf(args);
  if (all.error) return all.error;
  const f = resolve(c.res, call);
  if (f) {
    const h = helperOf(f);
    const key = c.setting ?? '';
    if (!h || c.depth >= MAX_DEPTH || (key && h.sets.has(key)) || h.params.length !== argNodes.length) {
      // (the call itself, then the calls inside it: touches() of the call)
      const ctx = all.ctx || touches(c, { FuncCall: call }, true);
      // a lookup no row passes returns NULL (its errors, if any, are left to the answer below)
      const l = !h && c.depth < MAX_DEPTH ? lookupOf(f) : undefined;
      if (l && !(key && l.sets.has(key)) && l.params.length === argNodes.length && !all.mayError) {
        if (l.strict && args.some(isNullV)) return konst(null, all.ctx);
        const none = existsWhereNeverTrue(helperCtx(c, l, args), l.select);
        if (none && none.t === 'const') return konst(null, ctx);
      }
      return unknown(ctx, all.mayError || (ctx && c.state !== 'set'));
    }
    if (h.strict) {
      if (args.some(isNullV)) return all.mayError ? fromAll(all) : konst(null, all.ctx);
      if (args.some((a) => a.t === 'unknown' && !a.nonNull)) {
        const body = evalNode(helperCtx(c, h, args), h.expr);
        return body.t === 'error' ? body : body.t === 'const' && body.v === null ? body : unknown(all.ctx || body.ctx, all.mayError || mayFail(body));
      }
    }
    const body = plain(evalNode(helperCtx(c, h, args), h.expr));
    if (all.mayError && body.t === 'const') return unknown(body.ctx || all.ctx, true, body.v !== null);
    return body.t === 'error' || body.ctx || !all.ctx ? body : ({ ...body, ctx: true } as Val);
  }
  const parts = lower(nameParts(call.funcname));
  const fn = STRING_FNS[parts.length === 2 && parts[0] === 'pg_catalog' ? parts[1]! : parts.length === 1 ? parts[0]! : ''];
  if (fn && args.length === 1) {
    const a = args[0]!;
    if (isNullV(a)) return konst(null, a.ctx);
    if (a.t === 'const' && typeof a.v === 'string') return konst(fn(a.v), a.ctx);
    return a.t === 'unknown' ? plain(a) : unknown(a.ctx, false, true);
  }
  return fromAll(all);
}

// ---------------------------------------------------------------------------------------
// The question the rules ask

export interface OpenState {
  state: UnsetState;
  /** AND-ed conditions that still apply then and do not read the context (e.g. `deleted_at IS NULL`) */
  residual: Node[];
  /**
   * Columns (lower-case) the rows admitted must have non-NULL, when the expression then compares a
   * column with itself (`tenant_id = coalesce(current_setting(…, true)::uuid, tenant_id)` is
   * `tenant_id = tenant_id`: true where tenant_id is not NULL, NULL where it is). The workspace
   * model does not record NOT NULL, so this is said whatever the column's declaration.
   */
  nonNull?: string[];
  /** of `nonNull`, the columns whose NULL rows another branch admits too (`tenant_id IS NULL OR …`): the rows admitted are then not limited by them */
  nullAdmitted?: string[];
}

/** The states a key can be unset in. */
export function unsetStates(key: ContextKey): readonly UnsetState[] {
  return key === 'auth.uid' ? NO_USER : NEVER_ENDED;
}
const NO_USER: readonly UnsetState[] = Object.freeze(['no-user']);
const NEVER_ENDED: readonly UnsetState[] = Object.freeze(['never', 'ended']);

/** The one empty list of results (residual conditions, open states): most expressions have none. Frozen: shared. */
const NONE: never[] = Object.freeze([]) as never[];

const isAnd = (n: Node): boolean => n?.BoolExpr?.boolop === 'AND_EXPR';


/**
 * In `state`, whether the expression is true for every row, or for every row that meets AND-ed
 * conditions that do not read the context: at least one AND-ed part is true because of the
 * context value, the others are true or do not read it, and nothing can raise an error.
 * Where that holds only if columns compared with themselves are not NULL (`tenant_id =
 * coalesce(<unset>, tenant_id)`), the answer lists them in `nonNull` (`assume`: the columns taken
 * to be non-NULL; `retry`: whether to ask again with the columns met compared with themselves).
 */
export function openIn(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions, assume?: ReadonlySet<string>, retry = true): OpenState | undefined {
  const selfCompared: string[] = [];
  const c = topCtx(model, key, state, opts, assume, selfCompared);
  let residual: Node[] = NONE;
  if (!isAnd(node)) {
    // one part, the common case (no list of parts; bench): open if it is true because of the context
    const v = evalNode(c, node);
    if (!(v.t === 'const' && v.v === true && v.ctx)) return retryOpen(model, node, key, state, opts, assume, retry, selfCompared);
  } else {
    const parts = conjuncts(node);
    const vals = parts.map((p) => evalNode(c, p));
    const open =
      !vals.some(mayFail) &&
      vals.every((v) => (v.t === 'const' && v.v === true) || (v.t === 'unknown' && !v.ctx)) &&
      vals.some((v) => v.t === 'const' && v.v === true && v.ctx);
    if (!open) return retryOpen(model, node, key, state, opts, assume, retry, selfCompared);
    residual = parts.filter((_, i) => vals[i]!.t === 'unknown');
    if (residual.length === 0) residual = NONE;
  }
  return { state: state as UnsetState, residual, ...(assume?.size ? { nonNull: [...assume] } : {}) };
}

/** openIn where the expression is not open as asked: a column compared with itself makes it ask again for the rows where it is not NULL (once; the fewest columns needed). */
function retryOpen(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions, assume: ReadonlySet<string> | undefined, retry: boolean, selfCompared: string[]): OpenState | undefined {
  if (assume || !retry || selfCompared.length === 0) return undefined;
  let cols = selfCompared.slice();
  if (!openIn(model, node, key, state, opts, new Set(cols))) return undefined;
  for (const col of [...cols]) {
    const fewer = cols.filter((x) => x !== col);
    if (fewer.length && openIn(model, node, key, state, opts, new Set(fewer))) cols = fewer;
  }
  const open = openIn(model, node, key, state, opts, new Set(cols));
  if (!open) return undefined;
  // (the rows where such a column is NULL may be admitted by another branch: `tenant_id IS NULL OR
  // tenant_id = coalesce(<unset>, tenant_id)` admits every row; Row-Level-Security-Backend)
  const nullAdmitted = cols.filter((col) => trueWhenNull(model, node, key, state, opts, cols, col));
  return nullAdmitted.length ? { ...open, nullAdmitted } : open;
}

/** Whether, with `col` NULL (the other `cols` not), every AND-ed part of the expression is true or reads no context and cannot fail. */
function trueWhenNull(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions, cols: readonly string[], col: string): boolean {
  const assume = new Set(cols.filter((x) => x !== col));
  assume.add(NULL_COLUMN + col);
  const c = topCtx(model, key, state, opts, assume, undefined);
  const parts = isAnd(node) ? conjuncts(node) : [node];
  let any = false;
  for (const p of parts) {
    const v = evalNode(c, p);
    if (v.t === 'const' && v.v === true) any = true;
    else if (v.t !== 'unknown' || v.ctx || mayFail(v)) return false;
  }
  return any;
}

/**
 * Whether the expression's shape alone shows that it admits no more than its other conditions
 * when `key` is unset, so that openIn is undefined in every unset state of the key (with any
 * columns assumed non-NULL, and any rewrite of the calls): the most common policies compare a
 * column with the context value, and the evaluator (its contexts, values and the compiling of
 * its code) is not needed to see that they do not fail open. Exactly the cases where the
 * evaluator's answer is known:
 * - one part (no AND at the top) that is a sub-select with FROM, WHERE, … (`tenant_id IN (SELECT
 *   … FROM memberships …)`): the evaluator does not look inside (opaque), its value is unknown,
 *   never true;
 * - a part (of the AND-ed ones, or the only one) `<column> op <read>` or `<read> op <column>`,
 *   any binary operator, where <column> is a column reference (cast or not) and <read> is the
 *   key's own read (current_setting() of its setting, the platform's auth.uid()), cast any
 *   number of times or as a scalar sub-select `(SELECT <read>)`: the read's value carries the
 *   context in every unset state (NULL, '' or an error, and through casts and the sub-select),
 *   the column is unknown and not the same column, so the comparison is NULL, unknown or an
 *   error because of the context — never true, never a condition free of the context — and
 *   openIn asks every part of an AND to be true or free of the context.
 * Not concluded (the evaluator decides): an OR or NOT at the top, COALESCE, IS [NOT] NULL, IS
 * DISTINCT FROM, CASE, IN lists, a comparison with a constant (`current_setting(…) = ''` is true
 * once the setting reads ''), a helper call, another key's read.
 * (On the bench every clause the rule evaluates is one of these, and the evaluator's code is no
 * longer hot enough to be compiled: the rule alone, after the other rules, CPU 244 [199–358] →
 * 194 [145–213] ms, main thread 76 → 58 ms, 7 rounds A/B; on the calibration projects 54 of 214
 * clause-key pairs, each still evaluated where it is not concluded.)
 */
function closedByShape(r: Resolver, node: Node, key: ContextKey): boolean {
  if (!node || typeof node !== 'object') return false;
  const setting = settingOfKey(key);
  if (!isAnd(node)) return opaqueClause(node) || comparesColumnWithRead(r, node, key, setting);
  return someConjunct(r, node, key, setting);
}

/** closedByShape's first case, for every key: a clause that is one sub-select with FROM, WHERE, … (the evaluator's opaque). */
export function opaqueClause(node: Node): boolean {
  const sl = node?.SubLink;
  return !!sl && !valueOnlySelect(sl.subselect?.SelectStmt);
}

/** closedByShape for a model (exported for tests: each case it concludes must agree with openIn). */
export function closedByShapeIn(model: Model, node: Node, key: ContextKey): boolean {
  return closedByShape(resolverOf(model), node, key);
}

/**
 * Whether some AND-ed part of the expression compares a column with the key's own read
 * (`user_id = auth.uid()`, cast or as `(select auth.uid())`): while the key is unset the read is
 * NULL (or an error), that part is never true, and the expression admits no row.
 */
export function requiresKeyIn(model: Model, node: Node, key: ContextKey): boolean {
  return !!node && typeof node === 'object' && someConjunct(resolverOf(model), node, key, settingOfKey(key));
}

/** closedByShape's second case for some AND-ed part (nested ANDs flattened, as conjuncts()). */
function someConjunct(r: Resolver, n: Node, key: ContextKey, setting: string | undefined): boolean {
  if (!isAnd(n)) return comparesColumnWithRead(r, n, key, setting);
  const args: Node[] = n.BoolExpr.args ?? [];
  for (let i = 0; i < args.length; i++) if (someConjunct(r, args[i], key, setting)) return true;
  return false;
}

/** `<column> op <read>` or `<read> op <column>` (closedByShape). */
function comparesColumnWithRead(r: Resolver, n: Node, key: ContextKey, setting: string | undefined): boolean {
  const a = n?.A_Expr;
  if (!a || a.kind !== 'AEXPR_OP' || !a.lexpr || !a.rexpr) return false;
  const l = a.lexpr;
  const rr = a.rexpr;
  return (isColumn(l) && isRead(r, rr, key, setting)) || (isColumn(rr) && isRead(r, l, key, setting));
}

/** Whether the node is a column reference, cast or not: unknown, free of the context and never an error (evalColumn, evalCast). */
function isColumn(n: Node): boolean {
  while (n?.TypeCast) n = n.TypeCast.arg;
  return !!n?.ColumnRef;
}

/** Whether the node is the key's own read, cast or not, or `(SELECT <read>)`: its value carries the context in every unset state (evalCall, evalCast, evalSubValue). */
function isRead(r: Resolver, n: Node, key: ContextKey, setting: string | undefined): boolean {
  for (let depth = 0; n && typeof n === 'object' && depth < 16; depth++) {
    if (n.FuncCall) return readsKey(r, n.FuncCall, key, setting);
    if (n.TypeCast) n = n.TypeCast.arg;
    else if (n.SubLink?.subLinkType === 'EXPR_SUBLINK' && valueOnlySelect(n.SubLink.subselect?.SelectStmt)) n = n.SubLink.subselect.SelectStmt.targetList[0].ResTarget.val;
    else return false;
  }
  return false;
}

/**
 * The unset states in which the expression admits every row (that meets its context-free
 * AND-ed conditions), or [] — also [] when it admits every row whatever the context holds
 * (a tautology: policy-always-true's business).
 */
function failsOpenUncached(model: Model, node: Node, key: ContextKey, opts: EvalOptions): OpenState[] {
  if (closedByShape(resolverOf(model), node, key)) return NONE;
  const states = unsetStates(key);
  let open: OpenState[] | undefined;
  for (let i = 0; i < states.length; i++) {
    const o = openIn(model, node, key, states[i]!, opts);
    if (o) (open ??= []).push(o);
  }
  if (!open) return NONE;
  // true whatever the context holds (on the same rows: with the same columns taken to be non-NULL);
  // open in some unset states only (`current_setting(x, true) IS NOT NULL`: not while never set,
  // but once a local set has ended and it reads '') is the context failing open, set or not
  const trueThen = (st: UnsetState) => {
    const v = evalNode(topCtx(model, key, st, opts, undefined, undefined), node);
    return v.t === 'const' && v.v === true;
  };
  if (open.length < states.length && !states.every((st) => open!.some((o) => o.state === st) || trueThen(st))) return open;
  const assume = new Set(open.flatMap((o) => o.nonNull ?? []));
  if (openIn(model, node, key, 'set', opts, assume.size ? assume : undefined, false)) return NONE;
  const c = topCtx(model, key, 'set', opts, assume, undefined);
  const set = evalNode(c, node);
  if (set.t === 'const' && set.v === true) return NONE;
  return open;
}

/** Whether the expression, evaluated in `state`, is true for every row (no residual conditions). */
export function trueIn(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  if (!opts.rewritten) return cachedOn(model, node, questionOf('true', key, state, opts.mode), trueInQ);
  return trueInUncached(model, node, key, state, opts);
}
function trueInUncached(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  const o = openIn(model, node, key, state, opts);
  return !!o && o.residual.length === 0 && !o.nonNull;
}

/** Whether the expression is NULL or false for every row in `state` (it admits no row then: `user_id = auth.uid() OR is_member(auth.uid(), team_id)` without a signed-in user). */
export function neverTrueIn(model: Model, node: Node, key: ContextKey, state: UnsetState, opts: EvalOptions): boolean {
  const v = evalNode(topCtx(model, key, state, opts, undefined, undefined), node);
  return v.t === 'const' && v.v !== true;
}

/**
 * The constant a value expression is in `state` because of the context value (NULL, or the
 * literal a COALESCE falls back to: callgent-api's `coalesce(nullif(current_setting(
 * 'tenancy.tenantPk', true), ''), '0')` is '0' when the setting is unset), or undefined where it
 * is not one (it depends on the row, may raise, or does not read the context).
 */
export function unsetConstant(model: Model, node: Node, key: ContextKey, state: UnsetState, opts: EvalOptions): { v: string | number | boolean | null } | undefined {
  const v = evalNode(topCtx(model, key, state, opts, undefined, undefined), node);
  return v.t === 'const' && v.ctx ? { v: v.v } : undefined;
}

/** Whether evaluating the expression in `state` may raise an error (e.g. a cast of '' to uuid). */
export function raisesIn(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  if (!opts.rewritten) return cachedOn(model, node, questionOf('raises', key, state, opts.mode), raisesInQ);
  return raisesInUncached(model, node, key, state, opts);
}
function raisesInUncached(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  const c = topCtx(model, key, state, opts, undefined, undefined);
  if (!isAnd(node)) return mayFail(evalNode(c, node));
  return conjuncts(node).some((p) => mayFail(evalNode(c, p)));
}

// ---------------------------------------------------------------------------------------
// How PostgreSQL uses a policy's clauses

export interface ClauseUse {
  expr: PolicyExpr;
  cmd: Command;
  /** read: rows SELECT returns; reach: rows UPDATE/DELETE reach; write: new rows INSERT/UPDATE may write */
  effect: 'read' | 'reach' | 'write';
  /** USING filters rows (planned: errors anywhere surface); a check is executed left to right */
  mode: EvalMode;
}

/** Each command a policy covers with the clause PostgreSQL evaluates for it: without WITH CHECK, USING is the check too (T14c). */
export function clauseUses(p: Policy): ClauseUse[] {
  return clauseUsesOf(p, policyExprs(p));
}

/** clauseUses of a policy row, kept on the row (shared: do not mutate). */
export function rowUses(row: PolicyRow): ClauseUse[] {
  return (row.uses ??= clauseUsesOf(row.policy, row.exprs));
}

function clauseUsesOf(p: Policy, exprs: PolicyExpr[]): ClauseUse[] {
  const using = exprs.find((e) => e.clause === 'using');
  const check = exprs.find((e) => e.clause === 'check') ?? using;
  // in command order (select, insert, update, delete), each command's uses in effect order;
  // kept on the row, one per policy: an array of the exact size, no closure (bench)
  const cmd = p.command;
  const all = cmd === 'all';
  const sel = (all || cmd === 'select') && using;
  const ins = (all || cmd === 'insert') && check;
  const upd = all || cmd === 'update';
  const updReach = upd && using;
  const updWrite = upd && check;
  const del = (all || cmd === 'delete') && using;
  const out = new Array<ClauseUse>((sel ? 1 : 0) + (ins ? 1 : 0) + (updReach ? 1 : 0) + (updWrite ? 1 : 0) + (del ? 1 : 0));
  let i = 0;
  if (sel) out[i++] = { expr: sel, cmd: 'select', effect: 'read', mode: 'filter' };
  if (ins) out[i++] = { expr: ins, cmd: 'insert', effect: 'write', mode: 'check' };
  if (updReach) out[i++] = { expr: updReach, cmd: 'update', effect: 'reach', mode: 'filter' };
  if (updWrite) out[i++] = { expr: updWrite, cmd: 'update', effect: 'write', mode: 'check' };
  if (del) out[i++] = { expr: del, cmd: 'delete', effect: 'reach', mode: 'filter' };
  return out;
}

// ---------------------------------------------------------------------------------------
// Memoisation across lints
//
// Parsed statements are cached per file text, so a policy's expression is the same node after
// an edit elsewhere; the model is new. What evaluating an expression reads from the model is
// only which workspace function each call resolves to (its statement and SET clauses, as a SQL
// helper or a body that may read the context), recursively, and whether the workspace defines
// auth.uid() itself. That is the signature the results are kept under.

/** The signature of the workspace's auth.uid() (unset-context knows what Supabase's returns when the context is unset). */
function authUidSig(model: Model): string {
  const own = model.findFunction(['auth', 'uid'], 0);
  const jwt = model.findFunction(['auth', 'jwt'], 0);
  const email = model.findFunction(['auth', 'email'], 0);
  return `${own ? `u${funcSig(model, own)}|` : 'u|'}${jwt ? `j${funcSig(model, jwt)}|` : ''}${email ? `e${funcSig(model, email)}|` : ''}`;
}

/** Per model: the signature of auth.uid(), and the context signature of each shared call list (callKeyList). */
interface SigState {
  authUid: string;
  byList: Map<CallKey[], string>;
}
const newSigState = (model: Model): SigState => ({ authUid: authUidSig(model), byList: new Map() });

/** The context signature of a node with these calls ('' for no node). */
function listSignature(model: Model, st: SigState, list: CallKey[] | undefined): string {
  if (!list) return '';
  let sig = st.byList.get(list);
  if (sig === undefined) st.byList.set(list, (sig = internSig(st.authUid + callListSig(model, list))));
  return sig;
}

function modelSignature(model: Model, facts: NodeFacts, node: Node): string {
  let sig = facts.contextSig;
  if (sig === undefined) facts.contextSig = sig = listSignature(model, memoModel(model, 'unset-context:sigs', newSigState), callKeyList(facts, node));
  return sig;
}

/** The last result per question and node, kept under the context signature (modelSignature). */
function cachedOn<T>(model: Model, node: Node, q: Question, compute: (model: Model, node: Node, q: Question) => T): T {
  return keptUnderWith(model, node, q.what, modelSignature, compute, q);
}

/** A result of policyKeeper, in the memo of the policy's statement: what it was computed from, and the value. */
interface KeptOnPolicy {
  using: Node;
  check: Node;
  command: string;
  usingList: CallKey[] | undefined;
  checkList: CallKey[] | undefined;
  usingSig: string;
  checkSig: string;
  /** the functionsToken of the last model the result was found valid for: a model with the same token has the same signatures */
  token: object;
  v: unknown;
}

const callListOf = (n: Node): CallKey[] | undefined => (n && typeof n === 'object' ? callKeyList(nodeFacts(n), n) : undefined);

/**
 * For one model: a result computed from a policy's command and its USING and WITH CHECK nodes
 * (and what their calls resolve to, as for cachedOn), kept across lints in the memo of the
 * policy's statement with the call lists of its nodes. Statements outlive the model while their
 * file is unchanged, so a re-lint checks a policy's result with a lookup per node in this
 * model's signatures, and asks no node facts.
 */
export function policyKeeper<T>(model: Model, what: string, compute: (model: Model, row: PolicyRow) => T): (row: PolicyRow) => T {
  const st = memoModel(model, 'unset-context:sigs', newSigState);
  const token = functionsToken(model);
  return (row) => {
    // first on the row (kept across models with its policy and table: its nodes and command are the same)
    const r = row.kept;
    if (r && r.what === what && r.token === token) return r.v as T;
    const p = row.policy;
    const u: Node = row.using?.node;
    const c: Node = row.check?.node;
    const m = (p.stmt.memo ??= {});
    const hit = m[what] as KeptOnPolicy | undefined;
    if (hit && hit.using === u && hit.check === c && hit.command === p.command) {
      if (hit.token === token || (hit.usingSig === listSignature(model, st, hit.usingList) && hit.checkSig === listSignature(model, st, hit.checkList))) {
        hit.token = token;
        row.kept = { what, token, v: hit.v };
        return hit.v as T;
      }
    }
    const v = compute(model, row);
    row.kept = { what, token, v };
    const usingList = callListOf(u);
    const checkList = callListOf(c);
    const kept: KeptOnPolicy = { using: u, check: c, command: p.command, usingList, checkList, usingSig: listSignature(model, st, usingList), checkSig: listSignature(model, st, checkList), token, v };
    m[what] = kept;
    return v;
  };
}

/**
 * Custom settings the migrations give a default for every session: `ALTER DATABASE d SET x TO v`
 * or `ALTER ROLE ALL SET x TO v` (v not ''). A new session starts with x = v, and once a
 * transaction-local set of x has ended x is v again: it is never unset, so current_setting(x)
 * neither raises 42704 nor reads '' (Delibrium's `alter database :db_name set "app.debug" to 'f'`).
 * A role's own default (`ALTER ROLE r SET`) is not counted: it holds for sessions that log in as r.
 */
export function settingDefaults(model: Model): ReadonlySet<string> {
  return memoModel(model, 'unset-context:settingDefaults', (m) => {
    const out = new Set<string>();
    for (const { stmt } of m.statements) {
      if (stmt.kind !== 'AlterDatabaseSetStmt' && stmt.kind !== 'AlterRoleSetStmt') continue;
      const n = stmt.node as Node;
      if (stmt.kind === 'AlterRoleSetStmt' && n?.role) continue;
      const set = n?.setstmt;
      if (set?.kind !== 'VAR_SET_VALUE' || typeof set.name !== 'string') continue;
      const v = set.args?.[0]?.A_Const;
      if (v?.sval && (v.sval.sval ?? '') === '') continue;
      out.add(set.name.toLowerCase());
    }
    return out;
  });
}

/** The context keys an expression reads, directly or through SQL helpers, in first-seen order (shared: do not mutate). */
export function contextKeys(model: Model, node: Node): ContextKey[] {
  // a node without calls reads no context, whatever the model: nothing to keep
  if (node && typeof node === 'object' && callsUnder(node).length === 0) return NONE;
  return cachedOn(model, node, KEYS, contextKeysUncached);
}

/**
 * contextKeys, failsOpen and raisesIn computed and not kept on the node: for a caller that keeps
 * its own result across lints (the rule's policyKeeper, asked of every policy). A node's results
 * kept per question were ≈ 3.5 MB of the 6 MB the rule kept in the bench's cold lint, and keeping
 * them (signature, record, list) cost more than computing most answers; a re-lint finds the
 * caller's result instead.
 */
export function contextKeysNow(model: Model, node: Node): ContextKey[] {
  if (node && typeof node === 'object' && callsUnder(node).length === 0) return NONE;
  return contextKeysUncached(model, node);
}
/** failsOpen, not kept (contextKeysNow). */
export function failsOpenNow(model: Model, node: Node, key: ContextKey, opts: EvalOptions): OpenState[] {
  return failsOpenUncached(model, node, key, opts);
}
/** raisesIn, not kept (contextKeysNow). */
export function raisesInNow(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  return raisesInUncached(model, node, key, state, opts);
}

/**
 * The unset states in which the expression admits every row (with residual conditions that do
 * not read the context), and not when the context is set (shared: do not mutate).
 */
export function failsOpen(model: Model, node: Node, key: ContextKey, opts: EvalOptions): OpenState[] {
  if (opts.rewritten) return failsOpenUncached(model, node, key, opts);
  return cachedOn(model, node, questionOf('open', key, '', opts.mode), failsOpenQ);
}

/**
 * A question kept on nodes (cachedOn): its name, made once, so that asking it again hashes
 * nothing new, with what computing it needs (`opts`: those of the question's mode, which is all
 * an unrewritten EvalOptions holds).
 */
interface Question {
  what: string;
  key: ContextKey;
  state: UnsetState | 'set';
  opts: EvalOptions;
}

const KEYS: Question = { what: 'keys', key: '', state: 'set', opts: { mode: 'filter' } };
const MODE_OPTS: Record<EvalMode, EvalOptions> = { filter: Object.freeze({ mode: 'filter' }), check: Object.freeze({ mode: 'check' }) };
const stateIndex = (state: UnsetState | 'set' | ''): number => (state === '' ? 0 : state === 'never' ? 1 : state === 'ended' ? 2 : state === 'no-user' ? 3 : 4);

/** The questions by kind and key, each a list by state and mode (index stateIndex * 2 + mode). */
const questions = { open: new Map<ContextKey, Question[]>(), true: new Map<ContextKey, Question[]>(), raises: new Map<ContextKey, Question[]>() };
function questionOf(kind: 'open' | 'true' | 'raises', key: ContextKey, state: UnsetState | 'set' | '', mode: EvalMode): Question {
  const byKey = questions[kind];
  let list = byKey.get(key);
  if (!list) byKey.set(key, (list = []));
  const i = stateIndex(state) * 2 + (mode === 'filter' ? 0 : 1);
  let q = list[i];
  if (q === undefined) list[i] = q = { what: kind === 'open' ? `open|${key}|${mode}` : `open|${kind}|${key}|${state}|${mode}`, key, state: state || 'set', opts: MODE_OPTS[mode] };
  return q;
}

const failsOpenQ = (model: Model, node: Node, q: Question): OpenState[] => failsOpenUncached(model, node, q.key, q.opts);
const trueInQ = (model: Model, node: Node, q: Question): boolean => trueInUncached(model, node, q.key, q.state, q.opts);
const raisesInQ = (model: Model, node: Node, q: Question): boolean => raisesInUncached(model, node, q.key, q.state, q.opts);
