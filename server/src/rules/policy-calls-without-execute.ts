import type { CallRef } from '../analysis/ast.js';
import { callsIn, identEnd } from '../analysis/ast.js';
import { resolvedThroughPath, type Func, type Model, type Policy, type Table } from '../analysis/model.js';
import type { ParsedFile } from '../analysis/types.js';
import { commandList, roleList } from '../analysis/policies.js';
import { activeRows, constBool, functionsToken, memoModel, resolveCall, textOfFile, type Clause, type PolicyRow } from '../analysis/policy-exprs.js';
import { platformGrantee, platformMayGrant, privilegesOf, rolesActingAs, SUPABASE_PLATFORM_GRANTEES } from '../analysis/privileges.js';
import { defineRule } from './types.js';
import { signatureSql } from './definer-execute-granted-to-public.js';
import { keeper, modelFacts, modelToken } from './lib/kept.js';
import { afterExecuteRevokes, executeRevokedFrom, functionLists, hasAnyPrivilege, insertAfter, privilegesNeeded, quoteIdent, usesSchema, where } from './lib/util.js';
import { filteredRoles, foldedAway } from './lib/unreadable.js';

// PostgreSQL checks EXECUTE on every function of a policy's expressions as the role whose query
// the policy filters, when the executor starts, before any row is read: without it the whole
// query fails with 42501 permission denied for function … (measured on PGlite, an empty table
// too). SECURITY DEFINER changes whose rights the body runs with, not the caller's EXECUTE check;
// a call in a sub-select of the policy is checked the same. USAGE on the function's schema is
// not checked: the stored policy names the function by its OID (measured). makerkit's storage
// policy calling kit.get_storage_filename_as_uuid(), revoked from PUBLIC and granted to
// authenticated and service_role only, is the pattern.

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

/** reachesTable, and the policy not folded away for the role: kept in `seen` (per policy). */
function reaches(model: Model, t: Table, p: Policy, role: string, seen: Map<string, boolean>): boolean {
  let v = seen.get(role);
  if (v === undefined) seen.set(role, (v = reachesTable(model, t, p, role) && !foldedAway(model, p, role)));
  return v;
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
    const revoked = revokedFunctions(model);
    if (revoked.funcs.length === 0) return;
    // (EXECUTE granted by dynamic SQL — a DO block's EXECUTE 'GRANT …', a loop over functions — is
    // not followed: where the migrations run one, who may call what is not known)
    if (dynamicGrants(model)) return;
    // (cannotExecute per function and role, once per lint: the same helpers and roles come back in policy after policy)
    // (by the function's index in revoked.funcs)
    const verdicts = new Map<number, Map<string, boolean>>();
    const denies = (fn: number, r: string): boolean => {
      let byRole = verdicts.get(fn);
      if (!byRole) verdicts.set(fn, (byRole = new Map()));
      let v = byRole.get(r);
      if (v === undefined) byRole.set(r, (v = cannotExecute(model, revoked.funcs[fn]!, r)));
      return v;
    };
    const rows = activeRows(model);
    const among = amongOf(model);
    const facts = factsOf(model);
    // (per group of `among`, whether each role of it may call its function)
    const allMay: Array<boolean | undefined> = [];
    for (let n = 0; n < rows.length; n++) {
      const row = rows[n]!;
      const calls = callsOf(model, row, revoked, among, facts);
      if (calls === undefined) continue;
      let roles: string[] | undefined;
      // (whether a role reaches the table, asked only of roles that may not call a function: the costly part)
      let reach: Map<string, boolean> | undefined;
      for (const { fn, group, call: c, file, clauses } of calls) {
        // (a policy on a table for named roles that may all call it: nothing to report, whatever they reach)
        if (group >= 0) {
          let may = allMay[group];
          if (may === undefined) {
            const g = among.groups[group]!;
            allMay[group] = may = !g.roles.some((r) => denies(g.fn, r));
          }
          if (may) continue;
        }
        const t = row.table;
        const p = row.policy;
        const f = revoked.funcs[fn]!;
        roles ??= t ? filteredRoles(model, t, p) : storageRoles(model, p);
        reach ??= new Map();
        const denied = roles.filter((r) => denies(fn, r) && (!t || reaches(model, t, p, r, reach!)));
        if (denied.length === 0) continue;
        // (the commands each of these roles holds the table privilege for: the others fail on the table first)
        const commands = commandsOf(p, clauses, !!row.check).filter((cmd) => !t || denied.every((r) => t.owner?.role === r || privilegesOf(model, t, r).has(cmd)));
        if (commands.length === 0) continue;
        const one = denied.length === 1;
        const sig = signatureSql(f);
        const grantees = denied.map(quoteIdent).join(', ');
        // (the GRANT goes after the policy, or after the last REVOKE of EXECUTE on the function if that comes later)
        const at = afterExecuteRevokes(model, f, p.loc);
        const granted = [...f.executeGrants].filter((g) => g !== 'public');
        // (on Supabase its API roles get EXECUTE on new functions in public from the platform's default
        // privileges, which a REVOKE from PUBLIC leaves: a denied one lost it by name, and the message
        // says so; fleetwise-fuel-guard's has_role(), revoked from PUBLIC and from anon)
        const platform = denied.filter((r) => platformGrantee(model, f.schema, r));
        report({
          file,
          start: c.location,
          end: identEnd(textOfFile(model, file), c.location),
          message:
            `Policy "${p.name}" on ${p.table} calls ${f.signature}, but ${roleList(denied)} ${one ? 'has' : 'have'} no EXECUTE privilege on it: ` +
            `PUBLIC's EXECUTE on it is revoked${platform.length ? `, and so is the EXECUTE Supabase's default privileges give ${roleList(platform)} on functions in public (revoked from ${platform.length === 1 ? 'that role' : 'those roles'} by name),` : ''} and nothing in these migrations grants it ${platform.length ? 'back ' : ''}to ${one ? 'that role' : 'them'}${granted.length ? ` (only to ${roleList(granted)})` : ''}. ` +
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

/** The model's functions whose EXECUTE PUBLIC lost, and their places in model.functions (functionLists: kept per overload list). */
interface Revoked {
  funcs: Func[];
  places: number[];
}

function revokedFunctions(model: Model): Revoked {
  const lists = functionLists(model);
  return { funcs: lists.revoked, places: lists.revokedPlaces };
}

/**
 * What the calls of each row are kept under: a token shared by consecutive models whose calls
 * resolve the same (functionsToken: the same functions, key by key, in the same order) and whose
 * same places of model.functions lost PUBLIC's EXECUTE (a function is named by its index among
 * those, ExecCall.fn: this model's at its place). It holds, for as long as it lasts, the index of
 * the revoked functions by name, and the groups of ExecCall.group.
 */
interface Among {
  /** the index in Revoked.funcs of the first function of each name (once asked) */
  byName: Map<string, number> | undefined;
  /** a function and the roles a policy names, as ExecCall.group: by the function's index, then the roles joined by NUL */
  groups: Array<{ fn: number; roles: readonly string[] }>;
  groupKeys: Map<number, Map<string, number>>;
}
const amongOf = modelToken<Among>(
  'policy-calls-without-execute:among',
  (model) => [functionsToken(model), ...revokedFunctions(model).places],
  () => ({ byName: undefined, groups: [], groupKeys: new Map() }),
);
const factsOf = modelFacts('policy-calls-without-execute:facts', (model) => [amongOf(model)]);

/** Among.byName, made once per token (the names of the functions at the same places are the same). */
function byNameOf(among: Among, revoked: Revoked): Map<string, number> {
  if (among.byName) return among.byName;
  const byName = new Map<string, number>();
  // (names as parsed on both sides: folded unless quoted, as PostgreSQL matches them)
  const funcs = revoked.funcs;
  for (let x = 0; x < funcs.length; x++) if (!byName.has(funcs[x]!.name)) byName.set(funcs[x]!.name, x);
  return (among.byName = byName);
}

/**
 * A function whose EXECUTE PUBLIC lost that a policy calls (`fn`: its index in Revoked.funcs): its
 * first call, the file that is written in, and the clauses calling it; `group`, for a policy on a
 * table of the workspace that names its roles (not PUBLIC), the index in Among.groups of that
 * function and those roles, else -1.
 */
interface ExecCall {
  fn: number;
  group: number;
  call: CallRef;
  file: string;
  clauses: Set<Clause>;
}

/**
 * The calls of a row, kept on it (lib/kept.ts) under the model's Among token: the same row
 * object has the same policy, table and expressions. Not for a row that resolved a call with
 * names resolved through a SET search_path (Model.callPathKey: looked at again). A re-lint looks
 * at the rows of the replayed files only (bench: ≈ 190 of ≈ 9,000). (Bench, per re-lint: every
 * row's calls looked at, and the ≈ 2,200 maps of those found made again, were ≈ 5 ms of the
 * rule's ≈ 6.)
 */
const keptCalls = keeper<PolicyRow, ExecCall[] | undefined>();

function callsOf(model: Model, row: PolicyRow, revoked: Revoked, among: Among, facts: readonly unknown[]): ExecCall[] | undefined {
  const k = keptCalls.get(model, row, facts);
  if (k) return k.value;
  pathy.v = false;
  const calls = scanRow(model, row, revoked, among);
  if (!pathy.v) keptCalls.set(row, facts, undefined, calls);
  return calls;
}
/** Set by scanRow: the row named a function whose EXECUTE PUBLIC lost and resolved names through a SET search_path. */
const pathy = { v: false };

/** Whether the names of the row's statement or expressions resolved through a SET search_path (Model.callPathKey). */
function throughPath(row: PolicyRow): boolean {
  if (resolvedThroughPath(row.policy.stmt)) return true;
  for (const e of row.exprs) if (resolvedThroughPath(e.node)) return true;
  return false;
}

/** Each function whose EXECUTE PUBLIC lost that the row calls: its first call, and the clauses calling it. */
function scanRow(model: Model, row: PolicyRow, revoked: Revoked, among: Among): ExecCall[] | undefined {
  const t = row.table;
  const p = row.policy;
  if (!t && p.table !== STORAGE_OBJECTS) return undefined;
  let out: ExecCall[] | undefined;
  for (const e of row.exprs) {
    const list = callsIn(e.node);
    if (list.length === 0) continue;
    // (PostgreSQL folds a constant expression: its calls never run)
    if (constBool(e.node) !== undefined) continue;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      // (a call of another name is not resolved)
      const last = c.name[c.name.length - 1];
      const named = last === undefined ? undefined : byNameOf(among, revoked).get(last);
      if (named === undefined) continue;
      // (a row whose names resolved through a SET search_path is looked at again by the next lint;
      // one resolving none of the names needs not: the names are the same while the token is)
      if (throughPath(row)) pathy.v = true;
      const f = resolveCall(model, c.name, c.args.length, c.node);
      if (!f || f.publicExecute) continue;
      // (the first of that name, else another overload or spelling)
      const fn = revoked.funcs[named] === f ? named : revoked.funcs.indexOf(f);
      const seen = out?.find((x) => x.fn === fn);
      if (seen) {
        seen.clauses.add(e.clause);
        continue;
      }
      let group = -1;
      if (t && !p.roles.includes('public')) {
        // (most policies name one role: its name is the key, no string made)
        const key = p.roles.length === 1 ? p.roles[0]! : p.roles.join('\u0000');
        let byRoles = among.groupKeys.get(fn);
        if (!byRoles) among.groupKeys.set(fn, (byRoles = new Map()));
        group = byRoles.get(key) ?? -1;
        if (group < 0) {
          byRoles.set(key, (group = among.groups.length));
          among.groups.push({ fn, roles: p.roles });
        }
      }
      (out ??= []).push({ fn, group, call: c, file: e.file, clauses: new Set([e.clause]) });
    }
  }
  return out;
}

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
