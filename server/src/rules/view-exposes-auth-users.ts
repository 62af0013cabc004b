import { roleText } from '../analysis/ast.js';
import type { Model, View } from '../analysis/model.js';
import { revokedFrom, rolesActingAs } from '../analysis/privileges.js';
import { defineRule, type Fix } from './types.js';
import { roleList } from '../analysis/policies.js';
import { AUTH_USERS, authUsersText, supabaseAuthUsers, insertAfter, lastGrantOf, looksAtCaller, mayReadAuthUsers, quoteIdent, textOf, usesSchema, where } from './lib/util.js';
import { invokerFix, mayBeDropped, neverCreated, readsAsCaller, viewNameSpan } from './lib/views.js';

/** The API roles, and PUBLIC, that may read through a view. */
const READERS = ['public', 'anon', 'authenticated'] as const;

/**
 * The views from `v` to one that reads auth.users itself, when it does through views that
 * are not security_invoker (each reads the next with its own owner's rights; a materialized
 * one stores what it read). A security_invoker view on the way checks auth.users as the role
 * querying the outer view, which has no privilege on it: not followed.
 */
function pathToAuthUsers(model: Model, v: View, seen: Set<View>): View[] | undefined {
  if (seen.has(v)) return undefined;
  seen.add(v);
  if (v.reads.has(AUTH_USERS)) return [v];
  for (const k of v.reads) {
    const inner = model.views.get(k);
    if (!inner || readsAsCaller(model, inner)) continue;
    const rest = pathToAuthUsers(model, inner, seen);
    if (rest) return [v, ...rest];
  }
  return undefined;
}

/**
 * Who may select from the view, with USAGE on its schema: PUBLIC, or anon and authenticated,
 * granted or by Supabase's default privileges in public. A database with Supabase's auth.users
 * is Supabase's, so those are assumed outside supabase/migrations/ too, unless revoked.
 */
function readersOf(model: Model, v: View): { roles: string[]; granted: string[] } {
  if (usesSchema(model, v.schema, 'public') && v.grants.get('public')?.has('select')) return { roles: ['public'], granted: ['public'] };
  const roles: string[] = [];
  const granted: string[] = [];
  for (const r of READERS) {
    if (r === 'public' || !usesSchema(model, v.schema, r)) continue;
    if (rolesActingAs(model, r).some((x) => v.grants.get(x)?.has('select'))) {
      roles.push(r);
      granted.push(r);
    } else if (v.schema === 'public' && !revokedFrom(model, v, r)) roles.push(r);
  }
  return { roles, granted };
}

function revokeFix(model: Model, v: View, roles: readonly string[]): Fix {
  const list = roles.map((r) => (r === 'public' ? 'PUBLIC' : quoteIdent(r))).join(', ');
  return {
    title: `Revoke SELECT on ${v.key} from ${list}`,
    kind: 'unsafe',
    edits: [insertAfter(model, lastGrantOf(model, v.created, 'table', [v.key], roles), [`REVOKE SELECT ON ${textOf(model, viewNameSpan(model, v))} FROM ${list};`])],
  };
}

export const viewExposesAuthUsers = defineRule({
  meta: {
    id: 'view-exposes-auth-users',
    description: "A view (not security_invoker) or materialized view that the API roles may read reads Supabase's auth.users.",
    severity: 'error',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "A view reads its tables with its owner's privileges: through one that postgres owns, anon and authenticated read auth.users, every account's email, phone and metadata, on which they have no privilege of their own.",
    truths: ['T18'],
    sources: ['splinter 0002 auth_users_exposed'],
    shownBy: { exposure: 'view' },
  },
  check({ model, report }) {
    // (a workspace that creates auth.users itself models it: view-bypasses-rls looks at it)
    if (!supabaseAuthUsers(model)) return;
    for (const v of model.views.values()) {
      if (readsAsCaller(model, v) || mayBeDropped(model, v) || neverCreated(model, v)) continue;
      const rv = v.materialized ? v.stmt.node?.into?.rel : v.stmt.node?.view;
      if (rv?.relpersistence === 't') continue; // a temporary view lives in one session
      const path = pathToAuthUsers(model, v, new Set());
      if (!path) continue;
      // the readers that may read auth.users themselves (granted by the migrations) get nothing they could not
      const readers = readersOf(model, v);
      const roles = readers.roles.filter((r) => !mayReadAuthUsers(model, r));
      const granted = readers.granted.filter((r) => roles.includes(r));
      if (roles.length === 0) continue;
      // an owner known to be an ordinary role without SELECT on auth.users gets 42501 itself
      const owners = path.map((w) => w.owner?.role);
      if (owners.some((o) => o !== undefined && model.roleBypassesRls(o) === false && !model.roles.get(o)?.superuser && !mayReadAuthUsers(model, o))) continue;
      // a view that looks at who is asking (e.g. WHERE id = auth.uid()) shows each caller what it chose
      if (path.some((w) => looksAtCaller(model, w.stmt.node?.query))) continue;
      const owner = v.owner?.role;
      const ownerText = owner ? `its owner, ${roleText(owner)}` : 'its owner (on Supabase, postgres, which runs the migrations and may read auth.users)';
      const byDefault = roles.filter((r) => !granted.includes(r));
      const defaults = "Supabase's default privileges on new tables and views in public, which these migrations do not take away";
      const whoText =
        roles[0] === 'public'
          ? 'PUBLIC (every role, anon and authenticated included)'
          : byDefault.length === 0
            ? roleList(roles)
            : granted.length === 0
              ? `${roleList(roles)} (by ${defaults})`
              : `${roleList(roles)} (${roleList(granted)} by a GRANT, ${roleList(byDefault)} by ${defaults})`;
      const read = roles.length === 1 && roles[0] !== 'public' ? 'reads' : 'read';
      const through = path.length > 1 ? ` (through ${path.slice(1).map((w) => w.key).join(', then ')})` : '';
      const at = viewNameSpan(model, v);
      const related = path.slice(1).map((w) => ({ ...viewNameSpan(model, w), message: `${w.key} (${w.materialized ? 'materialized view' : 'view, not security_invoker'}; created at ${where(model, w.created)})` }));
      const what = authUsersText(model);
      const advice =
        'Serve only what each user may see: a public profiles table filled by a trigger on auth.users, with its own policies, or a filter on the caller (`WHERE id = (select auth.uid())`).';
      const revokeText = `revoke SELECT on it from ${roles.map(roleText).join(', ')}`;
      const fixes: Fix[] = [];
      if (!v.materialized) fixes.push({ title: `Make ${v.key} security_invoker (PostgreSQL 15+; its readers then get 42501 for auth.users)`, kind: 'unsafe', edits: invokerFix(model, v) });
      fixes.push(revokeFix(model, v, roles));
      report({
        ...at,
        message: v.materialized
          ? `Materialized view ${v.key} stores data of auth.users${through}, ${what}: it read them with the privileges of ${ownerText} when it was created or refreshed, ` +
            `and a materialized view has no row-level security or security_invoker of its own, so ${whoText} ${read} what it stored of other users' accounts. ` +
            `${advice} Or ${revokeText}.`
          : `View ${v.key} reads auth.users${through}, ${what}, but is not security_invoker: PostgreSQL reads the tables behind a view with the privileges of ${ownerText}, not of the querying role (T18). ` +
            `So ${whoText} ${read} what it selects of other users' accounts, as it never looks at who is asking (no \`auth.uid()\`, \`auth.jwt()\`, \`current_user\`). ` +
            `${advice} Or make it security_invoker (its readers then get 42501 permission denied for auth.users), or ${revokeText}.`,
        related,
        fixes,
      });
    }
  },
});
