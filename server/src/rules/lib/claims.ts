// The JWT claims a Supabase custom access token hook fills from a table's columns, and where
// policies trust them (policy-membership-self-join). Supabase's Auth server calls the hook, with
// the user's id in `event->>'user_id'`, each time it issues a token (sign-in, refresh) and puts the
// claims it returns in the JWT that auth.jwt() reads: `SELECT role INTO user_role FROM
// public.users WHERE id = (event->>'user_id')::uuid; claims := jsonb_set(claims, '{user_role}',
// to_jsonb(user_role))` makes `auth.jwt() ->> 'user_role'` the caller's own users.role as it was
// when the token was issued. Pure.
import type { Func, Model, Table } from '../../analysis/model.js';
import { census } from '../../analysis/ast.js';
import { memoModel } from '../../analysis/policy-exprs.js';
import { funcName, sval } from '../../analysis/parse.js';
import type { Node, ParsedFile, Statement } from '../../analysis/types.js';
import { authServerFunctions, deniedTables } from './auth-triggers.js';

/** A claim a custom access token hook copies from a column of the caller's own row. */
export interface ClaimSource {
  hook: Func;
  /** where the hook configured: `supabase/config.toml`, or that EXECUTE is granted to supabase_auth_admin */
  by: string;
  /** the claim's path under the token's claims (`['user_role']`, `['app_metadata', 'role']`) */
  path: string[];
  table: Table;
  column: string;
  /** the column the hook finds the caller's row by (`id = (event->>'user_id')::uuid`) */
  userCol: string;
  /**
   * a flag: the hook sets the claim to true (and only then) when the column is true (`IF is_staff
   * THEN claims := jsonb_set(claims, '{app_metadata,staff}', 'true')`): JamieS87/community-events-platform
   */
  flag?: true;
}

/** The claims the project's custom access token hooks fill from columns of the caller's row (per model; none outside a Supabase project or without a hook). */
export function hookClaims(model: Model): ClaimSource[] {
  return memoModel(model, 'claims:hooks', listHookClaims);
}

/** Whether a parsed file names the JWT anywhere (`auth.jwt()`, `request.jwt.claims`; kept per parsed file: a re-lint reads only the edited one). */
function namesJwt(file: ParsedFile): boolean {
  let v = jwtNamed.get(file);
  if (v === undefined) jwtNamed.set(file, (v = /jwt/i.test(file.text)));
  return v;
}
const jwtNamed = new WeakMap<ParsedFile, boolean>();

function listHookClaims(model: Model): ClaimSource[] {
  // (a claim is trusted only where a policy, or a helper it calls, reads the token: no file names
  // it, no hook's body is followed and no policy is walked for claims)
  if (!model.files.some(namesJwt)) return [];
  const hooks: Array<{ f: Func; by: string }> = [];
  const named = model.config.accessTokenHook;
  if (named) {
    for (const f of model.functions.get(named) ?? []) if (isTokenHook(f)) hooks.push({ f, by: `${model.config.accessTokenHookBy ?? 'supabase/config.toml'} [auth.hook.custom_access_token]` });
  }
  for (const r of authServerFunctions(model)) if (r.hook && isTokenHook(r.f) && !hooks.some((h) => h.f === r.f)) hooks.push({ f: r.f, by: 'granted EXECUTE to supabase_auth_admin' });
  const out: ClaimSource[] = [];
  for (const { f, by } of hooks) {
    // (a SECURITY INVOKER hook reads as supabase_auth_admin: a table it may not read, or whose
    // policies show it no row, gives it nothing to copy — auth-trigger-invoker-denied says so)
    const blind = f.securityDefiner ? undefined : deniedTables(model, f);
    for (const c of claimsOf(model, f)) {
      if (blind && [...blind.denied, ...blind.filtered].some((d) => d.table === c.table)) continue;
      out.push({ hook: f, by, ...c });
    }
  }
  return out;
}

/** A function of one jsonb argument returning jsonb (a hook's signature), with a parsed body. */
function isTokenHook(f: Func): boolean {
  return f.argTypes.length === 1 && f.argTypes[0] === 'jsonb' && f.returnType === 'jsonb' && !!f.body && f.body.errors.length === 0;
}

/**
 * What a hook's body sets claims to: `jsonb_set(<claims>, '{path}', <value>)` (or
 * `jsonb_set(event, '{claims,path}', …)`, `claims || jsonb_build_object('claim', <value>, …)`), where the
 * value (under to_jsonb(), a cast or coalesce()) is a variable a `SELECT col INTO v FROM t WHERE
 * user = <the event's user_id>` set, a field of a record so set, or such a scalar sub-select.
 */
function claimsOf(model: Model, f: Func): Array<Omit<ClaimSource, 'hook' | 'by'>> {
  const param = String(f.stmt.node?.parameters?.[0]?.FunctionParameter?.name ?? '').toLowerCase();
  const statements = f.body!.statements;
  // (a variable, written bare or qualified with the function's name: `custom_access_token_hook.user_id`)
  const variable = (n: Node): string | undefined => {
    let v = n;
    while (v?.TypeCast) v = v.TypeCast.arg;
    const fields: Node[] | undefined = v?.ColumnRef?.fields;
    const names = fields?.map((x) => sval(x)?.toLowerCase());
    if (names?.length === 1) return names[0];
    return names?.length === 2 && names[0] === f.name.toLowerCase() ? names[1] : undefined;
  };
  // (variables holding the event's user id: `user_id := (event->>'user_id')::uuid`)
  const ids = new Set<string>();
  for (const st of statements) {
    const t: Node[] | undefined = st.node?.targetList;
    if (st.kind === 'SelectStmt' && st.assigns?.length === 1 && t?.length === 1 && !st.node.fromClause && mentionsUserId(t[0]?.ResTarget?.val, param)) ids.add(st.assigns[0]!);
  }
  const isUserId = (n: Node) => userIdOf(n, param) || ids.has(variable(n) ?? '');
  const out: Array<Omit<ClaimSource, 'hook' | 'by'>> = [];
  const add = (path: string[], value: Node, st: Statement) => {
    // (a constant true set under `IF <a flag of the caller's row> THEN`: the claim is that flag)
    const flag = jsonbTrue(value) ? flagOf(statements, st) : undefined;
    const src = flag ? sourceOf(model, statements, flag.cond, flag.value, isUserId) : sourceOf(model, statements, st, value, isUserId);
    if (src && path.length && !out.some((x) => x.path.join('.') === path.join('.'))) out.push({ path, ...src, ...(flag ? { flag: true as const } : {}) });
  };
  // (a value put at `path` of the claims: a column's value, or an object built of them)
  const setAt = (path: string[], value: Node, st: Statement) => {
    const call = value?.FuncCall;
    if (call && funcName(call) === 'jsonb_build_object') {
      const args: Node[] = call.args ?? [];
      for (let i = 0; i + 1 < args.length; i += 2) {
        const k = args[i]?.A_Const?.sval?.sval;
        if (typeof k === 'string') add([...path, k], args[i + 1], st);
      }
    } else add(path, value, st);
  };
  // Where in the claims each jsonb variable stands, as the statements go: `claims := event->'claims'`
  // is the claims, `metadata := coalesce(claims->'app_metadata', '{}')` their app_metadata (a
  // jsonb_set() on it sets a claim under app_metadata), `claims := jsonb_set(claims, …)` the same
  // place; a variable set any other way stands nowhere known, and what is set in it is not read.
  const at = new Map<string, string[]>();
  const placeOf = (n: Node): string[] | undefined => {
    let v = n;
    for (let i = 0; i < 4 && v; i++) {
      if (v.TypeCast) v = v.TypeCast.arg;
      else if (v.CoalesceExpr?.args?.length) v = v.CoalesceExpr.args[0];
      else break;
    }
    const e = v?.A_Expr;
    // (`claims || jsonb_build_object(…)`: where claims stands)
    if (e?.kind === 'AEXPR_OP' && sval(e.name?.[0]) === '||') {
      const base = variable(e.lexpr);
      return base === undefined ? undefined : at.get(base);
    }
    if (e?.kind === 'AEXPR_OP' && sval(e.name?.[0]) === '->') {
      const k = e.rexpr?.A_Const?.sval?.sval;
      const base = variable(e.lexpr);
      if (typeof k !== 'string' || base === undefined) return undefined;
      if (base === param) return k === 'claims' ? [] : undefined;
      const p = at.get(base);
      return p && [...p, k];
    }
    const call = v?.FuncCall;
    if (call && funcName(call) === 'jsonb_set' && call.args?.length >= 3) {
      const base = variable(call.args[0]);
      return base === undefined ? undefined : at.get(base);
    }
    return undefined;
  };
  for (const st of statements) {
    if (!st.node) continue;
    for (const call of census(st.node).funcCalls) {
      const name = funcName(call);
      const args: Node[] = call.args ?? [];
      if (name === 'jsonb_set' && args.length >= 3) {
        const path = textArray(args[1]);
        const base = variable(args[0]);
        if (!path || base === undefined) continue;
        // (a path in the event: its claims' part; in a variable: under where it stands)
        const full = base === param ? (path[0] === 'claims' ? path.slice(1) : undefined) : at.has(base) ? [...at.get(base)!, ...path] : undefined;
        if (full) setAt(full, args[2], st);
      }
    }
    // (`claims := claims || jsonb_build_object('user_role', v)`: under where the variable stands)
    const val = st.kind === 'SelectStmt' && st.assigns?.length === 1 && st.node.targetList?.length === 1 ? st.node.targetList[0]?.ResTarget?.val : undefined;
    const cat = val?.A_Expr?.kind === 'AEXPR_OP' && sval(val.A_Expr.name?.[0]) === '||' ? val.A_Expr : undefined;
    const into = cat && variable(cat.lexpr);
    if (into !== undefined && into === st.assigns![0] && at.has(into)) setAt(at.get(into)!, cat.rexpr, st);
    // (then what the statement assigns)
    const t: Node[] | undefined = st.node.targetList;
    if (st.kind === 'SelectStmt' && st.assigns?.length === 1 && t?.length === 1 && !st.node.fromClause) {
      const p = placeOf(t[0]?.ResTarget?.val);
      if (p) at.set(st.assigns[0]!, p);
      else at.delete(st.assigns[0]!);
    } else for (const x of st.assigns ?? []) at.delete(x);
  }
  return out;
}

/** `'true'` (a jsonb true, as jsonb_set's value), `'true'::jsonb`, `to_jsonb(true)`. */
export function jsonbTrue(n: Node): boolean {
  let v = n;
  while (v?.TypeCast) v = v.TypeCast.arg;
  if (v?.A_Const?.sval?.sval === 'true') return true;
  const call = v?.FuncCall;
  return !!call && (funcName(call) === 'to_jsonb' || funcName(call) === 'to_json') && call.args?.length === 1 && call.args[0]?.A_Const?.boolval?.boolval === true;
}

/**
 * The condition of the one IF whose THEN branch holds statement `st` when it is a variable (`IF
 * is_staff THEN`, `IF v_admin = true THEN`, `IF v_admin IS TRUE THEN`): that condition's statement
 * and the variable's node.
 */
function flagOf(statements: Statement[], st: Statement): { cond: Statement; value: Node } | undefined {
  const arms = st.arms;
  if (arms?.length !== 2 || arms[1] !== 0) return undefined;
  const cond = statements.find((x) => x.armCond && x.arms?.length === 2 && x.arms[0] === arms[0] && x.arms[1] === 0);
  let e: Node = cond?.node?.targetList?.length === 1 ? cond.node.targetList[0]?.ResTarget?.val : undefined;
  if (e?.BooleanTest?.booltesttype === 'IS_TRUE') e = e.BooleanTest.arg;
  const x = e?.A_Expr;
  if (x?.kind === 'AEXPR_OP' && sval(x.name?.[0]) === '=' && x.rexpr?.A_Const?.boolval?.boolval === true) e = x.lexpr;
  return cond && e?.ColumnRef ? { cond, value: e } : undefined;
}

/** `'{a,b}'` (or cast to text[]) as its elements. */
function textArray(n: Node): string[] | undefined {
  const s: unknown = (n?.TypeCast?.arg ?? n)?.A_Const?.sval?.sval;
  const m = typeof s === 'string' ? /^\{([^{}"]*)\}$/.exec(s.trim()) : null;
  return m ? m[1]!.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}

/** The column of the caller's row a claim's value is, through to_jsonb(), casts and coalesce(). */
function sourceOf(model: Model, statements: Statement[], st: Statement, value: Node, isUserId: (n: Node) => boolean): { table: Table; column: string; userCol: string } | undefined {
  let v = value;
  for (let i = 0; i < 4 && v; i++) {
    if (v.TypeCast) v = v.TypeCast.arg;
    else if (v.CoalesceExpr?.args?.length) v = v.CoalesceExpr.args[0];
    else if (v.FuncCall && ['to_jsonb', 'to_json', 'lower', 'upper', 'btrim'].includes(funcName(v.FuncCall)) && v.FuncCall.args?.length) v = v.FuncCall.args[0];
    else break;
  }
  // (a scalar sub-select of the caller's row)
  const sub = v?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? v.SubLink.subselect?.SelectStmt : undefined;
  if (sub) {
    const col = lastField(sub.targetList?.length === 1 ? sub.targetList[0]?.ResTarget?.val : undefined);
    const row = col ? rowOf(model, sub, isUserId) : undefined;
    return row && col && row.table.columns.includes(col) ? { ...row, column: col } : undefined;
  }
  const fields: Node[] | undefined = v?.ColumnRef?.fields;
  if (!fields || fields.length > 2) return undefined;
  const names = fields.map((x) => sval(x)?.toLowerCase());
  const variable = names[0];
  if (!variable) return undefined;
  // (the one statement that sets the variable before this one: a variable set from two places, a
  // role from user_roles or else from profiles, comes from either, which is not said here)
  const at = statements.indexOf(st);
  const setting = statements.slice(0, at).filter((x) => x.assigns?.includes(variable));
  if (setting.length !== 1) return undefined;
  for (let i = at - 1; i >= 0; i--) {
    const s = statements[i]!;
    if (!s.assigns?.includes(variable)) continue;
    const q = s.node;
    if (s.kind !== 'SelectStmt' || !q?.targetList) return undefined;
    const targets: Node[] = q.targetList;
    let col: string | undefined;
    if (names.length === 1 && s.assigns.length === targets.length) col = lastField(targets[s.assigns.indexOf(variable)]?.ResTarget?.val);
    else if (names.length === 2 && s.assigns.length === 1) col = targets.map((t) => t?.ResTarget?.name ?? lastField(t?.ResTarget?.val)).find((c) => c === names[1]);
    const row = col ? rowOf(model, q, isUserId) : undefined;
    return row && col && row.table.columns.includes(col) ? { ...row, column: col } : undefined;
  }
  return undefined;
}

function lastField(n: Node): string | undefined {
  let v = n;
  while (v?.TypeCast) v = v.TypeCast.arg;
  const f: Node[] | undefined = v?.ColumnRef?.fields;
  return f?.length ? sval(f[f.length - 1])?.toLowerCase() : undefined;
}

/** The one table a SELECT reads and the column its WHERE compares with the event's user id (`id = (event->>'user_id')::uuid`). */
function rowOf(model: Model, q: Node, isUserId: (n: Node) => boolean): { table: Table; userCol: string } | undefined {
  const from: Node[] | undefined = q.fromClause;
  const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
  const table = rv?.relname ? model.tables.get(model.relKey(rv)) : undefined;
  if (!table) return undefined;
  const conds: Node[] = [];
  const and = (n: Node) => {
    if (n?.BoolExpr?.boolop === 'AND_EXPR') for (const a of n.BoolExpr.args ?? []) and(a);
    else if (n) conds.push(n);
  };
  and(q.whereClause);
  for (const c of conds) {
    const e = c?.A_Expr;
    if (e?.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '=') continue;
    for (const [a, b] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]] as Array<[Node, Node]>) {
      const col = lastField(a);
      if (col && table.columns.includes(col) && isUserId(b)) return { table, userCol: col };
    }
  }
  return undefined;
}

/** Whether an expression is the event's user id: `(event ->> 'user_id')::uuid`, `$1 ->> 'user_id'`. */
function userIdOf(n: Node, param: string): boolean {
  let v = n;
  while (v?.TypeCast) v = v.TypeCast.arg;
  const e = v?.A_Expr;
  if (e?.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '->>' || e.rexpr?.A_Const?.sval?.sval !== 'user_id') return false;
  const f: Node[] | undefined = e.lexpr?.ColumnRef?.fields;
  return (f?.length === 1 && sval(f[0])?.toLowerCase() === param) || e.lexpr?.ParamRef?.number === 1;
}

/** Whether an expression holds `event ->> 'user_id'` anywhere (`coalesce(nullif(event->>'user_id', '')::uuid, …)`). */
function mentionsUserId(n: Node, param: string): boolean {
  if (!n || typeof n !== 'object') return false;
  if (userIdOf(n, param)) return true;
  for (const k of Object.keys(n)) {
    const v = n[k];
    if (Array.isArray(v) ? v.some((x) => mentionsUserId(x, param)) : v && typeof v === 'object' && mentionsUserId(v, param)) return true;
  }
  return false;
}

/**
 * The claim path an expression reads from the caller's JWT, when it is `auth.jwt() ->> 'c'` (or
 * `-> 'app_metadata' ->> 'c'`, `(select auth.jwt()) ->> 'c'`, `current_setting('request.jwt.claims',
 * true)::jsonb ->> 'c'`); undefined otherwise.
 */
export function jwtClaimPath(n: Node, jsonb = false): string[] | undefined {
  const path: string[] = [];
  let v = n;
  while (v?.TypeCast && ['text', 'varchar'].includes(String(v.TypeCast.typeName?.names?.at(-1)?.String?.sval))) v = v.TypeCast.arg;
  for (let i = 0; i < 6; i++) {
    const e = v?.A_Expr;
    const op = e?.kind === 'AEXPR_OP' ? sval(e.name?.[0]) : undefined;
    if (op !== '->>' && op !== '->') break;
    if (path.length === 0 ? false : op === '->>') return undefined;
    if (path.length === 0 && op !== (jsonb ? '->' : '->>')) return undefined;
    const k = e.rexpr?.A_Const?.sval?.sval;
    if (typeof k !== 'string') return undefined;
    path.unshift(k);
    v = e.lexpr;
  }
  if (!path.length) return undefined;
  // (the token itself)
  if (v?.SubLink?.subLinkType === 'EXPR_SUBLINK') {
    const t = v.SubLink.subselect?.SelectStmt?.targetList;
    v = t?.length === 1 ? t[0]?.ResTarget?.val : undefined;
  }
  while (v?.TypeCast) v = v.TypeCast.arg;
  const call = v?.FuncCall;
  const name = call ? funcName(call) : '';
  if (name === 'auth.jwt' && !call.args?.length) return path;
  if (name === 'current_setting' && call.args?.[0]?.A_Const?.sval?.sval === 'request.jwt.claims') return path;
  return undefined;
}

/**
 * jwtClaimPath of an expression, or of the function it calls without arguments when that returns a
 * claim (`get_my_role() = 'admin'`, with `get_my_role()` a SQL function `SELECT auth.jwt() ->>
 * 'user_role'`, or a PL/pgSQL one whose body is `RETURN auth.jwt() ->> 'user_role'`), written bare
 * or in a scalar sub-select.
 */
export function claimPathOf(model: Model, n: Node): string[] | undefined {
  const direct = jwtClaimPath(n);
  if (direct) return direct;
  // (`(auth.jwt() ->> 'c')::boolean`: the claim's text, as true or false)
  if (n?.TypeCast && ['bool', 'boolean'].includes(String(n.TypeCast.typeName?.names?.at(-1)?.String?.sval))) return jwtClaimPath(n.TypeCast.arg);
  let v = n;
  for (let i = 0; i < 3 && v; i++) {
    if (v.TypeCast) v = v.TypeCast.arg;
    else if (v.SubLink?.subLinkType === 'EXPR_SUBLINK') {
      const t = v.SubLink.subselect?.SelectStmt;
      v = t?.targetList?.length === 1 && !t.fromClause ? t.targetList[0]?.ResTarget?.val : undefined;
    } else break;
  }
  const call = v?.FuncCall;
  if (!call || call.args?.length) return undefined;
  const parts: string[] = (call.funcname ?? []).map((x: Node) => sval(x) ?? '');
  const f = model.findFunction(parts, 0);
  const statements = f?.body && !f.body.errors.length ? f.body.statements.filter((s) => s.node) : [];
  if (statements.length !== 1) return undefined;
  const t: Node[] | undefined = statements[0]!.node?.targetList;
  return statements[0]!.kind === 'SelectStmt' && t?.length === 1 && !statements[0]!.node.fromClause ? jwtClaimPath(t[0]?.ResTarget?.val) : undefined;
}

/**
 * Supabase's RBAC guide's `authorize('channels.delete')`: a function of one argument that reads a
 * claim into a variable (`SELECT (auth.jwt() ->> 'user_role')::public.app_role INTO user_role`) and
 * counts the rows of a permissions table whose permission column is the argument and whose role
 * column is that variable. A call of it with a constant asks the claim to be one of the roles the
 * migrations' INSERTs into that table give the permission: the claim's path, the roles (as
 * written, quoted), the function and the table. Undefined for anything else, or when no INSERT
 * gives the permission.
 */
type PermissionClaim = { path: string[]; roles: string[]; f: Func; table: Table };
export function permissionClaim(model: Model, call: Node): PermissionClaim | undefined {
  const args: Node[] = call.args ?? [];
  const perm = args.length === 1 ? args[0]?.A_Const?.sval?.sval : undefined;
  if (typeof perm !== 'string') return undefined;
  const parts: string[] = (call.funcname ?? []).map((x: Node) => sval(x) ?? '');
  // (per model, function and permission: every policy of a table may ask the same one)
  const kept = memoModel(model, 'claims:permission', () => new Map<string, PermissionClaim | null>());
  const key = `${parts.join('.')}\u0000${perm}`;
  let hit = kept.get(key);
  if (hit === undefined) kept.set(key, (hit = permissionClaimOf(model, parts, perm) ?? null));
  return hit ?? undefined;
}

function permissionClaimOf(model: Model, parts: string[], perm: string): PermissionClaim | undefined {
  const f = model.findFunction(parts, 1);
  const statements = f?.body && !f.body.errors.length ? f.body.statements : undefined;
  if (!f || !statements) return undefined;
  const param = String(f.stmt.node?.parameters?.[0]?.FunctionParameter?.name ?? '').toLowerCase();
  // (the variable holding the claim)
  let path: string[] | undefined;
  let holder: string | undefined;
  for (const st of statements) {
    const t: Node[] | undefined = st.node?.targetList;
    if (st.kind !== 'SelectStmt' || st.assigns?.length !== 1 || t?.length !== 1 || st.node.fromClause) continue;
    let v = t[0]?.ResTarget?.val;
    while (v?.TypeCast) v = v.TypeCast.arg;
    const p = jwtClaimPath(v);
    if (p) [path, holder] = [p, st.assigns[0]];
  }
  if (!path || !holder) return undefined;
  // (the count over the permissions table)
  const isParam = (n: Node) => {
    let v = n;
    while (v?.TypeCast) v = v.TypeCast.arg;
    const fields: Node[] | undefined = v?.ColumnRef?.fields;
    const last = fields?.length ? sval(fields[fields.length - 1])?.toLowerCase() : undefined;
    return (fields?.length === 1 && last === param) || (fields?.length === 2 && sval(fields[0])?.toLowerCase() === f.name.toLowerCase() && last === param) || v?.ParamRef?.number === 1;
  };
  const isHolder = (n: Node) => {
    let v = n;
    while (v?.TypeCast) v = v.TypeCast.arg;
    const fields: Node[] | undefined = v?.ColumnRef?.fields;
    return fields?.length === 1 && sval(fields[0])?.toLowerCase() === holder;
  };
  for (const st of statements) {
    const q = st.node;
    const from: Node[] | undefined = q?.fromClause;
    const rv = st.kind === 'SelectStmt' && from?.length === 1 ? from[0]?.RangeVar : undefined;
    const table = rv?.relname ? model.tables.get(model.relKey(rv)) : undefined;
    if (!table) continue;
    let permCol: string | undefined;
    let roleCol: string | undefined;
    const conds: Node[] = q.whereClause?.BoolExpr?.boolop === 'AND_EXPR' ? q.whereClause.BoolExpr.args : [q.whereClause];
    for (const c of conds) {
      const e = c?.A_Expr;
      if (e?.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '=') continue;
      for (const [a, b] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]] as Array<[Node, Node]>) {
        const col = lastField(a);
        if (!col || !table.columns.includes(col)) continue;
        if (isParam(b)) permCol = col;
        else if (isHolder(b)) roleCol = col;
      }
    }
    if (!permCol || !roleCol) continue;
    const roles = seededValues(model, table, permCol, perm, roleCol);
    return roles.length ? { path, roles, f, table } : undefined;
  }
  return undefined;
}

/** The values of `col` in the rows the migrations' INSERT … VALUES into `t` write with `where` = `value`, quoted. */
function seededValues(model: Model, t: Table, where: string, value: string, col: string): string[] {
  const out: string[] = [];
  for (const { stmt } of model.statements) {
    const n = stmt.node;
    if (stmt.kind !== 'InsertStmt' || !n?.relation?.relname || model.relKey(n.relation) !== t.key) continue;
    const cols: string[] = n.cols?.length ? n.cols.map((c: Node) => String(c?.ResTarget?.name ?? '').toLowerCase()) : t.columns;
    const w = cols.indexOf(where);
    const c = cols.indexOf(col);
    if (w < 0 || c < 0) continue;
    for (const row of (n.selectStmt?.SelectStmt?.valuesLists ?? []) as Node[]) {
      const items: Node[] = row?.List?.items ?? [];
      const s = (x: Node) => {
        let v = x;
        while (v?.TypeCast) v = v.TypeCast.arg;
        return v?.A_Const?.sval?.sval as string | undefined;
      };
      const got = s(items[c]);
      if (s(items[w]) === value && typeof got === 'string' && !out.includes(`'${got}'`)) out.push(`'${got}'`);
    }
  }
  return out;
}
