import type { Model } from '../analysis/model.js';
import { constValue, memoised } from '../analysis/ast.js';
import { settingRead, stripComments, sval, walk } from '../analysis/parse.js';
import { activeRowsWith, BODY_ROLE_ASK, bodyFlags, FLAG_ROLE_ASK, functionsCalledByPolicies, memoModel, textOfFile } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { authCallOf, bareValue, bodyText, onSupabasePlatform, quotedAt } from './lib/util.js';
import { asksRole } from './policy-always-true.js';
import { listOr } from '../analysis/words.js';

// Through Supabase's API, the JWT's `role` claim is the database role PostgREST runs the request
// as (anon, authenticated, service_role): `auth.jwt() ->> 'role' = 'admin'` (or `auth.role() =
// 'admin'`) is never true, because PostgREST cannot switch to a role the database does not have.
// Application roles belong in app_metadata, which only the server sets.

/** The roles PostgREST runs Supabase's requests as. */
const API_ROLES = new Set(['anon', 'authenticated', 'service_role']);

interface Miss {
  file: string;
  /** the constant's location and its text (of an IN list's or ARRAY's, the first one's) */
  at: number;
  literal: string;
  value: string;
  /** the range's end: the last constant's end (an IN list's or ARRAY's), else the constant's */
  end: number;
  /** every constant compared with, as written ('admin', 'enterprise') and as values */
  literals: string[];
  values: string[];
  /** the expression asking the role */
  ask: Node;
  orBranch: boolean;
  /** in a policy's expression: the policy's row and the clause */
  row?: object;
  clause?: 'USING' | 'WITH CHECK';
}

const stringOf = (n: Node): string | undefined => {
  const v = constValue(n?.TypeCast ? n.TypeCast.arg : n);
  return typeof v === 'string' ? v : undefined;
};
const constLoc = (n: Node): number => (n?.TypeCast ? n.TypeCast.arg : n)?.A_Const?.location ?? -1;

/**
 * The request's role as asked of auth (asksRole: `auth.role()`, `auth.jwt() ->> 'role'`) or of
 * the request settings PostgREST sets (`current_setting('request.jwt.claims', true)::jsonb ->>
 * 'role'`, `current_setting('request.jwt.claim.role', true)`).
 */
function asksRequestRole(n: Node): boolean {
  if (asksRole(n)) return true;
  const b = bareValue(n);
  // (coalesce(<the role>, …): the role claim is always set through the API, so coalesce returns it)
  const first = b?.CoalesceExpr?.args?.[0];
  if (first) return asksRequestRole(first);
  const call = b?.FuncCall;
  if (call) return settingRead(call) === 'request.jwt.claim.role';
  const x = b?.A_Expr;
  if (!x || x.kind !== 'AEXPR_OP' || sval(x.name?.[0]) !== '->>' || constValue(x.rexpr) !== 'role') return false;
  const claims = claimsCall(x.lexpr);
  return !!claims && settingRead(claims) === 'request.jwt.claims';
}

/** The call under casts, NULLIF(…, '') and COALESCE(…, '{}') of an expression: where `current_setting('request.jwt.claims', true)` is read. */
function claimsCall(n: Node): Node | undefined {
  const b = bareValue(n);
  if (b?.A_Expr?.kind === 'AEXPR_NULLIF') return claimsCall(b.A_Expr.lexpr);
  if (b?.CoalesceExpr?.args?.[0]) return claimsCall(b.CoalesceExpr.args[0]);
  return b?.FuncCall;
}

/** A comparison of the request's role with strings only (`= 'admin'`, `IN ('admin', 'owner')`). */
interface RoleComparison {
  ask: Node;
  values: Node[];
  strings: string[];
  /** within a branch of an OR (which its other branches may still make true) */
  orBranch: boolean;
}

/**
 * The comparisons of the request's role with strings in a node, found once per node: what a
 * re-lint asks again (which of those strings are roles) depends on the model, the walk does not.
 */
const roleComparisons = memoised((node: Node): RoleComparison[] => {
  const out: RoleComparison[] = [];
  const scan = (root: Node, orBranch: boolean): void =>
    walk(root, (k, v) => {
      // the branches of an OR: the comparison is one way in among others
      if (k === 'BoolExpr' && v.boolop === 'OR_EXPR' && (v.args?.length ?? 0) > 1) {
        for (const a of v.args) scan(a, true);
        return false;
      }
      // (under NOT, a comparison never true makes its expression always true: another mistake)
      if (k === 'BoolExpr' && v.boolop === 'NOT_EXPR') return false;
      // (where its truth is turned around: `IS NOT TRUE`, `IS NULL`, CASE … THEN false)
      if (k === 'BooleanTest' || k === 'NullTest' || k === 'CaseExpr') return false;
      if (k !== 'A_Expr') return;
      // (a comparison is looked at as a whole, never inside another: `(… = 'admin') = false`)
      if (v.name?.length !== 1 || sval(v.name[0]) !== '=') return false;
      const pairs: Array<[Node, Node[]]> =
        v.kind === 'AEXPR_OP'
          ? [[v.lexpr, [v.rexpr]], [v.rexpr, [v.lexpr]]]
          : v.kind === 'AEXPR_IN'
            ? [[v.lexpr, (v.rexpr?.List?.items ?? v.rexpr ?? []) as Node[]]]
            : v.kind === 'AEXPR_OP_ANY'
              ? [[v.lexpr, (bareValue(v.rexpr)?.A_ArrayExpr?.elements ?? []) as Node[]]]
              : [];
      for (const [ask, values] of pairs) {
        if (!Array.isArray(values) || values.length === 0 || !asksRequestRole(ask)) continue;
        const strings = values.map(stringOf);
        if (strings.every((s): s is string => s !== undefined)) out.push({ ask, values, strings, orBranch });
      }
      return false;
    });
  scan(node, false);
  return out;
});

/**
 * Whether auth.role() is the request's role: Supabase's, or one the migrations make that reads the
 * JWT's role claim and no other. A project's own auth.role() may read another claim first
 * (SSBackend's `->> 'user_role'`, an application role its server puts in the token), and
 * compares true with 'admin' for an administrator.
 */
function standardAuthRole(model: Model): boolean {
  return memoModel(model, 'jwt-role:standard-auth-role', () => {
    const own = model.functions.get('auth.role');
    if (!own?.length) return true;
    return own.every((f) => {
      const text = stripComments(bodyText(model, f));
      const claims = [...text.matchAll(/->>\s*'([^']*)'/g)].map((m) => m[1]!.toLowerCase());
      return claims.every((c) => c === 'role') && (claims.length > 0 || /request\.jwt\.claim\.role\b/i.test(text));
    });
  });
}

/** The comparisons of the request's role with a string no role of the database has, in a node of `file`. */
function missesIn(model: Model, node: Node, file: string, out: Miss[]): void {
  const found = roleComparisons(node);
  if (found.length === 0) return;
  const text = textOfFile(model, file);
  const known = (v: string) => API_ROLES.has(v) || model.roles.has(v);
  for (const { ask, values, strings, orBranch } of found) {
    // (an auth.role() of the migrations' own that reads another claim: not the request's role)
    if (authCallOf(ask) === 'role' && !standardAuthRole(model)) continue;
    // (an IN list naming a role the request can have is true for it)
    if (strings.some(known)) continue;
    const at = constLoc(values[0]!);
    const literal = at >= 0 ? quotedAt(text, at) : undefined;
    if (!literal) continue;
    // (every value of an IN list or ARRAY: none is a role, so each is never true — DevPanatec's
    // `auth.role() IN ('admin', 'enterprise')` was said to compare with 'admin' alone)
    const lastAt = constLoc(values[values.length - 1]!);
    const last = values.length > 1 && lastAt > at ? quotedAt(text, lastAt) : undefined;
    const literals = values.map((v) => {
      const a = constLoc(v);
      return (a >= 0 ? quotedAt(text, a) : undefined) ?? `'${stringOf(v)}'`;
    });
    out.push({ file, at, literal, value: strings[0]!, end: last ? lastAt + last.length : at + literal.length, literals, values: strings, ask, orBranch });
  }
}

/** Fix: ask app_metadata's role instead (`auth.jwt() -> 'app_metadata' ->> 'role'`). */
function fixOf(model: Model, m: Miss): Fix | undefined {
  if (!asksRole(m.ask)) return undefined;
  const text = textOfFile(model, m.file);
  const b = bareValue(m.ask);
  let start: number;
  let end: number;
  const x = b?.A_Expr;
  if (x) {
    start = bareValue(x.lexpr)?.FuncCall?.location ?? -1;
    const at = constLoc(x.rexpr);
    const lit = at >= 0 ? quotedAt(text, at) : undefined;
    if (start < 0 || !lit) return undefined;
    end = at + lit.length;
  } else {
    start = b?.FuncCall?.location ?? -1;
    const call = start >= 0 ? /^"?auth"?\s*\.\s*"?role"?\s*\(\s*\)/i.exec(text.slice(start, start + 40)) : null;
    if (!call) return undefined;
    end = start + call[0].length;
  }
  return {
    title: "Compare app_metadata's role instead (auth.jwt() -> 'app_metadata' ->> 'role'); the server must set it there",
    kind: 'unsafe',
    edits: [{ file: m.file, start, end, newText: x ? "auth.jwt() -> 'app_metadata' ->> 'role'" : "(auth.jwt() -> 'app_metadata' ->> 'role')" }],
  };
}

const WHY =
  "through Supabase's API the JWT's role claim is the database role PostgREST runs the request as (anon, authenticated or service_role), and PostgREST cannot switch to a role the database does not have: " +
  'a JWT claiming one fails before any policy is asked (22023 role does not exist), and every request that gets this far has another role';

export const policyJwtRoleNeverMatches = defineRule({
  meta: {
    id: 'policy-jwt-role-never-matches',
    description: "A policy (or a function it calls) compares the request's role (auth.jwt() ->> 'role', auth.role(), the request.jwt.claims setting) with a name that is no role of the database, such as 'admin': never true.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "PostgREST runs each request as the role its JWT's role claim names, so through Supabase's API that claim is always anon, authenticated or service_role (or another role of the database): compared with 'admin' it is never true, and what the condition admits is admitted to nobody.",
  },
  check({ model, report }) {
    if (!onSupabasePlatform(model) && !model.supabase) return;
    const misses: Miss[] = [];
    const where = new Map<Miss, string>();
    // (the policies whose expressions hold a literal and a call that may ask the request's role)
    for (const row of activeRowsWith(model, FLAG_ROLE_ASK)) {
      for (const e of row.exprs) {
        const before = misses.length;
        missesIn(model, e.node, e.file, misses);
        for (const m of misses.slice(before)) {
          where.set(m, `policy "${row.policy.name}" on ${row.policy.table}`);
          m.row = row;
          m.clause = e === row.check ? 'WITH CHECK' : 'USING';
        }
      }
    }
    // (no function body of the workspace calls role(), jwt() or current_setting() beside a literal: none to follow)
    if (bodyFlags(model) & BODY_ROLE_ASK) for (const { func: f, policy: p } of functionsCalledByPolicies(model)) {
      if (!f.body || f.body.lexical) continue;
      for (const st of f.body.statements) {
        const before = misses.length;
        missesIn(model, st.node, f.created.file, misses);
        for (const m of misses.slice(before)) where.set(m, `function ${f.name}(), which policy "${p.name}" on ${p.table} calls,`);
      }
    }
    const seen = new Set<string>();
    const keyOf = (m: Miss) => `${m.file}\u0000${m.at}`;
    for (const m of misses) {
      if (seen.has(keyOf(m))) continue;
      // (the same comparison in the policy's USING and its WITH CHECK, `USING (auth.jwt() ->> 'role' =
      // 'admin') WITH CHECK (…the same…)`: one finding naming both clauses, its fix editing both;
      // ragtopus-api's "Admins can delete profiles")
      const group: Miss[] = [];
      for (const n of m.row ? misses : [m]) {
        if (n !== m && (n.row !== m.row || n.values.join('\u0000') !== m.values.join('\u0000') || n.orBranch !== m.orBranch || seen.has(keyOf(n)))) continue;
        seen.add(keyOf(n));
        group.push(n);
      }
      const clauses = [...new Set(group.map((n) => n.clause!))];
      const both = clauses.length > 1;
      const fixes = group.map((n) => fixOf(model, n));
      const fix: Fix | undefined = fixes.every((f) => f) ? { ...fixes[0]!, edits: fixes.flatMap((f) => f!.edits) } : undefined;
      const withText = listOr(m.literals, 'or');
      report({
        file: m.file,
        start: m.at,
        end: m.end,
        message:
          (both
            ? `The comparisons of the request's role with ${withText} in the USING and the WITH CHECK of ${where.get(m)} are never true`
            : `The comparison of the request's role with ${withText} in ${where.get(m)} is never true`) +
          ` (these migrations make no role ${listOr(m.values, 'or')}): ${WHY}. ` +
          (m.orBranch
            ? both
              ? `So these branches of its ORs admit nobody: only the other branches decide, and an administrator recognised by these comparisons alone is refused like everyone else, for the rows there are and the new rows alike. `
              : `So this branch of its OR admits nobody: only the other branches decide, and an administrator recognised by this comparison alone is refused like everyone else. `
            : both
              ? `So what they admit is admitted to nobody, neither the rows there are (USING) nor new rows (WITH CHECK): an administrator is refused like everyone else. `
              : `So what it admits is admitted to nobody (an administrator is refused like everyone else). `) +
          `Keep application roles where only the server writes them — app_metadata (auth.jwt() -> 'app_metadata' ->> 'role', set with the service role or a custom access token hook), or a table of roles — and compare that.`,
        ...(group.length > 1 ? { related: group.slice(1).map((n) => ({ file: n.file, start: n.at, end: n.end, message: `the same comparison, in the ${n.clause}` })) } : {}),
        fixes: fix ? [fix] : [],
      });
    }
  },
});
