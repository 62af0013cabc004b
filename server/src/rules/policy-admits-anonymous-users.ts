import type { Model, Policy, Table } from '../analysis/model.js';
import { appliesToRole } from '../analysis/policies.js';
import { activeRows, constBool, exprClauseSpan, policyExprs, textOfFile } from '../analysis/policy-exprs.js';
import { anonymousSignInsOn } from '../analysis/supabase-config.js';
import { defineRule, type Fix } from './types.js';
import { mayHoldPrivilege } from './lib/util.js';
import { bucketWide, trueForRole } from './policy-always-true.js';

const STORAGE_OBJECTS = 'storage.objects';

// With anonymous sign-ins on, Supabase Auth gives anyone who asks (supabase.auth.signInAnonymously())
// a session with the `authenticated` role and a user id of their own; the JWT's `is_anonymous`
// claim is what tells it from a permanent user's. A SELECT policy that only asks for a signed-in
// user (`TO authenticated USING (true)`, `auth.uid() IS NOT NULL`) then admits anyone.

/** What marks an anonymous session in Supabase's JWT. */
const IS_ANONYMOUS = /\bis_anonymous\b/i;
const NOT_ANONYMOUS = "(select (auth.jwt() ->> 'is_anonymous')::boolean) IS NOT TRUE";

/** Whether the policy's text (either statement that wrote it) names the is_anonymous claim. */
function namesClaim(model: Model, p: Policy): boolean {
  for (const loc of [p.loc, p.created]) if (IS_ANONYMOUS.test(textOfFile(model, loc.file).slice(loc.start, loc.end))) return true;
  return false;
}

function fixOf(model: Model, p: Policy): Fix | undefined {
  const e = policyExprs(p).find((x) => x.clause === 'using');
  const span = e && exprClauseSpan(model, e);
  if (!e || !span) return undefined;
  const inner = textOfFile(model, e.file).slice(span.start + 1, span.end - 1).trim();
  const newText = constBool(e.node) === true ? `(${NOT_ANONYMOUS})` : `((${inner}) AND ${NOT_ANONYMOUS})`;
  return { title: `Admit only permanent users in "${p.name}" (is_anonymous is not true)`, kind: 'unsafe', edits: [{ file: e.file, start: span.start, end: span.end, newText }] };
}

/**
 * Whether `anon`, without signing in, reads every row (or every object of `buckets`) already: a
 * permissive SELECT or ALL policy applying to it (TO anon, or PUBLIC) is true for it, and no
 * restrictive one applies to it. Then an anonymous session reads nothing more.
 */
function anonReadsToo(model: Model, policies: readonly Policy[], buckets: string[] | undefined, storage: boolean, t: Table | undefined): boolean {
  if (t && !mayHoldPrivilege(model, t, 'anon', ['select'])) return false;
  const covers = (q: Policy): boolean => {
    if (!q.using) return false;
    if (trueForRole(model, q.using, 'anon')) return true;
    if (!storage || !buckets) return false;
    const theirs = bucketWide(model, q.using, 'anon');
    return !!theirs && buckets.every((b) => theirs.includes(b));
  };
  const reading = (q: Policy) => (q.command === 'select' || q.command === 'all') && appliesToRole(model, q, 'anon');
  return policies.some((q) => q.permissive && reading(q) && covers(q)) && !policies.some((q) => !q.permissive && reading(q));
}

export const policyAdmitsAnonymousUsers = defineRule({
  meta: {
    id: 'policy-admits-anonymous-users',
    description: 'With anonymous sign-ins on, a SELECT policy that only asks for a signed-in user admits anyone: an anonymous session has the authenticated role too.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "Supabase Auth's anonymous sign-ins give anyone a session with the authenticated role and a user id of its own; only the JWT's is_anonymous claim tells it apart, so `TO authenticated USING (true)` or `auth.uid() IS NOT NULL` is true for anyone who signs in anonymously.",
    sources: ['splinter 0012 auth_allow_anonymous_sign_ins'],
    shownBy: { exposure: 'anonymous' },
  },
  check({ model, config, report }) {
    const by = anonymousSignInsOn(config);
    if (!by) return;
    for (const row of activeRows(model)) {
      const p = row.policy;
      const t = row.table;
      const using = p.using;
      // (Supabase Storage's objects, which the platform makes: read through the Storage API with the session's JWT, under these policies)
      const storage = p.table === STORAGE_OBJECTS;
      if (!using || !p.permissive || p.command !== 'select' || !(storage || (t && config.exposedSchemas.includes(t.schema)))) continue;
      if (!appliesToRole(model, p, 'authenticated')) continue;
      // (on storage.objects, also a condition on the bucket alone: every object of the bucket)
      const buckets = storage && !trueForRole(model, using, 'authenticated') ? bucketWide(model, using, 'authenticated') : undefined;
      if (!buckets && !trueForRole(model, using, 'authenticated')) continue;
      const policies = t ? t.policies : model.policies.filter((q) => q.table === p.table);
      // (public by intent: anon reads the same rows without signing in, by this policy or another)
      if (anonReadsToo(model, policies, buckets, storage, t)) continue;
      if (t && !mayHoldPrivilege(model, t, 'authenticated', ['select'])) continue;
      if (namesClaim(model, p)) continue;
      // (a RESTRICTIVE policy keeping anonymous sessions out, as Supabase's guide writes it)
      if (policies.some((q) => !q.permissive && (q.command === 'select' || q.command === 'all') && appliesToRole(model, q, 'authenticated') && namesClaim(model, q))) continue;
      const where = by === 'setting' ? 'the setting anonymousSignIns says anonymous sign-ins are on' : `${by} turns anonymous sign-ins on ([auth] enable_anonymous_sign_ins = true)`;
      const fix = fixOf(model, p);
      const what = buckets ? `every object of bucket${buckets.length > 1 ? 's' : ''} ${buckets.map((b) => `'${b}'`).join(', ')}` : `every row of ${p.table}`;
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on ${p.table} (FOR SELECT) admits ${buckets ? what : 'every row'} to every signed-in user (its USING asks only ${buckets ? 'for the bucket and ' : ''}that the request is signed in), and ${where}: ` +
          `anyone can get a signed-in session with supabase.auth.signInAnonymously(), and such a session has the authenticated role and a user id of its own, so it passes this policy and reads ${what}, with nothing but the project's public anon key. ` +
          `Supabase marks these sessions with the JWT claim is_anonymous: add AND ${NOT_ANONYMOUS} to the USING (or a RESTRICTIVE policy saying so), or turn anonymous sign-ins off if the app does not use them.`,
        fixes: fix ? [fix] : [],
      });
    }
  },
});
