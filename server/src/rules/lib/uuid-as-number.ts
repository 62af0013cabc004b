// A uuid that tells who the caller is, cast through text to a number: `auth.uid()::text::integer`,
// `(auth.jwt() ->> 'sub')::integer` (Supabase's sub is the user's uuid), `my_id()::text::bigint`
// with my_id() RETURNS uuid. The text of a uuid is never a valid number (8 hex digits, then a
// hyphen), so the cast fails with 22P02 invalid input syntax for type integer whenever the id is
// set, and gives NULL where it is not (Supabase's anon: auth.uid() is NULL). Measured on PGlite
// (policy-type-mismatch's and policy-membership-self-join's tests). policy-type-mismatch reports
// such a cast in a policy; policy-membership-self-join does not take a comparison with one for a
// membership the caller can forge. Pure.
import { census, memoised, typeName } from '../../analysis/ast.js';
import type { Model } from '../../analysis/model.js';
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
 * The number casts in a tree that may cast a uuid's text (uuidAsNumber asks the model of them): a
 * cast to a number whose value, under casts and `(select …)`, is a call or `->>`. Kept on the node.
 */
const numberCastsOfCalls = memoised((root: Node): Node[] => {
  const out: Node[] = [];
  if (!root || typeof root !== 'object' || census(root).funcCalls.length === 0) return out;
  const visit = (v: Node): void => {
    if (Array.isArray(v)) {
      for (const x of v) if (x && typeof x === 'object') visit(x);
      return;
    }
    const type = castType(v);
    if (type !== undefined && NUMBER_TYPES.has(type)) {
      let x: Node = v.TypeCast.arg;
      for (;;) {
        while (x?.TypeCast) x = x.TypeCast.arg;
        const inner = unwrapSelect(x);
        if (inner === x) break;
        x = inner;
      }
      if (x?.FuncCall || x?.A_Expr) out.push(v);
    }
    for (const k in v) {
      const c = v[k];
      if (c && typeof c === 'object') visit(c);
    }
  };
  visit(root);
  return out;
});

/** Every uuid cast through text to a number in a tree (a policy's USING, with its sub-selects), in the order the tree holds them. */
export function uuidsAsNumbers(model: Model, root: Node): UuidAsNumber[] {
  const out: UuidAsNumber[] = [];
  for (const c of numberCastsOfCalls(root)) {
    const u = uuidAsNumber(model, c);
    if (u) out.push(u);
  }
  return out;
}
