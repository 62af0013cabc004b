import { callsIn, conjuncts, constValue, hasSubLink } from '../analysis/ast.js';
import { nameParts, sqlOneLine, walk } from '../analysis/parse.js';
import { resolvedThroughPath, type Func, type Model, type Policy, type Table } from '../analysis/model.js';
import { activeRows, keptOnCalls, memoModel, textOfFile } from '../analysis/policy-exprs.js';
import type { Node, Statement } from '../analysis/types.js';
import { defineRule } from './types.js';
import { authCallOf, bareValue, columnRef, functionLists, inputParams, tableName } from './lib/util.js';
import { callersOf } from './definer-bypasses-rls.js';
import { contextVariables } from './definer-check-fails-open.js';
import { signatureSql } from './definer-execute-granted-to-public.js';

// A SECURITY DEFINER function that writes a row tying its caller to a constant privilege
// (`INSERT INTO user_roles (user_id, role) VALUES (auth.uid(), 'admin')`) hands that privilege to
// whoever may call it. k-connection's grant_admin_to_current_user() checks only that the caller is
// signed in (IF uid IS NULL THEN RETURN) while its policies admit has_role(auth.uid(), 'admin'):
// any signed-in user calls it as an RPC and is admin from then on (measured on PGlite: a fresh
// user then reads and changes every row the admin policies guard). finvy's
// create_user_organization_role(p_user_id, p_organization_id, p_role) writes the same row from
// parameters, only requiring p_user_id = auth.uid(): the caller passes 'owner' and any
// organization, and owns it (measured on PGlite: reads and deletes that organization's rows).

/** What an expression stands for in a policy check: the caller, or a constant (a string, `true`). */
type Bound = { caller: true } | { value: string };

/** A check some policy makes, directly or through a helper: a row of `table` whose `key` is the caller and whose `column` holds one of `values`. */
interface Check {
  table: string;
  key: string;
  column: string;
  values: ReadonlySet<string>;
  policy: Policy;
  /** the helper call of the policy that makes it (`public.has_role(auth.uid(), 'admin')`) */
  via?: string;
}

/** Whether `n` is the caller's identity: auth.uid() or auth.jwt() ->> 'sub' (cast or not). */
function callerCall(n: Node): boolean {
  if (authCallOf(n) === 'uid') return true;
  const e = bareValue(n)?.A_Expr;
  return !!e && e.kind === 'AEXPR_OP' && e.name?.[0]?.String?.sval === '->>' && authCallOf(e.lexpr) === 'jwt' && constValue(bareValue(e.rexpr)) === 'sub';
}

/** A constant as a value the checks and writes compare (`'admin'`, `'admin'::app_role`, `true`). */
function constantOf(n: Node): string | undefined {
  const v = constValue(bareValue(n));
  return typeof v === 'string' || typeof v === 'boolean' ? String(v) : undefined;
}

/** What `n` stands for in a helper whose parameters are bound (`_user_id` to the caller, `_role` to 'admin'). */
function boundOf(n: Node, bind: ReadonlyMap<string, Bound>): Bound | undefined {
  if (callerCall(n)) return { caller: true };
  const v = constantOf(n);
  if (v !== undefined) return { value: v };
  const e = bareValue(n);
  const ref = columnRef(e);
  if (ref && ref.qual === undefined) return bind.get(ref.name);
  if (typeof e?.ParamRef?.number === 'number') return bind.get(`$${e.ParamRef.number}`);
  return undefined;
}

/** The input parameters of a function, in order (lower-case names; `$n` always). */
function paramNames(g: Func): string[][] {
  const out: string[][] = [];
  for (const x of inputParams(g)) {
    const name = x.FunctionParameter.name;
    out.push([`$${out.length + 1}`, ...(typeof name === 'string' ? [name.toLowerCase()] : [])]);
  }
  return out;
}

/** The relations of a FROM list by the names the query uses for them (alias or name), plain tables and joins only. */
function fromTables(model: Model, from: Node[] | undefined): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const add = (item: Node): boolean => {
    if (item?.RangeVar) {
      const rv = item.RangeVar;
      out.set((rv.alias?.aliasname ?? rv.relname).toLowerCase(), model.relKey(rv));
      return true;
    }
    if (item?.JoinExpr) return add(item.JoinExpr.larg) && add(item.JoinExpr.rarg);
    return false;
  };
  for (const item of from ?? []) if (!add(item)) return undefined;
  return out.size ? out : undefined;
}

/** The table a column of a query over `tables` belongs to: its qualifier's, or the only one. */
function tableOf(tables: ReadonlyMap<string, string>, ref: { qual?: string; name: string }): string | undefined {
  if (ref.qual !== undefined) return tables.get(ref.qual);
  return tables.size === 1 ? [...tables.values()][0] : undefined;
}

/** `col = x`, `x = col`, `col IN (…)`, `col = ANY (ARRAY[…])`, a bare boolean column: the column and what it is compared with. */
function comparison(c: Node): { ref: { qual?: string; name: string }; sides: Node[] } | undefined {
  const ref0 = columnRef(c);
  if (ref0) return { ref: ref0, sides: [{ A_Const: { boolval: { boolval: true } } }] };
  const e = c?.A_Expr;
  if (!e || e.name?.length !== 1 || e.name[0]?.String?.sval !== '=') return undefined;
  if (e.kind === 'AEXPR_OP') {
    for (const [a, b] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]]) {
      const ref = columnRef(a);
      if (ref) return { ref, sides: [b] };
    }
  }
  const ref = columnRef(e.lexpr);
  if (!ref) return undefined;
  if (e.kind === 'AEXPR_IN' && Array.isArray(e.rexpr?.List?.items)) return { ref, sides: e.rexpr.List.items };
  if (e.kind === 'AEXPR_OP_ANY' && Array.isArray(bareValue(e.rexpr)?.A_ArrayExpr?.elements)) return { ref, sides: bareValue(e.rexpr).A_ArrayExpr.elements };
  return undefined;
}

/** A check as found, before its policy is known; `at`: where the helper call compared with the constants is. */
type Found = Omit<Check, 'policy' | 'via'> & { at?: number };

/** The checks a query makes: a row of one of its tables keyed by the caller (an AND-ed `key = caller`) with `column` compared with constants. */
function selectChecks(model: Model, sel: Node, bind: ReadonlyMap<string, Bound>, out: Found[]): void {
  const tables = sel?.fromClause ? fromTables(model, sel.fromClause) : undefined;
  if (!tables) return;
  const keys = new Map<string, string>();
  const values: Array<{ table: string; column: string; values: Set<string> }> = [];
  for (const c of conjuncts(sel.whereClause)) {
    const cmp = comparison(c);
    const table = cmp && tableOf(tables, cmp.ref);
    if (!cmp || !table) continue;
    const bound = cmp.sides.map((x) => boundOf(x, bind));
    if (bound.length === 1 && bound[0] && 'caller' in bound[0]) keys.set(table, cmp.ref.name);
    else if (bound.every((b) => b && 'value' in b)) values.push({ table, column: cmp.ref.name, values: new Set(bound.map((b) => (b as { value: string }).value)) });
  }
  for (const v of values) {
    const key = keys.get(v.table);
    if (key !== undefined && key !== v.column) out.push({ table: v.table, key, column: v.column, values: v.values });
  }
}

/**
 * A helper that returns a column of the caller's row (`SELECT role FROM profiles WHERE id =
 * _uid`, `get_my_role()`): the table, key and column, for a comparison of its result with constants.
 */
function returnedColumn(model: Model, g: Func, bind: ReadonlyMap<string, Bound>): Omit<Found, 'values'> | undefined {
  if (!g.body || g.body.errors.length || g.body.lexical) return undefined;
  let found: Omit<Found, 'values'> | undefined;
  for (const s of g.body.statements) {
    if (s.kind !== 'SelectStmt') return undefined;
    let sel = s.node;
    const only = sel?.targetList?.length === 1 ? sel.targetList[0]?.ResTarget?.val : undefined;
    // (RETURN (SELECT role FROM …))
    if (!sel?.fromClause && only?.SubLink?.subLinkType === 'EXPR_SUBLINK') sel = only.SubLink.subselect?.SelectStmt;
    if (!sel?.fromClause) continue;
    if (found || sel.targetList?.length !== 1) return undefined;
    const tables = fromTables(model, sel.fromClause);
    const ref = columnRef(sel.targetList[0]?.ResTarget?.val);
    const table = tables && ref && tableOf(tables, ref);
    if (!table || !ref) return undefined;
    for (const c of conjuncts(sel.whereClause)) {
      const cmp = comparison(c);
      const b = cmp?.sides.length === 1 ? boundOf(cmp.sides[0], bind) : undefined;
      if (cmp && b && 'caller' in b && tableOf(tables!, cmp.ref) === table) found = { table, key: cmp.ref.name, column: ref.name };
    }
    if (!found) return undefined;
  }
  return found;
}

/** The bindings of a workspace function's parameters to what a call passes (the caller, constants). */
function bindCall(g: Func, args: Node[], bind: ReadonlyMap<string, Bound>): Map<string, Bound> {
  const inner = new Map<string, Bound>();
  paramNames(g).forEach((names, i) => {
    // (a parameter left to its default: is_admin(_uid uuid DEFAULT auth.uid()))
    const x = i < args.length ? args[i] : g.stmt.node?.parameters?.filter((p: Node) => p?.FunctionParameter?.mode !== 'FUNC_PARAM_OUT' && p?.FunctionParameter?.mode !== 'FUNC_PARAM_TABLE')[i]?.FunctionParameter?.defexpr;
    const b = x === undefined ? undefined : boundOf(x, bind);
    if (b) for (const n of names) inner.set(n, b);
  });
  return inner;
}

/**
 * `helper(…) = 'admin'` / `helper(…) IN (…)`, the helper returning a column of the caller's row
 * (returnedColumn): that column compared with the constants, and where the call is.
 */
function resultComparison(model: Model, e: Node, bind: ReadonlyMap<string, Bound>, out: Found[]): void {
  const sides: Array<[Node, Node[]]> = [];
  if (e.kind === 'AEXPR_OP' && e.name?.length === 1 && e.name[0]?.String?.sval === '=') sides.push([e.lexpr, [e.rexpr]], [e.rexpr, [e.lexpr]]);
  else if (e.kind === 'AEXPR_IN' && Array.isArray(e.rexpr?.List?.items)) sides.push([e.lexpr, e.rexpr.List.items]);
  for (const [call, others] of sides) {
    const c = bareValue(call)?.FuncCall;
    const values = others.map((x) => boundOf(x, bind));
    if (!c || !values.every((x) => x && 'value' in x)) continue;
    const g = model.findFunction(nameParts(c.funcname), (c.args ?? []).length);
    const r = g && returnedColumn(model, g, bindCall(g, c.args ?? [], bind));
    if (r) out.push({ ...r, values: new Set(values.map((x) => (x as { value: string }).value)), at: c.location });
  }
}

/** The checks an expression makes: in its sub-selects, through comparisons of helper results, and in the helpers it calls (three deep). */
function checksIn(model: Model, node: Node, bind: ReadonlyMap<string, Bound>, depth: number, out: Found[]): void {
  walk(node, (k, v) => {
    if (k === 'SelectStmt') selectChecks(model, v, bind, out);
    else if (k === 'A_Expr') resultComparison(model, v, bind, out);
    return undefined;
  });
  if (depth >= 3) return;
  for (const c of callsIn(node)) {
    const g = model.findFunction(c.name, c.args.length);
    if (!g?.body || g.body.errors.length || g.body.lexical) continue;
    const inner = bindCall(g, c.args, bind);
    for (const s of g.body.statements) checksIn(model, s.kind === 'SelectStmt' ? { SelectStmt: s.node } : s.node, inner, depth + 1, out);
  }
}

/** Per model: the checks of the active policies, by table. */
function policyChecks(model: Model): ReadonlyMap<string, Check[]> {
  return memoModel(model, 'definer-grants-caller-role', (m) => {
    const out = new Map<string, Check[]>();
    for (const row of activeRows(m)) {
      for (const e of row.exprs) {
        // (kept on the expression across lints while its calls resolve the same: asking every
        // policy again was ≈ 40% of a re-lint of LanternOps/breeze, 1,300 policies calling helpers)
        const found = resolvedThroughPath(row.policy.stmt) ? checksOfExpr(m, e.node, e.file) : keptOnCalls(m, e.node, 'definer-grants-caller-role', () => checksOfExpr(m, e.node, e.file));
        for (const f of found) add(out, { ...f, policy: row.policy });
      }
    }
    return out;
  });
}

/** The checks one policy expression makes, each with the helper call of the expression that makes it, as written (`via`). */
function checksOfExpr(m: Model, node: Node, file: string): Array<Omit<Check, 'policy'>> {
  const out: Array<Omit<Check, 'policy'>> = [];
  const found: Found[] = [];
  const text = textOfFile(m, file);
  const named = (f: Found, at: number | undefined): Omit<Check, 'policy'> => {
    const via = at !== undefined && at >= 0 ? callText(text, at) : undefined;
    return { table: f.table, key: f.key, column: f.column, values: f.values, ...(via ? { via } : {}) };
  };
  // (each helper call on its own, to name it in the message)
  for (const c of callsIn(node)) {
    const g = m.findFunction(c.name, c.args.length);
    if (!g) continue;
    checksIn(m, { FuncCall: c.node }, new Map(), 0, found);
    for (const f of found.splice(0)) out.push(named(f, c.location));
  }
  walk(node, (k, v) => {
    if (k === 'SelectStmt') selectChecks(m, v, new Map(), found);
    else if (k === 'A_Expr') resultComparison(m, v, new Map(), found);
    return undefined;
  });
  for (const f of found) out.push(named(f, f.at));
  return out;
}

function add(out: Map<string, Check[]>, c: Check): void {
  const list = out.get(c.table);
  if (list) list.push(c);
  else out.set(c.table, [c]);
}

/** A call as written, from its name to its closing parenthesis (one line, cut at 80 characters). */
function callText(text: string, at: number): string | undefined {
  const open = text.indexOf('(', at);
  if (open < 0) return undefined;
  let depth = 0;
  for (let i = open; i < text.length && i < open + 400; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) {
      const s = sqlOneLine(text.slice(at, i + 1));
      return s.length > 80 ? undefined : s;
    }
  }
  return undefined;
}

/**
 * A write of the function that ties the caller to a privilege: the table, the key column set to
 * the caller, and the column set to a constant or to a parameter the caller chooses.
 */
interface Write {
  stmt: Statement;
  table: string;
  key: string;
  /** the parameter the key column is set to, which the function requires to equal the caller (`IF auth.uid() = p_user_id THEN`) */
  keyParam?: string;
  column: string;
  value: { constant: string } | { param: string };
  /** the parameters the row's other columns are set to (the organization the caller picks), by column */
  params: ReadonlyMap<string, string>;
  verb: 'inserts' | 'upserts' | 'updates';
}

/** The input parameters of `f` by the names a body may use for them (`p_role`, `$3`), each to its name in a message. */
function paramAliases(f: Func): Map<string, string> {
  const out = new Map<string, string>();
  for (const names of paramNames(f)) for (const n of names) out.set(n, names[names.length - 1]!);
  return out;
}

/** `n` as a bare reference to a parameter (its name in a message), `'var'` for another variable, or undefined. */
function refOf(n: Node, params: ReadonlyMap<string, string>): string | undefined {
  const e = bareValue(n);
  if (typeof e?.ParamRef?.number === 'number') return params.get(`$${e.ParamRef.number}`);
  const ref = columnRef(e);
  if (!ref || ref.qual !== undefined) return undefined;
  return params.get(ref.name) ?? 'var';
}

/**
 * The INSERTs (plain or ON CONFLICT) and UPDATEs of the body that set a column to the caller
 * (auth.uid(), or a parameter some condition compares with it: `callerParams`), and another to a
 * constant or a parameter, with nothing that gates the row (no FROM, no WHERE but `key = caller`).
 * A row with a column set to a variable of the function is left out: that value is the
 * function's, not the caller's (the organization it has just created: create_org() inserting
 * (auth.uid(), new_org_id, 'owner') makes the caller owner of that one only).
 */
function writesOf(model: Model, f: Func, callerVars: ReadonlySet<string>, callerParams: ReadonlySet<string>): Write[] {
  const out: Write[] = [];
  const bind = new Map<string, Bound>([...callerVars].map((v) => [v, { caller: true }] as const));
  const params = paramAliases(f);
  for (const s of f.body?.statements ?? []) {
    const n = s.node;
    if (s.kind === 'InsertStmt' && n?.relation && Array.isArray(n.cols)) {
      const sel = n.selectStmt?.SelectStmt;
      if (!sel || sel.fromClause || sel.whereClause) continue;
      const rows: Node[][] = sel.valuesLists ? sel.valuesLists.map((l: Node) => l?.List?.items ?? []) : sel.targetList ? [sel.targetList.map((t: Node) => t?.ResTarget?.val)] : [];
      const cols: string[] = n.cols.map((c: Node) => String(c?.ResTarget?.name ?? '').toLowerCase());
      const verb = n.onConflictClause ? 'upserts' : 'inserts';
      for (const row of rows) {
        if (row.length !== cols.length) continue;
        const bound = row.map((x) => boundOf(x, bind));
        const refs = row.map((x, i) => (bound[i] ? undefined : refOf(x, params)));
        if (refs.includes('var')) continue;
        let k = cols.findIndex((_, i) => bound[i] && 'caller' in bound[i]!);
        const byParam = k < 0;
        if (byParam) k = refs.findIndex((r) => r !== undefined && callerParams.has(r));
        if (k < 0) continue;
        const keyParam = byParam ? refs[k] : undefined;
        const others = new Map<string, string>();
        cols.forEach((c, i) => i !== k && refs[i] !== undefined && others.set(c, refs[i]!));
        cols.forEach((c, i) => {
          const b = bound[i];
          const value = b && 'value' in b ? { constant: b.value } : i !== k && refs[i] !== undefined ? { param: refs[i]! } : undefined;
          if (value) out.push({ stmt: s, table: model.relKey(n.relation), key: cols[k]!, ...(keyParam ? { keyParam } : {}), column: c, value, params: others, verb });
        });
      }
    } else if (s.kind === 'UpdateStmt' && n?.relation && !n.fromClause && n.whereClause && !hasSubLink(n.whereClause)) {
      let key: string | undefined;
      let keyParam: string | undefined;
      let other = false;
      for (const c of conjuncts(n.whereClause)) {
        const cmp = comparison(c);
        const b = cmp?.sides.length === 1 ? boundOf(cmp.sides[0], bind) : undefined;
        const r = cmp?.sides.length === 1 && !b ? refOf(cmp.sides[0], params) : undefined;
        if (cmp && b && 'caller' in b) key = cmp.ref.name;
        else if (cmp && r !== undefined && callerParams.has(r)) [key, keyParam] = [cmp.ref.name, r];
        else if (!(cmp && b)) other = true;
      }
      if (key === undefined || other) continue;
      for (const t of n.targetList ?? []) {
        const r = t?.ResTarget;
        const c = r && !r.indirection ? constantOf(r.val) : undefined;
        const p = r && !r.indirection && c === undefined ? refOf(r.val, params) : undefined;
        const value = c !== undefined ? { constant: c } : p !== undefined && p !== 'var' && p !== keyParam ? { param: p } : undefined;
        if (value) out.push({ stmt: s, table: model.relKey(n.relation), key, ...(keyParam ? { keyParam } : {}), column: String(r.name).toLowerCase(), value, params: new Map(), verb: 'updates' });
      }
    }
  }
  return out;
}

/**
 * What a condition tells of the caller, when it tests nothing but who the caller is: `<caller>
 * IS NULL` / `IS NOT NULL`, and a parameter compared with the caller (`auth.uid() = p_user_id`,
 * `p_user_id <> auth.uid()`, with NOT, AND, OR): the parameters that equal the caller when it is
 * true, and those when it is not. Undefined for any other condition.
 */
function callerTest(n: Node, bind: ReadonlyMap<string, Bound>, params: ReadonlyMap<string, string>): { whenTrue: Set<string>; whenFalse: Set<string> } | undefined {
  const e = bareValue(n);
  if (e?.NullTest) {
    const b = boundOf(e.NullTest.arg, bind);
    return b && 'caller' in b ? { whenTrue: new Set(), whenFalse: new Set() } : undefined;
  }
  const x = e?.A_Expr;
  if (x && x.name?.length === 1 && (x.kind === 'AEXPR_OP' || x.kind === 'AEXPR_DISTINCT')) {
    const op = x.name[0]?.String?.sval;
    for (const [a, b] of [[x.lexpr, x.rexpr], [x.rexpr, x.lexpr]]) {
      const ba = boundOf(a, bind);
      const p = refOf(b, params);
      if (!(ba && 'caller' in ba) || p === undefined || p === 'var') continue;
      if (x.kind === 'AEXPR_OP' && op === '=') return { whenTrue: new Set([p]), whenFalse: new Set() };
      if (x.kind === 'AEXPR_DISTINCT' || op === '<>' || op === '!=') return { whenTrue: new Set(), whenFalse: new Set([p]) };
    }
    return undefined;
  }
  const bool = e?.BoolExpr;
  if (!bool || !Array.isArray(bool.args)) return undefined;
  const parts = bool.args.map((a: Node) => callerTest(a, bind, params));
  if (parts.some((p: unknown) => !p)) return undefined;
  const all = parts as Array<{ whenTrue: Set<string>; whenFalse: Set<string> }>;
  if (bool.boolop === 'NOT_EXPR') return all.length === 1 ? { whenTrue: all[0]!.whenFalse, whenFalse: all[0]!.whenTrue } : undefined;
  if (bool.boolop === 'AND_EXPR') return { whenTrue: new Set(all.flatMap((p) => [...p.whenTrue])), whenFalse: new Set() };
  return { whenTrue: new Set(), whenFalse: new Set(all.flatMap((p) => [...p.whenFalse])) };
}

/** Whether statement `s` never runs when `w` does: they are in different branches of one IF (but for the conditions of the branches before `w`'s, which are tested). */
function exclusive(s: Statement, w: Statement): boolean {
  const sa = s.arms ?? [];
  const wa = w.arms ?? [];
  for (let i = 0; i < sa.length; i += 2) {
    for (let j = 0; j < wa.length; j += 2) {
      if (wa[j] !== sa[i] || wa[j + 1] === sa[i + 1]) continue;
      return !(s.armCond && i === sa.length - 2 && sa[i + 1]! < wa[j + 1]!);
    }
  }
  return false;
}

/**
 * Whether the statements that run with write `w` check nothing but who the caller is: their
 * conditions are callerTest()s, and nothing calls a function of the workspace (an is_admin() that
 * raises). Any other IF, loop or PERFORM may gate the write (IF NOT is_admin() THEN RAISE, a
 * "first user becomes admin" count, a check that the caller is already owner of p_org); the
 * branches of an IF other than `w`'s do not run with it (finvy's ELSIF can_manage_…(): only when
 * `auth.uid() = p_user_id` is false). A key set to a parameter is the caller only where a
 * condition requires it: `w` in the branch of `IF auth.uid() = p_user_id`, or after (or in the
 * ELSE of) `IF p_user_id <> auth.uid() THEN RAISE`.
 */
function onlyCallerChecks(model: Model, f: Func, w: Write, writes: ReadonlySet<Statement>, callerVars: ReadonlySet<string>): boolean {
  const bind = new Map<string, Bound>([...callerVars].map((v) => [v, { caller: true }] as const));
  const params = paramAliases(f);
  const wa = w.stmt.arms ?? [];
  const prefixOf = (a: readonly number[]) => a.every((x, i) => wa[i] === x);
  const statements = f.body!.statements;
  const at = statements.indexOf(w.stmt);
  let keyIsCaller = w.keyParam === undefined;
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i]!;
    if (writes.has(s) || exclusive(s, w.stmt)) continue;
    if (callsIn(s.node).some((c) => c.name[0]?.toLowerCase() !== 'auth' && model.findFunction(c.name, c.args.length))) return false;
    if (f.language !== 'plpgsql' || s.kind !== 'SelectStmt' || s.assigns?.length || s.reported) continue;
    // (an IF, ELSIF, WHILE or CASE condition, or a PERFORM)
    const t = s.node?.targetList?.length === 1 && !s.node.fromClause ? s.node.targetList[0]?.ResTarget?.val : undefined;
    const test = t ? callerTest(t, bind, params) : undefined;
    if (!test) return false;
    if (keyIsCaller || !s.armCond || !s.arms) continue;
    const sa = s.arms;
    const branch = sa[sa.length - 1]!;
    // (the branches around the IF, which must be around the write too, and the IF's branch the write is in)
    const around = sa.slice(0, -2);
    if (!prefixOf(around)) continue;
    const taken = wa[around.length] === sa[sa.length - 2] ? wa[around.length + 1] : undefined;
    if (taken === branch) keyIsCaller = test.whenTrue.has(w.keyParam!);
    else if (taken !== undefined && taken > branch) keyIsCaller = test.whenFalse.has(w.keyParam!);
    // (after the IF: its branch raises or returns, the IF's first condition is always tested)
    else if (taken === undefined && branch === 0 && i < at && (s.raisesIf || s.returnsIf)) keyIsCaller = test.whenFalse.has(w.keyParam!);
  }
  return keyIsCaller;
}

/** The parameters some condition of the body compares with the caller (candidates for a key set to the caller). */
function comparedParams(f: Func, callerVars: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  if (f.language !== 'plpgsql') return out;
  const bind = new Map<string, Bound>([...callerVars].map((v) => [v, { caller: true }] as const));
  const params = paramAliases(f);
  for (const s of f.body!.statements) {
    if (!s.armCond || s.kind !== 'SelectStmt') continue;
    const t = s.node?.targetList?.length === 1 && !s.node.fromClause ? s.node.targetList[0]?.ResTarget?.val : undefined;
    const test = t ? callerTest(t, bind, params) : undefined;
    for (const p of [...(test?.whenTrue ?? []), ...(test?.whenFalse ?? [])]) out.add(p);
  }
  return out;
}

/**
 * A write of a SECURITY DEFINER function that sets a column the policies trust as a privilege to
 * the constant they admit (`INSERT INTO user_roles (user_id, role) VALUES (_user_id, 'admin')`),
 * for a user the caller chooses (the key column set to a parameter or a variable, not to the
 * caller): definer-bypasses-rls says of such a function, which this rule leaves to it, that a
 * caller naming their own account gains the privilege (justicebot's make_user_admin(_email)).
 */
export function privilegeWrite(model: Model, f: Func): { table: string; key: string; column: string; value: string; policies: string[] } | undefined {
  if (!f.body || f.body.errors.length || f.body.lexical || f.writes.size === 0) return undefined;
  const known = policyChecks(model);
  if (known.size === 0 || ![...f.writes].some((k) => known.has(k))) return undefined;
  const params = paramAliases(f);
  for (const s of f.body.statements) {
    const n = s.node;
    // (the constant columns of the row, and the columns set to a parameter or variable)
    const consts = new Map<string, string>();
    const chosen = new Set<string>();
    if (s.kind === 'InsertStmt' && n?.relation && Array.isArray(n.cols)) {
      const sel = n.selectStmt?.SelectStmt;
      const rows: Node[][] = sel?.valuesLists ? sel.valuesLists.map((l: Node) => l?.List?.items ?? []) : [];
      if (sel?.fromClause || rows.length !== 1) continue;
      const cols: string[] = n.cols.map((c: Node) => String(c?.ResTarget?.name ?? '').toLowerCase());
      if (rows[0]!.length !== cols.length) continue;
      rows[0]!.forEach((x, i) => {
        const v = constantOf(x);
        if (v !== undefined) consts.set(cols[i]!, v);
        else if (!callerCall(x) && refOf(x, params) !== undefined) chosen.add(cols[i]!);
      });
    } else if (s.kind === 'UpdateStmt' && n?.relation && !n.fromClause && n.whereClause && !hasSubLink(n.whereClause)) {
      for (const c of conjuncts(n.whereClause)) {
        const cmp = comparison(c);
        if (cmp?.sides.length === 1 && !callerCall(cmp.sides[0]) && refOf(cmp.sides[0], params) !== undefined) chosen.add(cmp.ref.name);
      }
      for (const t of n.targetList ?? []) {
        const r = t?.ResTarget;
        const v = r && !r.indirection ? constantOf(r.val) : undefined;
        if (v !== undefined) consts.set(String(r.name).toLowerCase(), v);
      }
    } else continue;
    const table = model.relKey(n.relation);
    const trusted = (known.get(table) ?? []).filter((c) => chosen.has(c.key) && consts.has(c.column) && c.values.has(consts.get(c.column)!));
    if (trusted.length === 0) continue;
    const c = trusted[0]!;
    const policies = [...new Map(trusted.map((x) => [x.policy, x])).values()].map((x) => `"${x.policy.name}" on ${x.policy.table}${x.via ? ` (${x.via})` : ''}`);
    return { table, key: c.key, column: c.column, value: sqlValue(consts.get(c.column)!), policies };
  }
  return undefined;
}

/** A value as SQL (`'admin'`, `true`). */
function sqlValue(v: string): string {
  return /^(true|false)$/.test(v) ? v : `'${v}'`;
}

export const definerGrantsCallerRole = defineRule({
  meta: {
    id: 'definer-grants-caller-role',
    description:
      "A SECURITY DEFINER function that roles under row-level security may call writes a row tying the caller (auth.uid(), or a parameter it requires to be the caller) to a constant or a parameter's value the policies treat as a privilege (INSERT INTO user_roles VALUES (auth.uid(), 'admin'), or (p_user_id, p_org, p_role)) without checking that the caller may have it: any signed-in user makes themselves admin.",
    severity: 'error',
    category: 'security',
    fixKind: 'none',
    guards:
      'A SECURITY DEFINER function runs as its owner, which row-level security does not stop; any role holding EXECUTE calls it (PUBLIC holds it unless revoked; on Supabase anon and authenticated call functions in public as RPCs): a row it writes for the caller is written for every caller.',
  },
  check({ model, report }) {
    // (the policies' checks, found over every active policy, only once a definer that writes a
    // table is met: the bench's 4,469 definers write none, and finding them at each re-lint was
    // ≈ 90 ms of it)
    let checks: ReadonlyMap<string, Check[]> | undefined;
    for (const f of functionLists(model).definers) {
      if (!f.securityDefiner || f.returnsTrigger || !f.body || f.writes.size === 0 || f.body.errors.length || f.body.lexical || f.body.dynamicExecutes.length) continue;
      if (f.language !== 'plpgsql' && f.language !== 'sql') continue;
      const known = (checks ??= policyChecks(model));
      if (known.size === 0) return;
      if (![...f.writes].some((k) => known.has(k))) continue;
      const callerVars = new Set<string>();
      for (const [v, c] of contextVariables(f)) if (c.kind === 'auth.uid()') callerVars.add(v);
      const compared = comparedParams(f, callerVars);
      const writes = writesOf(model, f, callerVars, compared);
      const stmts = new Set(writes.map((w) => w.stmt));
      // (a parameter: the caller passes any value some policy compares the column with)
      const hits = writes
        .map((w) => ({ w, trusted: (known.get(w.table) ?? []).filter((c) => c.key === w.key && c.column === w.column && ('param' in w.value || c.values.has(w.value.constant))) }))
        .filter((h) => h.trusted.length && onlyCallerChecks(model, f, h.w, stmts, callerVars));
      if (hits.length === 0) continue;
      const { w, trusted } = hits[0]!;
      const t = model.tables.get(w.table);
      const callers = callersOf(model, f, [...new Set([w.table, ...trusted.map((c) => c.policy.table)])].map((k) => model.tables.get(k)).filter((x): x is Table => !!x));
      // (anon has no auth.uid(): the row it would write is no one's)
      if (!callers || callers.roles.every((r) => r === 'anon')) continue;
      const name = t ? tableName(model, t, f.created) : w.table;
      const values = 'constant' in w.value ? [sqlValue(w.value.constant)] : [...new Set(trusted.flatMap((c) => [...c.values]))].map(sqlValue);
      const value = values.join(' or ');
      const set = `${w.key} = ${w.keyParam ? `${w.keyParam} (which it only requires to be the caller's own id)` : 'the caller'} and ${w.column} = ${'param' in w.value ? `${w.value.param} (which the caller chooses)` : value}`;
      const checked = w.keyParam ? `it checks only that the caller passes their own id as ${w.keyParam}` : compared.size ? 'it checks nothing but who the caller is' : 'it checks at most that the caller is signed in';
      const group = new Map([...w.params].filter(([c]) => c !== w.column).map(([c, p]) => [p, c]));
      // (what the caller passes, when it passes anything the row is made of)
      let calls = 'calls it';
      if (w.keyParam || 'param' in w.value || group.size) {
        const pass = (p: string) => (p === w.keyParam || compared.has(p) ? '<their own id>' : 'param' in w.value && p === w.value.param ? values[0]! : group.has(p) ? `<any ${group.get(p)}>` : '<anything>');
        const args = paramNames(f).map((names) => (names.length > 1 ? `${names[1]} => ${pass(names[1]!)}` : pass(names[0]!)));
        calls = `calls ${f.signature.slice(0, f.signature.indexOf('('))}(${args.join(', ')})`;
      }
      const where = group.size ? `, for the ${[...group.values()].join(' and ')} they pass` : '';
      const policies = [...new Map(trusted.map((c) => [c.policy, c])).values()];
      const named = policies
        .slice(0, 2)
        .map((c) => `"${c.policy.name}" on ${c.policy.table}${c.via ? ` (${c.via})` : ''}`)
        .join(policies.length > 2 ? ', ' : ' and ');
      const more = policies.length > 2 ? ` and ${policies.length - 2} more` : '';
      const sql = `${f.isProcedure ? 'PROCEDURE' : 'FUNCTION'} ${signatureSql(f)}`;
      report({
        file: f.created.file,
        start: w.stmt.start,
        end: w.stmt.end,
        message:
          `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} ${w.verb} a row of ${name} with ${set}, for whoever calls it, and ${callers.text} can call it${model.supabase ? ' (on Supabase, as an RPC of the Data API)' : ''}: ` +
          `it runs as its owner, so the policies of ${name} do not stop the write, and ${checked}. ` +
          `Policies trust that row: ${named}${more} admit a user whose ${name} row has ${w.column} = ${value}, so any signed-in user who ${calls} is then admitted by each of them${where}. ` +
          `Check the caller's privilege in the function before the write (raise unless the caller already holds it${where ? ' there' : ''}, or unless no row holds it yet for a first-user bootstrap${'param' in w.value ? `; or accept only values of ${w.value.param} that grant nothing` : ''}), or revoke EXECUTE from the API roles (REVOKE EXECUTE ON ${sql} FROM ${callers.revoke.join(', ')}) and call it only from a trusted backend.`,
        related: policies.slice(0, 2).map((c) => ({ ...c.policy.nameLoc, message: `policy "${c.policy.name}" admits a user whose ${name} row has ${w.column} = ${value}` })),
        fixes: [],
      });
    }
  },
});
