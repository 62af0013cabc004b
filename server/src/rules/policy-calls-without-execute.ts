import type { CallRef } from '../analysis/ast.js';
import { callsIn, identEnd } from '../analysis/ast.js';
import type { Func, Model, Policy, Table } from '../analysis/model.js';
import type { ParsedFile } from '../analysis/types.js';
import { commandList, roleList } from '../analysis/policies.js';
import { activeRows, constBool, memoModel, orderOf, textOfFile, type Clause } from '../analysis/policy-exprs.js';
import { platformMayGrant, privilegesOf, rolesActingAs, SUPABASE_PLATFORM_GRANTEES } from '../analysis/privileges.js';
import { defineRule } from './types.js';
import { signatureSql } from './definer-execute-granted-to-public.js';
import { executeRevokedFrom, hasAnyPrivilege, insertAfter, privilegesNeeded, quoteIdent, usesSchema, where } from './lib/util.js';
import { filteredRoles, foldedAway } from './lib/unreadable.js';

// PostgreSQL checks EXECUTE on every function of a policy's expressions as the role whose query
// the policy filters, when the executor starts, before any row is read: without it the whole
// query fails with 42501 permission denied for function … (measured on PGlite, an empty table
// too). SECURITY DEFINER changes whose rights the body runs with, not the caller's EXECUTE check;
// a call in a sub-select of the policy is checked the same. USAGE on the function's schema is
// not checked: the stored policy names the function by its OID (measured). makerkit's storage
// policy calling kit.get_storage_filename_as_uuid(), revoked from PUBLIC and granted to
// authenticated and service_role only, is the pattern.

/** The workspace function a call of a policy expression resolves to (as resolvedCalls does). */
function resolve(model: Model, c: CallRef): Func | undefined {
  const viaPath = c.name.length === 1 && c.node ? model.callPathKey(c.node) : undefined;
  if (viaPath) {
    const list = model.functions.get(viaPath);
    return list?.find((x) => x.argTypes.length === c.args.length) ?? list?.[list.length - 1];
  }
  return model.findFunction(c.name, c.args.length);
}

/**
 * Whether the migrations say for certain that `role` may not EXECUTE `f`: PUBLIC's EXECUTE is
 * revoked (or never given by the defaults), and neither the role, a group of it the migrations
 * show, nor Supabase's default privileges on functions in public give it back; not its owner nor a
 * superuser; not a role whose memberships the migrations may not show.
 */
function cannotExecute(model: Model, f: Func, role: string): boolean {
  if (f.publicExecute || f.owner?.role === role) return false;
  const r = model.roles.get(role);
  if (r?.superuser) return false;
  const acting = rolesActingAs(model, role);
  for (const x of acting) if (f.executeGrants.has(x) || f.owner?.role === x) return false;
  // (Supabase's default privileges grant EXECUTE on new functions in public to its API roles, unless revoked)
  if (platformMayGrant(model, f.schema, role) && !executeRevokedFrom(model, f, role, { publicDefaults: false })) return false;
  // (a role the migrations neither create nor know from Supabase may be a member of a role holding EXECUTE elsewhere)
  const platform = (SUPABASE_PLATFORM_GRANTEES as readonly string[]).includes(role);
  if (!r?.declared && !platform && acting.length <= 2 && [...f.executeGrants].some((g) => g !== 'public')) return false;
  return true;
}

/** Whether the role reaches the policy's table for its command: the table privilege and USAGE on its schema (else 42501 for the table first). */
function reachesTable(model: Model, t: Table, p: Policy, role: string): boolean {
  if (t.owner?.role !== role && !hasAnyPrivilege(privilegesOf(model, t, role), privilegesNeeded(p))) return false;
  return rolesActingAs(model, role).some((x) => usesSchema(model, t.schema, x));
}

const STORAGE_OBJECTS = 'storage.objects';
const API_ROLES = ['anon', 'authenticated'];

/**
 * The roles a policy on Supabase's storage.objects (which the platform makes, not the migrations)
 * filters that reach the table: anon and authenticated, granted it by the platform, unless the
 * migrations revoke anything on storage's tables or schema from them (then not known: none).
 */
function storageRoles(model: Model, p: Policy): string[] {
  if (!model.supabase) return [];
  const roles = p.roles.includes('public') ? API_ROLES : API_ROLES.filter((r) => p.roles.includes(r));
  return roles.filter(
    (r) =>
      !model.grantEvents.some(
        (g) =>
          !g.isGrant &&
          (g.grantees.includes(r) || g.grantees.includes('public')) &&
          ((g.objectKind === 'table' && (g.objects.includes(STORAGE_OBJECTS) || g.objects.includes('schema:storage'))) || (g.objectKind === 'schema' && g.objects.includes('storage'))),
      ) && !foldedAway(model, p, r),
  );
}

/**
 * The commands whose queries evaluate the policy's clauses that call the function: a USING for
 * SELECT, UPDATE and DELETE (and, without a WITH CHECK, as the check of INSERT and UPDATE), a
 * WITH CHECK for INSERT and UPDATE; of its command.
 */
function commandsOf(p: Policy, clauses: ReadonlySet<Clause>, hasCheck: boolean): string[] {
  const out = new Set<string>();
  if (clauses.has('using')) ['select', 'update', 'delete'].forEach((c) => out.add(c));
  if (clauses.has('check') || (clauses.has('using') && !hasCheck)) ['insert', 'update'].forEach((c) => out.add(c));
  return ['select', 'insert', 'update', 'delete'].filter((c) => out.has(c) && (p.command === 'all' || p.command === c));
}

export const policyCallsWithoutExecute = defineRule({
  meta: {
    id: 'policy-calls-without-execute',
    description: 'A policy calls a function that a role it applies to may not EXECUTE: every query of that role the policy is evaluated for fails with 42501.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'PostgreSQL checks EXECUTE on the functions a policy calls as the role whose query it filters, before any row is read: without it the whole query fails with 42501 permission denied for function …, SECURITY DEFINER or not.',
    shownBy: { probe: ['42501'], asPolicyRole: true },
  },
  check({ model, report }) {
    // (nearly every function stays executable by PUBLIC: nothing to look at)
    // (the names of those whose EXECUTE PUBLIC lost: a call of another name is not resolved)
    const revoked = new Set<string>();
    // (names as parsed on both sides: folded unless quoted, as PostgreSQL matches them)
    for (const list of model.functions.values()) for (const f of list) if (!f.publicExecute) revoked.add(f.name);
    if (revoked.size === 0) return;
    // (EXECUTE granted by dynamic SQL — a DO block's EXECUTE 'GRANT …', a loop over functions — is
    // not followed: where the migrations run one, who may call what is not known)
    if (dynamicGrants(model)) return;
    // (cannotExecute per function and role, once per lint: the same helpers and roles come back in policy after policy)
    const verdicts = new Map<Func, Map<string, boolean>>();
    const denies = (f: Func, r: string): boolean => {
      let byRole = verdicts.get(f);
      if (!byRole) verdicts.set(f, (byRole = new Map()));
      let v = byRole.get(r);
      if (v === undefined) byRole.set(r, (v = cannotExecute(model, f, r)));
      return v;
    };
    const rows = activeRows(model);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const t = row.table;
      const p = row.policy;
      if (!t && p.table !== STORAGE_OBJECTS) continue;
      let roles: string[] | undefined;
      // (each function the policy calls whose EXECUTE PUBLIC lost: its first call, and the clauses calling it)
      let calls: Map<Func, { call: CallRef; file: string; clauses: Set<Clause> }> | undefined;
      for (const e of row.exprs) {
        const list = callsIn(e.node);
        if (list.length === 0) continue;
        // (PostgreSQL folds a constant expression: its calls never run)
        if (constBool(e.node) !== undefined) continue;
        for (const c of list) {
          const last = c.name[c.name.length - 1];
          if (last === undefined || !revoked.has(last)) continue;
          const f = resolve(model, c);
          if (!f || f.publicExecute) continue;
          calls ??= new Map();
          const seen = calls.get(f);
          if (seen) seen.clauses.add(e.clause);
          else calls.set(f, { call: c, file: e.file, clauses: new Set([e.clause]) });
        }
      }
      if (!calls) continue;
      // (whether a role reaches the table, asked only of roles that may not call a function: the costly part)
      let reach: Map<string, boolean> | undefined;
      const reaches = (r: string): boolean => {
        reach ??= new Map();
        let v = reach.get(r);
        if (v === undefined) reach.set(r, (v = reachesTable(model, t!, p, r) && !foldedAway(model, p, r)));
        return v;
      };
      for (const [f, { call: c, file, clauses }] of calls) {
        // (a policy for named roles that may all call it: nothing to report, whatever they reach)
        if (t && !p.roles.includes('public') && p.roles.every((r) => !denies(f, r))) continue;
        roles ??= t ? filteredRoles(model, t, p) : storageRoles(model, p);
        const denied = roles.filter((r) => denies(f, r) && (!t || reaches(r)));
        if (denied.length === 0) continue;
        // (the commands each of these roles holds the table privilege for: the others fail on the table first)
        const commands = commandsOf(p, clauses, !!row.check).filter((cmd) => !t || denied.every((r) => t.owner?.role === r || privilegesOf(model, t, r).has(cmd)));
        if (commands.length === 0) continue;
        const one = denied.length === 1;
        const sig = signatureSql(f);
        const grantees = denied.map(quoteIdent).join(', ');
        // (the GRANT goes after the policy, or after the last REVOKE of EXECUTE on the function if that comes later)
        let at = p.loc;
        for (const g of model.grantEvents) {
          if (g.isGrant || g.objectKind !== 'function' || !(g.objects.includes(f.signature) || g.objects.includes(`schema:${f.schema}`))) continue;
          if (orderOf(model, g.loc) > orderOf(model, at)) at = g.loc;
        }
        const granted = [...f.executeGrants].filter((g) => g !== 'public');
        report({
          file,
          start: c.location,
          end: identEnd(textOfFile(model, file), c.location),
          message:
            `Policy "${p.name}" on ${p.table} calls ${f.signature}, but ${roleList(denied)} ${one ? 'has' : 'have'} no EXECUTE privilege on it: ` +
            `PUBLIC's EXECUTE on it is revoked and nothing in these migrations grants it to ${one ? 'that role' : 'them'}${granted.length ? ` (only to ${roleList(granted)})` : ''}. ` +
            `PostgreSQL checks EXECUTE on each function a policy calls as the role running the query (SECURITY DEFINER or not), so every ${commandList(commands)} on ${p.table} by ${roleList(denied)} fails with 42501 permission denied for function ${f.name}. ` +
            `GRANT EXECUTE ON FUNCTION ${sig} TO ${grantees}, or apply the policy only to the roles that may call it.`,
          fixes: [
            {
              title: `GRANT EXECUTE ON FUNCTION ${sig} TO ${grantees}${at !== p.loc ? ` (after the REVOKE at ${where(model, at)})` : ''}`,
              kind: 'unsafe',
              edits: [insertAfter(model, at, [`GRANT EXECUTE ON ${f.isProcedure ? 'PROCEDURE' : 'FUNCTION'} ${sig} TO ${grantees};`])],
            },
          ],
        });
      }
    }
  },
});

/** Whether some dynamic SQL of the migrations (a DO block's or a function's EXECUTE) may GRANT a privilege. */
function dynamicGrants(model: Model): boolean {
  return memoModel(model, 'policy-calls-without-execute:dynamicGrants', (m) => m.files.some((f) => !m.notReplayed.has(f) && fileGrantsDynamically(f)));
}

/** Whether a file's dynamic SQL may GRANT (kept per parsed file: an edit parses the file again). */
function fileGrantsDynamically(f: ParsedFile): boolean {
  let v = dynamicGrantFiles.get(f);
  if (v === undefined) {
    v = false;
    for (const stmt of f.statements) if (stmt.body?.dynamicExecutes.some((d) => /\bgrant\b/i.test(d.text))) v = true;
    dynamicGrantFiles.set(f, v);
  }
  return v;
}
const dynamicGrantFiles = new WeakMap<ParsedFile, boolean>();
