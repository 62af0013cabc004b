import { clauseSpan } from '../analysis/ast.js';
import type { Model, Policy } from '../analysis/model.js';
import type { Node, Statement } from '../analysis/types.js';
import { constBool, policyRows } from '../analysis/policy-exprs.js';
import { isRejected } from '../analysis/rejected.js';
import { defineRule, type Edit, type Report } from './types.js';
import { appRole, fileId, fileOf, hasAnyPrivilege, reportKeeper, PF_PERMISSIVE, PF_PUBLIC, policyFacts, quoteIdent, toPublic } from './lib/util.js';
import { admitsNothing, commandsOf } from '../analysis/policies.js';
import { PSEUDO_ROLES } from '../analysis/privileges.js';

/** The statement a location of the policy was taken from. */
function statementAt(model: Model, p: Policy, loc: { file: string; start: number }): Statement | undefined {
  // The policy's own statement (its CREATE POLICY when no ALTER POLICY changed it, p.loc is its
  // location): no search through the model's statements (≈ 100,000 on the bench, ≈ 1 ms a lint).
  if (loc.file === p.loc.file && loc.start === p.stmt.start) return p.stmt;
  return model.statements.find((s) => s.file.file === loc.file && s.stmt.start === loc.start)?.stmt;
}

/**
 * The roles to name for a PUBLIC policy: those the table grants the policy's commands to (not
 * PUBLIC, not roles that bypass RLS, not its owner: maevsi's account grants vibetype_account,
 * vibetype_anonymous), else the workspace's usual role (appRole).
 */
function rolesFor(model: Model, p: Policy): { text: string; granted: boolean } {
  const t = model.tables.get(p.table);
  if (t) {
    const cmds = commandsOf(p);
    const out: string[] = [];
    for (const [role, privs] of t.grants) {
      if (role === 'public' || PSEUDO_ROLES.has(role) || role === t.owner?.role || model.roleBypassesRls(role) === true) continue;
      if (hasAnyPrivilege(privs, cmds)) out.push(quoteIdent(role));
    }
    if (out.length) return { text: out.join(', '), granted: true };
  }
  return { text: quoteIdent(appRole(model)), granted: false };
}

/** The roles the message names: rolesFor's, or, where the migrations show none (a Prisma project's one connection role), what to write. */
function example(model: Model, r: { text: string; granted: boolean }): string {
  if (r.granted || r.text !== 'authenticated' || model.roles.has('authenticated')) return r.text;
  return 'the role your application connects as';
}

/** Edits that give the policy `TO <role>` (appRole: authenticated on Supabase) instead of PUBLIC. */
function toAppRole(model: Model, p: Policy, roles: { text: string; granted: boolean }): { title: string; edits: Edit[] } | undefined {
  const role = roles.text;
  const placeholder = roles.granted ? '(the roles the table grants its commands to)' : '(a placeholder: put the roles that need this policy)';
  if (p.implicitPublic) {
    const created = statementAt(model, p, p.created);
    if (!created) return undefined;
    const file = p.created.file;
    const text = fileOf(model, file)?.text ?? '';
    // TO comes before USING and WITH CHECK
    const clauses = [clauseSpan(text, created, 'using'), clauseSpan(text, created, 'check')].filter((s) => !!s);
    let at = created.end;
    for (const c of clauses) {
      const kw = /(?:\bUSING|\bWITH\s+CHECK)\s*$/i.exec(text.slice(created.start, c!.start));
      if (kw) at = Math.min(at, created.start + kw.index);
    }
    const newText = at === created.end ? ` TO ${role}` : `${/\s/.test(text[at - 1] ?? '') ? '' : ' '}TO ${role} `;
    return { title: `Add TO ${role} to "${p.name}" ${placeholder}`, edits: [{ file, start: at, end: at, newText }] };
  }
  // explicit TO PUBLIC: in the ALTER POLICY that set the roles, else in the CREATE POLICY
  const stmt = p.stmt.node?.roles ? p.stmt : statementAt(model, p, p.created);
  const specs: Array<{ RoleSpec?: { roletype?: string; location?: number } }> = stmt?.node?.roles ?? [];
  const pub = specs.find((s) => s.RoleSpec?.roletype === 'ROLESPEC_PUBLIC' && (s.RoleSpec.location ?? -1) >= 0);
  if (!stmt || !pub) return undefined;
  const file = (stmt === p.stmt ? p.loc : p.created).file;
  const text = fileOf(model, file)?.text ?? '';
  const start = pub.RoleSpec!.location!;
  const end = start + 'public'.length;
  if (text.slice(start, end).toLowerCase() !== 'public') return undefined;
  if (specs.length === 1) return { title: `Replace TO PUBLIC with TO ${role} in "${p.name}" ${placeholder}`, edits: [{ file, start, end, newText: role }] };
  const after = /^\s*,\s*/.exec(text.slice(end, end + 64));
  if (after) return { title: `Remove PUBLIC from the TO list of "${p.name}"`, edits: [{ file, start, end: end + after[0].length, newText: '' }] };
  const before = /\s*,\s*$/.exec(text.slice(Math.max(0, start - 64), start));
  if (before) return { title: `Remove PUBLIC from the TO list of "${p.name}"`, edits: [{ file, start: start - before[0].length, end, newText: '' }] };
  return undefined;
}

export const policyAppliesToPublic = defineRule({
  meta: {
    id: 'policy-applies-to-public',
    description: 'A PERMISSIVE policy without a TO clause (or TO PUBLIC) applies to every role.',
    severity: 'info',
    category: 'security',
    fixKind: 'unsafe',
    guards: "A policy without TO applies to PUBLIC: every role with a grant on the table, including Supabase's anon and roles created later, gets the rows it admits.",
    sources: ['supabase RLS guide: specify roles with TO'],
    shownBy: { exposure: 'public' },
  },
  check({ model, report }) {
    const anonRole = model.roles.get('anon');
    const anon = anonRole ? (anonRole.declared || !model.supabase ? 'anon and ' : "Supabase's anon and ") : '';
    // (policyFacts: the policies that are not permissive and TO PUBLIC are not read)
    const facts = policyFacts(model);
    const policies = model.policies;
    const rows = policyRows(model);
    for (let i = 0; i < policies.length; i++) {
      if ((facts[i]! & (PF_PERMISSIVE | PF_PUBLIC)) !== (PF_PERMISSIVE | PF_PUBLIC)) continue;
      const p = policies[i]!;
      const t = model.tables.get(p.table);
      if (t && !t.rlsEnabled) continue; // ignored policies are reported by policy-on-table-without-rls / rls-disabled
      // (one PostgreSQL never makes: written where its table is not, or rejected when made)
      if (!rows[i]!.active || isRejected(model, p)) continue;
      if (admitsNothing(p)) continue; // no row for any role to get
      const roles = rolesFor(model, p);
      const ex = example(model, roles);
      const n = p.nameLoc;
      // (the report kept on the policy's statement while what it is made of is the same: the
      // files by text, the places, the roles; LanternOps/breeze gives 1,278 of them, and their
      // fixes' clause spans were rebuilt at every re-lint)
      const deps = [p.name, p.table, anon, roles.text, roles.granted, ex, p.implicitPublic, fileId(model, p.created.file), p.created.start, fileId(model, p.loc.file), p.loc.start, n.file, n.start, n.end];
      report(keep(p.stmt, '', deps, () => reportOf(model, p, anon, roles, ex)));
    }
  },
});

const keep = reportKeeper();

/** The finding of a policy that applies to PUBLIC. */
function reportOf(model: Model, p: Policy, anon: string, roles: { text: string; granted: boolean }, ex: string): Report {
  const fix = toAppRole(model, p, roles);
  return {
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${p.table} ${toPublic(p)}: ` +
      `every role — including ${anon}any role created later — that has a grant on the table gets the rows it admits. ` +
      `Name the roles that need it with TO (e.g. TO ${ex}).`,
    fixes: fix ? [{ title: fix.title, kind: 'unsafe', edits: fix.edits }] : [],
  };
}
