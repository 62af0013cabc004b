import { callsIn, relationsIn, stringConst, roleText } from '../analysis/ast.js';
import { PG_CATALOG_NOT_PUBLIC, type Func, type Model, type Policy } from '../analysis/model.js';
import { memoModel, orderOf } from '../analysis/policy-exprs.js';
import { SUPABASE_PLATFORM_GRANTEES } from '../analysis/privileges.js';
import type { Loc } from '../analysis/types.js';
import { gainsNothingAsOwner } from './definer-unneeded.js';
import { failsAsWritten } from './plpgsql-ambiguous-column.js';
import { truncation } from './grant-truncate-bypasses-rls.js';
import { defineRule, type Fix, type Report } from './types.js';
import { DF_PUBLIC_EXECUTE, DF_TRIGGER, executeRevokedFrom, funcLooksAtCaller, insertAfter, lastGrantOf, quoteIdent, functionLists, grantEventsNaming, usesSchema, where, platformFunction } from './lib/util.js';
import { listOr } from '../analysis/words.js';

/** `schema.name(types)` with identifiers quoted where needed, for GRANT/REVOKE. */
export function signatureSql(f: Func): string {
  return `${quoteIdent(f.schema)}.${quoteIdent(f.name)}(${f.argTypes.join(', ')})`;
}

/** Per model: invoker functions by each key they call; policies (in model order) by each function key they call; statement order. */
interface Index {
  invokersCalling: Map<string, Func[]>;
  policiesCalling: Map<string, Policy[]>;
  policyOrder: Map<Policy, number>;
}

function indexOf(model: Model): Index {
  return memoModel(model, 'definer-execute-granted-to-public', () => {
    const invokersCalling = new Map<string, Func[]>();
    for (const g of model.allFunctions()) {
      if (g.securityDefiner) continue;
      for (const c of g.calls) {
        const list = invokersCalling.get(c);
        if (list) list.push(g);
        else invokersCalling.set(c, [g]);
      }
    }
    const policiesCalling = new Map<string, Policy[]>();
    const policyOrder = new Map<Policy, number>();
    model.policies.forEach((p, i) => {
      policyOrder.set(p, i);
      for (const c of [...callsIn(p.using), ...callsIn(p.withCheck)]) {
        const k = model.key(c.name);
        const list = policiesCalling.get(k);
        if (!list) policiesCalling.set(k, [p]);
        else if (list[list.length - 1] !== p) list.push(p);
      }
    });
    return { invokersCalling, policiesCalling, policyOrder };
  });
}

/** Workspace functions that run with the caller's rights and call `target`, directly or through other such functions. */
function invokerCallers(model: Model, target: Func): Set<string> {
  const { invokersCalling } = indexOf(model);
  const keys = new Set<string>([target.key]);
  const queue = [target.key];
  while (queue.length) {
    for (const g of invokersCalling.get(queue.pop()!) ?? []) {
      if (keys.has(g.key)) continue;
      keys.add(g.key);
      queue.push(g.key);
    }
  }
  return keys;
}

/** Roles of the policies that call `f` (directly or through SECURITY INVOKER functions): they need EXECUTE on it. */
function policyRoles(model: Model, f: Func): Array<{ role: string; policy: string }> {
  const { policiesCalling, policyOrder } = indexOf(model);
  const policies = new Set<Policy>();
  for (const k of invokerCallers(model, f)) for (const p of policiesCalling.get(k) ?? []) policies.add(p);
  const out: Array<{ role: string; policy: string }> = [];
  for (const p of [...policies].sort((a, b) => policyOrder.get(a)! - policyOrder.get(b)!)) for (const role of p.roles) out.push({ role, policy: `"${p.name}" on ${p.table}` });
  return out;
}

/** Calls a body may make and still do nothing with its owner's rights: a custom setting set or read, and what computes the value. */
const NO_PRIVILEGE_CALLS = new Set(['set_config', 'current_setting', 'nullif', 'coalesce']);

/**
 * Whether the definer only sets (or reads) custom settings (`app.current_user`): it reads and
 * writes no table and runs no dynamic SQL, and any role may call set_config() on such a setting
 * itself: EXECUTE on it gives a caller nothing (debt-manager's app.set_user).
 */
function settingsOnly(model: Model, f: Func): boolean {
  const body = f.body;
  if (!body || body.errors.length || body.dynamicExecutes.length || f.reads.size || f.writes.size || f.truncates.size || body.statements.length === 0) return false;
  if (f.language !== 'sql' && f.language !== 'plpgsql') return false;
  let sets = false;
  for (const s of body.statements) {
    if (s.kind !== 'SelectStmt' && s.kind !== 'ReturnStmt') return false;
    for (const c of callsIn(s.node)) {
      const name = c.name[c.name.length - 1]!.toLowerCase();
      if (!NO_PRIVILEGE_CALLS.has(name) || (c.name.length > 1 && c.name[0]!.toLowerCase() !== 'pg_catalog') || model.findFunction(c.name, c.args.length)) return false;
      if (name === 'set_config') {
        if (!stringConst(c.args[0])?.includes('.')) return false;
        sets = true;
      }
    }
  }
  return sets;
}

/**
 * The GRANT … TO PUBLIC naming `f` that gives PUBLIC back the EXECUTE a REVOKE … FROM PUBLIC took
 * (aelmamclinic's `REVOKE ALL ON FUNCTION public.my_account_id() FROM PUBLIC; GRANT EXECUTE ON
 * FUNCTION public.my_account_id() TO PUBLIC;`): of the grants and revokes naming PUBLIC (those naming
 * `f`, and those ON ALL FUNCTIONS IN its schema made after its CREATE, as executeRevokedFrom counts
 * them), the last one, when it is a grant naming `f` and a revoke precedes it; and that revoke.
 */
function grantedBackToPublic(model: Model, f: Func): { grant: Loc; revoke: Loc } | undefined {
  const created = orderOf(model, f.created);
  const events = grantEventsNaming(model, 'function', [f.signature, `schema:${f.schema}`])
    .map((k) => ({ g: model.grantEvents[k]!, k }))
    .filter(({ g }) => g.grantees.includes('public') && (g.objects.includes(f.signature) || orderOf(model, g.loc) > created))
    .map(({ g, k }) => ({ g, k, at: orderOf(model, g.loc) }))
    .sort((a, b) => a.at - b.at || a.k - b.k)
    .map((x) => x.g);
  const last = events[events.length - 1];
  if (!last?.isGrant || !last.objects.includes(f.signature)) return undefined;
  const revoke = events.slice(0, -1).reverse().find((g) => !g.isGrant);
  return revoke ? { grant: last.loc, revoke: revoke.loc } : undefined;
}

/** The statement after which PUBLIC (or one of `roles`) last got EXECUTE on `f`: its CREATE, or a later GRANT. */
export function lastGrant(model: Model, f: Func, roles: readonly string[]): Loc {
  return lastGrantOf(model, f.created, 'function', [f.signature, `schema:${f.schema}`], roles);
}

/**
 * Whether `role` was granted EXECUTE on `f` by name (a GRANT … ON FUNCTION naming it): meant to
 * call it; `since`: after that point only (a role's default grant: a grant naming a function of
 * the same signature made and dropped before is not one to it, paynless's pg_dump before its
 * migrations make the function again).
 */
function grantedByName(model: Model, f: Func, role: string, since?: Loc): boolean {
  const after = since ? orderOf(model, since) : -1;
  const events = model.grantEvents;
  return grantEventsNaming(model, 'function', [f.signature]).some((i) => {
    const g = events[i]!;
    return g.isGrant && g.grantees.includes(role) && (after < 0 || orderOf(model, g.loc) > after);
  });
}

/**
 * The roles that hold EXECUTE on `f` by the workspace's own default privileges (Func.executeByDefault),
 * still, and were not granted it by name; on Supabase not anon and authenticated in public: the
 * platform's default privileges grant them that anyway, which anonKeepsExecute and
 * restrictedKeepsExecute judge (a pg_dump restating them: paynless's remote_schema.sql).
 */
function heldByDefault(model: Model, f: Func): Array<{ role: string; loc: Loc; made: Loc }> {
  if (!f.executeByDefault) return [];
  const platform = model.supabase && f.schema === 'public';
  return f.executeByDefault.filter((d) => f.executeGrants.has(d.role) && !grantedByName(model, f, d.role, d.made) && !(platform && (d.role === 'anon' || d.role === 'authenticated')));
}

/**
 * The by-name GRANT of EXECUTE on `f` to `role` (anon or authenticated) that restates Supabase's
 * default privileges, if every one to it does: a dump of the database (`supabase db pull`'s
 * remote_schema.sql) writes `GRANT ALL ON FUNCTION … TO "anon"`, `"authenticated"` and
 * `"service_role"` for every function of public, the platform's grants written out, not a choice
 * to let that role call this one (HeroTools/pager-backend's register_and_join_workspace). Such a
 * grant is GRANT ALL, in a file granting ALL on the function to each of the three.
 */
function platformGrantWrittenOut(model: Model, f: Func, role: string): Loc | undefined {
  if (!model.supabase || f.schema !== 'public' || (role !== 'anon' && role !== 'authenticated')) return undefined;
  // (the function grant events naming it, in model.grantEvents order: mine's last is the same)
  const grants = grantEventsNaming(model, 'function', [f.signature]).map((i) => model.grantEvents[i]!).filter((g) => g.isGrant);
  const mine = grants.filter((g) => g.grantees.includes(role));
  if (mine.length === 0) return undefined;
  // (a Supabase dump grants every function of public to each platform grantee, in a GRANT ALL of its own)
  const restated = mine.every((g) => g.privileges.includes('all') && SUPABASE_PLATFORM_GRANTEES.every((r) => grants.some((h) => h.loc.file === g.loc.file && h.privileges.includes('all') && h.grantees.includes(r))));
  return restated ? mine[mine.length - 1]!.loc : undefined;
}

/** Whether `role` holds EXECUTE on `f` by a grant of the migrations, not only by default privileges. */
function grantedExplicitly(model: Model, f: Func, role: string): boolean {
  return f.executeGrants.has(role) && !f.executeByDefault?.some((d) => d.role === role && !grantedByName(model, f, role, d.made));
}

/** `at x.sql:3` / `at x.sql:3 and x.sql:4`: where the default privileges of `roles` were set. */
function defaultsSetAt(model: Model, held: ReadonlyArray<{ role: string; loc: Loc }>, roles: readonly string[]): string {
  const at = [...new Set(held.filter((d) => roles.includes(d.role)).map((d) => where(model, d.loc)))];
  return `at ${listOr(at, 'and')}`;
}

/**
 * A definer revoked from PUBLIC whose EXECUTE the workspace's own default privileges granted to
 * roles directly when it was made (abhiguru/SSBackend's volumes/db/init/00-roles.sql: `ALTER
 * DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated`): a
 * REVOKE … FROM PUBLIC leaves those grants (measured on PGlite: proacl keeps anon=X, and anon
 * calls the function and deletes a row). Not the roles of policies that call it (they need it),
 * one that bypasses RLS, its owner, nor one granted it by name; on Supabase not anon and
 * authenticated in public, the platform's grants (anonKeepsExecute's, restrictedKeepsExecute's).
 */
function defaultsKeepExecute(model: Model, f: Func, report: (r: Report) => void): void {
  const held = heldByDefault(model, f);
  if (held.length === 0 || settingsOnly(model, f) || gainsNothingAsOwner(model, f)) return;
  // (only where a REVOKE … FROM PUBLIC names the function: meant to be kept from callers. Default
  // privileges that revoke from PUBLIC and grant to a role say the project means that role to
  // call its functions: graphile/starter's `grant execute on functions to :DATABASE_VISITOR`)
  if (!executeRevokedFrom(model, f, 'public', { defaults: false })) return;
  const users = policyRoles(model, f);
  if (users.some((u) => u.role === 'public')) return;
  const keep = held.map((d) => d.role).filter((r) => r !== f.owner?.role && !users.some((u) => u.role === r) && model.roleBypassesRls(r) !== true && usesSchema(model, f.schema, r));
  if (keep.length === 0) return;
  const kind = f.isProcedure ? 'PROCEDURE' : 'FUNCTION';
  const revoke = `REVOKE EXECUTE ON ${kind} ${signatureSql(f)} FROM ${keep.map(quoteIdent).join(', ')};`;
  const list = listOr(keep, 'and');
  report({
    ...f.nameLoc,
    message:
      `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} is executable by ${list}: its EXECUTE is revoked from PUBLIC, but the default privileges set ${defaultsSetAt(model, held, keep)} (ALTER DEFAULT PRIVILEGES … GRANT EXECUTE ON FUNCTIONS) granted EXECUTE on it to ${keep.join(', ')} directly when it was made, and a REVOKE … FROM PUBLIC leaves those grants. ` +
      `So ${keep.length > 1 ? 'these roles' : 'this role'} can call it directly${f.argTypes.length ? ', with arguments of its choosing,' : ''} and it runs with its owner's rights (T22). ` +
      `Add ${revoke} and grant EXECUTE by name to those of them that must call it${users.length ? ` (the roles of the policies that call it, ${[...new Set(users.map((u) => u.role))].join(', ')}, keep it)` : ''}.` +
      failsAsWritten(model, f),
    fixes: [{ title: `Revoke EXECUTE on ${f.signature} from ${keep.join(', ')} (granted by default privileges)`, kind: 'unsafe', edits: [insertAfter(model, lastGrant(model, f, keep), [revoke])] }],
  });
}

/**
 * A policy helper of a Supabase project revoked from PUBLIC but not from anon: Supabase's default
 * privileges grant EXECUTE on new functions in public to anon and authenticated directly, so anon
 * keeps it; reported when no policy that calls the function applies to anon (so anon has no
 * use for it). A definer no policy calls is definer-bypasses-rls's (its callers include anon).
 */
function anonKeepsExecute(model: Model, f: Func, report: (r: Report) => void): void {
  if (!f.securityDefiner || f.schema !== 'public' || f.publicExecute || settingsOnly(model, f)) return;
  if (executeRevokedFrom(model, f, 'anon', { publicDefaults: false }) || grantedExplicitly(model, f, 'anon') || f.owner?.role === 'anon') return;
  const users = policyRoles(model, f);
  if (users.length === 0) return restrictedKeepsExecute(model, f, report);
  if (users.some((u) => u.role === 'anon' || u.role === 'public')) return;
  const kind = f.isProcedure ? 'PROCEDURE' : 'FUNCTION';
  const revoke = `REVOKE EXECUTE ON ${kind} ${signatureSql(f)} FROM anon;`;
  const roles = [...new Set(users.map((u) => u.role))];
  report({
    ...f.nameLoc,
    message:
      `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} is executable by anon: its EXECUTE is revoked from PUBLIC, but on Supabase default privileges grant EXECUTE on new functions in public to anon and authenticated directly, and a REVOKE … FROM PUBLIC leaves those. ` +
      `So a request without a signed-in user can call it directly, with arguments of its choosing, and it runs with its owner's rights (T22): what it answers or does is then up to its body alone, while the policies that call it (${users[0]!.policy}${users.length > 1 ? ' and others' : ''}) are for ${roles.map(roleText).join(', ')}. ` +
      `Add ${revoke}`,
    fixes: [{ title: `Revoke EXECUTE on ${f.signature} from anon (no policy that calls it applies to anon)`, kind: 'unsafe', edits: [insertAfter(model, lastGrant(model, f, []), [revoke])] }],
  });
}

/**
 * A definer of a Supabase project no policy calls, revoked from PUBLIC only (often then granted
 * to service_role: novaluxe's manage_vault_secret, which writes Vault secrets): anon and
 * authenticated keep EXECUTE by Supabase's default privileges, so any request can call it
 * through the Data API. A definer reading or writing a table with RLS is definer-bypasses-rls's
 * (it names these callers).
 */
function restrictedKeepsExecute(model: Model, f: Func, report: (r: Report) => void): void {
  if (f.isProcedure || settingsOnly(model, f)) return;
  // (a table with RLS, or one the migrations do not show: definer-bypasses-rls's, or unknown;
  // not Supabase Vault's, which no policy guards and the API roles are not granted: betterr_me's
  // get_plaid_secret() returning vault.decrypted_secrets' decrypted_secret to anon)
  const vault = [...f.reads, ...f.writes].filter((k) => vaultRelation(model, k));
  for (const k of f.reads) if (model.tables.get(k)?.rlsEnabled !== false && !vault.includes(k)) return;
  for (const k of f.writes) if (model.tables.get(k)?.rlsEnabled !== false && !vault.includes(k)) return;
  // (nor one it empties: definer-bypasses-rls says so, TRUNCATE asks no policy)
  for (const k of f.truncates) if (model.tables.get(k)?.rlsEnabled !== false) return;
  // (a body that checks who calls it, auth.uid() or auth.role(), may refuse anon itself)
  if (funcLooksAtCaller(model, f)) return;
  const keep = ['anon', 'authenticated'].filter((r) => !grantedExplicitly(model, f, r) && f.owner?.role !== r && !executeRevokedFrom(model, f, r, { publicDefaults: false }));
  if (keep.length === 0) return;
  const granted = [...f.executeGrants].filter((r) => r !== 'public' && grantedExplicitly(model, f, r));
  const revoke = `REVOKE EXECUTE ON FUNCTION ${signatureSql(f)} FROM ${keep.join(', ')};`;
  const who = keep.length === 2 ? 'any request, signed in or not,' : keep[0] === 'anon' ? 'a request without a signed-in user' : 'any signed-in user';
  report({
    ...f.nameLoc,
    message:
      `SECURITY DEFINER function ${f.signature} is executable by ${keep.join(' and ')}: its EXECUTE is revoked from PUBLIC${granted.length ? ` and granted to ${granted.join(', ')}` : ''}, but on Supabase default privileges grant EXECUTE on new functions in public to anon and authenticated directly, and a REVOKE … FROM PUBLIC leaves those. ` +
      `So ${who} can call it directly (as an RPC of the Data API), and it runs with its owner's rights${vaultNote(f, vault)}. Add ${revoke}`,
    fixes: [{ title: `Revoke EXECUTE on ${f.signature} from ${keep.join(', ')} (Supabase's default privileges granted it)`, kind: 'unsafe', edits: [insertAfter(model, lastGrant(model, f, []), [revoke])] }],
  });
}

/** Supabase Vault's relations (the supabase_vault extension, on every Supabase database): its secrets and the view that decrypts them. */
const VAULT_RELATIONS: ReadonlySet<string> = new Set(['vault.secrets', 'vault.decrypted_secrets']);

/** A relation of Supabase Vault the migrations do not make themselves: no policy guards it, and anon and authenticated are not granted it. */
function vaultRelation(model: Model, k: string): boolean {
  return model.supabase && VAULT_RELATIONS.has(k) && !model.tables.has(k) && !model.views.has(k);
}

/** The Vault relations a definer reads (vaultRelation). */
const vaultReads = (model: Model, f: Func): string[] => [...f.reads].filter((k) => vaultRelation(model, k));

/** What a definer does with Vault's relations as its owner, for the message ('' when nothing). */
function vaultNote(f: Func, vault: readonly string[]): string {
  if (vault.length === 0) return '';
  const did = [...new Set(vault)].map((k) => `${f.reads.has(k) && f.writes.has(k) ? 'reads and writes' : f.writes.has(k) ? 'writes' : 'reads'} ${k}`).join(' and ');
  return `: it ${did} as its owner, Supabase Vault's secrets, which no policy guards and which anon and authenticated are not granted themselves`;
}

export const definerExecuteGrantedToPublic = defineRule({
  meta: {
    id: 'definer-execute-granted-to-public',
    description: "A SECURITY DEFINER function whose EXECUTE privilege is never revoked from PUBLIC, or is granted back to it (on Supabase, or where the project's default privileges grant EXECUTE to roles directly: revoked from PUBLIC only, which leaves them).",
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards: "Functions are executable by PUBLIC unless revoked (on Supabase, by anon and authenticated through default privileges as well): every role can call a definer helper directly, with its owner's rights (T22).",
    truths: ['T22'],
    sources: ['splinter 0028 anon_security_definer_function_executable', 'splinter 0029 authenticated_security_definer_function_executable'],
    shownBy: { exposure: 'execute' },
  },
  check({ model, report }) {
    const { definers, definerFacts } = functionLists(model);
    for (let i = 0; i < definers.length; i++) {
      if (platformFunction(model, definers[i]!)) continue; // (Supabase's own, from a dump: not the project's)
      if ((definerFacts[i]! & (DF_PUBLIC_EXECUTE | DF_TRIGGER)) === 0) {
        if (model.supabase) anonKeepsExecute(model, definers[i]!, report);
        if (definers[i]!.securityDefiner) defaultsKeepExecute(model, definers[i]!, report);
      }
      if ((definerFacts[i]! & (DF_PUBLIC_EXECUTE | DF_TRIGGER)) !== DF_PUBLIC_EXECUTE) continue; // (the definer is not read)
      const f = definers[i]!;
      // (nor one that gains nothing from its owner's rights: it computes on its arguments alone, definer-unneeded says so)
      if (!f.securityDefiner || settingsOnly(model, f) || gainsNothingAsOwner(model, f)) continue;
      const kind = f.isProcedure ? 'PROCEDURE' : 'FUNCTION';
      const sig = signatureSql(f);
      const users = policyRoles(model, f);
      const needPublic = users.find((u) => u.role === 'public');
      // (the roles holding EXECUTE directly: granted, or by the workspace's default privileges,
      // except Supabase's anon and authenticated in public, the platform's, which revokeFrom's anon below stands for)
      const held = heldByDefault(model, f);
      const holds = (r: string) => grantedExplicitly(model, f, r) || held.some((d) => d.role === r);
      const grantTo = [...new Set(users.map((u) => u.role))].filter((r) => r !== 'public' && !holds(r) && r !== f.owner?.role);
      const revokedFrom = grantEventsNaming(model, 'function', [f.signature])
        .map((e) => model.grantEvents[e]!)
        .filter((g) => !g.isGrant && !g.grantees.includes('public'))
        .flatMap((g) => g.grantees);
      const revokeFrom = ['PUBLIC'];
      if (model.supabase && !grantTo.includes('anon') && !users.some((u) => u.role === 'anon') && !holds('anon')) revokeFrom.push('anon');
      // roles granted EXECUTE directly (e.g. GRANT ALL ON ALL ROUTINES IN SCHEMA … TO anon) keep it
      // after REVOKE … FROM PUBLIC: revoked too, unless a policy that calls the function needs them
      // (not a role that bypasses RLS, Supabase's service_role: it reads every row itself, and
      // server code calls the function as it)
      // (nor a role granted EXECUTE on this very function by name: meant to call it, as
      // postgraphile_user_system's `grant execute on function app_public.change_password… to :DATABASE_VISITOR`)
      // (but a Supabase dump's GRANT ALL to anon and authenticated restates the platform's default
      // privileges, no choice: they keep EXECUTE after REVOKE … FROM PUBLIC, and are revoked too)
      const writtenOut = new Map<string, Loc>();
      for (const r of ['anon', 'authenticated']) {
        const at = platformGrantWrittenOut(model, f, r);
        if (at) writtenOut.set(r, at);
      }
      const byName = (r: string) => !writtenOut.has(r) && grantedByName(model, f, r, f.executeByDefault?.find((d) => d.role === r)?.made);
      const direct = [...f.executeGrants].filter((r) => r !== 'public' && holds(r) && r !== f.owner?.role && !users.some((u) => u.role === r) && model.roleBypassesRls(r) !== true && !byName(r));
      const restated = direct.filter((r) => writtenOut.has(r));
      for (const r of direct) if (!revokeFrom.includes(r)) revokeFrom.push(quoteIdent(r));
      // (granted by name to other roles, the ones meant to call it — a Supabase Auth hook's
      // supabase_auth_admin, kinetic639/coreframe-boilerplate's custom_access_token_hook —: on
      // Supabase authenticated holds EXECUTE by the platform's default privileges too, and keeps it
      // after REVOKE … FROM PUBLIC, anon unless named; Supabase's Auth Hooks guide revokes it from
      // authenticated, anon and public)
      const meant = model.supabase && f.schema === 'public' ? [...f.executeGrants].filter((r) => r !== 'public' && r !== 'anon' && r !== 'authenticated' && r !== f.owner?.role && grantedByName(model, f, r)) : [];
      const alsoAuthenticated = meant.length > 0 && revokeFrom.includes('anon') && !revokeFrom.includes('authenticated') && !grantTo.includes('authenticated') && !users.some((u) => u.role === 'authenticated') && !holds('authenticated') && !grantedByName(model, f, 'authenticated') && !executeRevokedFrom(model, f, 'authenticated', { publicDefaults: false });
      if (alsoAuthenticated) revokeFrom.push('authenticated');
      const statements = [`REVOKE EXECUTE ON ${kind} ${sig} FROM ${revokeFrom.join(', ')};`];
      if (grantTo.length) statements.push(`GRANT EXECUTE ON ${kind} ${sig} TO ${grantTo.map(quoteIdent).join(', ')};`);
      const fixes: Fix[] = needPublic
        ? []
        : [
            {
              title: grantTo.length
                ? `Revoke EXECUTE on ${f.signature} from ${revokeFrom.join(', ')} and grant it to ${grantTo.join(', ')} (the roles of the policies that call it)`
                : `Revoke EXECUTE on ${f.signature} from ${revokeFrom.join(', ')} (roles that call it must then be granted EXECUTE)`,
              kind: 'unsafe',
              edits: [insertAfter(model, lastGrant(model, f, direct), statements)],
            },
          ];
      const at = f.nameLoc;
      // (a table its body names that the migrations drop and do not make again: the body no longer
      // runs as written past it, machi-os's accept_pending_invites() after pending_invites was dropped)
      const gone = droppedNames(model, f);
      const altered = alteredOnly(model, f);
      const reads = ownerReads(f).filter((k) => !altered.includes(k));
      const refreshes = onlyRefreshes(model, f);
      // (PUBLIC's EXECUTE revoked, then granted back by name: the message says so, not that it was never revoked)
      const back = grantedBackToPublic(model, f);
      const emptied = f.truncates.size ? [...(truncation(model, f)?.emptied.keys() ?? [])] : [];
      report({
        ...at,
        message:
          `SECURITY DEFINER ${f.isProcedure ? 'procedure' : 'function'} ${f.signature} is executable by PUBLIC: ` +
          (back ? `the GRANT … TO PUBLIC at ${where(model, back.grant)} gives back the EXECUTE that the REVOKE … FROM PUBLIC at ${where(model, back.revoke)} took, ` : 'functions are executable by PUBLIC unless that is revoked, ') +
          `so every role${f.schema === 'public' || f.schema === 'pg_catalog' ? '' : ` that has USAGE on schema ${f.schema} (PUBLIC has it only on public unless granted)`} can call it directly ${f.argTypes.length ? `with arguments of its choosing, and it runs with its owner's rights: what it answers or does is then up to its body alone, which the policies no longer stand behind (T22)` : gone.length
              ? `and it runs with its owner's rights; it takes no argument, and its body names ${gone.map((g) => `${g.key}, which ${where(model, g.at)} drops`).join(', and ')}: a call that reaches ${gone.length > 1 ? 'them' : 'it'} fails with 42P01 (relation does not exist), so the function may no longer do what it did; drop it if nothing calls it any more, else revoking keeps it to the roles that need it (T22)`
              : f.writes.size
              ? // (a body that writes as its owner does it for whoever calls: k-connection's
                // grant_admin_to_current_user() inserts the caller into user_roles as 'admin')
                // (one that never looks at the caller writes the same rows whoever asks: Inventory-Manager's
                // expire_company_invites() marks every company's lapsed invites expired, no role of the caller's)
                `and it runs with its owner's rights; it takes no argument, but it writes ${[...f.writes].slice(0, 3).join(', ')} as its owner for whoever calls it (${
                  funcLooksAtCaller(model, f)
                    ? "what its body writes there for the caller, such as a role for themselves, any caller gets by calling it"
                    : 'its body never looks at who is calling, so any caller makes it write the same rows there, as often as it likes'
                }), and revoking keeps that to the roles that need it (T22)`
              : emptied.length
                ? // (a body that only empties tables: TRUNCATE as its owner, with the owner's privilege,
                  // and row-level security does not apply to it; not a TRUNCATE PostgreSQL refuses,
                  // Supabase's auth.users without CASCADE: its identities reference it, 0A000)
                  `and it runs with its owner's rights; it takes no argument, but it empties ${emptied.slice(0, 3).join(', ')} with TRUNCATE as its owner for whoever calls it (every row, whatever the policies let the caller see or delete: row-level security does not apply to TRUNCATE, and the caller needs no TRUNCATE privilege of its own), and revoking keeps that to the roles that need it (their call then fails with 42501 permission denied for function; T22)`
              : refreshes
                ? // (a body that only refreshes materialized views returns nothing of a table: what a caller gets
                  // is the refresh itself, the view's query run again as its owner, as often as they like)
                  `and it runs with its owner's rights; it takes no argument${refreshes.returnsNothing ? ' and returns nothing' : ', returns nothing it reads from a table'}, but it refreshes ${refreshes.views.slice(0, 3).join(', ')} as its owner for whoever calls it: REFRESH MATERIALIZED VIEW runs the view's query again over the tables it reads, as often as any caller likes (a caller refreshing it itself fails with 42501 unless it owns the view or, from PostgreSQL 17, holds MAINTAIN on it)${
                    refreshes.locking.length ? `, and without CONCURRENTLY it holds an ACCESS EXCLUSIVE lock on ${refreshes.locking.slice(0, 3).join(', ')} until the caller's transaction ends, so every read of ${refreshes.locking.length > 1 ? 'them' : 'it'} waits meanwhile` : ''
                  }, and revoking keeps that to the roles that need it (T22)`
              : altered.length && !f.returnsTrigger
                ? // (a body whose statements on a table change its definition, not its rows: crimedash's
                  // initialize_targets_schema() adds columns, a constraint and an index to targets,
                  // which only the table's owner may do: any caller does it through the function)
                  `and it runs with its owner's rights; it takes no argument, but it alters ${altered.slice(0, 3).join(', ')} (${alterKinds(f)}) as its owner for whoever calls it: a role that does not own ${altered.length > 1 ? 'them' : 'it'} may not do that itself (42501 must be owner of table), yet through the function it may, as often as it likes${
                    reads.length ? `, and it reads ${reads.slice(0, 3).join(', ')} as its owner` : ''
                  }, and revoking keeps that to the roles that need it (T22)`
              : reads.length && !f.returnsTrigger && !funcLooksAtCaller(model, f)
                ? // (a body that reads as its owner and never looks at the caller answers every caller alike:
                  // database-build's supabase_functions_certificate_secret() hands anon a Vault secret)
                  `and it runs with its owner's rights; it takes no argument, but it reads ${reads.slice(0, 3).join(', ')} as its owner and never looks at who is calling, so every caller gets what its body returns of ${reads.length > 1 ? 'them' : 'it'}, the same for all (a secret, or rows the caller may not read itself, if that is what it returns), and revoking keeps that to the roles that need it (T22)`
                : vaultReads(model, f).length
                  ? // (a body reading Vault that may look at the caller too, a setting first: restaurant-copilot's
                    // get_employee_bank_encryption_key() returns app.employee_bank_encryption_key, else the Vault secret)
                    `and it runs with its owner's rights; it takes no argument, but it reads ${vaultReads(model, f).join(' and ')} as its owner, Supabase Vault's secrets, which no policy guards and which anon and authenticated are not granted themselves: a caller gets whatever its body returns of them, and revoking keeps that to the roles that need it (T22)`
                  : `and it runs with its owner's rights; it takes no argument, so a caller gets only what its body chooses (e.g. about the caller themselves), and revoking keeps even that to the roles that need it (T22)`}. ` +
          (revokedFrom.length ? `Revoking it from ${[...new Set(revokedFrom)].join(', ')} does not remove PUBLIC's privilege. ` : '') +
          (direct.length
            ? `It is also granted to ${direct.join(', ')} directly${held.some((d) => direct.includes(d.role)) ? ` (by the default privileges set ${defaultsSetAt(model, held, direct)}, ALTER DEFAULT PRIVILEGES … GRANT EXECUTE ON FUNCTIONS, when it was made)` : ''}${
                restated.length
                  ? ` (${restated.join(' and ')} at ${where(model, writtenOut.get(restated[0]!)!)}: a GRANT ALL to anon, authenticated and service_role, as a dump of the database writes for every function, is Supabase's default privileges written out, not a choice to let ${restated.length > 1 ? 'them' : 'it'} call this one)`
                  : ''
              }, which keep${direct.length > 1 ? '' : 's'} EXECUTE after a REVOKE … FROM PUBLIC. `
            : '') +
          (alsoAuthenticated
            ? `It is granted to ${meant.join(', ')} by name, the role${meant.length > 1 ? 's' : ''} meant to call it, while on Supabase default privileges grant EXECUTE on new functions in public to anon and authenticated directly, and a REVOKE … FROM PUBLIC leaves those: the REVOKE names them. `
            : '') +
          (needPublic
            ? `Policy ${needPublic.policy} applies to PUBLIC and calls it, so every role needs EXECUTE: give that policy roles (TO …) first, then revoke.`
            : (back ? `Grant EXECUTE at ${where(model, back.grant)} to the roles that must call it instead of PUBLIC, or add ${statements[0]} after it` : `Add ${statements[0]}`) +
              (grantTo.length
                ? ` and ${statements[1]} (${grantTo.join(', ')}: the role${grantTo.length > 1 ? 's' : ''} of policies that call it, which would otherwise fail with 42501), plus grants for any other role that must call it.`
                : ' and grant EXECUTE to the roles that must call it.')) +
          (model.supabase && !(revokeFrom.includes('anon') && revokeFrom.includes('authenticated')) ? ' On Supabase, default privileges usually grant EXECUTE on new functions in public to anon and authenticated directly as well.' : '') +
          // (a query of it that fails as written, 42702: nothing is answered until that is fixed)
          failsAsWritten(model, f),
        fixes,
      });
    }
  },
});

/**
 * The materialized views f refreshes, when refreshing them is all it does with tables (every
 * statement of its body a REFRESH MATERIALIZED VIEW, WITH NO DATA none, or one that reads no
 * relation and calls no function of the workspace; `returnsNothing` when it returns void), with those refreshed
 * without CONCURRENTLY (`locking`: PostgreSQL holds an ACCESS EXCLUSIVE lock on them until the
 * transaction ends; CONCURRENTLY takes an EXCLUSIVE one, which lets reads go on).
 */
function onlyRefreshes(model: Model, f: Func): { views: string[]; locking: string[]; returnsNothing: boolean } | undefined {
  const body = f.body;
  if (!body || body.errors.length || body.lexical || body.dynamicExecutes.length || body.statements.length === 0 || f.writes.size || f.truncates.size) return undefined;
  const views: string[] = [];
  const locking: string[] = [];
  for (const s of body.statements) {
    const rel = s.node?.relation;
    // (a statement reading no relation and calling none of the workspace's functions: what it
    // computes comes from no table, as raffle-builder's refresh_raffle_stats() timing its refresh,
    // `v_start := clock_timestamp()` … `RETURN QUERY SELECT v_end, …`)
    if (s.kind !== 'RefreshMatViewStmt' && relationsIn(s.node).length === 0 && callsIn(s.node).every((c) => !model.findFunction(c.name, c.args.length))) continue;
    if (s.kind !== 'RefreshMatViewStmt' || s.node.skipData || typeof rel?.relname !== 'string') return undefined;
    const key = [...f.reads].find((k) => k === (rel.schemaname ? `${rel.schemaname}.${rel.relname}` : k.slice(k.indexOf('.') + 1) === rel.relname ? k : undefined));
    if (!key) return undefined;
    if (!views.includes(key)) views.push(key);
    if (!s.node.concurrent && !locking.includes(key)) locking.push(key);
  }
  // (nothing else read: the reads are the views refreshed)
  return views.length && [...f.reads].every((k) => views.includes(k)) ? { views, locking, returnsNothing: f.isProcedure || f.returnType === 'void' } : undefined;
}

/** Statements of a body that change a table's definition, not its rows, with how the message names them. */
const ALTER_KINDS: Record<string, string> = { AlterTableStmt: 'ALTER TABLE', IndexStmt: 'CREATE INDEX' };

/**
 * The tables f's body names only as the table of an ALTER TABLE or CREATE INDEX (the model counts
 * every relation a body's statements name among its reads): it changes their definition as its
 * owner and reads none of their rows. Empty when a statement of the body could not be read.
 */
function alteredOnly(model: Model, f: Func): string[] {
  const body = f.body;
  if (!body || body.errors.length || body.lexical || body.dynamicExecutes.length) return [];
  const altered: string[] = [];
  const named = new Set<string>();
  for (const s of body.statements) {
    const rel = ALTER_KINDS[s.kind] ? s.node?.relation : undefined;
    if (rel?.relname) {
      const k = model.funcRelKey(f, rel);
      if (!altered.includes(k)) altered.push(k);
      continue;
    }
    for (const r of relationsIn(s.node)) named.add(model.funcRelKey(f, r.node));
  }
  return altered.filter((k) => !named.has(k) && f.reads.has(k) && !f.writes.has(k) && model.tables.has(k));
}

/** How f's body alters tables: the kinds of its statements doing so, in order. */
function alterKinds(f: Func): string {
  const kinds: string[] = [];
  for (const s of f.body?.statements ?? []) {
    const kind = ALTER_KINDS[s.kind];
    if (kind && s.node?.relation?.relname && !kinds.includes(kind)) kinds.push(kind);
  }
  return kinds.join(', ');
}

/**
 * The relations f's body reads or writes that the migrations drop (DROP TABLE or DROP VIEW) and do
 * not make again, each with where its last DROP is. Looked for only when one of them is missing
 * from the model (seldom), then over the model's statements.
 */
function droppedNames(model: Model, f: Func): Array<{ key: string; at: Loc }> {
  const missing: string[] = [];
  for (const k of [...f.reads, ...f.writes, ...f.truncates]) if (!model.tables.has(k) && !model.views.has(k) && !missing.includes(k)) missing.push(k);
  if (missing.length === 0) return [];
  // (the first DROP after the relation's last creation: a later one finds it gone — DROP … IF EXISTS
  // does nothing, a DO block's `IF to_regclass(…) IS NOT NULL` skips it; Coffeebro's daily_runs,
  // dropped by 20260222010100_create_daily_coffees.sql and not by the same block a migration later)
  const out = new Map<string, Loc>();
  for (const { file, stmt } of model.statements) {
    const n = stmt.node;
    const made = stmt.kind === 'CreateStmt' ? n?.relation : stmt.kind === 'ViewStmt' ? n?.view : stmt.kind === 'CreateTableAsStmt' ? n?.into?.rel : undefined;
    if (made?.relname) {
      out.delete(model.relKey(made));
      continue;
    }
    if (stmt.kind !== 'DropStmt' || (n?.removeType !== 'OBJECT_TABLE' && n?.removeType !== 'OBJECT_VIEW')) continue;
    for (const o of n.objects ?? []) {
      const parts: string[] = (o?.List?.items ?? []).map((x: { String?: { sval?: string } }) => x?.String?.sval ?? '');
      const key = parts.length === 2 ? `${parts[0]}.${parts[1]}` : parts.length === 1 ? model.relKey({ relname: parts[0] }) : undefined;
      if (!key || !missing.includes(key) || out.has(key)) continue;
      out.set(key, { file: file.file, start: stmt.start, end: stmt.end });
    }
  }
  return [...out].map(([key, at]) => ({ key, at }));
}

/**
 * The relations a function reads that a caller may not read itself: not the system catalogs every
 * role reads (the model keys an unqualified pg_class or pg_policies as pg_catalog's; regression
 * check: "it reads public.pg_class as its owner"), but pg_authid or pg_statistic, which it does not
 * (PG_CATALOG_NOT_PUBLIC); not information_schema's views.
 */
function ownerReads(f: Func): string[] {
  return [...f.reads].filter((k) => {
    const dot = k.indexOf('.');
    const schema = k.slice(0, dot);
    return (schema !== 'pg_catalog' || PG_CATALOG_NOT_PUBLIC.has(k.slice(dot + 1))) && schema !== 'information_schema';
  });
}
