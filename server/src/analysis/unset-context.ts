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
import { census, compareConstants, constValue, nodeFacts, typeName, type NodeFacts } from './ast.js';
import type { Func, Model, Policy } from './model.js';
import { nameParts, sval, walk } from './parse.js';
import type { Command } from './policies.js';
import { callKeyList, callListSig, funcSig, functionsToken, internSig, keptUnder, memoModel, policyExprs, unsafeSettingCalls, type CallKey, type PolicyExpr, type PolicyRow } from './policy-exprs.js';
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

const UNKNOWN: Val = { t: 'unknown', nonNull: false, ctx: false, mayError: false };
const unknown = (ctx: boolean, mayError: boolean, nonNull = false): Val => ({ t: 'unknown', nonNull, ctx, mayError });
const konst = (v: string | number | boolean | null, ctx: boolean): Val => ({ t: 'const', v, ctx });
const isNullV = (v: Val) => v.t === 'const' && v.v === null;
const mayFail = (v: Val) => v.t === 'error' || (v.t === 'unknown' && v.mayError);
/** A possible error the planner may raise whatever the evaluation order. */
const early = (v: Val) => mayFail(v) && !(v as { late?: boolean }).late;
const lateIf = (late: boolean | undefined) => (late ? { late: true as const } : {});
/** The value without its column identity (for a value computed from it, which is not the column). */
const plain = (v: Val): Val => (v.t === 'unknown' && v.col !== undefined ? { t: 'unknown', nonNull: v.nonNull, ctx: v.ctx, mayError: v.mayError, ...lateIf(v.late) } : v);
/** The column a column identity starts from (`tenant_id::text` → `tenant_id`). */
const baseColumn = (col: string) => col.split('::')[0]!;

/** Text types: '' casts to them without error. */
const TEXT_TYPES = new Set(['text', 'character varying', 'varchar', 'name', 'character', 'bpchar', 'citext', 'unknown']);
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

/** The setting a current_setting() call reads and whether it passes missing_ok = true; undefined if it is not such a call. */
export function settingCallOf(call: Node): { setting: string; missingOk: boolean } | undefined {
  const name = lower(nameParts(call.funcname)).join('.');
  if (name !== 'current_setting' && name !== 'pg_catalog.current_setting') return undefined;
  const args: Node[] = call.args ?? [];
  const s = constValue(args[0]);
  if (typeof s !== 'string' || !s.includes('.') || args.length > 2) return undefined;
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
function isPlatformAuthUid(model: Model, call: Node): boolean {
  const parts = lower(nameParts(call.funcname));
  return parts.join('.') === 'auth.uid' && (call.args ?? []).length === 0 && !model.findFunction(['auth', 'uid'], 0);
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

const helperCache = new WeakMap<Func, Helper | null>();
function helperOf(f: Func): Helper | undefined {
  if (helperCache.has(f)) return helperCache.get(f) ?? undefined;
  let h: Helper | null = null;
  const stmts = f.body?.statements ?? [];
  const s = stmts[0];
  if (f.language === 'sql' && !f.isProcedure && !f.returnsTrigger && stmts.length === 1 && s!.kind === 'SelectStmt' && valueOnlySelect(s!.node)) {
    const node = f.stmt.node ?? {};
    const params = ((node.parameters ?? []) as Node[])
      .map((p) => p?.FunctionParameter)
      .filter((p) => p && (p.mode === undefined || p.mode === 'FUNC_PARAM_IN' || p.mode === 'FUNC_PARAM_DEFAULT'))
      .map((p) => String(p.name ?? '').toLowerCase());
    const strict = ((node.options ?? []) as Node[]).some((o) => o?.DefElem?.defname === 'strict' && o.DefElem.arg?.Boolean?.boolval === true);
    h = { expr: s!.node.targetList[0].ResTarget.val, params, strict, sets: new Set(f.settings.map((x) => x.name.toLowerCase())) };
  }
  helperCache.set(f, h);
  return h ?? undefined;
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
  const out = new Set<ContextKey>();
  const seen = new Set<Func>();
  const visit = (n: Node, depth: number) => {
    // every FuncCall, in the order walk() meets them
    for (const v of callsUnder(n)) {
      const s = settingCallOf(v);
      if (s) out.add(`setting:${s.setting}`);
      else if (isPlatformAuthUid(model, v)) out.add('auth.uid');
      else {
        const f = model.findFunction(nameParts(v.funcname), (v.args ?? []).length);
        const h = f && helperOf(f);
        if (f && h && !seen.has(f) && depth < MAX_DEPTH) {
          seen.add(f);
          visit(h.expr, depth + 1);
        }
      }
    }
  };
  visit(node, 0);
  return [...out];
}

/** Every FuncCall of a node (sub-selects included), in the order walk() meets them. */
function callsUnder(n: Node): Node[] {
  if (!n || typeof n !== 'object') return [];
  return census(n).funcCalls;
}

/** Whether an expression reads the context value at all (through any function the workspace defines). */
function touches(model: Model, node: Node, key: ContextKey, depth = 0): boolean {
  for (const v of callsUnder(node)) {
    const s = settingCallOf(v);
    if (s ? `setting:${s.setting}` === key : key === 'auth.uid' && isPlatformAuthUid(model, v)) return true;
    const f = model.findFunction(nameParts(v.funcname), (v.args ?? []).length);
    if (f && depth < MAX_DEPTH && f.body && f.body.statements.some((st) => touches(model, st.node, key, depth + 1))) return true;
  }
  return false;
}

/**
 * Whether a part of the expression the evaluator does not understand could raise an error in
 * this state: a current_setting() without missing_ok while never set, a cast of it without
 * nullif after a local set ended, or any function that reads the context value.
 */
function mayRaise(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  if (state === 'set' || state === 'no-user') return false;
  const name = key.slice('setting:'.length);
  for (const c of unsafeSettingCalls(node)) {
    if (c.setting.toLowerCase() !== name) continue;
    const rw = opts.rewritten?.get(c.node);
    if (state === 'never' && c.missing && !rw) return true;
    if (state === 'ended' && c.castType && rw !== 'nullif') return true;
  }
  for (const v of callsUnder(node)) {
    if (settingCallOf(v)) continue;
    const f = model.findFunction(nameParts(v.funcname), (v.args ?? []).length);
    if (f?.body && f.body.statements.some((st) => touches(model, st.node, key, 1))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// The evaluator

const MAX_DEPTH = 8;

interface Scope {
  params: string[];
  args: Val[];
}

interface Ctx {
  model: Model;
  key: ContextKey;
  state: UnsetState | 'set';
  opts: EvalOptions;
  depth: number;
  scope?: Scope;
  /** inside a scalar sub-select: errors are raised only when execution gets there */
  inSub?: boolean;
  /** row columns taken to be non-NULL (the question is then about the rows where they are) */
  assume?: ReadonlySet<string>;
  /** row columns met compared with themselves (`col = coalesce(<NULL>, col)`): what `assume` may try */
  selfCompared?: Set<string>;
}

/** An unknown result of inputs combined by allOf. */
const fromAll = (all: ReturnType<typeof allOf>, nonNull = false): Val => ({ ...unknown(all.ctx, all.mayError, nonNull), ...lateIf(all.mayError && all.late) });
const errorAt = (c: Ctx, ctx: boolean): Val => ({ t: 'error', ctx, ...lateIf(c.inSub) });
/** Whether errors in a filter are raised whatever the order (planned), or only on the path taken. */
const anyOrder = (c: Ctx) => c.opts.mode === 'filter';

/** Combines the values of several inputs evaluated one after another (no short-circuit). */
function allOf(vals: Val[]): { error?: Val; ctx: boolean; mayError: boolean; late: boolean } {
  const ctx = vals.some((v) => v.ctx);
  const failing = vals.filter(mayFail);
  const late = failing.length > 0 && failing.every((v) => !early(v));
  const errs = vals.filter((v) => v.t === 'error');
  return { error: errs.length ? { t: 'error', ctx, ...lateIf(errs.every((v) => !early(v))) } : undefined, ctx, mayError: failing.length > 0, late };
}

function evalNode(c: Ctx, n: Node): Val {
  if (!n || typeof n !== 'object') return UNKNOWN;
  if (n.A_Const) return konst(constValue(n) ?? null, false);
  if (n.TypeCast) return evalCast(c, n.TypeCast);
  if (n.BoolExpr) return evalBool(c, n.BoolExpr);
  if (n.NullTest) return evalNullTest(c, n.NullTest);
  if (n.BooleanTest) return evalBooleanTest(c, n.BooleanTest);
  if (n.A_Expr) return evalAExpr(c, n.A_Expr);
  if (n.CoalesceExpr) return evalCoalesce(c, n.CoalesceExpr.args ?? []);
  if (n.CaseExpr) return evalCase(c, n.CaseExpr);
  if (n.FuncCall) return evalCall(c, n.FuncCall);
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
  if (n.ColumnRef) {
    const f: Node[] = n.ColumnRef.fields ?? [];
    const name = f.length === 1 ? sval(f[0])?.toLowerCase() : undefined;
    const i = name && c.scope ? c.scope.params.indexOf(name) : -1;
    if (i >= 0) return c.scope!.args[i] ?? UNKNOWN;
    // outside a helper's body, a plain name (or table.name) is a column of the policy's row
    const col = !c.scope && f.length >= 1 && f.length <= 3 && f.every((x) => sval(x) !== undefined) ? sval(f[f.length - 1])!.toLowerCase() : undefined;
    return col ? { t: 'unknown', nonNull: !!c.assume?.has(col), ctx: false, mayError: false, col } : UNKNOWN;
  }
  if (n.SQLValueFunction) return unknown(false, false, true);
  return opaque(c, n);
}

/** The value of a sub-select that is one `SELECT <expression>`: a parameter, its errors raised only when reached. */
function evalSubValue(c: Ctx, select: Node): Val {
  const v = evalNode({ ...c, inSub: true }, select.targetList[0].ResTarget.val);
  return v.t === 'const' ? { ...v, param: true } : v;
}

/** A part the evaluator does not model: unknown, and possibly failing if it reads the context. */
function opaque(c: Ctx, n: Node): Val {
  const ctx = touches(c.model, n, c.key) || (c.scope !== undefined && mentionsParams(n));
  return unknown(ctx, ctx && (mayRaise(c.model, n, c.key, c.state, c.opts) || c.scope !== undefined));
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
  if (v.t === 'const' && v.param) c = { ...c, inSub: true };
  // an unknown value read from an unset context may be '', which the cast rejects
  if (v.t === 'unknown') {
    if (v.ctx && !TEXT_TYPES.has(t) && c.state !== 'set') return { ...unknown(true, true, v.nonNull), ...lateIf(c.inSub && (!v.mayError || !early(v))) };
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
  if (v.v === '') return { ...unknown(v.ctx, true), ...lateIf(c.inSub) };
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
  const vals: Val[] = [];
  let result: Val | undefined;
  for (const a of args) {
    const v = evalNode(c, a);
    const before = vals.slice();
    vals.push(v);
    if (result) continue; // (filter mode goes on: the planner may evaluate any branch)
    // an earlier unknown branch may have decided first, or failed first
    if (v.t === 'error') result = before.some((p) => p.t === 'unknown') ? { ...unknown(true, true), ...lateIf(!early(v)) } : v;
    else if (v.t === 'const' && v.v === decisive) result = before.some(mayFail) ? { ...unknown(v.ctx, true), ...lateIf(before.every((p) => !early(p))) } : v;
    if (result && !anyOrder(c)) break;
  }
  const ctx = vals.some((v) => v.ctx);
  // an error the planner raises while estimating a filter surfaces whatever the branch
  if (anyOrder(c) && vals.some(early)) return result?.t === 'error' && early(result) ? result : unknown(ctx, true);
  if (result) return result;
  if (vals.some((v) => v.t === 'unknown')) return { ...unknown(ctx, vals.some(mayFail)), ...lateIf(vals.some(mayFail) && !vals.some(early)) };
  if (vals.some(isNullV)) return konst(null, ctx);
  return konst(!decisive, ctx);
}

function evalNullTest(c: Ctx, nt: Node): Val {
  if (nt.arg?.RowExpr) return opaque(c, nt.arg);
  const v = evalNode(c, nt.arg);
  const wantNull = nt.nulltesttype !== 'IS_NOT_NULL';
  if (v.t === 'error') return v;
  if (v.t === 'const') return konst((v.v === null) === wantNull, v.ctx);
  if (v.nonNull && !v.mayError) return konst(!wantNull, v.ctx);
  return { ...plain(v), nonNull: true } as Val;
}

function evalBooleanTest(c: Ctx, bt: Node): Val {
  const v = evalNode(c, bt.arg);
  if (v.t !== 'const') return v.t === 'error' ? v : ({ ...plain(v), nonNull: true } as Val);
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
      if (!a.lexpr) return opaque(c, { A_Expr: a }); // prefix operator
      return evalOp(c, op, evalNode(c, a.lexpr), evalNode(c, a.rexpr));
    }
    case 'AEXPR_NULLIF': {
      const l = evalNode(c, a.lexpr);
      const r = evalNode(c, a.rexpr);
      const all = allOf([l, r]);
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
      const all = allOf([l, r]);
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
      const all = allOf([l, r]);
      if (all.error) return all.error;
      if ((isNullV(l) || isNullV(r)) && !all.mayError) return konst(null, all.ctx);
      return fromAll(all);
    }
  }
  return opaque(c, { A_Expr: a });
}

/** `l op r` (a binary operator), from the values of its operands. */
function evalOp(c: Ctx, op: string, l: Val, r: Val): Val {
  const all = allOf([l, r]);
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
  c.selfCompared?.add(baseColumn(l.col));
  return false;
}

function evalCoalesce(c: Ctx, args: Node[]): Val {
  // the first non-NULL argument, left to right
  const vals: Val[] = [];
  let result: Val | undefined;
  for (const a of args) {
    const v = evalNode(c, a);
    const before = vals.slice();
    vals.push(v);
    if (result) continue;
    // after arguments that are NULL, the row's own column is the value: all of it if it is the
    // last argument or taken to be non-NULL (and then it is compared with itself, see sameColumn)
    if (v.t === 'unknown' && v.col !== undefined && before.every(isNullV)) {
      if (v.nonNull || a === args[args.length - 1]) {
        result = { ...v, ctx: v.ctx || before.some((p) => p.ctx) };
        if (!anyOrder(c)) break;
        continue;
      }
      c.selfCompared?.add(baseColumn(v.col));
    }
    const undecided = before.some((p) => p.t === 'unknown');
    const lateOnly = lateIf(!vals.some(early));
    if (v.t === 'error') result = undecided ? { ...unknown(true, true), ...lateOnly } : v;
    else if ((v.t === 'const' && v.v !== null) || (v.t === 'unknown' && v.nonNull)) result = undecided || v.t === 'unknown' ? { ...unknown(true, vals.some(mayFail), true), ...lateOnly } : v;
    if (result && !anyOrder(c)) break;
  }
  const ctx = vals.some((v) => v.ctx);
  if (anyOrder(c) && vals.some(early)) return result?.t === 'error' && early(result) ? result : unknown(ctx, true);
  if (result) return result.t === 'const' ? konst(result.v, ctx) : result.t === 'unknown' ? { ...result, ctx } : result;
  if (vals.some((v) => v.t === 'unknown')) return { ...unknown(ctx, vals.some(mayFail)), ...lateIf(!vals.some(early)) };
  return konst(null, ctx);
}

function evalCase(c: Ctx, ce: Node): Val {
  const subject = ce.arg ? evalNode(c, ce.arg) : undefined;
  const seen: Val[] = subject ? [subject] : [];
  let result: Val | undefined = subject?.t === 'error' ? subject : undefined;
  for (const w of (result ? [] : (ce.args ?? [])) as Node[]) {
    let cond = evalNode(c, w.CaseWhen?.expr);
    if (subject) {
      const all = allOf([subject, cond]);
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
    if (`setting:${s.setting}` !== c.key) return UNKNOWN;
    const rw = c.opts.rewritten?.get(call);
    if (c.state === 'set') return unknown(true, false, true);
    if (c.state === 'never') return s.missingOk || rw ? konst(null, true) : errorAt(c, true);
    if (c.state === 'ended') return rw === 'nullif' ? konst(null, true) : konst('', true);
    return UNKNOWN;
  }
  if (isPlatformAuthUid(c.model, call)) {
    if (c.key !== 'auth.uid') return UNKNOWN;
    return c.state === 'set' ? unknown(true, false, true) : c.state === 'no-user' ? konst(null, true) : UNKNOWN;
  }
  const parts = lower(nameParts(call.funcname));
  if (call.agg_star || call.over || call.agg_filter || call.agg_order || call.agg_distinct) return opaque(c, { FuncCall: call });
  const argNodes: Node[] = call.args ?? [];
  // a helper's parameter or result may be coerced to another type: no column identity crosses the call
  const args = argNodes.map((a) => plain(evalNode(c, a)));
  const all = allOf(args);
  if (all.error) return all.error;
  const f = c.model.findFunction(nameParts(call.funcname), argNodes.length);
  if (f) {
    const h = helperOf(f);
    const key = c.key.startsWith('setting:') ? c.key.slice('setting:'.length) : '';
    if (!h || c.depth >= MAX_DEPTH || (key && h.sets.has(key)) || h.params.length !== argNodes.length) {
      const ctx = all.ctx || touches(c.model, { FuncCall: call }, c.key);
      return unknown(ctx, all.mayError || (ctx && c.state !== 'set'));
    }
    if (h.strict) {
      if (args.some(isNullV)) return all.mayError ? fromAll(all) : konst(null, all.ctx);
      if (args.some((a) => a.t === 'unknown' && !a.nonNull)) {
        const body = evalNode({ ...c, depth: c.depth + 1, scope: { params: h.params, args } }, h.expr);
        return body.t === 'error' ? body : body.t === 'const' && body.v === null ? body : unknown(all.ctx || body.ctx, all.mayError || mayFail(body));
      }
    }
    const body = plain(evalNode({ ...c, depth: c.depth + 1, scope: { params: h.params, args } }, h.expr));
    if (all.mayError && body.t === 'const') return unknown(body.ctx || all.ctx, true, body.v !== null);
    return body.t === 'error' ? body : ({ ...body, ctx: body.ctx || all.ctx } as Val);
  }
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
}

/** The states a key can be unset in. */
export function unsetStates(key: ContextKey): UnsetState[] {
  return key === 'auth.uid' ? ['no-user'] : ['never', 'ended'];
}

function conjuncts(n: Node): Node[] {
  if (n?.BoolExpr?.boolop === 'AND_EXPR') return (n.BoolExpr.args ?? []).flatMap(conjuncts);
  return [n];
}

/**
 * In `state`, whether the expression is true for every row, or for every row that meets AND-ed
 * conditions that do not read the context: at least one AND-ed part is true because of the
 * context value, the others are true or do not read it, and nothing can raise an error.
 * Where that holds only if columns compared with themselves are not NULL (`tenant_id =
 * coalesce(<unset>, tenant_id)`), the answer lists them in `nonNull` (`assume`: the columns taken
 * to be non-NULL; `retry`: whether to ask again with the columns met compared with themselves).
 */
export function openIn(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions, assume?: ReadonlySet<string>, retry = true): OpenState | undefined {
  const selfCompared = new Set<string>();
  const c: Ctx = { model, key, state, opts, depth: 0, assume, selfCompared };
  const parts = conjuncts(node);
  const vals = parts.map((p) => evalNode(c, p));
  const open =
    !vals.some(mayFail) &&
    vals.every((v) => (v.t === 'const' && v.v === true) || (v.t === 'unknown' && !v.ctx)) &&
    vals.some((v) => v.t === 'const' && v.v === true && v.ctx);
  if (open) return { state: state as UnsetState, residual: parts.filter((_, i) => vals[i]!.t === 'unknown'), ...(assume?.size ? { nonNull: [...assume] } : {}) };
  // a column compared with itself: ask again for the rows where it is not NULL (once; the fewest columns needed)
  if (assume || !retry || selfCompared.size === 0) return undefined;
  let cols = [...selfCompared];
  if (!openIn(model, node, key, state, opts, new Set(cols))) return undefined;
  for (const col of [...cols]) {
    const fewer = cols.filter((x) => x !== col);
    if (fewer.length && openIn(model, node, key, state, opts, new Set(fewer))) cols = fewer;
  }
  return openIn(model, node, key, state, opts, new Set(cols));
}

/**
 * The unset states in which the expression admits every row (that meets its context-free
 * AND-ed conditions), or [] — also [] when it admits every row whatever the context holds
 * (a tautology: policy-always-true's business).
 */
function failsOpenUncached(model: Model, node: Node, key: ContextKey, opts: EvalOptions): OpenState[] {
  const open = unsetStates(key)
    .map((s) => openIn(model, node, key, s, opts))
    .filter((x): x is OpenState => !!x);
  if (open.length === 0) return [];
  // true whatever the context holds (on the same rows: with the same columns taken to be non-NULL)
  const assume = new Set(open.flatMap((o) => o.nonNull ?? []));
  if (openIn(model, node, key, 'set', opts, assume.size ? assume : undefined, false)) return [];
  const c: Ctx = { model, key, state: 'set', opts, depth: 0, assume };
  const set = evalNode(c, node);
  if (set.t === 'const' && set.v === true) return [];
  return open;
}

/** Whether the expression, evaluated in `state`, is true for every row (no residual conditions). */
export function trueIn(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  if (!opts.rewritten) return cachedOn(model, node, questionOf(`true|${key}|${state}`, opts.mode), () => trueInUncached(model, node, key, state, opts));
  return trueInUncached(model, node, key, state, opts);
}
function trueInUncached(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  const o = openIn(model, node, key, state, opts);
  return !!o && o.residual.length === 0 && !o.nonNull;
}

/** Whether evaluating the expression in `state` may raise an error (e.g. a cast of '' to uuid). */
export function raisesIn(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  if (!opts.rewritten) return cachedOn(model, node, questionOf(`raises|${key}|${state}`, opts.mode), () => raisesInUncached(model, node, key, state, opts));
  return raisesInUncached(model, node, key, state, opts);
}
function raisesInUncached(model: Model, node: Node, key: ContextKey, state: UnsetState | 'set', opts: EvalOptions): boolean {
  const c: Ctx = { model, key, state, opts, depth: 0 };
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
  const out: ClauseUse[] = [];
  const add = (expr: PolicyExpr | undefined, cmd: Command, effect: ClauseUse['effect']) => {
    if (expr) out.push({ expr, cmd, effect, mode: effect === 'write' ? 'check' : 'filter' });
  };
  const cmds = p.command === 'all' ? (['select', 'insert', 'update', 'delete'] as const) : [p.command];
  for (const cmd of cmds) {
    if (cmd === 'select') add(using, 'select', 'read');
    if (cmd === 'update' || cmd === 'delete') add(using, cmd, 'reach');
    if (cmd === 'insert' || cmd === 'update') add(check, cmd, 'write');
  }
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
  return own ? `u${funcSig(model, own)}|` : 'u|';
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
function cachedOn<T>(model: Model, node: Node, what: string, compute: () => T): T {
  return keptUnder(model, node, what, modelSignature, compute);
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

/** The context keys an expression reads, directly or through SQL helpers, in first-seen order (shared: do not mutate). */
export function contextKeys(model: Model, node: Node): ContextKey[] {
  return cachedOn(model, node, 'keys', () => contextKeysUncached(model, node));
}

/**
 * The unset states in which the expression admits every row (with residual conditions that do
 * not read the context), and not when the context is set (shared: do not mutate).
 */
export function failsOpen(model: Model, node: Node, key: ContextKey, opts: EvalOptions): OpenState[] {
  if (opts.rewritten) return failsOpenUncached(model, node, key, opts);
  return cachedOn(model, node, questionOf(key, opts.mode), () => failsOpenUncached(model, node, key, opts));
}

/** One string per (key, mode), so looking it up again hashes nothing new. */
const questions = new Map<string, Map<string, string>>();
function questionOf(key: ContextKey, mode: EvalMode): string {
  let byMode = questions.get(key);
  if (!byMode) questions.set(key, (byMode = new Map()));
  let q = byMode.get(mode);
  if (q === undefined) byMode.set(mode, (q = `open|${key}|${mode}`));
  return q;
}
