import type { Model, Table } from '../analysis/model.js';
import { roleName, roleText } from '../analysis/ast.js';
import type { Loc, Node } from '../analysis/types.js';
import { finalRoleName, groupsOf } from '../analysis/privileges.js';
import { anyStatementIn } from '../analysis/policy-exprs.js';
import { defineRule, type Fix } from './types.js';
import { fileOf, removeStatement, tableList } from './lib/util.js';

/** Roles that skip row-level security themselves: granting them to one another changes nothing. */
function bypasses(model: Model, role: string): boolean {
  if (model.roleBypassesRls(role)) return true;
  return !model.supabase && role === 'postgres';
}

/** A membership option (`WITH INHERIT FALSE`, `SET FALSE`); true unless written false (PostgreSQL 16's defaults). */
/** The GRANT's own `WITH <name> TRUE/FALSE`, or undefined when it writes none. */
function option(n: Node, name: string): boolean | undefined {
  for (const o of n.opt ?? []) {
    const d = o?.DefElem;
    if (d?.defname === name) return d.arg?.Boolean?.boolval === true;
  }
  return undefined;
}

/** What makes membership in `group` bypass RLS: the RLS tables it owns (not forced), and what SET ROLE to it gives. */
function powersOf(model: Model, group: string, owned: Map<string, Table[]>): { owns: Table[]; usuallyOwns: boolean; becomes: 'a superuser' | 'a role with BYPASSRLS' | undefined } {
  const r = model.roles.get(group);
  const superuser = r?.superuser === true || (!model.supabase && group === 'postgres');
  const becomes = superuser ? 'a superuser' : r?.bypassRls ? 'a role with BYPASSRLS' : undefined;
  // the role that runs the migrations owns what they create; on Supabase and on most
  // installations that is postgres
  return { owns: owned.get(group) ?? [], usuallyOwns: group === 'postgres', becomes };
}

/** Whether a parsed file has a GRANT or REVOKE of a role. */
const grantsRoles = anyStatementIn((s) => s.kind === 'GrantRoleStmt');

const list = (ts: Table[]) => (ts.length <= 4 ? ts.map((t) => t.key).join(', ') : `${ts.slice(0, 4).map((t) => t.key).join(', ')} and ${ts.length - 4} more`);

export const membershipBypassesRls = defineRule({
  meta: {
    id: 'membership-bypasses-rls',
    description: 'A role is made a member of a role that owns RLS tables, or of a superuser or BYPASSRLS role, so row-level security stops applying to it.',
    severity: 'error',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "A member has its group's privileges (INHERIT), ownership included, and an owner bypasses its tables' policies unless FORCE'd; it can also SET ROLE to the group (SET) and act as a superuser or BYPASSRLS role.",
    truths: ['T13'],
  },
  check({ model, report }) {
    // (most workspaces grant no role: then the replayed statements are not looked at; on the
    // bench that is 1 ms of every re-lint)
    if (!model.files.some(grantsRoles)) return;
    // (a role as the model names it: renamed later, ALTER ROLE … RENAME, it is the same role)
    const named = (n: Node, order: number) => finalRoleName(model, roleName(n), order);
    const grants: Array<{ loc: Loc; node: Node; order: number; groups: string[] }> = [];
    const revoked = new Map<string, number>();
    const noInherit = new Set<string>();
    model.statements.forEach(({ file, stmt }, order) => {
      if (stmt.kind === 'CreateRoleStmt' || stmt.kind === 'AlterRoleStmt') {
        const inherit = ((stmt.node.options ?? []) as Node[]).find((o) => o?.DefElem?.defname === 'inherit')?.DefElem;
        const name = finalRoleName(model, stmt.kind === 'CreateRoleStmt' ? String(stmt.node.role ?? '') : roleName(stmt.node.role), order);
        if (inherit) inherit.arg?.Boolean?.boolval === true ? noInherit.delete(name) : noInherit.add(name);
        return;
      }
      if (stmt.kind !== 'GrantRoleStmt') return;
      const n = stmt.node;
      const groups: string[] = (n.granted_roles ?? []).map((g: Node) => finalRoleName(model, String(g?.AccessPriv?.priv_name ?? ''), order));
      if (n.is_grant) grants.push({ loc: { file: file.file, start: stmt.start, end: stmt.end }, node: n, order, groups });
      else for (const g of groups) for (const m of n.grantee_roles ?? []) revoked.set(`${g}\u0000${named(m, order)}`, order);
    });
    if (grants.length === 0) return;
    // Roles that switch to the request's role (PostgREST's authenticator): NOINHERIT, so they hold
    // nothing of their groups, and members of a role that does not bypass RLS (anon,
    // authenticated) to SET ROLE to. Their membership of a BYPASSRLS role is how a request signed
    // for that role (Supabase's service_role) runs as it: the design, not a leak; SET FALSE would
    // break those requests (42501). Being able to become a superuser is still reported.
    const api = new Set<string>();
    for (const { groups, node, order } of grants) for (const g of groups) if (!bypasses(model, g) && !model.roles.get(g)?.superuser) for (const m of node.grantee_roles ?? []) api.add(named(m, order));
    const switcher = (member: string) => noInherit.has(member) && api.has(member);
    // RLS tables without FORCE, by owner
    const owned = new Map<string, Table[]>();
    for (const t of tableList(model)) {
      if (!t.rlsEnabled || t.rlsForced || !t.owner) continue;
      const theirs = owned.get(t.owner.role);
      if (theirs) theirs.push(t);
      else owned.set(t.owner.role, [t]);
    }
    // the RLS tables without FORCE whose owner the migrations do not name: the migrating role's
    const unnamed = tableList(model).filter((t) => t.rlsEnabled && !t.rlsForced && !t.owner && !t.temp);
    for (const { loc, node, order, groups } of grants) {
      // (no INHERIT option: the member's own INHERIT attribute decides, PostgreSQL 16+; storage's
      // NOINHERIT authenticator; SET is TRUE by default)
      const written = option(node, 'inherit');
      const set = option(node, 'set') ?? true;
      if (written === false && !set) continue;
      // (a psql variable, `TO :"PGUSER"`, names the role only when the script runs: left alone)
      const text = fileOf(model, loc.file)?.text ?? '';
      const variable = (at: number) => text[at] === ':' || (text[at] === '"' && text[at - 1] === ':');
      const members: string[] = (node.grantee_roles ?? []).filter((m: Node) => !variable(m?.RoleSpec?.location ?? -1)).map((m: Node) => named(m, order));
      for (const group of groups) {
        const p = powersOf(model, group, owned);
        for (const member of members) {
          if (member === 'public' || bypasses(model, member)) continue;
          const becomes = set && !(p.becomes === 'a role with BYPASSRLS' && switcher(member)) ? p.becomes : undefined;
          const inherit = written ?? !!groupsOf(model, member)?.has(group);
          // (owning through SET ROLE too: as the group, the member is the owner)
          const owns = inherit || set ? [...p.owns, ...(p.usuallyOwns ? unnamed : [])] : [];
          if (owns.length === 0 && !becomes) continue;
          if ((revoked.get(`${group}\u0000${member}`) ?? -1) > order) continue;
          const parts: string[] = [];
          const [G, M] = [roleText(group), roleText(member)]; // (as SQL names them)
          if (owns.length) {
            const whose = p.owns.length ? `${G} owns` : `${G} usually runs the migrations, so it owns the tables they create, here`;
            parts.push(
              `${whose} ${owns.length === 1 ? 'an RLS table' : `${owns.length} RLS tables`} without FORCE ROW LEVEL SECURITY (${list(owns)}): ` +
                (inherit ? 'PostgreSQL treats a member as their owner, ' : `after SET ROLE ${G}, ${M} acts as ${owns.length === 1 ? 'its' : 'their'} owner, `) +
                `and an owner bypasses a table's policies unless it is forced, so ${M} reads and changes every row of ${owns.length === 1 ? 'it' : 'them'} (T13)`,
            );
          }
          if (becomes) parts.push(`${M} can ${parts.length ? 'also ' : ''}SET ROLE ${G}, ${becomes}${p.becomes === 'a superuser' && group === 'postgres' && !model.supabase ? ' on most installations' : ''}, to which no policy applies`);
          const fixes: Fix[] = [];
          if (groups.length === 1 && members.length === 1) fixes.push({ title: `Remove GRANT ${G} TO ${M}`, kind: 'unsafe', edits: [removeStatement(model, loc)] });
          if (!node.opt?.length) fixes.push({ title: `Keep the membership without its privileges: WITH INHERIT FALSE, SET FALSE`, kind: 'unsafe', edits: [{ file: loc.file, start: loc.end, end: loc.end, newText: ' WITH INHERIT FALSE, SET FALSE' }] });
          report({
            ...loc,
            message:
              `GRANT ${G} TO ${M} makes ${M} a member of ${G}, ` +
              (inherit
                ? `with ${G}'s privileges (INHERIT${written ? '' : ', the default'})${set ? ` and the right to SET ROLE ${G} (SET${option(node, 'set') ? '' : ', the default'})` : ''}. `
                : `without ${G}'s privileges (${written === false ? 'WITH INHERIT FALSE' : `${M} is NOINHERIT, so the membership does not pass them on`}) but with the right to SET ROLE ${G} (SET, the default). `) +
              `${parts.join('; ')}. Grant ${M} the table privileges it needs instead (GRANT SELECT, … ON … TO ${M}), or, on PostgreSQL 16 and later, keep the membership WITH INHERIT FALSE, SET FALSE.`,
            fixes,
          });
        }
      }
    }
  },
});
