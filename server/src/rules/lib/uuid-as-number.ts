// A uuid that tells who the caller is, cast through text to a number: `auth.uid()::text::integer`,
// `(auth.jwt() ->> 'sub')::integer` (Supabase's sub is the user's uuid), `my_id()::text::bigint`
// with my_id() RETURNS uuid. The text of a uuid is never a valid number (8 hex digits, then a
// hyphen), so the cast fails with 22P02 invalid input syntax for type integer whenever the id is
// set, and gives NULL where it is not (Supabase's anon: auth.uid() is NULL). Measured on PGlite
// (policy-type-mismatch's and policy-membership-self-join's tests). policy-type-mismatch reports
// such a cast in a policy; policy-membership-self-join does not take a comparison with one for a
// membership the caller can forge. Pure.
import { census, hasSubLink, memoised, typeName } from '../../analysis/ast.js';
import type { Func, Model } from '../../analysis/model.js';
import { nodeContains } from '../../analysis/function-order.js';
import { memoModel, resolveCall } from '../../analysis/policy-exprs.js';
import { nameParts, sval } from '../../analysis/parse.js';
import type { Node } from '../../analysis/types.js';

/** The number types a uuid's text never parses as (typeName's names). */
const NUMBER_TYPES: ReadonlySet<string> = new Set(['smallint', 'integer', 'int', 'bigint', 'numeric', 'decimal', 'real', 'double precision', 'float']);
/** The casts between the uuid and the number that keep its text whole: text, varchar without a length (`::char` or `varchar(8)` keep a prefix, which may be digits). */
const KEEPS_TEXT: ReadonlySet<string> = new Set(['text', 'character varying', 'name']);

export interface UuidAsNumber {
  /** the outer cast (the node holding TypeCast) */
  node: Node;
  /** the number type, as typeName gives it: `integer`, `bigint`, `numeric` … */
  type: string;
  /** what gives the uuid: Supabase's auth.uid(), the JWT's sub (`auth.jwt() ->> 'sub'`), or a function of the workspace that RETURNS uuid (its name as written) */
  source: { kind: 'uid' } | { kind: 'sub' } | { kind: 'function'; name: string };
}

/** A cast, with what it casts to. */
const castType = (n: Node): string | undefined => (n?.TypeCast ? typeName(n.TypeCast.typeName) : undefined);

/** `(select x)` without FROM, WHERE or anything else: x; the node itself otherwise. */
function unwrapSelect(n: Node): Node {
  const s = n?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? n.SubLink.subselect?.SelectStmt : undefined;
  if (!s || s.targetList?.length !== 1 || s.fromClause || s.whereClause || s.groupClause || s.havingClause || s.limitCount || s.withClause) return n;
  return s.targetList[0]?.ResTarget?.val;
}

/** Whether `n` is a call of auth.<name>() with no argument, `(select auth.<name>())` too. */
function authCall(n: Node, name: string): Node | undefined {
  const c = unwrapSelect(n)?.FuncCall;
  if (!c || c.args?.length) return undefined;
  const parts = nameParts(c.funcname).map((p) => p.toLowerCase());
  return parts.length === 2 && parts[0] === 'auth' && parts[1] === name ? c : undefined;
}

/**
 * The outer number cast of `n`, when what it casts is a uuid's text (see the top of the file):
 * `auth.uid()::text::integer`, `(select auth.uid())::text::int`, `CAST(CAST(auth.uid() AS text)
 * AS integer)`, `(auth.jwt() ->> 'sub')::integer`, `my_id()::text::bigint`. Not `auth.uid()::text`,
 * `auth.uid()::uuid`, `auth.uid()::integer` (no cast from uuid to integer: 42846 when the policy is
 * created), a text column cast to a number (its content is unknown), `auth.uid()::char::int`.
 */
export function uuidAsNumber(model: Model, n: Node): UuidAsNumber | undefined {
  const type = castType(n);
  if (type === undefined || !NUMBER_TYPES.has(type)) return undefined;
  // (the casts in between, outermost first, inside a `(select …)` too: the number's is of text,
  // kept whole, and so are those under it, or of uuid (`auth.uid()::uuid::text::int`))
  let x: Node = n.TypeCast.arg;
  let asText = false;
  for (let round = 0; round < 2; round++) {
    for (let t = castType(x); t !== undefined; t = castType(x)) {
      if (KEEPS_TEXT.has(t) && !x.TypeCast.typeName?.typmods) asText = true;
      else if (t !== 'uuid' || !asText) return undefined;
      x = x.TypeCast.arg;
    }
    const inner = unwrapSelect(x);
    if (inner === x) break;
    x = inner;
  }
  // (auth.jwt() ->> 'sub': text already; the platform's auth.jwt(), not one the workspace writes)
  const e = x?.A_Expr;
  if (e) {
    const op = e.kind === 'AEXPR_OP' && e.name?.length === 1 ? sval(e.name[0]) : undefined;
    const claim = e.rexpr?.A_Const?.sval?.sval;
    const ok = op === '->>' && claim === 'sub' && authCall(e.lexpr, 'jwt') !== undefined && !model.findFunction(['auth', 'jwt'], 0);
    return ok ? { node: n, type, source: { kind: 'sub' } } : undefined;
  }
  const call = x?.FuncCall;
  if (!call || !asText) return undefined;
  const parts = nameParts(call.funcname);
  const args = (call.args ?? []).length;
  const own = model.findFunction(parts, args);
  if (own) return own.returnType === 'uuid' ? { node: n, type, source: authCall(x, 'uid') ? { kind: 'uid' } : { kind: 'function', name: parts.join('.') } } : undefined;
  return authCall(x, 'uid') ? { node: n, type, source: { kind: 'uid' } } : undefined;
}

/**
 * The nodes of a tree PostgreSQL evaluates whenever it evaluates the tree, each given to `fn`:
 * not a CASE's results, nor its conditions
 * after the first, nor a COALESCE's arguments after the first — `CASE WHEN auth.uid()::text ~
 * '^[0-9]+$' THEN auth.uid()::text::integer END` never casts a uuid's text (PGlite); with
 * `strict`, nor the operands of an AND or OR after the first, which PL/pgSQL's RETURN does not
 * evaluate once the first decides (PGlite: `RETURN auth.uid()::text ~ '^[0-9]+$' AND
 * auth.uid()::text::int > 0` gives false, no error; a policy's own AND is planned, its
 * comparisons estimated one by one: `auth.uid() IS NOT NULL AND autor = auth.uid()::text::int`
 * fails). Sub-selects are gone into.
 */
function visitEvaluated(root: Node, strict: boolean, fn: (v: Node) => void): void {
  const visit = (v: Node): void => {
    if (Array.isArray(v)) {
      for (const x of v) if (x && typeof x === 'object') visit(x);
      return;
    }
    fn(v);
    const c = v.CaseExpr;
    if (c) {
      if (c.arg) visit(c.arg);
      const first = c.args?.[0]?.CaseWhen?.expr;
      if (first) visit(first);
      return;
    }
    const co = v.CoalesceExpr;
    if (co) {
      if (co.args?.[0]) visit(co.args[0]);
      return;
    }
    const b = v.BoolExpr;
    if (b && strict && b.boolop !== 'NOT_EXPR') {
      if (b.args?.[0]) visit(b.args[0]);
      return;
    }
    if (b?.boolop === 'AND_EXPR' && Array.isArray(b.args)) {
      // (an operand after a digits test of the calls it makes, reading no column: never evaluated for a uuid)
      const guarded = new Set<string>();
      for (const a of b.args) {
        if (!a || typeof a !== 'object') continue;
        if (guarded.size && onlyGuarded(a, guarded)) continue;
        const g = digitsGuardOf(a);
        if (g) guarded.add(g);
        visit(a);
      }
      return;
    }
    for (const k in v) {
      const x = v[k];
      if (x && typeof x === 'object') visit(x);
    }
  };
  if (root && typeof root === 'object') visit(root);
}

/** A pattern no uuid's text matches: digits only, anchored at both ends (`'^[0-9]+$'`, `'^\\d+$'`, a sign allowed). */
const DIGITS_ONLY = /^\^(?:-\?|\[-\+\]\?|\[\+-\]\?)?(?:\[0-9\]|\\d)[+*]\$$/;

/**
 * The call a digits test reads, `auth.uid()::text ~ '^[0-9]+$'`: its name (lower case, dotted),
 * when the test casts a call without arguments (not in a sub-select) to text and matches it with a
 * digits-only pattern (DIGITS_ONLY), which no uuid's text matches: the test is false for each id.
 */
function digitsGuardOf(n: Node): string | undefined {
  const e = n?.A_Expr;
  if (e?.kind !== 'AEXPR_OP' || e.name?.length !== 1 || sval(e.name[0]) !== '~') return undefined;
  const pattern = e.rexpr?.A_Const?.sval?.sval;
  if (typeof pattern !== 'string' || !DIGITS_ONLY.test(pattern)) return undefined;
  let x: Node = e.lexpr;
  let asText = false;
  for (let t = castType(x); t !== undefined; t = castType(x)) {
    if (KEEPS_TEXT.has(t) && !x.TypeCast.typeName?.typmods) asText = true;
    else if (t !== 'uuid' || !asText) return undefined;
    x = x.TypeCast.arg;
  }
  const call = x?.FuncCall;
  if (!asText || !call || call.args?.length) return undefined;
  return nameParts(call.funcname).map((p) => p.toLowerCase()).join('.');
}

/**
 * Whether an AND's operand after digits tests of `guarded` calls is left unevaluated for a uuid:
 * it reads no column and has no sub-select, and calls only those (`auth.uid()::text::int > 0`).
 * PGlite: after `auth.uid()::text ~ '^[0-9]+$'`, alone (the planner puts the cheaper test first)
 * or ORed with another permissive policy (evaluated in the written order), no 22P02. A comparison
 * with a column is estimated as the query is planned, evaluating the cast: 22P02 (`= id`).
 */
function onlyGuarded(n: Node, guarded: ReadonlySet<string>): boolean {
  const c = census(n);
  if (c.columnRefs.length || !c.funcCalls.length || hasSubLink(n)) return false;
  return c.funcCalls.every((f) => !f.args?.length && guarded.has(nameParts(f.funcname).map((p: string) => p.toLowerCase()).join('.')));
}

/**
 * The number casts in a tree that may cast a uuid's text (uuidAsNumber asks the model of them): a
 * cast to a number whose value, under casts and `(select …)`, is a call or `->>`, where
 * PostgreSQL evaluates it whenever it evaluates the tree (visitEvaluated). Kept on the node.
 */
function numberCastsIn(root: Node, strict: boolean): Node[] {
  const out: Node[] = [];
  if (!root || typeof root !== 'object') return out;
  // (no call, or no cast anywhere in the tree: nothing to find, no walk; the bench's policies cast nothing)
  const c = census(root);
  if (c.funcCalls.length === 0 || !c.typeCast) return out;
  visitEvaluated(root, strict, (v) => {
    const type = castType(v);
    if (type === undefined || !NUMBER_TYPES.has(type)) return;
    let x: Node = v.TypeCast.arg;
    for (;;) {
      while (x?.TypeCast) x = x.TypeCast.arg;
      const inner = unwrapSelect(x);
      if (inner === x) break;
      x = inner;
    }
    if (x?.FuncCall || x?.A_Expr) out.push(v);
  });
  return out;
}
const numberCastsOfCalls = memoised((root: Node): Node[] => numberCastsIn(root, false));
const numberCastsOfBody = memoised((root: Node): Node[] => numberCastsIn(root, true));

/** The calls in a tree PostgreSQL evaluates whenever it evaluates the tree (visitEvaluated; `strict` as there): their FuncCall nodes. */
function callsIn(root: Node, strict: boolean): Node[] {
  const out: Node[] = [];
  if (!root || typeof root !== 'object' || census(root).funcCalls.length === 0) return out;
  visitEvaluated(root, strict, (v) => {
    if (v.FuncCall) out.push(v.FuncCall);
  });
  return out;
}
const evaluatedCalls = memoised((root: Node): Node[] => callsIn(root, false));
const evaluatedBodyCalls = memoised((root: Node): Node[] => callsIn(root, true));

/** Every uuid cast through text to a number in a tree (a policy's USING, with its sub-selects) that PostgreSQL evaluates whenever it evaluates the tree, in the order the tree holds them. */
export function uuidsAsNumbers(model: Model, root: Node): UuidAsNumber[] {
  const out: UuidAsNumber[] = [];
  for (const c of numberCastsOfCalls(root)) {
    const u = uuidAsNumber(model, c);
    if (u) out.push(u);
  }
  return out;
}

/** A uuid cast through text to a number in the body of a function a policy calls (helperUuidAsNumber). */
export interface HelperUuidAsNumber {
  /** the cast, in the body of the last function of `chain` */
  cast: UuidAsNumber;
  /** the function the policy calls, then each function the one before calls on the way to the cast (most often the first alone) */
  chain: Func[];
}

/** How deep helperUuidAsNumber follows the calls of helpers into the functions they call. */
const MAX_HELPER_DEPTH = 4;

/**
 * The uuid cast through text to a number (uuidAsNumber) that a function's body evaluates
 * whenever the function runs, if any: `CREATE FUNCTION current_user_id() RETURNS integer … AS $$
 * SELECT auth.uid()::text::integer $$`, `RETURN auth.uid()::text::int;`, `SELECT
 * auth.uid()::text::integer INTO v;` — or a call, so evaluated, of a function whose body does.
 * A policy calling it fails with 22P02 whenever the call is evaluated with an id set (PGlite, as
 * for a cast in the policy's own text). Only what runs at each call:
 * - a `LANGUAGE sql` body: each of its statements (a SQL function runs them all);
 * - a PL/pgSQL body: a statement that no IF branch, loop, CASE statement or EXCEPTION clause
 *   holds (Statement.arms, mayNotRun, caught, handlerOf; the first IF's condition is evaluated),
 *   before any statement that may return or raise (mayNotRun);
 * - in a statement, what visitEvaluated gives with `strict` (not a CASE's results, a COALESCE's
 *   later arguments, an AND's or OR's later operands).
 * Not a body the parser could not read (errors, `lexical`), nor another language. Not a variable
 * holding the caller's id (`v uuid := auth.uid(); RETURN v::text::int` fails alike: not followed).
 * Per model.
 */
export function helperUuidAsNumber(model: Model, f: Func): HelperUuidAsNumber | undefined {
  const cache = memoModel(model, 'uuid-as-number:helpers', () => new Map<Func, HelperUuidAsNumber | null>());
  let hit = cache.get(f);
  if (hit === undefined) cache.set(f, (hit = helperCast(model, f, [f]) ?? null));
  return hit ?? undefined;
}

/** helperUuidAsNumber of the last function of `chain`, reached through the others (none of which it follows again). */
function helperCast(model: Model, f: Func, chain: Func[]): HelperUuidAsNumber | undefined {
  for (const node of evaluatedBodyNodes(f)) {
    const u = numberCastsOfBody(node).map((c) => uuidAsNumber(model, c)).find((x) => x !== undefined);
    if (u) return { cast: u, chain };
    if (chain.length >= MAX_HELPER_DEPTH) continue;
    for (const c of evaluatedBodyCalls(node)) {
      const g = model.findFunction(nameParts(c.funcname), (c.args ?? []).length);
      const inner = g && !chain.includes(g) ? helperCast(model, g, [...chain, g]) : undefined;
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * The first call a policy's expression evaluates whenever it is evaluated (visitEvaluated, not
 * `strict`: as uuidsAsNumbers finds a cast in its own text) of a function whose body casts the
 * caller's uuid through text to a number (helperUuidAsNumber): the call (its FuncCall node) and
 * what its body casts.
 */
export function calledUuidAsNumber(model: Model, root: Node): (HelperUuidAsNumber & { call: Node }) | undefined {
  if (!anyHelperCasts(model)) return undefined;
  for (const c of evaluatedCalls(root)) {
    const f = resolveCall(model, nameParts(c.funcname), (c.args ?? []).length, c);
    const h = f && helperUuidAsNumber(model, f);
    if (h) return { ...h, call: c };
  }
  return undefined;
}

/** Whether a tree (a policy's USING or WITH CHECK) holds a cast to a number uuidsAsNumbers looks at: without one it finds none, whatever the model. */
export function castsToNumberIn(root: Node): boolean {
  return numberCastsOfCalls(root).length !== 0;
}

/** Whether some function body of the model casts a call's value to a number where helperUuidAsNumber looks: without one, calledUuidAsNumber finds none. */
export function anyHelperCasts(model: Model): boolean {
  return memoModel(model, 'uuid-as-number:any-body', anyBodyCasts);
}

/**
 * Whether a function body of the model casts a call's value to a number where helperUuidAsNumber
 * looks (most workspaces: none, and no policy's call is followed). Asked per overload list and kept
 * on it: a re-lint's model shares the lists an edit does not touch, and what is asked reads the
 * functions alone (the bench's ≈ 4,500 functions were each asked again at every re-lint).
 */
function anyBodyCasts(model: Model): boolean {
  let any = false;
  model.functions.forEach((list) => {
    if (any) return;
    let v = bodyCastsOfList.get(list);
    if (v === undefined) bodyCastsOfList.set(list, (v = list.some((f) => evaluatedBodyNodes(f).some((node) => numberCastsOfBody(node).length !== 0))));
    any = v;
  });
  return any;
}
const bodyCastsOfList = new WeakMap<readonly Func[], boolean>();

/** The statements of a function's body that run whenever it runs (helperUuidAsNumber), their nodes in order. */
function evaluatedBodyNodes(f: Func): Node[] {
  const body = f.body;
  if (!body || body.errors.length || body.lexical || f.isProcedure || f.returnsTrigger) return [];
  if (f.language === 'sql') return body.statements.map((s) => s.node);
  if (f.language !== 'plpgsql') return [];
  const out: Node[] = [];
  for (const s of body.statements) {
    if (s.mayNotRun || s.caught?.length || s.handlerOf?.length || s.dynamic) continue;
    // (the first IF's condition runs; its branches, an ELSIF's condition and what the IF holds may not)
    if (s.arms?.length && !(s.armCond && s.arms.length === 2 && s.arms[1] === 0)) continue;
    out.push(s.node);
  }
  return out;
}

/**
 * The digits test written after the AND operand holding `cast` that would have kept it
 * unevaluated had it come first (`auth.uid()::text::int > 0 AND auth.uid()::text ~ '^[0-9]+$'`),
 * if any: PGlite, alone the planner evaluates the cheaper test first and nothing fails; ORed with
 * another permissive policy the AND runs in the written order and fails with 22P02.
 */
export function laterDigitsGuard(root: Node, cast: Node): Node | undefined {
  let found: Node | undefined;
  const visit = (v: Node): void => {
    if (found || !v || typeof v !== 'object') return;
    const b = v.BoolExpr;
    if (b?.boolop === 'AND_EXPR' && Array.isArray(b.args)) {
      const i = b.args.findIndex((a: Node) => nodeContains(a, cast));
      if (i >= 0) {
        for (let j = i + 1; j < b.args.length && !found; j++) {
          const g = digitsGuardOf(b.args[j]);
          if (g && onlyGuarded(b.args[i], new Set([g]))) found = b.args[j];
        }
      }
    }
    for (const k in v) {
      const x = v[k];
      if (x && typeof x === 'object') visit(x);
    }
  };
  visit(root);
  return found;
}
