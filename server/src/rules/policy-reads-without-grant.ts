import { identEnd, matchParen, roleText } from '../analysis/ast.js';
import type { Model, Policy, Table, View } from '../analysis/model.js';
import { sval, walk } from '../analysis/parse.js';
import type { Node } from '../analysis/types.js';
import { roleList } from '../analysis/policies.js';
import { textOfFile } from '../analysis/policy-exprs.js';
import { defineRule, type Fix } from './types.js';
import { authCallOf, columnRef, insertAfter, mayRunPolicyCommand, quoteIdent, where } from './lib/util.js';
import { cannotReadKept, supabasesAuthTable, supabasesAuthUsers, unreadableReads } from './lib/unreadable.js';
import { membersOf, ownsOrSuperuser, privilegesOf } from '../analysis/privileges.js';

// A policy's sub-select runs as the role whose query the policy filters: PostgreSQL checks that
// role's privileges on every table the sub-select reads, and without SELECT the whole query fails
// with 42501 permission denied for table … (measured). The best-known case is Supabase's
// auth.users, on which anon and authenticated have no privilege; a table of the migrations in a
// schema the grants do not reach is the other.

/**
 * The span of `(SELECT email FROM auth.users WHERE id = auth.uid())` (the user's own email, the
 * usual read of auth.users) when it is the sub-select reading auth.users at `location`.
 */
function ownEmailSubselect(model: Model, file: string, e: Node, location: number): { start: number; end: number } | undefined {
  let span: { start: number; end: number } | undefined;
  walk(e, (key, v) => {
    if (span) return false;
    if (key !== 'SubLink' || v.subLinkType !== 'EXPR_SUBLINK') return;
    const q = v.subselect?.SelectStmt;
    const from = q?.fromClause;
    if (!q || from?.length !== 1 || from[0].RangeVar?.location !== location || q.targetList?.length !== 1) return;
    if (q.groupClause || q.havingClause || q.withClause || q.distinctClause || q.sortClause || q.limitCount || q.limitOffset) return;
    const alias: string = from[0].RangeVar.alias?.aliasname ?? 'users';
    const col = columnRef(q.targetList[0].ResTarget?.val);
    if (col?.name !== 'email' || (col.qual !== undefined && col.qual !== alias)) return;
    const w = q.whereClause?.A_Expr;
    if (!w || w.kind !== 'AEXPR_OP' || w.name?.length !== 1 || sval(w.name[0]) !== '=') return;
    const id = (c: Node) => {
      const f = columnRef(c);
      return f?.name === 'id' && (f.qual === undefined || f.qual === alias);
    };
    if (!((id(w.lexpr) && authCallOf(w.rexpr) === 'uid') || (id(w.rexpr) && authCallOf(w.lexpr) === 'uid'))) return;
    const text = textOfFile(model, file);
    if (text[v.location] !== '(') return;
    const close = matchParen(text, v.location);
    if (close > v.location) span = { start: v.location, end: close + 1 };
  });
  return span;
}

/**
 * What a denied role's members get: the policy applies to every member of the role it names, and
 * PostgreSQL checks the privileges of the member running the query, so a member that holds SELECT
 * on the table read itself passes, while one that does not fails like the role (measured on PGlite:
 * a group role's policy reading a table only one of its two members may read).
 */
function membersText(model: Model, g: { policy: Policy; table: Table; key: string; roles: string[] }, rel: Table | View, cmd: string): string {
  const parts: string[] = [];
  for (const role of g.roles) {
    const ms = membersOf(model, role).filter((m) => m !== role && model.roleBypassesRls(m) !== true);
    const readers = ms.filter((m) => ownsOrSuperuser(model, rel, m) || privilegesOf(model, rel, m).has('select'));
    if (!readers.length) continue;
    const failing = ms.filter((m) => !readers.includes(m) && cannotReadKept(model, g.key, m) && mayRunPolicyCommand(model, g.table, g.policy, m));
    const one = readers.length === 1;
    parts.push(
      `The policy applies to ${roleText(role)}'s members too, and ${roleList(readers)} ${one ? 'holds' : 'hold'} SELECT on ${g.key} ${one ? 'itself' : 'themselves'}: ${one ? 'its' : 'their'} queries pass this check` +
        (failing.length
          ? `; ${roleList(failing)}, also ${failing.length === 1 ? 'a member' : 'members'}, ${failing.length === 1 ? 'does' : 'do'} not, and ${failing.length === 1 ? 'its' : 'their'} ${cmd === 'query' ? 'queries' : `${cmd}s`} fail the same way.`
          : `, and only a ${cmd} run as ${roleText(role)} itself (after SET ROLE ${roleText(role)}) fails.`),
    );
  }
  return parts.length ? ' ' + parts.join(' ') : '';
}

function commandText(p: Policy): string {
  return p.command === 'all' ? 'query' : p.command.toUpperCase();
}

export const policyReadsWithoutGrant = defineRule({
  meta: {
    id: 'policy-reads-without-grant',
    description: 'A policy reads a table in a sub-select that a role it applies to has no SELECT privilege on: every query of that role the policy filters fails with 42501.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "A policy's sub-select runs with the privileges of the role whose query it filters: without SELECT on a table the sub-select reads, the whole query fails with 42501 permission denied for table … (Supabase's auth.users is the usual one).",
    shownBy: { probe: ['42501'], asPolicyRole: true },
  },
  check({ model, report }) {
    for (const g of unreadableReads(model)) {
      const p = g.policy;
      const t = g.table;
      // (the table read: one of the model's, or Supabase's auth.users, which the migrations may not create)
      const rel = model.tables.get(g.key) ?? model.views.get(g.key);
      const view = rel && !model.tables.has(g.key) ? (rel as View) : undefined;
      // (as PostgreSQL names the relation in its 42501: measured on PGlite)
      const kind = view?.foreign ? 'foreign table' : view?.materialized ? 'materialized view' : view ? 'view' : 'table';
      const authUsers = supabasesAuthUsers(model, g.key);
      // (another of Supabase Auth's tables, which the migrations do not create: auth.mfa_factors…)
      const authTable = !authUsers && supabasesAuthTable(model, g.key);
      const name = rel?.name ?? (authTable ? g.key.slice(g.key.indexOf('.') + 1) : 'users');
      const one = g.roles.length === 1;
      // (the last REVOKE of SELECT on it from one of the roles, if the migrations have one: deptrai/suna's
      // security migration taking back a GRANT on purpose)
      const revoke = authUsers || authTable ? undefined : [...model.grantEvents].reverse().find((e) => !e.isGrant && e.objectKind === 'table' && (e.objects.includes(g.key) || e.objects.includes(`schema:${g.key.slice(0, g.key.indexOf('.'))}`)) && (e.privileges.includes('select') || e.privileges.includes('all')) && e.grantees.some((r) => r === 'public' || g.roles.includes(r)));
      const why = authUsers
        ? `Supabase grants anon and authenticated no privilege on auth.users (it holds every account's email, phone and password hash), and these migrations grant ${one ? 'it' : 'them'} none`
        : authTable
          ? `Supabase grants anon and authenticated no privilege on the tables of its Auth server in schema auth, ${g.key} among them, and these migrations grant ${one ? 'it' : 'them'} none`
          : revoke
          ? `the REVOKE at ${where(model, revoke.loc)} takes it from ${one ? 'it' : 'them'}`
          : `these migrations grant ${one ? 'it' : 'them'} none`;
      const cmd = commandText(p);
      const what = authUsers
        ? "Do not grant SELECT on auth.users: it would let every user read every account. Read what the policy needs without it: the signed-in user's email is (select auth.jwt() ->> 'email'); " +
          "anything else, from a SECURITY DEFINER function with SET search_path = '' that returns only that value for auth.uid(), called from the policy."
        : authTable
          ? `Do not grant SELECT on ${g.key}: it would let every user read every account's rows of it. Read what the policy needs through a SECURITY DEFINER function with SET search_path = '' that returns only that value for auth.uid() (e.g. whether the caller has a verified MFA factor), called from the policy.`
          : revoke
          ? `If that REVOKE is meant, read ${g.key} through a SECURITY DEFINER function (with SET search_path) that returns only what the policy needs, or apply the policy only to roles that hold the privilege; granting SELECT back undoes the REVOKE.`
          : `GRANT SELECT ON ${g.key} TO ${g.roles.map(quoteIdent).join(', ')} (${view?.foreign ? 'a foreign table has no row-level security: the sub-select then reads every row its server returns' : 'its own row-level security then filters what the sub-select sees'}), or read it through a SECURITY DEFINER function that returns only what the policy needs.`;
      const file = p.loc.file;
      const own = authUsers ? [p.using, p.withCheck].map((e) => e && ownEmailSubselect(model, file, e, g.location)).find((x) => x) : undefined;
      // (no GRANT on a table of Supabase Auth's: it would open every account's rows of it)
      const fixes: Fix[] = authTable
        ? []
        : authUsers
          ? own
            ? [{ title: "Read the user's email from their JWT: (select auth.jwt() ->> 'email')", kind: 'unsafe', edits: [{ file, ...own, newText: "(select auth.jwt() ->> 'email')" }] }]
            : []
          : [
              {
                title: `GRANT SELECT ON ${g.key} TO ${g.roles.map(quoteIdent).join(', ')}${revoke ? ` (undoes the REVOKE at ${where(model, revoke.loc)})` : ''}`,
                kind: 'unsafe',
                edits: [insertAfter(model, p.loc, [`GRANT SELECT ON ${quoteIdent(rel!.schema)}.${quoteIdent(name)} TO ${g.roles.map(quoteIdent).join(', ')};`])],
              },
            ];
      // (roles that hold no SELECT on the policy's own table either: PostgreSQL checks the statement's own
      // table first, and a statement that reads a column of it needs SELECT there, so it is refused on that
      // table before the policy's sub-select is checked. rifkiri/betterme, anon after its REVOKEs: PGlite,
      // UPDATE goals SET title = 'x' fails with permission denied for table goal_assignments, and
      // UPDATE goals SET title = 'y' WHERE id = 1 with permission denied for table goals)
      const blind = p.command === 'select' ? [] : g.roles.filter((r) => cannotReadKept(model, t.key, r));
      const readsColumn = `reads a column of ${t.key} (in a WHERE, a SET expression or RETURNING)`;
      const fails =
        blind.length && blind.length === g.roles.length
          ? `so every ${cmd} on ${t.key} by ${roleList(g.roles)} fails with 42501: ${cmd === 'query' ? `a SELECT, or a statement that ${readsColumn}, with permission denied for table ${t.name}, as ${one ? 'it has' : 'they have'} no SELECT on ${t.key} either; an INSERT, UPDATE or DELETE that reads none` : `one that ${readsColumn} with permission denied for table ${t.name}, as ${one ? 'it has' : 'they have'} no SELECT on ${t.key} either; one that reads none`} with permission denied for ${kind} ${name}.`
          : `so every ${cmd} on ${t.key} by ${roleList(g.roles)} fails with 42501 permission denied for ${kind} ${name}.` +
            (blind.length ? ` (${roleList(blind)} ${blind.length === 1 ? 'has' : 'have'} no SELECT on ${t.key} either: ${cmd === 'query' ? `a SELECT of ${blind.length === 1 ? 'it' : 'theirs'}, or a statement that ${readsColumn},` : `a ${cmd} of ${blind.length === 1 ? 'its' : 'theirs'} that ${readsColumn}`} fails before that, with permission denied for table ${t.name}.)` : '');
      report({
        file,
        start: g.location,
        end: identEnd(textOfFile(model, file), g.location),
        message:
          `Policy "${p.name}" on ${t.key} reads ${g.key} in a sub-select, but ${roleList(g.roles)} ${one ? 'has' : 'have'} no SELECT privilege on it: ${why}. ` +
          `PostgreSQL checks the privileges of the role running the query on every table a policy reads, ${fails}` +
          (rel ? membersText(model, g, rel, cmd) : '') +
          ' ' +
          what,
        fixes,
      });
    }
  },
});
