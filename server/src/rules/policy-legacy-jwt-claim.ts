import { callSpan, memoised } from '../analysis/ast.js';
import type { Func, Model, Policy } from '../analysis/model.js';
import { sval } from '../analysis/parse.js';
import { onSupabasePlatform } from '../analysis/policies.js';
import { activeRows, rowOf, dollarQuotedBody, functionsCalledByPolicies, memoModel, textOfFile, type PolicyExpr } from '../analysis/policy-exprs.js';
import type { FunctionBody, Node, ParsedFile } from '../analysis/types.js';
import { failsOpen, neverTrueIn, raisesIn, settingCallOf, settingDefaults, type EvalOptions } from '../analysis/unset-context.js';
import { defineRule, type Fix } from './types.js';

// PostgREST used to set one setting per JWT claim (`request.jwt.claim.sub`, `…claim.role`,
// `…claim.email`). Since PostgREST 9 it sets only `request.jwt.claims`, the whole payload as JSON,
// on PostgreSQL 14 and later, and since PostgREST 12 (db-use-legacy-gucs removed) on every
// PostgreSQL: Supabase runs a recent PostgREST, so a policy or function reading the per-claim
// setting reads it unset in every request (NULL with missing_ok, else 42704). Found in
// vip-drive-florida (calibration), whose SECURITY DEFINER dispatcher_list_bookings() admits a
// dispatcher by `lower(d.email) = lower(coalesce(current_setting('request.jwt.claim.email', true), ''))`:
// it returns nothing to anyone through the API.

const PREFIX = 'request.jwt.claim.';

/** What the value read sits in, nearest first: a comparison, coalesce()'s first arguments, an IS [NOT] NULL test, a negation (NOT, IS DISTINCT FROM, <>), or none of these (`v_role := current_setting(…)`: the value itself). */
type Shape = 'compare' | 'default' | 'null-test' | 'negated' | 'value';

interface LegacyRead {
  /** the FuncCall value (its location is read when reported: a kept node's offset is its own) */
  call: Node;
  setting: string;
  claim: string;
  missingOk: boolean;
  shape: Shape;
}

/** A read of the request's claims that works through PostgREST 12: `request.jwt.claims`, or Supabase's auth.uid() / jwt() / role() / email(). */
function readsClaims(n: Node): boolean {
  let found = false;
  const visit = (v: Node): void => {
    if (found || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    const call = v.FuncCall;
    if (call) {
      const s = settingCallOf(call);
      if (s?.setting === 'request.jwt.claims') return void (found = true);
      const name: Node[] = call.funcname ?? [];
      if (name.length === 2 && sval(name[0])?.toLowerCase() === 'auth' && ['uid', 'jwt', 'role', 'email'].includes(sval(name[1])?.toLowerCase() ?? '')) return void (found = true);
    }
    for (const k in v) visit(v[k]);
  };
  visit(n);
  return found;
}

/**
 * The reads of a per-claim setting in an expression or statement, with what each sits in. A read
 * in a coalesce() one of whose other arguments reads the claims another way is left out: the
 * fallback answers (Supabase's own auth.uid() of 2021, `coalesce(current_setting('request.jwt.claim.sub',
 * true), (current_setting('request.jwt.claims', true)::jsonb ->> 'sub'))`).
 */
const legacyReads = memoised((root: Node): LegacyRead[] => {
  const out: LegacyRead[] = [];
  const visit = (v: Node, shape: Shape): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, shape);
      return;
    }
    if (v.FuncCall) {
      const s = settingCallOf(v.FuncCall);
      if (s && s.setting.startsWith(PREFIX) && s.setting.length > PREFIX.length) {
        out.push({ call: v.FuncCall, setting: s.setting, claim: s.setting.slice(PREFIX.length), missingOk: s.missingOk, shape });
        return;
      }
    }
    if (v.CoalesceExpr) {
      const args: Node[] = v.CoalesceExpr.args ?? [];
      args.forEach((a, i) => {
        if (args.some((b, j) => j !== i && readsClaims(b))) return;
        visit(a, i < args.length - 1 ? 'default' : shape);
      });
      return;
    }
    if (v.NullTest) return visit(v.NullTest.arg, 'null-test');
    if (v.BoolExpr?.boolop === 'NOT_EXPR') return visit(v.BoolExpr.args, 'negated');
    const x = v.A_Expr;
    if (x) {
      const op = x.name?.length === 1 ? sval(x.name[0]) : undefined;
      const negated = x.kind === 'AEXPR_DISTINCT' || x.kind === 'AEXPR_NOT_DISTINCT' || op === '<>' || op === '!=';
      const comparing = negated || (x.kind === 'AEXPR_OP' && (op === '=' || op === '~~' || op === '~~*')) || x.kind === 'AEXPR_IN' || x.kind === 'AEXPR_OP_ANY';
      if (comparing) {
        visit(x.lexpr, negated ? 'negated' : 'compare');
        visit(x.rexpr, negated ? 'negated' : 'compare');
        return;
      }
    }
    for (const k in v) visit(v[k], shape);
  };
  visit(root, 'value');
  return out;
});

/**
 * Whether PostgREST serves this database's requests: a Supabase project, or roles the workspace
 * makes for PostgREST (anon, authenticated) with the request's claims read as `request.jwt.claims`
 * somewhere. An application that sets `request.jwt.claim.sub` from its own server (set_config in
 * code the workspace does not hold), or runs an old PostgREST, reads no `request.jwt.claims`.
 */
function servedByPostgrest(model: Model): boolean {
  if (model.supabase || onSupabasePlatform(model)) return true;
  return (model.roles.has('anon') || model.roles.has('authenticated')) && (textFlags(model) & CLAIMS) !== 0;
}

/** textFlags' bits: a file's text names a per-claim setting (or has escaped strings, which may spell one); it names request.jwt.claims. */
const LEGACY = 1;
const CLAIMS = 2;
const flagsByFile = new WeakMap<ParsedFile, number>();

/**
 * What the model's files' texts say (kept per parsed file): a workspace none of whose texts names
 * `request.jwt.claim.` reads no per-claim setting (on the bench, scanning every file, and walking
 * every policy and definer, was 16 ms of each re-lint).
 */
function textFlags(model: Model): number {
  return memoModel(model, 'legacy-jwt-claim:texts', (m) => {
    let all = 0;
    for (const f of m.files) {
      let v = flagsByFile.get(f);
      if (v === undefined) {
        v = (/request\.jwt\.claim\./i.test(f.text) || /(?<![\w$])[eE]'|[uU]&["']/.test(f.text) ? LEGACY : 0) | (/request\.jwt\.claims\b/i.test(f.text) ? CLAIMS : 0);
        flagsByFile.set(f, v);
      }
      all |= v;
    }
    return all;
  });
}

/** The per-claim settings the migrations set themselves (set_config, SET, a database default): then the application sets them, not PostgREST. */
function setByWorkspace(model: Model): ReadonlySet<string> {
  return memoModel(model, 'legacy-jwt-claim:set', (m) => {
    const out = new Set<string>();
    for (const w of m.contextWrites) if (w.name.startsWith(PREFIX)) out.add(w.name);
    for (const s of settingDefaults(m)) if (s.startsWith(PREFIX)) out.add(s);
    return out;
  });
}

/** Supabase's own auth helpers (the platform's read request.jwt.claims; a dump of them in the migrations is not the project's code). */
const AUTH_HELPERS = new Set(['auth.uid', 'auth.role', 'auth.email', 'auth.jwt']);

const NO_READS: readonly LegacyRead[] = Object.freeze([]);

/**
 * The reads of a per-claim setting in a function body's statements, in order, or undefined when
 * the body reads the claims another way as well (a fallback: Supabase's plpgsql auth.uid() of
 * 2021, `CASE WHEN sub IS NOT NULL THEN … ELSE claims::json ->> 'sub'`). Kept with the body (a
 * re-lint keeps the bodies of the files it did not parse again): it reads only the body's
 * parsed statements, and holds their nodes, no offset. Shared: do not mutate.
 */
const readsByBody = new WeakMap<FunctionBody, readonly LegacyRead[] | null>();

function bodyReads(body: FunctionBody): readonly LegacyRead[] | undefined {
  let v = readsByBody.get(body);
  if (v === undefined) {
    if (body.statements.some((s) => readsClaims(s.node))) v = null;
    else {
      const all = body.statements.flatMap((s) => legacyReads(s.node));
      v = all.length ? all : NO_READS;
    }
    readsByBody.set(body, v);
  }
  return v ?? undefined;
}

const replacementOf = (r: LegacyRead): string => `(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> '${r.claim.replace(/'/g, "''")}')`;

function fixOf(file: string, text: string, reads: Array<{ r: LegacyRead; start: number; end: number }>): Fix | undefined {
  if (reads.length === 0) return undefined;
  return {
    title:
      reads.length === 1
        ? `Read the claim from request.jwt.claims: replace ${text.slice(reads[0]!.start, reads[0]!.end)} with ${replacementOf(reads[0]!.r)}`
        : `Read the claims from request.jwt.claims (${reads.length} calls)`,
    kind: 'unsafe',
    edits: reads.map(({ r, start, end }) => ({ file, start, end, newText: replacementOf(r) })),
  };
}

const WHY =
  'PostgREST no longer sets the per-claim settings request.jwt.claim.<name>: since PostgREST 9 on PostgreSQL 14 and later, and since PostgREST 12 on every PostgreSQL (db-use-legacy-gucs was removed), it sets only request.jwt.claims, the whole JWT payload as JSON';

const fixText = (r: LegacyRead): string =>
  `Read the claim from the payload: ${replacementOf(r)}${r.claim === 'sub' ? ' (or auth.uid())' : r.claim === 'role' ? ' (or auth.role())' : r.claim === 'email' ? ' (or auth.email())' : ''}.`;

/** What a read does when the setting is unset, by the shape it sits in (for a function, whose statements are not evaluated here). */
function shapeText(r: LegacyRead, what = 'call'): string {
  if (!r.missingOk) return `without missing_ok the call raises 42704 unrecognized configuration parameter "${r.setting}" (T15), so every ${what} that reaches it fails`;
  switch (r.shape) {
    case 'default':
      return `it reads NULL, so coalesce() gives its default for every request, whoever signed in`;
    case 'null-test':
      return `it reads NULL, so IS NULL is true of it (and IS NOT NULL false) for every request: a check that lets an unset claim through lets everyone through, one that requires it refuses everyone`;
    case 'negated':
      return `it reads NULL for every request: IS DISTINCT FROM a value is then true and <> or NOT of a comparison NULL, so the test comes out the same whoever signed in — if it is a guard, check which way it now fails`;
    case 'compare':
      return `it reads NULL, and a comparison with NULL is never true: what this comparison admits is admitted to nobody`;
    default:
      // (airev's update_campaign_run_status: `v_caller_role := current_setting('request.jwt.claim.role', true)`, then `IF v_caller_role IS DISTINCT FROM 'service_role' THEN RAISE`)
      return `it reads NULL whoever signed in, so what is computed from it sees no claim: = a value is never true, while IS NULL and IS DISTINCT FROM a value are true for every request`;
  }
}

export const policyLegacyJwtClaim = defineRule({
  meta: {
    id: 'policy-legacy-jwt-claim',
    description:
      "A policy, a function a policy calls, or a SECURITY DEFINER function reads a per-claim setting (current_setting('request.jwt.claim.sub')) that PostgREST 12 and later, which Supabase runs, no longer sets.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "PostgREST sets only request.jwt.claims (the JWT payload as JSON) since version 12 (since 9 on PostgreSQL 14+): current_setting('request.jwt.claim.sub', true) is NULL in every request, so a comparison with it admits nobody and a test of it for NULL may admit everybody; without missing_ok it raises 42704.",
    truths: ['T15'],
  },
  check({ model, report }) {
    if (!(textFlags(model) & LEGACY) || !servedByPostgrest(model)) return;
    const set = setByWorkspace(model);
    const live = (r: LegacyRead) => !set.has(r.setting);

    // Policies: what the clause does with the setting unset is evaluated (unset-context.ts).
    for (const row of activeRows(model)) {
      for (const e of row.exprs) {
        const reads = legacyReads(e.node).filter(live);
        if (reads.length === 0) continue;
        const text = textOfFile(model, e.file);
        const located = reads.flatMap((r) => {
          const span = callSpan(text, r.call.location ?? -1);
          return span ? [{ r, ...span }] : [];
        });
        if (located.length === 0) continue;
        const first = located[0]!;
        const p = row.policy;
        const clause = e.clause === 'using' ? 'USING' : 'WITH CHECK';
        report({
          file: e.file,
          start: first.start,
          end: first.end,
          message:
            `Policy "${p.name}" on ${p.table} reads ${text.slice(first.start, first.end)} in its ${clause}: ${WHY}. ` +
            `This finding assumes PostgREST 12 or later (Supabase runs it) serves the requests: then this setting is unset in every request and ${policyEffect(model, e, first.r)}` +
            `${located.length > 1 ? ` (${located.length - 1} more such call${located.length > 2 ? 's' : ''} in this clause)` : ''}. ${fixText(first.r)}`,
          fixes: [fixOf(e.file, text, located)!],
        });
      }
    }

    // Functions policies call, and SECURITY DEFINER functions (a caller check).
    const callers = new Map<Func, { why: string; policy?: Policy }>();
    for (const { func: f, policy: p } of functionsCalledByPolicies(model)) callers.set(f, { why: `called by policy "${p.name}" on ${p.table}`, policy: p });
    for (const list of model.functions.values()) for (const f of list) if (f.securityDefiner && !callers.has(f)) callers.set(f, { why: 'SECURITY DEFINER' });
    for (const [f, { why, policy }] of callers) {
      if (!f.body || AUTH_HELPERS.has(`${f.schema}.${f.name}`)) continue;
      const all = bodyReads(f.body);
      if (!all || all.length === 0) continue;
      const reads = all.filter(live);
      if (reads.length === 0) continue;
      const file = f.created.file;
      const text = textOfFile(model, file);
      const located = reads.flatMap((r) => {
        const span = callSpan(text, r.call.location ?? -1);
        return span ? [{ r, ...span }] : [];
      });
      if (located.length === 0) continue;
      const first = located[0]!;
      const fix = dollarQuotedBody(model, f) ? fixOf(file, text, located) : undefined;
      report({
        file,
        start: first.start,
        end: first.end,
        message:
          `Function ${f.signature} (${why}) reads ${text.slice(first.start, first.end)}: ${WHY}. ` +
          `This finding assumes PostgREST 12 or later (Supabase runs it) serves the requests: then this setting is unset in every request and ${(policy && callerEffect(model, policy, first.r)) ?? shapeText(first.r)}` +
          `${located.length > 1 ? ` (${located.length - 1} more such call${located.length > 2 ? 's' : ''} in this function)` : ''}. ${fixText(first.r)}`,
        fixes: fix ? [fix] : [],
      });
    }
  },
});

const FILTER: EvalOptions = Object.freeze({ mode: 'filter' });
const CHECK: EvalOptions = Object.freeze({ mode: 'check' });

/** What the policy's clause does with the setting never set (PostgREST's case), as the evaluator finds it (through the SQL helpers it calls too), if it decides. */
function clauseEffect(model: Model, e: PolicyExpr, r: LegacyRead, clause = 'the clause'): string | undefined {
  const key = `setting:${r.setting}`;
  const opts = e.clause === 'using' ? FILTER : CHECK;
  // (with missing_ok the read itself is NULL: a raise the evaluator cannot rule out is some other call's,
  // e.g. a helper it does not follow, so it is not this read's to claim: PropertyPro's pp_rls_effective_role)
  if (!r.missingOk && raisesIn(model, e.node, key, 'never', opts)) return `the call, without missing_ok, raises 42704 unrecognized configuration parameter "${r.setting}" (T15): every statement the policy applies to fails`;
  if (failsOpen(model, e.node, key, opts).some((s) => s.state === 'never')) return `${clause} admits every row (it fails open: policy-context-fails-open says the same of an unset setting)`;
  if (neverTrueIn(model, e.node, key, 'never', opts)) return `${clause} is never true: the policy admits no row, and what it grants silently stops working`;
  return undefined;
}

function policyEffect(model: Model, e: PolicyExpr, r: LegacyRead): string {
  return clauseEffect(model, e, r) ?? shapeText(r, 'statement');
}

/** The same for the policy that calls a function reading the setting, when one of its clauses decides. */
function callerEffect(model: Model, p: Policy, r: LegacyRead): string | undefined {
  for (const e of rowOf(model, p).exprs) {
    const said = clauseEffect(model, e, r, `the policy's ${e.clause === 'using' ? 'USING' : 'WITH CHECK'}`);
    if (said) return said;
  }
  return undefined;
}
