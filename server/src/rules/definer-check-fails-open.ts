import { callsIn, census, conjuncts, constValue, hasSubLink, identEnd, locationBounds, matchParen, memoStmt, relationsIn } from '../analysis/ast.js';
import { nameParts, sqlOneLine } from '../analysis/parse.js';
import { requiresKeyIn, trueIn } from '../analysis/unset-context.js';
import { TRIGGER_DELETE, TRIGGER_INSERT, TRIGGER_UPDATE, type Func, type Model } from '../analysis/model.js';
import { roleList } from '../analysis/policies.js';
import { PG_CATALOG_FUNCTIONS } from '../analysis/pg-catalog-functions.js';
import { SUPABASE_SERVICE_ROLES } from '../analysis/privileges.js';
import { textOfFile } from '../analysis/policy-exprs.js';
import type { Node, Statement } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { authCallOf, bareValue, columnRef, functionLists, lowerCallName, mayHoldPrivilege, tableList, platformFunction } from './lib/util.js';
import { callersOf } from './definer-bypasses-rls.js';

// A PL/pgSQL guard `IF auth.uid() <> p_user_id THEN RAISE …` does not raise when the caller's
// identity is NULL: NULL <> x is NULL, and IF runs its branch only when the condition is true. In a
// SECURITY DEFINER function the code after the guard then runs as the owner, for any argument. A
// request without a signed-in user (Supabase's anon) has auth.uid() NULL; a session that never set
// a custom setting reads current_setting(x, true) as NULL (PostgreSQL's own, e.g. 'role', never).

type Context = 'auth.uid()' | 'setting' | 'lookup';

/**
 * What a guard compares that is NULL without a caller; for a lookup, the SELECT … INTO that reads
 * it (see lookupVariables): keyed by the caller (`by` undefined: no row for anon), or by what the
 * caller passes (`by`: the parameter, `key` the column it is compared with, no row for a value no
 * row has); `record`: a row variable, compared by its fields (`rec.token_hash`); `column`: the
 * column the variable (or field) reads, when written as one.
 */
interface ContextOf {
  kind: Context;
  text: string;
  lookup?: { stmt: Statement; table: string; rel?: { schema?: string; name: string }; by?: string; key?: string; record?: boolean; fetch?: string };
  column?: string;
}

/** What a side of a comparison reads, when it is NULL without a caller: auth.uid(), or current_setting(x, true) (cast or not). */
function nullableContext(n: Node, vars?: ReadonlyMap<string, ContextOf>): ContextOf | undefined {
  if (authCallOf(n) === 'uid') return { kind: 'auth.uid()', text: 'auth.uid()' };
  const e = bareValue(n);
  // a variable assigned one (`v_uid uuid := auth.uid();`)
  const ref = columnRef(e);
  if (ref) {
    if (ref.qual === undefined) return vars?.get(ref.name);
    // (a field of a row variable a lookup fills: NULL when it found no row)
    const rec = vars?.get(ref.qual);
    return rec?.lookup?.record ? { ...rec, text: `${ref.qual}.${ref.name}`, column: ref.name } : undefined;
  }
  if (!e?.FuncCall) return undefined;
  const c = callsIn(e)[0];
  if (!c) return undefined;
  const { name, schema } = lowerCallName(c);
  if (name === 'current_setting' && (schema === undefined || schema === 'pg_catalog') && c.args.length === 2 && constValue(c.args[1]) === true) {
    const setting = constValue(c.args[0]);
    // Only a custom setting (its name has a dot: app.user_id) can be unset. A name without one is
    // PostgreSQL's own parameter, which always has a value: current_setting('role', true) reads
    // 'none' where no SET ROLE ran, never NULL.
    return typeof setting === 'string' && setting.includes('.') ? { kind: 'setting', text: `current_setting('${setting}', true)` } : undefined;
  }
  return undefined;
}

/** Whether two contexts are the same value: auth.uid(), one setting, one variable (or field). */
function sameContext(a: ContextOf | undefined, b: ContextOf): boolean {
  return !!a && a.kind === b.kind && a.text === b.text;
}

interface Guard {
  stmt: Statement;
  context: ContextOf;
  /**
   * the operator's span and what replaces it (for NOT IN, the whole comparison; `said`: how the
   * message writes the two, its list cut to `(…)`)
   */
  op: { start: number; end: number; newText: string; was: string; said?: { was: string; newText: string } };
  /** ORed with conditions on the arguments alone */
  inOr?: boolean;
  /**
   * ANDed with other conditions (`null`: NULL AND x is never true, whatever x is; `argumentsOnly`:
   * the others read the arguments alone, which the caller makes true), or also with the context's
   * own IS NOT NULL (`skipped`: the check is false, skipped, without a caller): its text
   */
  inAnd?: { kind: 'null'; argumentsOnly: boolean } | { kind: 'skipped'; notNull: Node };
}

/** The function's parameter names (lower case). */
function paramNames(f: Func): Set<string> {
  const out = new Set<string>();
  for (const x of f.stmt.node?.parameters ?? []) {
    const name = x?.FunctionParameter?.name;
    if (typeof name === 'string') out.add(name.toLowerCase());
  }
  return out;
}

/**
 * Whether a condition reads nothing but the function's parameters and constants (`p_user IS
 * NULL`, `p_amount <= 0`): the caller chooses the arguments that make it false. (No call, no
 * sub-select, no other name: what those are for a caller without identity is not known.)
 */
function argumentsOnly(n: Node, params: ReadonlySet<string>): boolean {
  let ok = true;
  const visit = (x: Node): void => {
    if (!ok || !x || typeof x !== 'object') return;
    if (Array.isArray(x)) return x.forEach(visit);
    if (x.FuncCall || x.SubLink || x.ParamRef) ok = false;
    else if (x.ColumnRef) {
      const ref = columnRef(x);
      if (!ref || ref.qual !== undefined || !params.has(ref.name)) ok = false;
    } else for (const k in x) visit(x[k]);
  };
  visit(n);
  return ok;
}

/**
 * The guard's comparison when it fails open: `ctx <> x` / `x <> ctx`, or `NOT (ctx = x)`; or one
 * of those ORed with conditions on the arguments alone (`auth.uid() <> p_user OR p_user IS NULL`),
 * which the caller makes false: NULL OR false is NULL.
 */
function failingOpen(model: Model, f: Func, s: Statement, vars: ReadonlyMap<string, ContextOf>): Guard | undefined {
  if (!(s.raisesIf || (s.returnsIf && !f.returnsTrigger)) || s.kind !== 'SelectStmt') return undefined;
  if (s.returnsIf && grants(f, s)) return undefined;
  const whole: Node = s.node?.targetList?.[0]?.ResTarget?.val;
  if (whole?.BoolExpr?.boolop === 'OR_EXPR') {
    const args: Node[] = whole.BoolExpr.args ?? [];
    let params: Set<string> | undefined;
    for (let i = 0; i < args.length; i++) {
      const g = comparisonFailingOpen(model, f.created.file, s, args[i], vars);
      if (!g) continue;
      params ??= paramNames(f);
      return args.every((a, j) => j === i || argumentsOnly(a, params!)) ? { ...g, inOr: true } : undefined;
    }
    return undefined;
  }
  if (whole?.BoolExpr?.boolop === 'AND_EXPR') {
    const args: Node[] = whole.BoolExpr.args ?? [];
    for (let i = 0; i < args.length; i++) {
      const g = comparisonFailingOpen(model, f.created.file, s, args[i], vars);
      if (!g) continue;
      // (NULL AND x is NULL or false, never true: the guard never raises for such a caller,
      // whatever the other conditions are — soil-sidekick's `target_user_id != auth.uid() AND NOT is_admin()`)
      const params = paramNames(f);
      // (the IS NOT NULL of the context itself: `v_user_org_id IS NOT NULL AND v_user_org_id != v_org_id`
      // asks it of the other side, a row looked up by an argument, and does not skip the check for v_org_id)
      const notNull = args.find((a, j) => j !== i && a?.NullTest?.nulltesttype === 'IS_NOT_NULL' && sameContext(nullableContext(a.NullTest.arg, vars), g.context));
      if (notNull) return args.every((a, j) => j === i || a === notNull || argumentsOnly(a, params)) ? { ...g, inAnd: { kind: 'skipped', notNull } } : undefined;
      return { ...g, inAnd: { kind: 'null', argumentsOnly: args.every((a, j) => j === i || argumentsOnly(a, params)) } };
    }
    return undefined;
  }
  return comparisonFailingOpen(model, f.created.file, s, whole, vars);
}

/**
 * Whether the early exit an IF condition guards returns the constant true: `IF NOT v_is_private
 * THEN RETURN true; END IF;` is the check's shortcut that admits, not a refusal. With the condition
 * NULL the function skips the admission and goes on to the checks after it, which decide as for
 * any other caller (pawtograder's check_can_add_to_help_request: an unknown help request id goes on
 * to the creator and member checks, and gets false). The branch's own statements are those of the
 * condition's IF arm; its last one must be the RETURN's expression.
 */
function grants(f: Func, s: Statement): boolean {
  const arms = s.arms;
  if (!arms) return false;
  const list = f.body!.statements;
  let last: Statement | undefined;
  for (let i = list.indexOf(s) + 1; i < list.length; i++) {
    const t = list[i]!;
    if (t.armCond || !t.arms || t.arms.length !== arms.length || t.arms.some((x, j) => x !== arms[j])) continue;
    last = t;
  }
  if (!last?.reported || last.notice) return false;
  const value = last.kind === 'SelectStmt' && !last.node?.fromClause && last.node?.targetList?.length === 1 ? last.node.targetList[0]?.ResTarget?.val : undefined;
  return value !== undefined && constValue(value) === true;
}

function comparisonFailingOpen(model: Model, file: string, s: Statement, cond: Node, vars: ReadonlyMap<string, ContextOf>): Guard | undefined {
  let cmp = cond?.A_Expr;
  let negated = false;
  if (cond?.BoolExpr?.boolop === 'NOT_EXPR') {
    cmp = cond.BoolExpr.args?.[0]?.A_Expr;
    negated = true;
    // `IF NOT v_is_admin`, v_is_admin looked up for the caller: NOT NULL is NULL
    const arg = cond.BoolExpr.args?.[0];
    const context = arg?.ColumnRef ? nullableContext(arg, vars) : undefined;
    if (context?.kind === 'lookup') {
      const text = textOfFile(model, file);
      const at: number = cond.BoolExpr.location;
      const end = identEnd(text, arg.ColumnRef.location);
      if (!/^not\b/i.test(text.slice(at, at + 3))) return undefined;
      const was = text.slice(at, end);
      return { stmt: s, context, op: { start: at, end, newText: `${text.slice(arg.ColumnRef.location, end)} IS NOT TRUE`, was } };
    }
  }
  // (`ctx NOT IN ('admin', 'staff')`, or `NOT (ctx IN (…))`: NULL NOT IN a list is NULL)
  if (cmp?.kind === 'AEXPR_IN') return notInFailingOpen(model, file, s, cond, cmp, negated, vars);
  if (!cmp || cmp.kind !== 'AEXPR_OP' || cmp.name?.length !== 1) return undefined;
  const op = cmp.name[0]?.String?.sval;
  if (op !== (negated ? '=' : '<>')) return undefined;
  // (auth.uid() or a setting on one side, a lookup by an argument on the other: the caller's side,
  // reported for anon as before, where a lookup by an argument would be reported for any caller)
  const sides = [nullableContext(cmp.lexpr, vars), nullableContext(cmp.rexpr, vars)];
  const context = sides.find((c) => c && !c.lookup?.by) ?? sides.find((c) => c);
  if (!context) return undefined;
  // (comparing it with a constant NULL, or with itself, is another mistake)
  if ([cmp.lexpr, cmp.rexpr].some((x) => x?.A_Const?.isnull)) return undefined;
  const text = textOfFile(model, file);
  const at: number = cmp.location;
  const was = text.slice(at, at + (op === '=' ? 1 : 2));
  if (!(was === '<>' || was === '!=' || was === '=')) return undefined;
  const newText = negated ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM';
  return { stmt: s, context, op: { start: at, end: at + was.length, newText, was } };
}

/**
 * `ctx NOT IN (k1, k2, …)` (or `NOT (ctx IN (…))`) with ctx NULL without a caller: `x NOT IN (a, b)`
 * is `x <> a AND x <> b`, NULL for x NULL, so the guard does not raise (record_fee_payment's `IF
 * v_user_role NOT IN ('finance_officer', …) THEN RETURN`: a caller without a profile row goes on). The
 * fix writes `(ctx IN (k1, k2, …)) IS NOT TRUE`: true when ctx is NULL, or in no list item. Not with a
 * NULL constant in the list (never true for anyone: another mistake), nor a context on the list's side.
 */
function notInFailingOpen(model: Model, file: string, s: Statement, cond: Node, cmp: Node, negated: boolean, vars: ReadonlyMap<string, ContextOf>): Guard | undefined {
  if (cmp.name?.length !== 1 || cmp.name[0]?.String?.sval !== (negated ? '=' : '<>')) return undefined;
  const context = nullableContext(cmp.lexpr, vars);
  const items: Node[] = cmp.rexpr?.List?.items ?? [];
  if (!context || items.length === 0 || items.some((x) => bareValue(x)?.A_Const?.isnull)) return undefined;
  const text = textOfFile(model, file);
  const open = cmp.rexpr_list_start;
  if (typeof open !== 'number' || text[open] !== '(') return undefined;
  const close = typeof cmp.rexpr_list_end === 'number' && text[cmp.rexpr_list_end] === ')' ? cmp.rexpr_list_end : matchParen(text, open);
  if (close < 0) return undefined;
  const list = text.slice(open, close + 1);
  const short = (t: string) => (t.length > 40 ? '(…)' : t);
  let start: number;
  let end: number;
  let value: string;
  if (negated) {
    // NOT (ctx IN (…)): the parenthesis after NOT holds the comparison alone
    start = cond.BoolExpr.location;
    const paren = text.indexOf('(', start);
    if (!/^not\s*\($/i.test(text.slice(start, paren + 1))) return undefined;
    end = matchParen(text, paren);
    if (end < 0 || text.slice(close + 1, end).trim() !== '') return undefined;
    end++;
    value = text.slice(paren + 1, cmp.location).trim();
  } else {
    start = locationBounds(cmp.lexpr).min;
    end = close + 1;
    if (!/^not\s+in\b/i.test(text.slice(cmp.location, open))) return undefined;
    value = text.slice(start, cmp.location).trim();
  }
  // (the value as written, parentheses balanced: `(v_role) NOT IN …` starts before its first location)
  const bare = value.replace(/'(?:[^']|'')*'/g, '');
  if (!Number.isFinite(start) || !value || (bare.match(/\(/g)?.length ?? 0) !== (bare.match(/\)/g)?.length ?? 0)) return undefined;
  const was = text.slice(start, end);
  const newText = `(${value} IN ${list}) IS NOT TRUE`;
  const said = { was: negated ? `NOT (${value} IN ${short(list)})` : `${value} NOT IN ${short(list)}`, newText: `(${value} IN ${short(list)}) IS NOT TRUE` };
  return { stmt: s, context, op: { start, end, newText, was, said } };
}

/**
 * The variables the function assigns a context to and nothing else (`v_uid uuid := auth.uid();`,
 * `v_uid := auth.uid();`), with that context.
 */
export function contextVariables(f: Func): Map<string, { kind: Context; text: string }> {
  const out = new Map<string, { kind: Context; text: string }>();
  const other = new Set<string>();
  for (const s of f.body?.statements ?? []) {
    if (s.assigns?.length !== 1) continue;
    const v = s.assigns[0]!;
    const t = s.kind === 'SelectStmt' && !s.node?.fromClause && s.node?.targetList?.length === 1 ? nullableContext(s.node.targetList[0]?.ResTarget?.val) : undefined;
    if (t && !other.has(v)) out.set(v, t);
    else {
      other.add(v);
      out.delete(v);
    }
  }
  return out;
}

/**
 * What the caller chooses: the function's parameters, and the variables assigned only values
 * computed from them (`token_id := substring(access_token from 5 for 32)::uuid`, dbdev).
 */
function callerChosen(f: Func): Set<string> {
  const params = paramNames(f);
  const out = new Set(params);
  const other = new Set<string>();
  for (const s of f.body?.statements ?? []) {
    if (s.assigns?.length !== 1) continue;
    const v = s.assigns[0]!;
    if (params.has(v)) continue;
    const val: Node = s.kind === 'SelectStmt' && !s.node?.fromClause && s.node?.targetList?.length === 1 ? s.node.targetList[0]?.ResTarget?.val : undefined;
    const refs = val && !hasSubLink(val) ? census(val).columnRefs.map((r) => columnRef({ ColumnRef: r })) : [];
    const ok = refs.length > 0 && refs.every((r) => r && r.qual === undefined && params.has(r.name));
    if (ok && !other.has(v)) out.add(v);
    else {
      other.add(v);
      out.delete(v);
    }
  }
  return out;
}

/**
 * The variables a `SELECT col INTO v FROM t WHERE … key = auth.uid()` (not STRICT) reads for the
 * caller, and nothing else assigns: without a signed-in user it finds no row, and PL/pgSQL sets v to
 * NULL (`SELECT role INTO v_role FROM profiles WHERE id = auth.uid(); IF v_role <> 'admin' THEN RAISE`).
 * Also those keyed `key = <an argument>`: the caller passes a value no row has, and v is NULL the
 * same (dbdev's redeem_access_token: `SELECT … INTO tokens_row FROM app.access_tokens t WHERE t.id =
 * token_id; IF tokens_row.token_hash != sha256(token) THEN RAISE`, and an unknown token id gets a JWT).
 * A row variable filled by several columns, or by `*`, is followed through its fields. A cursor's
 * `FETCH cur INTO v` is such a lookup too, its query the cursor's (`OPEN cur FOR SELECT …`, or its
 * declaration's): FETCH sets v to NULL, and FOUND to false, when no row comes back (`lookup.fetch`:
 * the cursor's name).
 */
function lookupVariables(f: Func, vars: ReadonlyMap<string, ContextOf>): Map<string, ContextOf> {
  const out = new Map(vars);
  const assigned = new Map<string, number>();
  const statements = f.body?.statements ?? [];
  for (const s of statements) for (const v of s.assigns ?? []) assigned.set(v, (assigned.get(v) ?? 0) + 1);
  let chosen: Set<string> | undefined;
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i]!;
    // (a FETCH: the last query before it that opens its cursor)
    const cursor: string | undefined = s.kind === 'FetchStmt' ? s.node?.portalname : undefined;
    let q = s;
    if (cursor !== undefined) {
      let j = i - 1;
      while (j >= 0 && statements[j]!.opens !== cursor) j--;
      if (j < 0) continue;
      q = statements[j]!;
    }
    const n = q.node;
    const targets: Node[] = n?.targetList ?? [];
    if (q.kind !== 'SelectStmt' || s.intoStrict || !s.assigns?.length || (n.op !== 'SETOP_NONE' && n.op !== undefined)) continue;
    const star = (t: Node) => (bareValue(t?.ResTarget?.val)?.ColumnRef?.fields as Node[] | undefined)?.some((x) => x?.A_Star);
    const record = s.assigns.length === 1 && (targets.length > 1 || (targets.length === 1 && !!star(targets[0])));
    if (s.assigns.length !== targets.length && !record) continue;
    if (n.groupClause || n.havingClause || !n.fromClause || !targets.every((t) => columnRef(bareValue(t?.ResTarget?.val)) || (record && star(t)))) continue;
    let by: string | undefined;
    let key: string | undefined;
    const keyed = conjuncts(n.whereClause).some((c) => {
      const e = c?.A_Expr;
      if (!(e?.kind === 'AEXPR_OP' && e.name?.length === 1 && e.name[0]?.String?.sval === '=')) return false;
      if ([e.lexpr, e.rexpr].some((x) => nullableContext(x, vars)?.kind === 'auth.uid()')) return true;
      // (a column compared with what the caller passes)
      const [l, r] = [columnRef(e.lexpr), columnRef(e.rexpr)];
      chosen ??= callerChosen(f);
      for (const [col, val] of [[l, r], [r, l]] as const)
        if (by === undefined && col && val && val.qual === undefined && chosen.has(val.name) && (col.qual !== undefined || !chosen.has(col.name))) [by, key] = [val.name, col.name];
      return false;
    });
    if (!keyed && !by) continue;
    const table = relationsIn(n.fromClause)[0];
    const lookup = {
      stmt: s,
      table: table ? (table.schema ? `${table.schema}.${table.name}` : table.name) : 'its table',
      ...(table ? { rel: { schema: table.schema, name: table.name } } : {}),
      ...(keyed ? {} : { by, key }),
      ...(record ? { record } : {}),
      ...(cursor !== undefined ? { fetch: cursor } : {}),
    };
    s.assigns.forEach((v, i) => {
      const column = record ? undefined : columnRef(bareValue(targets[i]?.ResTarget?.val))?.name;
      if (assigned.get(v) === 1 && !out.has(v)) out.set(v, { kind: 'lookup', text: v, lookup, ...(column ? { column } : {}) });
    });
  }
  return out;
}

/**
 * The first guard on every way to `s` (IF … THEN RAISE / RETURN) whose condition calls a function
 * the workspace does not create (none of PostgreSQL's, nor Supabase's auth ones): what that
 * function answers for a caller without a user is not known, so neither is whether such a caller
 * gets past it to `s`.
 */
function unknownGate(model: Model, f: Func, s: Statement): { fn: string; cond: string; exit: string } | undefined {
  for (const t of f.body?.statements ?? []) {
    if (t === s) break;
    if ((!t.raisesIf && !t.returnsIf) || t.kind !== 'SelectStmt' || !runsBefore(f, t, s)) continue;
    const cond: Node = t.node?.targetList?.[0]?.ResTarget?.val;
    for (const c of callsIn(cond)) {
      const name = c.name.map((x) => x.toLowerCase());
      const last = name[name.length - 1]!;
      if (name.length === 1 ? PG_CATALOG_FUNCTIONS.has(last) : /^(?:pg_catalog|auth|extensions)$/.test(name[0]!)) continue;
      if (model.findFunction(c.name, c.args.length)) continue;
      return { fn: `${c.name.join('.')}()`, cond: sqlOneLine(textOfFile(model, f.created.file).slice(t.start, t.end)), exit: t.raisesIf ? 'RAISE' : 'RETURN' };
    }
  }
  return undefined;
}

/**
 * Whether another guard of the function raises when the context is NULL (`IF auth.uid() IS NULL
 * THEN RAISE`, or in an OR; or `IF auth.uid() IS DISTINCT FROM x THEN RAISE` where x is never NULL,
 * see refusesNull); for a lookup also when the variable is, or when its SELECT found no row (`IF NOT
 * FOUND THEN RAISE`).
 */
function nullChecked(model: Model, f: Func, context: ContextOf, vars: ReadonlyMap<string, ContextOf>): boolean {
  return (f.body?.statements ?? []).some((s) => {
    if (!s.raisesIf && !s.returnsIf) return false;
    if (context.lookup?.by === undefined && refusesNull(s, context, vars)) return true;
    // (a guard whose condition is true without a signed-in user, through a function of the workspace:
    // `IF NOT public.is_admin() THEN RETURN`, is_admin() a LANGUAGE sql `SELECT EXISTS (… WHERE id =
    // auth.uid() …)`, false then — clinicai-v2's invite_staff(): anon never reaches the checks after it)
    if (context.kind !== 'setting' && context.lookup?.by === undefined && s.kind === 'SelectStmt') {
      const cond: Node = s.node?.targetList?.[0]?.ResTarget?.val;
      if (cond && trueIn(model, cond, 'auth.uid', 'no-user', { mode: 'filter' })) return true;
    }
    let found = false;
    // whether `x IS NULL` is true for the callers without the context
    const nullWith = (x: Node): boolean => {
      const c = nullableContext(x, vars);
      // (a lookup by an argument: a variable its own SELECT fills; auth.uid() says nothing of that row)
      if (context.lookup?.by !== undefined) return c?.lookup?.stmt === context.lookup.stmt;
      // (a lookup keyed by auth.uid(): its own variables, or auth.uid() itself; another SELECT's
      // variable says nothing of that row — supa-builder's promote_to_admin raises when the
      // target user's id IS NULL, after the caller's role check has let anon through)
      if (context.kind === 'lookup') return c?.kind === 'auth.uid()' || (!!c?.lookup && c.lookup.stmt === context.lookup?.stmt);
      return !!c && c.kind === context.kind;
    };
    const visit = (n: Node): void => {
      if (found || !n || typeof n !== 'object') return;
      if (Array.isArray(n)) return n.forEach(visit);
      if (n.NullTest?.nulltesttype === 'IS_NULL') found ||= nullWith(n.NullTest.arg);
      // (`NOT v_flag`, v_flag set once before, unconditionally, to `<context> IS NOT NULL AND …`:
      // false without the context — 99g0dx/dttracker-main's can_trigger_scrape, `v_has_subscription
      // := v_tier IS NOT NULL AND v_status IS NOT NULL`, then `IF NOT v_has_subscription THEN … RETURN`)
      if (n.BoolExpr?.boolop === 'NOT_EXPR') {
        const ref = columnRef(n.BoolExpr.args?.[0]);
        if (ref && ref.qual === undefined) found ||= falseWhenNull(f, ref.name, s, nullWith);
      }
      // (FOUND is the lookup's only up to the next statement that sets it: supa-builder's
      // promote_to_admin with IF NOT FOUND after the target's SELECT … INTO v_user_id)
      if (context.lookup && n.ColumnRef && isFound(n)) found ||= foundOf(f, context.lookup.stmt, s);
      for (const k in n) visit(n[k]);
    };
    visit(s.node);
    return found;
  });
}

/**
 * Whether the boolean variable `v` is false where `nullWith` says a value is NULL, when statement
 * `at` reads it: the function sets it once, before `at` and outside any IF, to `x IS NOT NULL`
 * or an AND of conditions one of which is (`v_has := v_tier IS NOT NULL AND v_status IS NOT NULL`).
 */
function falseWhenNull(f: Func, v: string, at: Statement, nullWith: (x: Node) => boolean): boolean {
  const statements = f.body?.statements ?? [];
  const sets = statements.filter((t) => t.assigns?.includes(v));
  const t = sets[0];
  if (sets.length !== 1 || !t || t.arms?.length || t.handlerOf || statements.indexOf(t) >= statements.indexOf(at)) return false;
  const val: Node = t.node?.targetList?.[0]?.ResTarget?.val;
  return conjuncts(val).some((p) => p?.NullTest?.nulltesttype === 'IS_NOT_NULL' && nullWith(p.NullTest.arg));
}

/** A statement's text for a message: cut after 60 characters, at a space, when longer than 80. */
function shortened(sql: string): string {
  const cut = sql.indexOf(' ', 60);
  return sql.length <= 80 || cut < 0 ? sql : `${sql.slice(0, cut)} …`;
}

/** Whether a node is PL/pgSQL's FOUND. */
function isFound(n: Node): boolean {
  const ref = columnRef(n);
  return ref?.qual === undefined && ref?.name === 'found';
}

/**
 * Whether FOUND, where statement `at` reads it, is what `lookup` (a SELECT … INTO) set it to: `at`
 * comes after it and no statement that sets FOUND (Statement.setsFound) may run between them — one
 * in another branch of an IF than `at`'s never runs before it. PL/pgSQL sets FOUND at each SELECT …
 * INTO, PERFORM, INSERT, UPDATE, DELETE…, so an IF NOT FOUND after a later one asks about that one.
 */
function foundOf(f: Func, lookup: Statement, at: Statement): boolean {
  const statements = f.body?.statements ?? [];
  return statements.indexOf(at) > statements.indexOf(lookup) && !foundSetBetween(f, lookup, at);
}

/**
 * The last statement that sets FOUND and may run between `lookup` and `at` (foundOf). (By their
 * order in the body, the text's but for a FOR loop's query, which comes after the loop's own
 * statements, where FOUND is set; not by offsets: a SELECT … INTO is not always located where it
 * is written, PL/pgSQL blanks its INTO clause in the query text that parse.ts looks for.)
 */
function foundSetBetween(f: Func, lookup: Statement, at: Statement): Statement | undefined {
  const statements = f.body?.statements ?? [];
  const [from, to] = [statements.indexOf(lookup), statements.indexOf(at)];
  if (from < 0 || to <= from) return undefined;
  const apart = (t: Statement): boolean => {
    const [ta, aa] = [t.arms ?? [], at.arms ?? []];
    for (let i = 0; i + 1 < ta.length; i += 2) for (let j = 0; j + 1 < aa.length; j += 2) if (ta[i] === aa[j] && ta[i + 1] !== aa[j + 1]) return true;
    return false;
  };
  return statements.slice(from + 1, to).filter((t) => t.setsFound && !apart(t)).pop();
}

/**
 * A guard raising or returning on FOUND after the caller's lookup that reads another statement's
 * FOUND (foundSetBetween), and that statement: the message says why it does not close the lookup.
 */
function staleFoundGuard(f: Func, lookup: Statement): { guard: Statement; setter: Statement } | undefined {
  for (const s of f.body?.statements ?? []) {
    if (!(s.raisesIf || s.returnsIf) || !census(s.node).columnRefs.some((r) => isFound({ ColumnRef: r }))) continue;
    const setter = foundSetBetween(f, lookup, s);
    if (setter) return { guard: s, setter };
  }
  return undefined;
}

/**
 * Whether a guard refusing a caller for whom `c` is NULL refuses those for whom `context` is: c is
 * auth.uid() (for itself and a lookup keyed by it; a setting is another matter), or the same setting
 * or variable, or a variable its lookup's SELECT … INTO fills beside it (no row for the caller sets
 * both NULL).
 */
function closes(c: ContextOf | undefined, context: ContextOf): boolean {
  return !!c && (c.kind === 'auth.uid()' ? context.kind !== 'setting' : c.text === context.text || (!!context.lookup && c.lookup?.stmt === context.lookup.stmt));
}

/**
 * Whether the guard `a` (an IF's or ELSIF's condition) runs on every way to `b`, after it: it
 * comes first in the body, and `b` is in every IF branch that holds `a`'s IF, and in the same
 * EXCEPTION handler. Not an ELSIF's condition, which runs only when the branches before it were
 * not taken. (Loops are not told apart: a guard in one is taken as run.)
 */
function runsBefore(f: Func, a: Statement, b: Statement): boolean {
  const statements = f.body?.statements ?? [];
  if (statements.indexOf(a) >= statements.indexOf(b)) return false;
  const arms = a.arms ?? [];
  if (!a.armCond || arms.length < 2 || arms[arms.length - 1] !== 0) return false;
  const outer = arms.slice(0, -2);
  const bArms = b.arms ?? [];
  if (outer.some((x, i) => bArms[i] !== x)) return false;
  return JSON.stringify(a.handlerOf ?? []) === JSON.stringify(b.handlerOf ?? []);
}

/**
 * The IF conditions around a guard (it is in their THEN branch, or an ELSIF's) that are not true
 * either for a caller without the context, so that such a caller never reaches it: `failing`, those
 * that fail open the same way (`IF v_user_role NOT IN ('elimisha_admin', …) THEN` around record_fee_payment's
 * school check: NULL, its branch skipped), whose fixes the guard's fix needs too; `other`, one that
 * reads the context some other way (`IF v_role = 'teacher' THEN <check>`: the check is not meant
 * for such a caller, and its fix alone would not reach them).
 */
function around(model: Model, f: Func, s: Statement, context: ContextOf, vars: ReadonlyMap<string, ContextOf>): { failing: Guard[]; other: boolean } {
  const out: { failing: Guard[]; other: boolean } = { failing: [], other: false };
  const arms = s.arms ?? [];
  const statements = f.body?.statements ?? [];
  for (let j = 2; j < arms.length; j += 2) {
    // (the condition of the branch arms[0…j) ends with; none for an ELSE, which a NULL condition leads into)
    const t = statements.find((x) => x.armCond && x.arms?.length === j && x.arms.every((a, i) => a === arms[i]));
    if (!t || t.kind !== 'SelectStmt') continue;
    const g = comparisonFailingOpen(model, f.created.file, t, t.node?.targetList?.[0]?.ResTarget?.val, vars);
    if (g && closes(g.context, context)) {
      out.failing.push(g);
      continue;
    }
    let reads = false;
    const visit = (n: Node): void => {
      if (reads || !n || typeof n !== 'object') return;
      if (Array.isArray(n)) return n.forEach(visit);
      if ((n.ColumnRef || n.FuncCall) && closes(nullableContext(n, vars), context)) reads = true;
      for (const k in n) visit(n[k]);
    };
    visit(t.node);
    if (reads) out.other = true;
  }
  return out;
}

/**
 * Whether a guard's condition is `<context> IS DISTINCT FROM x` (alone or in an OR) with x never
 * NULL: a constant, or a value the same OR refuses when NULL (`… OR p_user_id IS NULL`). Then it is
 * true for a caller without the context, who is refused. Not with x a bare argument: the caller
 * passes NULL, NULL IS DISTINCT FROM NULL is false, and such a caller goes on.
 */
function refusesNull(s: Statement, context: ContextOf, vars: ReadonlyMap<string, ContextOf>): boolean {
  if (s.kind !== 'SelectStmt') return false;
  const cond: Node = s.node?.targetList?.[0]?.ResTarget?.val;
  const arms: Node[] = cond?.BoolExpr?.boolop === 'OR_EXPR' ? (cond.BoolExpr.args ?? []) : [cond];
  const nullTested = new Set(arms.map((a) => (a?.NullTest?.nulltesttype === 'IS_NULL' ? columnRef(a.NullTest.arg) : undefined)).filter((r) => r && r.qual === undefined).map((r) => r!.name));
  const refused = (c: ContextOf | undefined) => closes(c, context);
  return arms.some((a) => {
    // `(<context> IN (…)) IS NOT TRUE`, `(<context> = x) IS NOT TRUE`, `<context> IS NOT TRUE`
    // (the fixes of NOT IN, of `NOT v`), or IS NOT FALSE / IS UNKNOWN: true when it is NULL
    const t = a?.BooleanTest;
    if (t && (t.booltesttype === 'IS_NOT_TRUE' || t.booltesttype === 'IS_NOT_FALSE' || t.booltesttype === 'IS_UNKNOWN')) {
      const x = bareValue(t.arg);
      if (refused(nullableContext(x, vars))) return true;
      const c = x?.A_Expr;
      if (c?.kind === 'AEXPR_IN') return refused(nullableContext(c.lexpr, vars));
      return c?.kind === 'AEXPR_OP' && c.name?.length === 1 && [c.lexpr, c.rexpr].some((y) => refused(nullableContext(y, vars)));
    }
    const e = a?.A_Expr;
    // `coalesce(<context>, k1) <> k2` with k1 and k2 two different constants: true when it is NULL
    // (DiveFlow's `IF COALESCE(v_admin_role, '') != 'admin' THEN RAISE`)
    if (e?.kind === 'AEXPR_OP' && e.name?.length === 1 && e.name[0]?.String?.sval === '<>') {
      return [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]].some(([co, k2]) => {
        const args: Node[] = bareValue(co)?.CoalesceExpr?.args ?? [];
        if (args.length !== 2 || !refused(nullableContext(args[0], vars))) return false;
        const [v1, v2] = [constValue(bareValue(args[1])), constValue(bareValue(k2))];
        return v1 !== undefined && v1 !== null && v2 !== undefined && v2 !== null && v1 !== v2;
      });
    }
    if (e?.kind !== 'AEXPR_DISTINCT') return false;
    return [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]].some(([ctx, x]) => {
      const c = nullableContext(ctx, vars);
      if (!refused(c)) return false;
      const v = bareValue(x);
      if (v?.A_Const) return !v.A_Const.isnull;
      const ref = columnRef(x);
      return ref?.qual === undefined && !!ref && nullTested.has(ref.name);
    });
  });
}

/**
 * Whether the function goes on, after the guard, to set the column its lookup by an argument read,
 * in the row it read: `UPDATE members SET user_id = p_user_id WHERE id = p_member_id`, keyed by the
 * same column and argument. The guard then asks what that row holds now, and NULL there is a state
 * of the row (no owner yet: the value the function fills), not a caller without identity:
 * stewardtrack's link_user_to_member, `IF v_existing_user_id IS NOT NULL AND v_existing_user_id !=
 * p_user_id THEN RETURN 'MEMBER_ALREADY_LINKED'`, is a business rule; IS DISTINCT FROM would refuse
 * every unlinked member, and for a member id no row has, the UPDATE sets nothing.
 */
function fillsLookedUp(f: Func, guard: Statement, context: ContextOf): boolean {
  const lookup = context.lookup;
  if (lookup?.by === undefined || !lookup.key || !lookup.rel || !context.column) return false;
  const rel = lookup.rel;
  return (f.body?.statements ?? []).some((s) => {
    if (s.kind !== 'UpdateStmt' || s.start < guard.end) return false;
    const n = s.node;
    const name = typeof n?.relation?.relname === 'string' ? n.relation.relname.toLowerCase() : undefined;
    const schema = typeof n?.relation?.schemaname === 'string' ? n.relation.schemaname.toLowerCase() : undefined;
    if (name !== rel.name.toLowerCase() || (schema !== undefined && rel.schema !== undefined && schema !== rel.schema.toLowerCase())) return false;
    if (!(n.targetList ?? []).some((t: Node) => typeof t?.ResTarget?.name === 'string' && t.ResTarget.name.toLowerCase() === context.column)) return false;
    return conjuncts(n.whereClause).some((c) => {
      const e = c?.A_Expr;
      if (!(e?.kind === 'AEXPR_OP' && e.name?.length === 1 && e.name[0]?.String?.sval === '=')) return false;
      const [l, r] = [columnRef(e.lexpr), columnRef(e.rexpr)];
      return [[l, r], [r, l]].some(([col, val]) => col?.name === lookup.key && val?.qual === undefined && val?.name === lookup.by);
    });
  });
}

/**
 * The IF condition without its `<context> IS NOT NULL AND` (or `AND <context> IS NOT NULL`)
 * conjunct, the context written as auth.uid(), (select auth.uid()), a setting or the variable; undefined
 * when it is not written so exactly once.
 */
function withoutConjunct(cond: string, context: ContextOf, notNullTest: Node): string | undefined {
  const variable = columnRef(bareValue(notNullTest?.NullTest?.arg))?.name;
  const ctx = variable
    ? String.raw`\b${variable}\b`
    : context.kind === 'auth.uid()'
      ? String.raw`(?:\(\s*select\s+auth\.uid\(\)\s*\)|auth\.uid\(\))`
      : String.raw`[\w.]+\s*\([^()]*\)(?:::\w+)?`;
  const notNull = String.raw`${ctx}\s+is\s+not\s+null`;
  for (const re of [new RegExp(String.raw`${notNull}\s+and\s+`, 'gi'), new RegExp(String.raw`\s+and\s+${notNull}`, 'gi')]) {
    const hits = cond.match(re);
    if (hits?.length === 1) return cond.replace(re, '');
  }
  return undefined;
}

/**
 * Whether every statement of the function besides the guard that reads or writes a table limits
 * its rows to the caller with an AND-ed `col = auth.uid()` (requiresKeyIn): for a caller without
 * one they touch no row, guard or not. Not when it inserts, or calls a function of the workspace
 * (what that does is not followed), or touches no table at all.
 */
function scopedToCaller(model: Model, f: Func, guard: Statement): boolean {
  let any = false;
  for (const s of f.body?.statements ?? []) {
    if (s === guard || s.raisesIf || s.returnsIf) continue;
    const n = s.node;
    if (census(n).funcCalls.some((c) => !!model.findFunction(nameParts(c.funcname), (c.args ?? []).length))) return false;
    if (s.kind === 'UpdateStmt' || s.kind === 'DeleteStmt' || (s.kind === 'SelectStmt' && n?.fromClause)) {
      if (!n?.whereClause || !requiresKeyIn(model, n.whereClause, 'auth.uid')) return false;
      any = true;
    } else if (s.kind !== 'SelectStmt' && s.kind !== 'VariableSetStmt') return false;
  }
  return any;
}

/**
 * Who fires a trigger function's triggers: the roles subject to row-level security (the API roles,
 * those granted the table or named by its policies) that may run the trigger's command on its table.
 */
function firedBy(model: Model, f: Func): { roles: string[]; text: string; trigger: string; command: string } | undefined {
  const triggers = model.triggers.filter((tr) => tr.func === f.key);
  for (const tr of triggers) {
    const t = model.tables.get(tr.table);
    if (!t) continue;
    const commands = ([[TRIGGER_UPDATE, 'update'], [TRIGGER_INSERT, 'insert'], [TRIGGER_DELETE, 'delete']] as const).filter(([bit]) => tr.events & bit).map(([, c]) => c);
    if (commands.length === 0) continue;
    const candidates = new Set<string>(model.supabase ? ['anon', 'authenticated'] : []);
    for (const p of t.policies) for (const r of p.roles) if (r !== 'public') candidates.add(r);
    for (const r of t.grants.keys()) if (r !== 'public') candidates.add(r);
    // (under row-level security, only a role some permissive policy of the command admits writes a row)
    const admitted = (r: string) => !t.rlsEnabled || t.policies.some((p) => p.permissive && (p.command === 'all' || (commands as readonly string[]).includes(p.command)) && (p.roles.includes(r) || p.roles.includes('public')));
    const roles = [...candidates].filter((r) => model.roleBypassesRls(r) !== true && !SUPABASE_SERVICE_ROLES.has(r) && mayHoldPrivilege(model, t, r, commands) && admitted(r));
    if (roles.length === 0) continue;
    const command = commands.map((c) => c.toUpperCase()).join(' or ');
    return { roles, text: `${roleList(roles)}, who may ${command} ${t.key}`, trigger: `trigger ${tr.name} on ${t.key}`, command };
  }
  return undefined;
}

export const definerCheckFailsOpen = defineRule({
  meta: {
    id: 'definer-check-fails-open',
    description: 'A SECURITY DEFINER function guards itself with IF auth.uid() <> x THEN RAISE (or a setting read with missing_ok, or a value SELECT … INTO looked up): with no signed-in user, or no row found, the condition is NULL, the guard does not raise, and the function runs as its owner.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      'IF runs its THEN branch only when the condition is true: NULL <> x is NULL, so a caller check on auth.uid() (NULL for a request without a signed-in user), on current_setting(x, true) (NULL where x was never set) or on what a SELECT … INTO without STRICT read (NULL when no row matched) lets such a caller through.',
  },
  check({ model, report }) {
    for (const f of functionLists(model).definers) {
      if (f.language !== 'plpgsql' || !f.body || f.body.lexical || platformFunction(model, f)) continue;
      const file = f.created.file;
      // (syntax of the body alone: kept on its statement, for the re-lints)
      const vars = memoStmt(f.stmt, 'definerCheckVars', () => lookupVariables(f, contextVariables(f)));
      // (the guards reported so far: a later one the same callers reach only past one of them is
      // not, that earlier one decides — record_fee_payment's `IF v_user_role NOT IN (…)` first,
      // then, nested, `IF v_fee_record.school_id != v_user_school_id`, both NULL without a profile
      // row; its fix refuses them before the later one: refusesNull)
      const reported: Guard[] = [];
      for (const s of f.body.statements) {
        const g = failingOpen(model, f, s, vars);
        if (!g || nullChecked(model, f, g.context, vars)) continue;
        if (reported.some((r) => closes(r.context, g.context) && runsBefore(f, r.stmt, s))) continue;
        // (a lookup of what a row holds now, in a column the function then sets: not a caller check)
        if (fillsLookedUp(f, s, g.context)) continue;
        // (a lookup is NULL from its SELECT on: a guard before it reads the variable's earlier value)
        if (g.context.lookup && s.start < g.context.lookup.stmt.end) continue;
        // (what the function does after it is limited to the caller's rows anyway: bolt-test's
        // delete_user_account, DELETE … WHERE id = user_id_param AND id = auth.uid(); anon deletes nothing)
        const byCaller = g.context.kind === 'auth.uid()' || (g.context.kind === 'lookup' && g.context.lookup?.by === undefined);
        if (byCaller && scopedToCaller(model, f, s)) continue;
        // (the roles whose access row-level security limits: the API roles, and those the policies
        // name; for a trigger function, which no one calls (0A000), those that fire its triggers)
        const fired = f.returnsTrigger ? firedBy(model, f) : undefined;
        const callers = f.returnsTrigger ? fired : callersOf(model, f, tableList(model));
        if (!callers) continue;
        const anon = callers.roles.includes('public') || callers.roles.includes('anon');
        // (auth.uid() is NULL for a request without a signed-in user: anon's)
        if (byCaller && !anon) continue;
        // (inside IFs whose conditions such a caller does not get past either)
        const outer = around(model, f, s, g.context, vars);
        if (outer.other) continue;
        const cond = sqlOneLine(textOfFile(model, file).slice(s.start, s.end));
        const lookup = g.context.lookup;
        // (a row variable's field, rec.token_hash: the SELECT fills rec)
        const into = lookup?.record ? g.context.text.split('.')[0]! : g.context.text;
        // (a cursor's FETCH, or a SELECT … INTO)
        const fetch = lookup?.fetch;
        const reads = fetch !== undefined ? 'FETCH' : 'SELECT';
        const who = lookup?.by !== undefined
          ? `when ${lookup.by}, which the caller chooses, matches no row of ${lookup.table}, the ${fetch !== undefined ? `FETCH ${fetch} INTO ${into} gets` : `SELECT … INTO ${into} finds`} no row and PL/pgSQL sets ${g.context.text} to NULL (${fetch !== undefined ? 'FETCH does not raise' : 'without STRICT, SELECT … INTO does not raise'} when no row comes back)`
          : lookup
          ? `for anon, a request without a signed-in user, auth.uid() is NULL: the ${fetch !== undefined ? `FETCH ${fetch} INTO ${into}, whose cursor looks the caller up in ${lookup.table}, gets` : `SELECT … INTO ${into} FROM ${lookup.table} that looks the caller up finds`} no row and PL/pgSQL sets ${g.context.text} to NULL (as it does for a signed-in user who has no such row)`
          : g.context.kind === 'auth.uid()'
            ? `for anon, a request without a signed-in user, auth.uid() is NULL`
            : `where the setting was never set (a connection that skipped it, a job, a caller choosing not to), ${g.context.text} is NULL`;
        const rewrite = (x: Guard) =>
          x.op.said
            ? `write ${x.op.said.newText} instead of ${x.op.said.was} (true when ${x.context.text} is none of the values, and when it is NULL too)`
            : x.op.newText.endsWith('IS NOT TRUE') ? `write ${x.op.newText} instead of ${x.op.was} (true when it is NULL)` : `compare with ${x.op.newText}${x.op.was === '=' ? '' : ` instead of ${x.op.was}`} (true when one side is NULL)`;
        const text = textOfFile(model, file);
        // (the IF around it, and what its fix must change there too)
        const ifText = (x: Guard) => `IF ${sqlOneLine(text.slice(x.stmt.start, x.stmt.end))} THEN`;
        const skipped = outer.failing.length
          ? `; nor does such a caller reach the check: it is inside ${outer.failing.map((x) => `${ifText(x)} …`).join(' and ')}, whose condition is NULL for them too, so that branch is skipped`
          : '';
        const compareWith = [rewrite(g), ...outer.failing.map((x) => `${rewrite(x)} in ${ifText(x)} around it`)].join(', and ');
        // (an early exit, IF … THEN RETURN: not in trigger functions, failingOpen)
        const exit = s.returnsIf ? 'RETURN' : 'RAISE';
        // (an earlier guard of every way to it that asks a function the migrations do not create — `IF NOT
        // public.is_admin() THEN RETURN`, clinicai-v2's invite_staff(): whether it lets such a caller on is its answer)
        const gate = byCaller && !fired ? unknownGate(model, f, s) : undefined;
        const goesOn = fired
          ? `the trigger does not raise, and the ${fired.command} it was to stop goes through, for ${fired.text}`
          : `the function does not ${s.returnsIf ? 'return early' : 'raise'} and goes on as its owner, for whatever arguments it was given` +
            (gate ? ` — unless ${gate.fn}, which IF ${gate.cond} THEN ${gate.exit} … asks before it and these migrations do not create, already stops such a caller there (one that looks the caller up and answers false without one does; NULL would not stop it, NOT NULL being NULL): if it does, this check is reached only by callers it admits` : '');
        // (an IF NOT FOUND the function has, that reads a later statement's FOUND)
        const stale = lookup && staleFoundGuard(f, lookup.stmt);
        // (a statement with INTO named by its variables: PL/pgSQL blanks the clause in its text)
        const setter = stale && (stale.setter.assigns?.length ? `${stale.setter.kind === 'SelectStmt' ? 'SELECT' : stale.setter.kind.replace(/Stmt$/, '').toUpperCase()} … INTO ${stale.setter.assigns.join(', ')}` : shortened(sqlOneLine(text.slice(stale.setter.start, stale.setter.end))));
        const raiseFirst = !lookup
          ? `or ${s.returnsIf ? 'return' : 'raise'} first when ${g.context.text} IS NULL`
          : stale
            ? `or ${s.returnsIf ? 'return' : 'raise'} when the ${reads} finds no row, right after it (IF NOT FOUND THEN ${exit} …): the IF ${sqlOneLine(text.slice(stale.guard.start, stale.guard.end))} further down reads the FOUND that ${setter} set (PL/pgSQL sets FOUND again at each SELECT … INTO, PERFORM, INSERT, UPDATE, DELETE, FOR loop, FETCH and MOVE)`
            : `or ${s.returnsIf ? 'return' : 'raise'} when the ${reads} finds no row (IF NOT FOUND THEN ${exit} …)`;
        let fixed = text.slice(s.start, g.op.start) + g.op.newText + text.slice(g.op.end, s.end);
        let fix: Fix | undefined = {
          title: `${g.op.newText.endsWith('IS NOT TRUE') ? 'Write IS NOT TRUE (true when NULL)' : `Compare with ${g.op.newText} (true when one side is NULL)`}: IF ${sqlOneLine(fixed)}`,
          kind: 'unsafe',
          edits: [{ file, start: g.op.start, end: g.op.end, newText: g.op.newText }, ...outer.failing.map((x) => ({ file, start: x.op.start, end: x.op.end, newText: x.op.newText }))],
        };
        if (outer.failing.length) fix.title += ` (and ${outer.failing.map((x) => `IF ${sqlOneLine(text.slice(x.stmt.start, x.op.start) + x.op.newText + text.slice(x.op.end, x.stmt.end))}`).join(', ')} around it)`;
        if (g.inAnd?.kind === 'skipped') {
          // (the context's IS NOT NULL goes too: it is what skips the check)
          const without = withoutConjunct(fixed, g.context, g.inAnd.notNull);
          fix = without === undefined ? undefined : { title: `Check every caller, signed in or not: IF ${sqlOneLine(without)}`, kind: 'unsafe', edits: [{ file, start: s.start, end: s.end, newText: without }, ...fix.edits.slice(1)] };
          fixed = without ?? fixed;
        }
        reported.push(g);
        report({
          file,
          start: s.start,
          end: s.end,
          message:
            (fired
              ? `The check IF ${cond} THEN ${exit} … in SECURITY DEFINER trigger function ${f.signature}, which ${fired.trigger} runs, fails open: ${who}, `
              : `The caller check IF ${cond} THEN ${exit} … in SECURITY DEFINER function ${f.signature}, which ${callers.text} can call, fails open: ${who}, `) +
            (g.inAnd?.kind === 'skipped'
              ? `so the condition is false (it asks ${g.context.text} IS NOT NULL: the check is skipped for exactly the callers it must stop), and IF runs its branch only when the condition is true${skipped}: ${goesOn}. ` +
                `Drop the IS NOT NULL and ${compareWith}, ${raiseFirst}.`
              : `so the condition is NULL${g.inOr ? ' (NULL OR false is NULL, and the caller chooses arguments that make the rest false)' : g.inAnd?.kind === 'null' ? (g.inAnd.argumentsOnly ? ' (NULL AND true is NULL, and the caller chooses arguments that make the rest true)' : ' or false, never true (NULL AND x is NULL when x is true, false when x is false)') : ''}, and IF runs its branch only when the condition is true${skipped}: ${goesOn}. ` +
                `${compareWith[0]!.toUpperCase()}${compareWith.slice(1)}, ${raiseFirst}.`),
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});
