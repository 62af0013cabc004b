// Small helpers shared by rules: source text, names as written, and fix builders.
import { admitsNothing, appliesToRole, onSupabasePlatform, roleList, rolesSubjectToRls } from '../../analysis/policies.js';
import { mayBeDynamic } from '../../analysis/dynamic-rls.js';
import { quoteIdent } from '../../analysis/parse.js';
import { columnsBeyond, notReplayedReason, replayPlaces, TRIGGER_DELETE, TRIGGER_INSERT, TRIGGER_TRUNCATE, TRIGGER_UPDATE, type ContextWrite, type Func, type FunctionSetting, type GrantEvent, type Model, type Policy, type PolicyCommand, type Table, type TableRecreation, type Trigger, type View } from '../../analysis/model.js';
import { createsReferencingLater, referenceFailure } from '../../analysis/columns.js';
import type { Loc, Node, ParsedFile, Statement } from '../../analysis/types.js';
import { callsIn, constValue, idOf, listItemEnd, memoised, PLATFORM_SCHEMAS, roleName, shapeOf, stringConst, typeName } from '../../analysis/ast.js';
import { defElems, doBlockAround, nameParts, sval, walk } from '../../analysis/parse.js';
import { anyStatementIn, constBool, fileByName, functionsToken, memoModel, orderOf, policiesWithKey, policyRows, type PolicyRow } from '../../analysis/policy-exprs.js';
import { columnsGrantedOnly, COMMAND_PRIVILEGES, finalRoleName, grantsManagedFor, ownsOrSuperuser, platformPrivileges, privilegesOf, PSEUDO_ROLES, revokedFrom, rlsSubjectGrantees, SUPABASE_PLATFORM_GRANTEES, workspaceManagesTableGrants } from '../../analysis/privileges.js';
import { policyCallNames } from '../../analysis/recursion.js';
import { CLI_APPLIED, supabaseMigrationMatch } from '../../analysis/snapshot.js';
import { rejectedPolicies } from '../../analysis/rejected.js';
import type { Edit, KeptFinding, Report } from '../types.js';
import { functionsFacts, keeper, sameFacts, type Keeper } from './kept.js';
import { listOr } from '../../analysis/words.js';

/**
 * Whether policy q applies to writer r: a writer for PUBLIC is every role, those a SELECT (or
 * INSERT, or RESTRICTIVE) policy names too (appliesToRole(q TO authenticated, 'public') is false).
 * An UPDATE policy for PUBLIC beside a SELECT policy TO authenticated that admits the moved row
 * lets a signed-in user's UPDATE … WHERE succeed, where the SELECT policies asked of PUBLIC alone
 * would have it fail (42501): policy-update-moves-row, policy-insert-plants-row.
 */
export function forWriter(model: Model, q: Policy, r: string): boolean {
  return r === 'public' || appliesToRole(model, q, r);
}

export function fileOf(model: Model, file: string): ParsedFile | undefined {
  return fileByName(model, file);
}

export function textOf(model: Model, loc: Loc): string {
  return fileOf(model, loc.file)?.text.slice(loc.start, loc.end) ?? '';
}

/**
 * The table's name as written in its CREATE TABLE (e.g. `t`, `app.t`, `"T"`), or, for a
 * statement placed after the table was renamed (`at`), its new name.
 */
export function tableName(model: Model, t: Table, at?: Loc): string {
  if (at && t.renamed && orderOf(model, at) >= orderOf(model, t.renamed)) {
    const name = quoteIdent(t.name);
    return t.schema === (model.config.defaultSchema || 'public') ? name : `${quoteIdent(t.schema)}.${name}`;
  }
  return textOf(model, t.nameLoc) || t.key;
}

/** The text of a function's body as written (inside its quotes); '' for a function without one. */
export function bodyText(model: Model, f: Func): string {
  return f.body ? (fileOf(model, f.created.file)?.text.slice(f.body.start, f.body.end) ?? '') : '';
}

/** Comments and string literals blanked (same offsets), so keywords are found only in code. */
export function codeOnly(s: string): string {
  return s.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** Offset just after the statement's terminating semicolon (or its end when there is none). */
export function afterStatement(model: Model, loc: Loc): number {
  const text = fileOf(model, loc.file)?.text ?? '';
  let i = loc.end;
  while (i < text.length && /[ \t]/.test(text[i]!)) i++;
  return text[i] === ';' ? i + 1 : loc.end;
}

/** An edit removing a statement: from its start to its semicolon, with the rest of its line when only blanks remain there. */
export function removeStatement(model: Model, loc: Loc): Edit {
  const text = fileOf(model, loc.file)?.text ?? '';
  let end = afterStatement(model, loc);
  let j = end;
  while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
  if (text[j] === '\r') j++;
  if (text[j] === '\n') end = j + 1;
  return { file: loc.file, start: loc.start, end, newText: '' };
}

/** The statement among `locs` that comes last in replay order (a file psql includes runs where it is included). */
export function latestInReplay(model: Model, locs: Loc[]): Loc {
  const places = replayPlaces(model);
  return locs.reduce((a, b) => (places.before(a, b) ? b : a));
}

/** An edit inserting whole statements on new lines right after a statement. */
export function insertAfter(model: Model, loc: Loc, statements: string[]): Edit {
  const at = afterStatement(model, loc);
  const text = fileOf(model, loc.file)?.text ?? '';
  const semicolon = text[at - 1] === ';' ? '' : ';';
  return { file: loc.file, start: at, end: at, newText: `${semicolon}\n${statements.join('\n')}` };
}

/**
 * Whether FORCE ROW LEVEL SECURITY would change anything for the table's owner: not for an owner
 * that bypasses RLS anyway (a superuser or BYPASSRLS role) — one the workspace shows, or, when it
 * shows none, the role that ran the migrations, as assumed for definer functions
 * (definerOwnerBypassesRls; auto: a Supabase layout, whose migrations run as postgres, which has
 * BYPASSRLS). rls-not-forced reports only where it would; the fixes enabling RLS add FORCE only there.
 */
export function forceMatters(model: Model, t: Table): boolean {
  return !(t.owner ? model.roleBypassesRls(t.owner.role) === true : model.assumeUnknownOwnerBypassesRls);
}

/** ENABLE (and FORCE) ROW LEVEL SECURITY statements for a table, and the fix title naming them. */
export function enableRlsFix(name: string, force: boolean): { title: string; statements: string[] } {
  const statements = [`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`];
  if (force) statements.push(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;`);
  return { title: `${force ? 'Enable and force' : 'Enable'} row-level security on ${name}`, statements };
}



/**
 * `file:line` of a location, 1-based, for messages that name another place; a file of a history
 * whose migrations are folders is named with its folder, the version (`1736166836055_init/up.sql:3`,
 * Hasura's, diesel's, Prisma's `20240101000000_init/migration.sql:3`): every migration's file has that name.
 */
export function where(model: Model, loc: Loc): string {
  const f = fileOf(model, loc.file);
  const line = f ? f.positionAt(loc.start).line + 1 : 0;
  const parts = loc.file.replace(/^file:\/\//, '').split(/[\\/]/);
  const name = parts.pop();
  const folder = parts.pop();
  return `${folder !== undefined && /^\d[\d-]*_/.test(folder) ? `${folder}/` : ''}${name}:${line}`;
}

export { quoteIdent };
/** A role as SQL writes it (messages, fixes): analysis/ast.ts's roleText. */
export { roleText } from '../../analysis/ast.js';

/**
 * The nearest partition parent or inheritance ancestor with row-level security enabled, if any
 * (partition-without-rls reports such a child; rls-not-enabled and rls-enabled-without-policy leave it to it).
 */
export function rlsAncestor(model: Model, t: Table): { table: Table; kind: 'partition' | 'inherits'; loc: Loc } | undefined {
  const seen = new Set<string>([t.key]);
  let level: Array<{ key: string; kind: 'partition' | 'inherits'; loc: Loc }> = t.parents;
  while (level.length) {
    const next: typeof level = [];
    for (const p of level) {
      if (seen.has(p.key)) continue;
      seen.add(p.key);
      const parent = model.tables.get(p.key);
      if (!parent) continue;
      // kind and loc stay those of t's own step (the statement that made t a child)
      if (parent.rlsEnabled) return { table: parent, kind: p.kind, loc: p.loc };
      next.push(...parent.parents.map((x) => ({ key: x.key, kind: p.kind, loc: p.loc })));
    }
    level = next;
  }
  return undefined;
}

/**
 * The model's tables in model.tables order, as an array (per model). Rules walk it, and the
 * tables' policies and roles, with an index: a for-of over a Map or an array in a check, which
 * runs once per lint and mostly unoptimised, allocates an iterator result per step
 * (policy-role-without-grant's walk of the bench's 2,236 tables, 8,938 policies and their
 * roles: ≈ 0.5 MB a re-lint).
 */
export function tableList(model: Model): Table[] {
  return memoModel(model, 'rules:tableList', listTables);
}
function listTables(model: Model): Table[] {
  const out: Table[] = [];
  model.tables.forEach((t) => {
    out.push(t);
  });
  return out;
}

/**
 * Calls `fn` with each table of the workspace that has RLS enabled, in model.tables order, and
 * the range [from, to) of its policies in model.policies (what policyFacts follows: the tables'
 * policies come first, in this order).
 */
export function forEachEnabledTable(model: Model, fn: (t: Table, from: number, to: number) => void): void {
  const tables = tableList(model);
  let k = 0;
  for (let i = 0; i < tables.length; i++) {
    const t = tables[i]!;
    const from = k;
    k += t.policies.length;
    if (t.rlsEnabled) fn(t, from, k);
  }
}

/**
 * Calls `fn` with each table key the workspace does not create but has policies on (e.g.
 * storage.objects), in first-seen order, and its policies in model order.
 */
export function forEachPolicyKeyWithoutTable(model: Model, fn: (key: string, policies: Policy[]) => void): void {
  // the rows of such policies are those without a table; a key's first policy stands for it
  const rows = policyRows(model);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.table) continue;
    const key = row.policy.table;
    const policies = policiesWithKey(model, key);
    if (policies[0] === row.policy) fn(key, policies);
  }
}

/** How a policy naming PUBLIC came to: `has no TO clause, so it applies to PUBLIC` or `is TO PUBLIC` (one wording for every rule). */
export function toPublic(p: Policy): string {
  return p.implicitPublic ? 'has no TO clause, so it applies to PUBLIC' : 'is TO PUBLIC';
}

/** Privileges a policy's command needs; for ALL, any one of them makes the policy usable (shared: not mutated). */
const NEEDED: Record<PolicyCommand, readonly string[]> = {
  all: [...COMMAND_PRIVILEGES],
  select: ['select'],
  insert: ['insert'],
  update: ['update'],
  delete: ['delete'],
};

export function privilegesNeeded(p: Policy): readonly string[] {
  return NEEDED[p.command];
}

/** Whether a privilege set holds one of `need`. */
export function hasAnyPrivilege(privileges: ReadonlySet<string> | undefined, need: readonly string[]): boolean {
  if (privileges) for (let i = 0; i < need.length; i++) if (privileges.has(need[i]!)) return true;
  return false;
}

/**
 * Whether `role` may hold one of the privileges `need` on table `t` as far as the migrations
 * say: granted (on the table itself first: the common case, with no look-up), ownership or
 * superuser; grants managed elsewhere (the migrations grant the role nothing on tables, and
 * revoke nothing from it here); or Supabase's platform defaults may grant it (platformMayGrant:
 * migrations outside a Supabase layout that call auth.uid() may run on Supabase), less what
 * they revoke. What rules claim a role lacks.
 */
export function mayHoldPrivilege(model: Model, t: Table | View, role: string, need: readonly string[]): boolean {
  if (hasAnyPrivilege(t.grants.get(role), need) || ownsOrSuperuser(model, t, role)) return true;
  if (!grantsManagedFor(model, role) && !revokedFrom(model, t, role)) return true;
  if (hasAnyPrivilege(privilegesOf(model, t, role), need)) return true;
  return platformPrivileges(model, t, role, true).some((x) => need.includes(x));
}

/**
 * Whether some role a policy for PUBLIC applies to, other than the table's owner, may hold one of
 * `need` on table `t`: PUBLIC itself granted it, a role subject to RLS granted it (directly, or by
 * Supabase's platform defaults less what is revoked: mayHoldPrivilege), an API role Supabase may
 * grant it to; or any role where the workspace grants no table privileges at all (they are granted
 * elsewhere). A table whose privileges the migrations give no such role, or take back (`REVOKE
 * INSERT ON workspace_members FROM app`), is written through such a policy by no one but its owner:
 * every other role's statement fails with 42501 before a policy is asked (T28).
 */
export function publicMayHold(model: Model, t: Table, need: readonly string[]): boolean {
  if (!workspaceManagesTableGrants(model) || hasAnyPrivilege(t.grants.get('public'), need)) return true;
  for (const r of rlsSubjectGrantees(model, t)) if (r !== 'public' && r !== t.owner?.role && mayHoldPrivilege(model, t, r, need)) return true;
  return API_ROLES.some((r) => platformPrivileges(model, t, r, true).some((x) => need.includes(x)));
}

/**
 * Whether a request may reach the table or view on Supabase: anon or authenticated may hold one
 * of `need`, or another role subject to RLS (not its owner, not a BYPASSRLS role) is granted one.
 * A relation every API role lost its privileges on, granted to no such role, is reached by no
 * request (gearup's trigger_debug; herocast's views revoked from anon and authenticated).
 */
export function requestsReach(model: Model, rel: Table | View, need: readonly string[]): boolean {
  return ['anon', 'authenticated'].some((r) => mayHoldPrivilege(model, rel, r, need)) || grantedToRlsSubject(model, rel, need);
}

/** Whether a role subject to RLS other than the relation's owner (PUBLIC included, not a BYPASSRLS role) is granted one of `need` on it. */
export function grantedToRlsSubject(model: Model, rel: Table | View, need: readonly string[]): boolean {
  for (const [role, privileges] of rel.grants) {
    if (role === rel.owner?.role || (PSEUDO_ROLES.has(role) && role !== 'public') || model.roleBypassesRls(role) === true) continue;
    if (need.some((x) => privileges.has(x) || privileges.has('all'))) return true;
  }
  return false;
}

/** Whether `role` may run the policy's command on table `t` as far as the migrations say (mayHoldPrivilege). */
export function mayRunPolicyCommand(model: Model, t: Table, p: Policy, role: string): boolean {
  return mayHoldPrivilege(model, t, role, privilegesNeeded(p));
}

// Bits of policyFacts: the policy's command (one bit each), …
export const PF_ALL = 1;
export const PF_SELECT = 2;
export const PF_INSERT = 4;
export const PF_UPDATE = 8;
export const PF_DELETE = 16;
/** PERMISSIVE */
export const PF_PERMISSIVE = 32;
/** it has a USING */
export const PF_USING = 64;
/** it has a WITH CHECK */
export const PF_CHECK = 128;
/** its roles include PUBLIC */
export const PF_PUBLIC = 256;
/** on a table the workspace creates, each of its roles is a pseudo role or is granted on the table itself a privilege its command needs */
export const PF_GRANTED = 512;
/** its roles include anon (Supabase's and PostgREST's role for requests without a signed-in user) */
export const PF_ANON = 1024;

const COMMAND_BITS: Record<PolicyCommand, number> = { all: PF_ALL, select: PF_SELECT, insert: PF_INSERT, update: PF_UPDATE, delete: PF_DELETE };

/** The roles the workspace's policies name (not PUBLIC), subject to RLS: their queries are meant to be filtered. */
export function policySubjects(model: Model): readonly string[] {
  return memoModel(model, 'rules:policySubjects', subjectsOfPolicies);
}
function subjectsOfPolicies(model: Model): string[] {
  const out = new Set<string>();
  const tablesOfPublic = new Set<string>();
  // (roles named only by FOR ALL policies admitting every row: an admin or service role, meant to see
  // and write every row; not one named by a public read, `FOR SELECT TO web_user USING (true)`, whose
  // other tables' PUBLIC policies may well be meant for it)
  const unfiltered = new Set<string>();
  for (const p of model.policies) {
    // (a policy admitting every row filters no one: mealplanner's app_admin, all of whose policies are USING (true))
    if (constBool(p.using) === true || (!p.using && constBool(p.withCheck) === true)) {
      if (p.permissive && p.command === 'all' && constBool(p.using) === true && (!p.withCheck || constBool(p.withCheck) === true))
        for (const r of p.roles) if (r !== 'public') unfiltered.add(r);
      continue;
    }
    for (const r of p.roles) if (r !== 'public' && !PSEUDO_ROLES.has(r)) out.add(r);
    if (p.roles.includes('public')) tablesOfPublic.add(p.table);
  }
  // (policies written for PUBLIC: the roles granted their tables are the ones they filter, but the owner
  // and the roles the policies name only to admit every row — sushii-db's admin role, given every table
  // of app_public and named by `admin_access … USING (true)` alone; debate-map's rls_obeyer, given every
  // table of app by default privileges and named by no policy, is one)
  const adminOnly = (r: string) => unfiltered.has(r) && !out.has(r);
  for (const k of tablesOfPublic) {
    const t = model.tables.get(k);
    if (t?.rlsEnabled) for (const r of t.grants.keys()) if (r !== 'public' && !PSEUDO_ROLES.has(r) && r !== t.owner?.role && !adminOnly(r)) out.add(r);
  }
  return [...out].filter((r) => model.roleBypassesRls(r) !== true && !model.roles.get(r)?.superuser);
}

/**
 * What rules filter policies on, per policy of model.policies (the same index, so that of
 * policyRows too), as PF_ bits; one pass per model. A pass over the policies and their role
 * names reads objects spread over the heap (on the bench, 8,938 policies: ≈ 1.2 ms a pass after
 * a model build, mostly memory reads), which each rule walking every policy paid again.
 */
export function policyFacts(model: Model): Uint16Array {
  return memoModel(model, 'rules:policyFacts', factsOfPolicies);
}
function factsOfPolicies(model: Model): Uint16Array {
  const rows = policyRows(model);
  const out = new Uint16Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    // kept on the row, which is kept across models while its policy and table are the same objects
    out[i] = row.bits ??= bitsOf(row);
  }
  // a policy PostgreSQL rejects never exists: no bits (every rule filtering on them asks for a command)
  const rejected = rejectedPolicies(model);
  if (rejected.size) for (let i = 0; i < rows.length; i++) if (rejected.has(rows[i]!.policy)) out[i] = 0;
  return out;
}

function bitsOf(row: PolicyRow): number {
  const p = row.policy;
  let f = COMMAND_BITS[p.command] | (p.permissive ? PF_PERMISSIVE : 0) | (p.using ? PF_USING : 0) | (p.withCheck ? PF_CHECK : 0);
  const roles = p.roles;
  const t = row.table;
  let granted = !!t;
  const need = NEEDED[p.command];
  for (let j = 0; j < roles.length; j++) {
    const r = roles[j]!;
    if (r === 'public') f |= PF_PUBLIC;
    else if (r === 'anon') f |= PF_ANON;
    if (granted && !PSEUDO_ROLES.has(r) && !hasAnyPrivilege(t!.grants.get(r), need)) granted = false;
  }
  return granted ? f | PF_GRANTED : f;
}

/** Functions rules look at, each list in allFunctions() order (one pass per model). */
export interface FunctionLists {
  /** SECURITY DEFINER functions */
  definers: Func[];
  /** DF_ bits of each of `definers` (the same index), which the definer rules filter on instead of each reading every definer */
  definerFacts: Uint8Array;
  /** functions with a SET row_security clause */
  rowSecurity: Func[];
  /** IMMUTABLE functions */
  immutables: Func[];
  /** functions returning boolean whose body is one statement (policy-always-true's helpers that may only return a constant or who calls) */
  oneStatementBooleans: Func[];
  /** functions whose EXECUTE PUBLIC lost, and (the same index) their places in model.functions, counted across its lists in its order */
  revoked: Func[];
  /** SQL and PL/pgSQL functions with a body that writes a table (INSERT, UPDATE, DELETE), not trigger functions */
  writers: Func[];
  revokedPlaces: number[];
}

// Bits of FunctionLists.definerFacts
/** it has a SET search_path clause */
export const DF_SEARCH_PATH = 1;
/** LANGUAGE plpgsql, with a body */
export const DF_PLPGSQL_BODY = 2;
/** RETURNS trigger */
export const DF_TRIGGER = 4;
/** it has a body */
export const DF_BODY = 8;
/** PUBLIC can execute it */
export const DF_PUBLIC_EXECUTE = 16;
/** it changes tables (rows, or empties them with TRUNCATE), or returns something other than void, a yes/no or a number (row data) */
export const DF_ROW_DATA = 32;
/** its body runs dynamic SQL (EXECUTE of a string: body.dynamicExecutes) */
export const DF_DYNAMIC = 64;

/** Return types that carry no row data: a yes/no or a number (a policy helper's answer, a count). */
const NO_ROW_DATA = new Set(['void', 'boolean', 'smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision']);

/**
 * Whether `f` hands back data of the rows it reads: its return type is not one of NO_ROW_DATA,
 * nor a record (RETURNS TABLE or OUT parameters) whose columns all are (e.g. counts).
 */
export function returnsRowData(f: Func): boolean {
  if (NO_ROW_DATA.has(f.returnType) && !f.isProcedure) return false;
  if (f.returnType !== 'record' && f.returnType !== 'setof record' && !f.isProcedure) return true;
  const outs: string[] = [];
  for (const x of f.stmt.node?.parameters ?? []) {
    const prm = x?.FunctionParameter;
    if (prm && (prm.mode === 'FUNC_PARAM_OUT' || prm.mode === 'FUNC_PARAM_TABLE' || prm.mode === 'FUNC_PARAM_INOUT')) outs.push(typeName(prm.argType));
  }
  // (a procedure gives back only its OUT and INOUT parameters)
  if (f.isProcedure) return outs.length !== 0 && !outs.every((t) => NO_ROW_DATA.has(t));
  return outs.length === 0 || !outs.every((t) => NO_ROW_DATA.has(t));
}

export function functionLists(model: Model): FunctionLists {
  return memoModel(model, 'rules:functionLists', listFunctions);
}
function listFunctions(model: Model): FunctionLists {
  const out: FunctionLists = { definers: [], definerFacts: new Uint8Array(0), rowSecurity: [], immutables: [], oneStatementBooleans: [], revoked: [], revokedPlaces: [], writers: [] };
  const facts: number[] = [];
  // each overload list's part, kept from the last model's list at the same place when it is the
  // same array (a replay shares the lists an edit does not touch): its functions are not read
  // again (on the bench, 4,474 functions spread over the heap, ≈ 1.5 ms a re-lint; kept on the
  // list with lib/kept.ts, a WeakMap lookup per list, ≈ 0.4 ms more)
  const last = lastLists;
  const lists: Array<Func[]> = [];
  const parts: ListPart[] = [];
  let i = 0;
  // (end: the place in model.functions after the list's last function)
  let end = 0;
  model.functions.forEach((list) => {
    const part = last !== undefined && last.lists[i] === list ? last.parts[i]! : partOf(list);
    lists.push(list);
    parts.push(part);
    i++;
    end += list.length;
    if (part === NO_PART) return;
    for (let j = 0; j < part.revoked.length; j++) {
      out.revoked.push(list[part.revoked[j]!]!);
      out.revokedPlaces.push(end - list.length + part.revoked[j]!);
    }
    for (let j = 0; j < part.definers.length; j++) {
      out.definers.push(part.definers[j]!);
      facts.push(part.definerFacts[j]!);
    }
    for (let j = 0; j < part.immutables.length; j++) out.immutables.push(part.immutables[j]!);
    for (let j = 0; j < part.oneStatementBooleans.length; j++) out.oneStatementBooleans.push(part.oneStatementBooleans[j]!);
    for (let j = 0; j < part.rowSecurity.length; j++) out.rowSecurity.push(part.rowSecurity[j]!);
    for (let j = 0; j < part.writers.length; j++) out.writers.push(part.writers[j]!);
  });
  lastLists = { lists, parts };
  const definerFacts = new Uint8Array(facts.length);
  for (let k = 0; k < facts.length; k++) definerFacts[k] = facts[k]!;
  out.definerFacts = definerFacts;
  return out;
}

/** What one overload list gives each of FunctionLists' lists. */
interface ListPart {
  definers: Func[];
  definerFacts: number[];
  rowSecurity: Func[];
  immutables: Func[];
  oneStatementBooleans: Func[];
  /** the indexes in the list of its functions whose EXECUTE PUBLIC lost */
  revoked: number[];
  writers: Func[];
}
/** (a part's lists start as this shared empty one, and get their own at their first function: most parts hold one list's definers only) */
const NONE_YET: never[] = [];
const newPart = (): ListPart => ({ definers: NONE_YET, definerFacts: NONE_YET, rowSecurity: NONE_YET, immutables: NONE_YET, oneStatementBooleans: NONE_YET, revoked: NONE_YET, writers: NONE_YET });
const NO_PART: ListPart = newPart();

/** The overload lists of the last model listFunctions went through (model.functions' values, in order), and their parts. */
let lastLists: { lists: Array<Func[]>; parts: ListPart[] } | undefined;
/** Adds `x` to a part's list `k`, giving the part its own list first. */
function addTo<K extends keyof ListPart>(part: ListPart, k: K, x: ListPart[K][number]): void {
  if (part[k] === NONE_YET) (part[k] as unknown[]) = [];
  (part[k] as unknown[]).push(x);
}

function partOf(list: readonly Func[]): ListPart {
  let part: ListPart | undefined;
  for (let i = 0; i < list.length; i++) {
    const f = list[i]!;
    if (f.securityDefiner) {
      part ??= newPart();
      addTo(part, 'definers', f);
      addTo(
        part,
        'definerFacts',
        (settingOf(f, 'search_path') ? DF_SEARCH_PATH : 0) |
          (f.body ? DF_BODY | (f.language === 'plpgsql' ? DF_PLPGSQL_BODY : 0) : 0) |
          (f.returnsTrigger ? DF_TRIGGER : 0) |
          (f.publicExecute ? DF_PUBLIC_EXECUTE : 0) |
          // (or empties a table: TRUNCATE, which no policy limits, as definer-bypasses-rls says)
          (f.writes.size || f.truncates.size || returnsRowData(f) ? DF_ROW_DATA : 0) |
          (f.body && f.body.dynamicExecutes.length !== 0 ? DF_DYNAMIC : 0),
      );
    }
    if (f.volatility === 'immutable') addTo((part ??= newPart()), 'immutables', f);
    if ((f.returnType === 'boolean' || f.returnType === 'bool') && f.body?.statements.length === 1) addTo((part ??= newPart()), 'oneStatementBooleans', f);
    if (settingOf(f, 'row_security')) addTo((part ??= newPart()), 'rowSecurity', f);
    if (!f.publicExecute) addTo((part ??= newPart()), 'revoked', i);
    if (f.body && f.writes.size !== 0 && !f.returnsTrigger && (f.language === 'sql' || f.language === 'plpgsql')) addTo((part ??= newPart()), 'writers', f);
  }
  return part ?? NO_PART;
}

/** The function's first SET clause of a setting (e.g. search_path), if any. */
export function settingOf(f: Func, name: string): FunctionSetting | undefined {
  const settings = f.settings;
  for (let i = 0; i < settings.length; i++) if (settings[i]!.name === name) return settings[i];
  return undefined;
}

export { rowSecurityOffClause } from '../../analysis/policies.js';
export { isOffValue } from '../../analysis/ast.js';

/** A number standing for the parsed file of a file name in the model (0 when there is none): its text, as a dependency of a kept report. */
export function fileId(model: Model, file: string): number {
  // (asked for every kept report of every rule, and by the engine for every kept finding, which
  // come file by file: the last answer first, then the model's map, on the model under a symbol)
  let ids = (model as unknown as Record<symbol, Map<string, number> | undefined>)[FILE_IDS];
  if (ids === undefined) {
    ids = idsByModel.get(model);
    if (ids === undefined) {
      ids = new Map();
      if (Object.isExtensible(model)) Object.defineProperty(model, FILE_IDS, { value: ids });
      else idsByModel.set(model, ids);
    }
  }
  if (ids === lastIds && file === lastFile) return lastId;
  let id = ids.get(file);
  if (id === undefined) {
    const pf = fileOf(model, file);
    ids.set(file, (id = pf ? idOf(pf) : 0));
  }
  lastIds = ids;
  lastFile = file;
  lastId = id;
  return id;
}
const FILE_IDS = Symbol('fileIds');
/** fileId's last answer, and the map it came from (the map only: not the model, which it would keep alive) */
let lastIds: Map<string, number> | undefined;
let lastFile = '';
let lastId = 0;
const idsByModel = new WeakMap<Model, Map<string, number>>();

interface KeptReport extends KeptFinding {
  slot: string;
  deps: readonly unknown[];
  report: Report;
  /** the anchor's report for another slot */
  next?: KeptReport;
}


/**
 * Reports kept across lints on a stable anchor (an AST node of a parsed file, which survives an
 * edit of another file while the model is rebuilt), one per anchor and slot, rebuilt when any
 * of `deps` differs (===) from those it was built with. `build` must be a function of `deps`
 * alone: every model fact the report is made of is one of them, and every file text it reads
 * is there as its fileId (parsed files are cached per text). Identities are kept as numbers
 * (idOf), so a kept report holds no parsed file or model alive. The engine reuses the finding
 * it made from the same report object (report.kept), so a kept report costs neither its text
 * nor its ranges again.
 */
export function reportKeeper(): (anchor: object, slot: string, deps: readonly unknown[], build: () => Report) => Report {
  const kept = new WeakMap<object, KeptReport>();
  return (anchor, slot, deps, build) => {
    const head = kept.get(anchor);
    let hit = head;
    while (hit && hit.slot !== slot) hit = hit.next;
    if (hit && sameFacts(hit.deps, deps)) return hit.report;
    const report = build();
    // a new record (the engine's finding on the old one belongs to the old report), in hit's place
    // (the engine's fields declared up front: added later, each record would get a property store of its own)
    const entry: KeptReport = { slot, deps, report, next: hit ? hit.next : head, finding: undefined, files: undefined };
    report.kept = entry;
    keepInPlace(kept, anchor, head, hit, entry);
    return report;
  };
}

/**
 * Puts `entry` (its `next` already `hit`'s, or `head` when there is no hit) in `hit`'s place in
 * the list of kept records that `kept` holds for `anchor` and that starts at `head`: at the
 * head when `hit` is absent or is the head.
 */
export function keepInPlace<T extends { next?: T }>(kept: WeakMap<object, T>, anchor: object, head: T | undefined, hit: T | undefined, entry: T): void {
  if (!hit || hit === head) {
    kept.set(anchor, entry);
    return;
  }
  let e = head!;
  while (e.next !== hit) e = e.next!;
  e.next = entry;
}

/** SQL value functions that name a role: current_user, current_role, user, session_user. */
const ROLE_SVF = new Set(['SVFOP_CURRENT_USER', 'SVFOP_CURRENT_ROLE', 'SVFOP_USER', 'SVFOP_SESSION_USER']);

const SVF_NAMES: Record<string, string> = { SVFOP_CURRENT_USER: 'current_user', SVFOP_CURRENT_ROLE: 'current_role', SVFOP_USER: 'user', SVFOP_SESSION_USER: 'session_user' };
/** Those of them that are the definer's owner inside a SECURITY DEFINER function: current_user, current_role, user. */
const OWNER_SVF = new Set(['SVFOP_CURRENT_USER', 'SVFOP_CURRENT_ROLE', 'SVFOP_USER']);

/**
 * Whether a statement or expression names a role through current_user, current_role, user or
 * session_user. Inside a SECURITY DEFINER function current_user, current_role and user are its
 * owner, not the caller (PGlite: anon calling a definer owned by app_owner that inserts
 * current_user stores app_owner); session_user is the session's login role. Kept per node (it
 * reads only the node's tree).
 */
export const namesRole: (node: unknown) => boolean = memoised((node: Node): boolean => {
  let found = false;
  walk(node, (k, v) => {
    if (k === 'SQLValueFunction' && ROLE_SVF.has(v.op)) found = true;
  });
  return found;
});

/** Whether a statement or expression names session_user. Kept per node. */
const namesSessionUser: (node: unknown) => boolean = memoised((node: Node): boolean => {
  let found = false;
  walk(node, (k, v) => {
    if (k === 'SQLValueFunction' && v.op === 'SVFOP_SESSION_USER') found = true;
  });
  return found;
});

/** Whether a statement or expression names current_user, current_role or user: inside a SECURITY DEFINER function, its owner. Kept per node. */
export const namesOwnerRole: (node: unknown) => boolean = memoised((node: Node): boolean => {
  let found = false;
  walk(node, (k, v) => {
    if (k === 'SQLValueFunction' && OWNER_SVF.has(v.op)) found = true;
  });
  return found;
});

/**
 * Where an expression runs, for what the role names in it mean: `caller` (a policy, a view's
 * query, a SECURITY INVOKER function called by the querying role: current_user is that role) or
 * `definer` (the body of a SECURITY DEFINER function, and the SECURITY INVOKER functions it calls:
 * current_user, current_role and user are the definer's owner, the same for every caller).
 */
export type RoleScope = 'caller' | 'definer';

/**
 * Whether session_user tells who calls inside a definer: the session's login role, which is the
 * end user where each user logs in as a role of their own, not on Supabase (PostgREST logs in as
 * `authenticator` for every request and only SETs ROLE: session_user stays the login role).
 */
export function sessionUserIsCaller(model: Model): boolean {
  return !onSupabasePlatform(model);
}

/**
 * What a SECURITY DEFINER function's body names that looks like the caller but is not there, for
 * the messages: current_user, current_role or user (its owner: PGlite, anon calling a definer owned
 * by app_owner that inserts current_user stores app_owner), and session_user where it is not the
 * caller either (sessionUserIsCaller: on Supabase, the login role PostgREST connects as for every
 * request). '' when it names none: "`current_user` is its owner, app_owner, here, not the caller".
 */
export function ownerRoleNote(model: Model, f: Func): string {
  const found = new Set<string>();
  if (f.body && !f.body.lexical) {
    for (const st of f.body.statements) walk(st.node, (k, v) => void (k === 'SQLValueFunction' && SVF_NAMES[v.op] && found.add(SVF_NAMES[v.op]!)));
  } else for (const m of codeOnly(bodyText(model, f)).matchAll(/\b(current_user|current_role|session_user)\b/gi)) found.add(m[1]!.toLowerCase());
  const owner = f.owner?.role ? `its owner, ${roleList([f.owner.role])},` : 'its owner';
  const own = ['current_user', 'current_role', 'user'].filter((w) => found.has(w));
  const parts: string[] = [];
  if (own.length) parts.push(`${own.map((w) => `\`${w}\``).join(' and ')} ${own.length > 1 ? 'are' : 'is'} ${owner} here, not the caller: what it is compared with or records is the same for every caller`);
  if (found.has('session_user') && !sessionUserIsCaller(model)) parts.push('`session_user` is the role PostgREST logs in as for every request, not the end user');
  return parts.join(', and ');
}

/**
 * Whether a statement or expression names a role that tells who calls, where it runs (`scope`):
 * any of current_user, current_role, user, session_user as the querying role; inside a definer
 * only session_user, where sessionUserIsCaller.
 */
export function namesCallerRole(model: Model, node: unknown, scope: RoleScope = 'caller'): boolean {
  if (scope === 'caller') return namesRole(node);
  return sessionUserIsCaller(model) && namesSessionUser(node);
}

/** A call's function name and the schema written before it, lower-cased. */
export function lowerCallName(c: { name: string[] }): { name: string; schema: string | undefined } {
  return { name: c.name[c.name.length - 1]!.toLowerCase(), schema: c.name.length > 1 ? c.name[c.name.length - 2]!.toLowerCase() : undefined };
}

/** Built-ins that tell who is calling, or what the caller may do. */
const CALLER_BUILTINS = new Set([
  'current_setting', // the request's claims (PostgREST's request.jwt.claims), a tenant setting (app.tenant_id)
  'pg_has_role',
  'has_table_privilege',
  'has_any_column_privilege',
  'has_column_privilege',
  'has_schema_privilege',
  'has_function_privilege',
]);

/**
 * Whether a statement or expression looks at who runs it: Supabase's auth.*() helpers (any
 * function of schema auth), a role name (current_user, session_user …), current_setting() (the
 * request's claims, a tenant setting), a privilege test, or a workspace function that does,
 * through any number of calls (funcLooksAtCaller).
 */
export function looksAtCaller(model: Model, node: Node, seen?: Set<Func>, scope: RoleScope = 'caller'): boolean {
  // (kept per node while calls resolve the same, functionsToken: a dozen rules ask it of the same
  // conditions, and of each table's again at every re-lint; one keeper per scope)
  if (seen === undefined && node && typeof node === 'object') {
    const kept = keeperFor(model, scope, callerKept);
    const facts = functionsFacts(model);
    return (kept.get(model, node, facts) ?? kept.set(node, facts, undefined, looksAtCallerIn(model, node, new Set(), scope))).value;
  }
  return looksAtCallerIn(model, node, seen ?? new Set(), scope);
}
/**
 * The keeper of a scope's answers (lib/kept.ts, under functionsFacts; yes/no: one entry shared by
 * the keys): as the caller, inside a definer, inside a definer where session_user does not tell
 * who calls (it changes the answer).
 */
function keeperFor<K extends object>(model: Model, scope: RoleScope, kept: readonly [Keeper<K, boolean>, Keeper<K, boolean>, Keeper<K, boolean>]): Keeper<K, boolean> {
  return scope === 'caller' ? kept[0] : sessionUserIsCaller(model) ? kept[1] : kept[2];
}
const callerKept = [keeper<object, boolean>(), keeper<object, boolean>(), keeper<object, boolean>()] as const;

function looksAtCallerIn(model: Model, node: Node, seen: Set<Func>, scope: RoleScope): boolean {
  if (namesCallerRole(model, node, scope)) return true;
  for (const c of callsIn(node)) if (callLooksAtCaller(model, c.name, c.args.length, seen, scope) && !readsSecretSetting(c)) return true;
  return false;
}

/**
 * Whether a call (its name's parts, and its number of arguments when known) looks at who runs
 * it: a function of schema auth, a workspace function that does (funcLooksAtCaller), a built-in
 * that does (CALLER_BUILTINS), or a function the workspace does not define (another project's, a
 * database's own) whose name says it tells who calls (jwt_public.current_user_id(),
 * app.is_admin()): what that one does is not known, so it is not said that the caller is never
 * looked at.
 */
function callLooksAtCaller(model: Model, parts: string[], argc: number | undefined, seen: Set<Func>, scope: RoleScope): boolean {
  const { name, schema } = lowerCallName({ name: parts });
  if (schema === 'auth') return true;
  const own = schema === 'pg_catalog' ? undefined : model.findFunction(parts, argc);
  if (own) {
    // (a parameter left to its default `DEFAULT auth.uid()`: is_admin(_user_id uuid DEFAULT auth.uid()), soil-sidekick)
    if (argc !== undefined && argc < own.argTypes.length) {
      const params = inputParams(own);
      for (let i = argc; i < params.length; i++) {
        const d = params[i]?.FunctionParameter?.defexpr;
        // (a default is evaluated where the call is, in the caller's scope)
        if (d && looksAtCaller(model, d, seen, scope)) return true;
      }
    }
    return funcLooksAtCaller(model, own, seen, scope);
  }
  if ((schema === undefined || schema === 'pg_catalog') && CALLER_BUILTINS.has(name)) return true;
  return schema !== 'pg_catalog' && namesIdentity(name) && !NOT_IDENTITY.has(name);
}

/** Words of a name that says it is about who calls, or what the caller may do. */
const IDENTITY_WORDS = new Set(
  ('uid user users userid jwt claim claims sub auth session viewer actor caller requester whoami identity tenant org account company ' +
    'team workspace customer role roles member membership permission permissions privilege access allowed admin owner me my').split(' '),
);
/** PostgreSQL's own functions such names would take for one. */
const NOT_IDENTITY = new Set(['current_schema', 'current_schemas', 'current_database', 'current_query']);

/**
 * Whether a function or setting name says it tells who calls or what the caller may do: one of
 * its words (split at `_` and `.`) is an IDENTITY_WORDS word (current_user_id, get_my_role,
 * app.tenant_id, request.jwt.claims), or it asks a question of one (is_admin, has_access, can_edit).
 */
export function namesIdentity(name: string): boolean {
  const lower = name.toLowerCase();
  const words = lower.split(/[_.]/);
  // (a secret of the server, app.jwt_secret, a signing key: not who calls)
  if (words.some((w) => SECRET_WORDS.has(w))) return false;
  return /^(is|has|can)_/.test(lower) || words.some((w) => IDENTITY_WORDS.has(w));
}
const SECRET_WORDS = new Set(['secret', 'password', 'salt', 'pepper', 'signing']);

/** `current_setting('app.jwt_secret')`: a setting that holds a secret of the server, the same for every caller. */
function readsSecretSetting(c: { name: string[]; args: Node[] }): boolean {
  if (c.name[c.name.length - 1]!.toLowerCase() !== 'current_setting') return false;
  const setting = stringConst(c.args[0]);
  return setting !== undefined && setting.toLowerCase().split(/[_.]/).some((w) => SECRET_WORDS.has(w));
}

/**
 * Whether a function's body looks at who calls it (looksAtCaller), called in `scope`: a SECURITY
 * DEFINER function's body, and a SECURITY INVOKER one called inside such a body, runs in the
 * definer's scope, where current_user is the definer's owner (so `owner = current_user` there
 * compares with the owner, for every caller). Assumed (true) for a body that did not parse, runs
 * dynamic SQL, or is not SQL or PL/pgSQL.
 */
export function funcLooksAtCaller(model: Model, f: Func, seen?: Set<Func>, scope: RoleScope = 'caller'): boolean {
  const inner: RoleScope = f.securityDefiner ? 'definer' : scope;
  if (seen !== undefined) return funcLooksAtCallerIn(model, f, seen, inner);
  // (kept per function and scope while calls resolve the same, functionsToken: what it reads is the
  // function's body, its text and the functions its calls resolve to, theirs in turn; only the
  // answer asked from scratch is kept: one asked with `seen` leaves those functions out)
  const kept = keeperFor(model, inner, funcCallerKept);
  const facts = functionsFacts(model);
  return (kept.get(model, f, facts) ?? kept.set(f, facts, undefined, funcLooksAtCallerIn(model, f, new Set(), inner))).value;
}
const funcCallerKept = [keeper<Func, boolean>(), keeper<Func, boolean>(), keeper<Func, boolean>()] as const;

function funcLooksAtCallerIn(model: Model, f: Func, seen: Set<Func>, scope: RoleScope): boolean {
  if (seen.has(f)) return false;
  seen.add(f);
  const body = f.body;
  if (!body || body.errors.length) return true;
  if (f.language !== 'sql' && f.language !== 'plpgsql') return true;
  for (const s of body.statements) if (looksAtCaller(model, s.node, seen, scope)) return true;
  // (a body read lexically: its IF conditions and assignments are not among its statements, so
  // its text is read for what looksAtCaller looks for, comments blanked; and one running dynamic
  // SQL, whose strings are read too: EXECUTE '… WHERE owner = auth.uid()' looks at the caller,
  // circle-marketplace's EXECUTE 'UPDATE services SET ' || … does not)
  const dynamic = body.dynamicExecutes.length !== 0;
  if (body.lexical || dynamic) {
    const code = (fileOf(model, f.created.file)?.text ?? '').slice(body.start, body.end).replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
    // (strings kept where the body runs them: a string may hold SQL; a string that is only a name would not call)
    const text = dynamic ? code.replace(/'((?:[^']|'')*)'/g, (_, x: string) => ` ${x.replace(/''/g, "'")} `) : code.replace(/'(?:[^']|'')*'/g, "''");
    if (dynamic && /\b(current_setting|set_config)\b|\bauth\s*\./i.test(text)) return true;
    // (inside a definer, current_user and current_role are its owner: only session_user may tell who calls)
    if (scope === 'caller' ? /\b(current_user|session_user|current_role)\b/i.test(text) : sessionUserIsCaller(model) && /\bsession_user\b/i.test(text)) return true;
    for (const m of text.matchAll(/\b((?:"[^"]+"|[a-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[a-z_][\w$]*))?)\s*\(/gi)) {
      // (a table's column list: INSERT INTO t (a, b), REFERENCES t (id)…, is no call)
      if (/\b(into|table|from|join|update|references|on)\s*$/i.test(text.slice(Math.max(0, m.index! - 20), m.index))) continue;
      const parts = m[1]!.split(/\s*\.\s*/).map((x) => x.replace(/^"|"$/g, ''));
      if (callLooksAtCaller(model, parts, undefined, seen, scope)) return true;
    }
  }
  return false;
}

/**
 * The SECURITY INVOKER functions `f` reaches through its calls, depth first, each once, with the
 * chain of calls that reaches it (`f` first, the function last): they run with the rights `f` runs
 * with. A SECURITY DEFINER function stops the chain (it runs with its owner's rights), and what it
 * calls is not followed. Every overload of a name called is followed.
 */
export function forEachInvokerCallee(model: Model, f: Func, visit: (g: Func, chain: readonly Func[]) => void): void {
  if (f.calls.size === 0) return;
  const seen = new Set<Func>([f]);
  const chain: Func[] = [f];
  const down = (g: Func): void => {
    for (const k of g.calls) {
      for (const h of model.functions.get(k) ?? []) {
        if (seen.has(h) || h.securityDefiner) continue;
        seen.add(h);
        chain.push(h);
        visit(h, chain);
        down(h);
        chain.pop();
      }
    }
  };
  down(f);
}

/**
 * Whether a table is the Supabase platform's own (auth.users, storage.objects…: a schema of the
 * platform, in a Supabase project), which a full `supabase db dump` kept in the repository
 * re-creates: Supabase owns and secures it, so its row-level security state is not the
 * project's to change.
 */
export function platformTable(model: Model, t: { schema: string }): boolean {
  return model.supabase && PLATFORM_SCHEMAS.has(t.schema);
}

/** The Supabase roles that own the functions of the platform's schemas (storage's, auth's…) in a full `supabase db dump`. */
const PLATFORM_FUNCTION_OWNERS = new Set(['supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin', 'supabase_functions_admin', 'supabase_replication_admin']);

/**
 * Whether a function is the Supabase platform's own: in a schema of the platform and owned by one
 * of its roles (`ALTER FUNCTION storage.add_prefixes(…) OWNER TO supabase_storage_admin`, which a
 * project's dump re-creates: movinesta/RideIQ's supabase/schema.sql). Supabase writes and upgrades
 * it, as it does the platform's tables (platformTable): the definer rules leave it alone. A
 * function the project makes in such a schema, owned by the role its migrations run as, stays.
 * (Its owner says whose it is: a dump with its roles file is not seen as a Supabase project.)
 */
export function platformFunction(_model: Model, f: Func): boolean {
  return PLATFORM_SCHEMAS.has(f.schema) && !!f.owner && PLATFORM_FUNCTION_OWNERS.has(f.owner.role);
}

/** Whether `role` (or PUBLIC) has USAGE on `schema` at the end of the migrations (public: granted to PUBLIC by PostgreSQL). */
export function usesSchema(model: Model, schema: string, role: string): boolean {
  // (the last schema grant event naming it, of USAGE or ALL, for the role or PUBLIC, decides)
  const events = model.grantEvents;
  const list = grantEventsNaming(model, 'schema', [schema]);
  for (let i = list.length - 1; i >= 0; i--) {
    const g = events[list[i]!]!;
    if (!g.privileges.includes('usage') && !g.privileges.includes('all')) continue;
    if (g.grantees.includes(role) || g.grantees.includes('public')) return g.isGrant;
  }
  return schema === 'public';
}

/**
 * Whether an API role has USAGE on the schema at the end of the migrations. In public it holds it
 * twice: by name (the platform's grant) and through PUBLIC (PostgreSQL's): it loses it only when
 * REVOKEs take both (MakerKit revokes from anon and from public); elsewhere, usesSchema.
 */
export function apiUsesSchema(model: Model, schema: string, role: string): boolean {
  if (schema !== 'public') return usesSchema(model, schema, role);
  let direct = true;
  let viaPublic = true;
  for (const g of model.grantEvents) {
    if (g.objectKind !== 'schema' || !g.objects.includes(schema) || !(g.privileges.includes('usage') || g.privileges.includes('all'))) continue;
    if (g.grantees.includes(role)) direct = g.isGrant;
    if (g.grantees.includes('public')) viaPublic = g.isGrant;
  }
  return direct || viaPublic;
}

/**
 * The grant events of a model of one object kind that name any of `objects` (keys, signatures,
 * `schema:name` for ALL … IN SCHEMA, a schema's own name), as indexes into model.grantEvents in
 * their order: each event once, so a loop over them meets the same events in the same order as
 * one over all model.grantEvents that skips the others. Shared: do not mutate.
 */
export function grantEventsNaming(model: Model, kind: GrantEvent['objectKind'], objects: readonly string[]): readonly number[] {
  const byObject = grantEventIndex(model).get(kind);
  if (!byObject) return NO_EVENTS;
  if (objects.length === 1) return byObject.get(objects[0]!) ?? NO_EVENTS;
  const lists = objects.map((o) => byObject.get(o)).filter((l): l is number[] => l !== undefined);
  if (lists.length <= 1) return lists[0] ?? NO_EVENTS;
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}
const NO_EVENTS: readonly number[] = [];

/**
 * model.grantEvents indexed once per model (memoModel: the list is the model's own, never
 * changed once built): by object kind, then by each object an event names.
 */
function grantEventIndex(model: Model): Map<string, Map<string, number[]>> {
  return memoModel(model, 'util:grantEventIndex', (m) => {
    const out = new Map<string, Map<string, number[]>>();
    const events = m.grantEvents;
    for (let i = 0; i < events.length; i++) {
      const g = events[i]!;
      let byObject = out.get(g.objectKind);
      if (!byObject) out.set(g.objectKind, (byObject = new Map()));
      for (const o of g.objects) {
        let list = byObject.get(o);
        if (!list) byObject.set(o, (list = []));
        // (an event naming one object twice is listed once)
        if (list[list.length - 1] !== i) list.push(i);
      }
    }
    return out;
  });
}

/**
 * The value an expression is, its casts and sub-selects of its own (`(select x)`: one target, no
 * FROM, no WHERE) left aside: `(select auth.uid())::text` is `auth.uid()`.
 */
export function bareValue(n: Node): Node {
  let e = n;
  for (;;) {
    while (e?.TypeCast) e = e.TypeCast.arg;
    const sub = e?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? e.SubLink.subselect?.SelectStmt : undefined;
    if (!sub || sub.targetList?.length !== 1 || sub.fromClause || sub.whereClause) return e;
    e = sub.targetList[0]?.ResTarget?.val;
  }
}

/** The function of schema auth an expression is a call of, with no argument (`uid`, `role`, `jwt`…), as bareValue sees it; undefined for anything else. */
export function authCallOf(n: Node): string | undefined {
  const c = bareValue(n)?.FuncCall;
  const name: Node[] | undefined = c?.funcname;
  if (!c || c.args?.length || name?.length !== 2 || sval(name[0])?.toLowerCase() !== 'auth') return undefined;
  return sval(name[1])?.toLowerCase();
}

/** Whether a column is unique on its own in the table: a primary key or unique constraint of that one column (`stores.id`, `profiles.id`). */
export function uniqueColumn(t: Pick<Table, 'keys'>, col: string | undefined): boolean {
  return col !== undefined && t.keys.some((k) => k.length === 1 && k[0]!.toLowerCase() === col);
}

/** A string as an SQL string literal: `'it''s'`. */
export function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** The quoted string literal written at `at` in `text` (`'admin'`, quotes doubled inside), or undefined. */
export function quotedAt(text: string, at: number): string | undefined {
  return /^'(?:[^']|'')*'/.exec(text.slice(at, at + 200))?.[0];
}

/** A constant, cast or not (`'admin'`, `'admin'::app_role`, `true`), as written in `text`; undefined for anything else. */
export function constantText(n: Node, text: string | undefined): string | undefined {
  const c = n?.TypeCast ? n.TypeCast.arg : n;
  const v = constValue(c);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const at: unknown = c?.A_Const?.location;
    const quoted = text && typeof at === 'number' ? quotedAt(text, at) : undefined;
    return quoted ?? sqlString(v);
  }
  return String(v);
}

/**
 * A column reference (as bareValue sees it): its qualifier, if any, and its name, lower-cased;
 * undefined for anything else. `schema.table.column` names the column of the unaliased table
 * `table` as `table.column` does (PostgreSQL matches it only to a FROM item that is that table
 * without an alias): its qualifier is the table, and `schema` the schema written (coach-house-lms'
 * modules_select, `WHERE e.class_id = public.modules.class_id`).
 */
export function columnRef(n: Node): { qual?: string; name: string; schema?: string } | undefined {
  const fields = bareValue(n)?.ColumnRef?.fields as Node[] | undefined;
  if (!fields || fields.length > 3) return undefined;
  const parts = fields.map((f) => sval(f)?.toLowerCase());
  if (parts.some((p) => p === undefined)) return undefined;
  if (fields.length === 3) return { schema: parts[0]!, qual: parts[1]!, name: parts[2]! };
  return fields.length === 2 ? { qual: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

/** Supabase's table of accounts (when the migrations do not create it themselves: then the model knows it). */
export const AUTH_USERS = 'auth.users';

/** What auth.users is, and which of the API roles have no privilege on it (those the migrations do not grant SELECT on it), for messages. */
export function authUsersText(model: Model): string {
  const what = "Supabase's table of every account's email, phone, metadata and password hash";
  const without = ['anon', 'authenticated'].filter((r) => !mayReadAuthUsers(model, r));
  return without.length ? `${what}, on which ${without.join(' and ')} ${without.length === 1 ? 'has' : 'have'} no privilege` : what;
}

/** Supabase's API roles a request acts as: anon (the public key, no sign-in) and authenticated (a signed-in user). */
export const API_ROLES: readonly string[] = ['anon', 'authenticated'];

/** Supabase Auth's own tables in schema auth, which the platform makes (and grants anon and authenticated nothing on). */
export const SUPABASE_AUTH_TABLES: ReadonlySet<string> = new Set([
  'users',
  'identities',
  'sessions',
  'refresh_tokens',
  'audit_log_entries',
  'instances',
  'schema_migrations',
  'mfa_factors',
  'mfa_challenges',
  'mfa_amr_claims',
  'sso_providers',
  'sso_domains',
  'saml_providers',
  'saml_relay_states',
  'flow_state',
  'one_time_tokens',
]);

/** Whether the workspace grants `role` (or PUBLIC) SELECT (or `privilege`, or ALL) on auth.users — or on `key`, another table of schema auth — (or on all tables of schema auth), and does not take it back. */
export function mayReadAuthUsers(model: Model, role: string, key: string = AUTH_USERS, privilege = 'select'): boolean {
  let granted = false;
  const events = model.grantEvents;
  for (const i of grantEventsNaming(model, 'table', [key, 'schema:auth'])) {
    const g = events[i]!;
    if (!g.grantees.some((r) => r === role || r === 'public')) continue;
    if (!g.privileges.includes(privilege) && !g.privileges.includes('all')) continue;
    granted = g.isGrant;
  }
  return granted;
}

/**
 * The roles (lower-case, 'public' for PUBLIC) these migrations grant, and do not take back,
 * `privilege` (or ALL) on `key`, a table of Supabase Auth's schema auth (SUPABASE_AUTH_TABLES),
 * or on all tables of schema auth; the platform's own roles left out. On Supabase no other role
 * holds one: the platform grants anon, authenticated and service_role nothing on those tables.
 */
export function authTableGrantees(model: Model, key: string, privilege: string): string[] {
  const held = new Map<string, boolean>();
  const events = model.grantEvents;
  for (const i of grantEventsNaming(model, 'table', [key, 'schema:auth'])) {
    const g = events[i]!;
    if (!g.privileges.includes(privilege) && !g.privileges.includes('all')) continue;
    for (const r of g.grantees) if (!AUTH_USERS_PLATFORM_WRITERS.has(r)) held.set(r, g.isGrant);
  }
  const out: string[] = [];
  for (const [r, granted] of held) if (granted) out.push(r);
  return out;
}

/**
 * The SECURITY DEFINER functions API roles may call that change tables or return row data:
 * not trigger functions, with a parsed body (by functionLists' flags first: 2,234 of the bench's
 * 2,235 definers are passed over on them); not procedures, or only those (`procedures`). Shared:
 * do not mutate.
 */
export function dataDefiners(model: Model, procedures = false): readonly Func[] {
  return memoModel(model, procedures ? 'rules:dataDefinerProcedures' : 'rules:dataDefiners', (m) => {
    const { definers, definerFacts } = functionLists(m);
    const out: Func[] = [];
    for (let i = 0; i < definers.length; i++) {
      if ((definerFacts[i]! & (DF_TRIGGER | DF_BODY | DF_ROW_DATA)) !== (DF_BODY | DF_ROW_DATA)) continue;
      const f = definers[i]!;
      if (f.isProcedure === procedures && f.stmt.kind === 'CreateFunctionStmt') out.push(f);
    }
    return out;
  });
}

/**
 * The members of each role as the migrations leave them (named as PostgreSQL names them: roleName): `GRANT group TO member`
 * (and REVOKE), `CREATE ROLE member IN ROLE group`, `CREATE ROLE group ROLE member`.
 */
export function roleMembers(model: Model): ReadonlyMap<string, ReadonlySet<string>> {
  return memoModel(model, 'rules:roleMembers', (m) => {
    const out = new Map<string, Set<string>>();
    const set = (group: string, member: string, on: boolean) => {
      let s = out.get(group);
      if (!s) out.set(group, (s = new Set()));
      if (on) s.add(member);
      else s.delete(member);
    };
    // (named as they are once the migrations end: a role renamed later is the same role, ALTER ROLE … RENAME)
    m.statements.forEach(({ stmt }, order) => {
      const names = (list: Node[] | undefined) =>
        (list ?? []).map((x) => roleName(x)).filter((x): x is string => !!x).map((x) => finalRoleName(m, x, order));
      const n = stmt.node;
      if (stmt.kind === 'GrantRoleStmt') {
        const groups = ((n?.granted_roles ?? []) as Node[]).map((x) => x?.AccessPriv?.priv_name).filter((x): x is string => !!x).map((x) => finalRoleName(m, x, order));
        for (const g of groups) for (const r of names(n?.grantee_roles)) set(g, r, !!n.is_grant);
      } else if (stmt.kind === 'CreateRoleStmt' && typeof n?.role === 'string') {
        const role = finalRoleName(m, n.role, order);
        for (const o of (n.options ?? []) as Node[]) {
          const d = o?.DefElem;
          const list: Node[] = d?.arg?.List?.items ?? [];
          if (d?.defname === 'addroleto') for (const g of names(list)) set(g, role, true);
          else if (d?.defname === 'rolemembers') for (const r of names(list)) set(role, r, true);
        }
      }
    });
    return out;
  });
}

/**
 * For a trigger function: what a role must also do to run it in a session of its own, where its
 * temporary objects are (` and fire it in that session, by writing public.x`); undefined for
 * another function. (A trigger function is not called: the session that writes the table runs it.)
 */
export function firingNote(model: Model, f: Func): string | undefined {
  if (!f.returnsTrigger) return executeNote(model, f);
  let tables = [...new Set(model.triggers.filter((t) => t.func === f.key).map((t) => t.table))];
  // Supabase's auth.users: only the roles these migrations grant a write on it fire it in a
  // session of their own; without one, another of its tables is the way in (or authServiceFiring)
  const auth = tables.includes(AUTH_USERS) && supabaseAuthUsers(model) ? authUsersWriters(model, f) : undefined;
  let authNote = '';
  if (auth && tables.length > 1 && auth.length === 0) {
    tables = tables.filter((t) => t !== AUTH_USERS);
    authNote = " (its trigger on Supabase's auth.users fires in the Auth server's session: no API role has INSERT, UPDATE or DELETE on auth.users)";
  } else if (auth?.length) {
    tables = tables.map((t) => (t === AUTH_USERS ? `auth.users (which these migrations grant ${roleList(auth)} a write on)` : t));
  }
  // (tables where no role subject to RLS fires it: no policy admits the writes its row triggers fire on)
  const blocked = rlsBlockedTriggerTables(model, f);
  let rlsNote = '';
  if (blocked?.size && tables.some((t) => !blocked.has(t))) {
    const gone = tables.filter((t) => blocked.has(t));
    tables = tables.filter((t) => !blocked.has(t));
    rlsNote = ` (${gone.length === 1 ? `its trigger on ${gone[0]} fires` : `its triggers on ${listOr(gone, 'and')} fire`} only for roles that bypass RLS or own the table: RLS is enabled there and no policy admits the writes ${gone.length === 1 ? 'it fires' : 'they fire'} on to a role subject to RLS, so ${whatBlocks(model, f, gone)} there)`;
  }
  // A generic audit function fires on dozens of tables: name the first three, count the rest.
  const written =
    tables.length === 1
      ? tables[0]
      : tables.length <= 4
        ? listOr(tables, 'or')
        : `${tables.slice(0, 3).join(', ')} or any of the ${tables.length - 3} other tables it is a trigger on`;
  // (why that session's search_path is the one that counts)
  const session = '(the session whose statement fires a trigger is the one whose search_path its function uses)';
  if (tables.length) return ` and then fire it in that session, by writing ${written}${authNote}${rlsNote} ${session}`;
  // (a trigger dynamic SQL makes, which the replay does not follow: breeze's DO loops of
  // EXECUTE format('CREATE TRIGGER … ON public.%I … EXECUTE FUNCTION public.f()', t))
  const dynamic = dynamicTriggerCreations(model).find((d) => executesFunction(d.text, f));
  return dynamic
    ? ` and then fire it in that session, by writing a table that a trigger made by dynamic SQL (the EXECUTE at ${where(model, dynamic.loc)}) is on ${session}`
    : ' and then fire it in that session (no trigger of these migrations runs it yet)';
}

/**
 * For a function that is not a trigger function and whose EXECUTE PUBLIC no longer holds: what a
 * role must also do to run it in a session of its own, where its temporary objects are: hold
 * EXECUTE (the roles these migrations leave it to besides its owner are named; a member of one
 * inherits it; on Supabase, its default privileges grant it on new functions in public to anon,
 * authenticated and service_role unless revoked), or reach it through a function or trigger that
 * calls it. Undefined while PUBLIC holds it. (PGlite: a call by a role that holds no EXECUTE fails
 * with 42501 before the body runs, whatever that session's temporary tables.)
 */
function executeNote(model: Model, f: Func): string | undefined {
  if (f.publicExecute) return undefined;
  const runners = [...f.executeGrants].filter((r) => r !== f.owner?.role && r !== 'public').sort();
  const platform = model.supabase && f.schema === 'public';
  // (on Supabase, the platform's roles the migrations do not revoke it from by name keep the
  // default privileges' grant: betterr_me's get_plaid_secret(), revoked FROM PUBLIC, authenticated
  // and granted to service_role, stays anon's)
  const kept = platform ? SUPABASE_PLATFORM_GRANTEES.filter((r) => !runners.includes(r) && f.owner?.role !== r && !executeRevokedFrom(model, f, r, { publicDefaults: false })) : [];
  const held = [
    runners.length ? `these migrations leave it to ${roleList(runners)} besides its owner` : platform ? '' : 'these migrations leave it to its owner alone',
    'a member of a role that holds it inherits it',
    platform
      ? `on Supabase, default privileges grant it on new functions in public to anon, authenticated and service_role unless revoked${kept.length ? ` (here not revoked from ${listOr(kept, 'and')}, which ${kept.length > 1 ? 'hold' : 'holds'} it)` : ''}`
      : '',
  ].filter(Boolean);
  return ` and then run the function in that session (its EXECUTE is revoked from PUBLIC, so only a role that holds EXECUTE — ${held.join('; ')} — or a function or trigger that calls it runs it there)`;
}

/** Supabase's own roles that write auth.users: its Auth server (the owner), the platform's administrative roles. */
const AUTH_USERS_PLATFORM_WRITERS = new Set(['supabase_auth_admin', 'supabase_admin', 'postgres', 'dashboard_user']);

/**
 * The roles (lower-case, 'public' for PUBLIC) these migrations grant, and do not take back, a
 * write that fires one of the function's triggers on Supabase's auth.users (INSERT for an INSERT
 * trigger…), on the table or with ALL TABLES IN SCHEMA auth; the platform's own writers left out.
 * On Supabase no other role holds one: anon, authenticated and service_role have no INSERT,
 * UPDATE or DELETE on auth.users.
 */
function authUsersWriters(model: Model, f: Func): string[] {
  let events = 0;
  for (const t of model.triggers) if (t.func === f.key && t.table === AUTH_USERS) events |= t.events;
  const need = [
    [TRIGGER_INSERT, 'insert'],
    [TRIGGER_UPDATE, 'update'],
    [TRIGGER_DELETE, 'delete'],
    [TRIGGER_TRUNCATE, 'truncate'],
  ]
    .filter(([bit]) => events & (bit as number))
    .map(([, p]) => p as string);
  const held = new Map<string, Set<string>>();
  for (const g of model.grantEvents) {
    if (g.objectKind !== 'table' || (!g.objects.includes(AUTH_USERS) && !g.objects.includes('schema:auth'))) continue;
    const privileges = g.privileges.includes('all') ? need : need.filter((p) => g.privileges.includes(p));
    for (const r of g.grantees) {
      if (AUTH_USERS_PLATFORM_WRITERS.has(r)) continue;
      let s = held.get(r);
      if (!s) held.set(r, (s = new Set()));
      for (const p of privileges) (g.isGrant ? s.add(p) : s.delete(p));
    }
  }
  return [...held].filter(([, s]) => s.size > 0).map(([r]) => r);
}

/**
 * For a trigger function that fires only on Supabase's auth.users (a trigger these migrations
 * make, none by dynamic SQL), none of whose firing writes they grant to a role of their own:
 * what a message says instead of "any role can fire it", which it cannot. It runs in the session
 * that writes auth.users, the Auth server's or the platform's; undefined otherwise.
 */
export function authServiceFiring(model: Model, f: Func): string | undefined {
  if (!f.returnsTrigger || !supabaseAuthUsers(model)) return undefined;
  const tables = new Set(model.triggers.filter((t) => t.func === f.key).map((t) => t.table));
  if (tables.size !== 1 || !tables.has(AUTH_USERS) || authUsersWriters(model, f).length) return undefined;
  return (
    "But it is a trigger only on Supabase's auth.users, so it runs in the session that writes auth.users, with that session's temporary objects: " +
    "the Auth server's (supabase_auth_admin, on sign-ups and account changes), or that of one of the platform's administrative roles (postgres, dashboard_user). " +
    'The API roles anon, authenticated and service_role have no INSERT, UPDATE or DELETE on auth.users (these migrations grant none), and none of them can create temporary objects in the Auth server\'s session: ' +
    'no API role can plant a temporary object where it runs, so this is not exploitable by one today; a grant of a write on auth.users, or a trigger of it on a table API roles write, opens the hole. '
  );
}

/**
 * The tables of a trigger function's triggers (these migrations', none made by dynamic SQL) where
 * no role subject to row-level security can fire it: every trigger of it there is FOR EACH ROW,
 * AFTER the write or BEFORE an UPDATE or DELETE, not on TRUNCATE, on a table the migrations
 * create, with RLS enabled and, for each command it fires on, no permissive policy that may admit
 * that command to a role not known to bypass RLS (T12, T17), and no owner the migrations name that
 * fires it itself (RLS not forced, the owner not known to bypass it). Measured on PGlite (test/rules/definer-search-path-missing.test.ts): as
 * a role subject to RLS, INSERT fails with 42501 and UPDATE and DELETE change 0 rows, and such a
 * trigger never fires; a BEFORE INSERT row trigger does fire (before the check fails), and a FOR
 * EACH STATEMENT one fires even when no row is written: never those. Left out on any doubt: dynamic
 * SQL that may make policies on the table, drop it or make triggers; a partition, a parent or a
 * child (a write through another table fires its row triggers); a foreign key of the table with
 * ON DELETE / ON UPDATE CASCADE, SET NULL or SET DEFAULT (the referential action writes it,
 * bypassing RLS, in the session of the role that changed the referenced row: measured, the trigger
 * fires there and uses that role's temporary table); a SECURITY DEFINER function that writes it,
 * or runs dynamic SQL that may; a view over it that is not security_invoker; a rule; an owner that
 * is an API role or a role with members. Undefined for a function that is no trigger function.
 */
export function rlsBlockedTriggerTables(model: Model, f: Func): ReadonlySet<string> | undefined {
  if (!f.returnsTrigger) return undefined;
  // (once per function and model: firingNote and rlsBlockedFiring ask it, in two rules)
  const memo = memoModel(model, 'util:rlsBlockedTriggerTables', () => new Map<Func, ReadonlySet<string>>());
  let v = memo.get(f);
  if (!v) memo.set(f, (v = blockedTriggerTables(model, f)));
  return v;
}

function blockedTriggerTables(model: Model, f: Func): ReadonlySet<string> {
  const mine = model.triggers.filter((t) => t.func === f.key);
  const out = new Set<string>();
  if (mine.length === 0 || dynamicTriggerCreations(model).some((d) => executesFunction(d.text, f))) return out;
  const facts = rlsFiringFacts(model);
  if (facts.rules) return out;
  const byTable = new Map<string, Trigger[]>();
  for (const tr of mine) byTable.set(tr.table, [...(byTable.get(tr.table) ?? []), tr]);
  for (const [key, triggers] of byTable) if (rlsBlocks(model, facts, key, triggers)) out.add(key);
  return out;
}

/** What rlsBlockedTriggerTables asks of the whole workspace, once per model. */
interface RlsFiringFacts {
  /** a CREATE RULE anywhere (a rule's actions run with its table owner's rights) */
  rules: boolean;
  /** the names (last part, lower-case) of tables with a foreign key whose ON DELETE / ON UPDATE action writes them; '*' for dynamic SQL that may add one */
  writtenByReferentialAction: ReadonlySet<string>;
  /** the relations SECURITY DEFINER functions write */
  definerWrites: ReadonlySet<string>;
  /** the texts of SECURITY DEFINER functions' dynamic SQL (lower-case) */
  definerDynamic: readonly string[];
}

function rlsFiringFacts(model: Model): RlsFiringFacts {
  return memoModel(model, 'util:rlsFiringFacts', (m) => {
    let rules = false;
    const written = new Set<string>();
    const writes = (c: Node | undefined) => !!c && c.contype === 'CONSTR_FOREIGN' && ['c', 'n', 'd'].some((a) => c.fk_del_action === a || c.fk_upd_action === a);
    for (const { stmt } of m.statements) {
      const n = stmt.node;
      if (stmt.kind === 'RuleStmt') rules = true;
      else if (stmt.kind === 'CreateStmt') {
        const name = String(n?.relation?.relname ?? '').toLowerCase();
        for (const e of (n?.tableElts ?? []) as Node[]) {
          if (writes(e?.Constraint) || (e?.ColumnDef?.constraints ?? []).some((c: Node) => writes(c?.Constraint))) written.add(name);
        }
      } else if (stmt.kind === 'AlterTableStmt') {
        const name = String(n?.relation?.relname ?? '').toLowerCase();
        for (const c of (n?.cmds ?? []) as Node[]) {
          const def = c?.AlterTableCmd?.def;
          if (writes(def?.Constraint) || (def?.ColumnDef?.constraints ?? []).some((x: Node) => writes(x?.Constraint))) written.add(name);
        }
      }
      for (const d of stmt.body?.dynamicExecutes ?? []) if (/\bon\s+(?:delete|update)\s+(?:cascade|set\b)/i.test(d.text) || /\bcreate\s+(?:or\s+replace\s+)?rule\b/i.test(d.text)) written.add('*');
    }
    const definerWrites = new Set<string>();
    const definerDynamic: string[] = [];
    for (const g of m.allFunctions()) {
      if (!g.securityDefiner) continue;
      for (const w of g.writes) definerWrites.add(w);
      for (const d of g.body?.dynamicExecutes ?? []) definerDynamic.push(d.text.toLowerCase());
    }
    return { rules, writtenByReferentialAction: written, definerWrites, definerDynamic };
  });
}

/** Whether no role subject to RLS fires any of `triggers` (all on table `key`): see rlsBlockedTriggerTables. */
function rlsBlocks(model: Model, facts: RlsFiringFacts, key: string, triggers: readonly Trigger[]): boolean {
  const t = model.tables.get(key);
  if (!t || t.temp || !t.rlsEnabled || t.partitioned || t.parents.length) return false;
  for (const u of model.tables.values()) if (u.parents.some((p) => p.key === key)) return false;
  if (mayBeDynamic(model, 'policy', t) || mayBeDynamic(model, 'dropTable', t)) return false;
  const name = t.name.toLowerCase();
  if (facts.writtenByReferentialAction.has('*') || facts.writtenByReferentialAction.has(name)) return false;
  if (facts.definerWrites.has(key) || facts.definerDynamic.some((d) => d.includes(name) || /%[isl]|\|\||quote_ident|concat/.test(d))) return false;
  for (const v of model.views.values()) if (!v.materialized && !v.securityInvoker && v.reads.has(key)) return false;
  // (an owner the migrations name, not known to bypass RLS, of a table RLS does not force: it fires
  // the trigger in its own sessions — an application role that owns its tables — and a definer
  // function owned by another role runs what it plants there with that role's rights)
  const owner = t.owner?.role;
  if (owner && (owner === 'public' || owner === 'anon' || owner === 'authenticated' || roleMembers(model).get(owner)?.size || (!t.rlsForced && model.roleBypassesRls(owner) !== true))) return false;
  const policies = policiesWithKey(model, key); // (the table's own, and those written before it on its key)
  for (const tr of triggers) {
    if (!tr.row || tr.events & TRIGGER_TRUNCATE) return false;
    for (const [bit, cmd] of [[TRIGGER_INSERT, 'insert'], [TRIGGER_UPDATE, 'update'], [TRIGGER_DELETE, 'delete']] as const) {
      if (!(tr.events & bit)) continue;
      // (a BEFORE INSERT row trigger fires before the policies' check rejects the row)
      if (cmd === 'insert' && tr.before) return false;
      // (a policy only for roles known to bypass RLS, e.g. TO service_role, admits no role subject to it)
      if (policies.some((p) => p.permissive && (p.command === 'all' || p.command === cmd) && !admitsNothing(p) && rolesSubjectToRls(model, p).length)) return false;
    }
  }
  return true;
}

/**
 * For a trigger function whose every trigger no role subject to RLS can fire
 * (rlsBlockedTriggerTables; one only on Supabase's auth.users no role of these migrations writes
 * counts too, authServiceFiring): what a message says instead of "any role can fire it by writing
 * those tables", which it cannot today; undefined otherwise.
 */
export function rlsBlockedFiring(model: Model, f: Func): string | undefined {
  const blocked = rlsBlockedTriggerTables(model, f);
  if (!blocked?.size) return undefined;
  const tables = [...new Set(model.triggers.filter((t) => t.func === f.key).map((t) => t.table))];
  const auth = tables.includes(AUTH_USERS) && supabaseAuthUsers(model) && authUsersWriters(model, f).length === 0;
  if (!tables.every((t) => blocked.has(t) || (auth && t === AUTH_USERS))) return undefined;
  const on = tables.filter((t) => t !== AUTH_USERS);
  const forced = on.filter((k) => model.tables.get(k)?.rlsForced);
  return (
    `But ${tables.length === 1 ? 'its trigger' : 'each of its triggers'} on ${listOr(on, 'and')} is a FOR EACH ROW trigger that fires after the write (or before an UPDATE or DELETE), on a table with row-level security enabled and no policy admitting the writes it fires on to a role subject to RLS: ` +
    `${whatBlocks(model, f, on, 'that writes it ')}, so the trigger never fires in its session (T12). ` +
    `Only roles that bypass RLS (superusers, BYPASSRLS roles such as service_role)${forced.length === on.length ? '' : ` or the table's owner${forced.length ? ' (where RLS is not forced)' : ''}`} fire it through ${on.length === 1 ? 'that table' : 'those tables'} today` +
    (auth ? "; its trigger on Supabase's auth.users fires in the Auth server's session (no API role has INSERT, UPDATE or DELETE on auth.users)" : '') +
    ': no role subject to RLS can plant a temporary object where it runs today (one of those roles still can, where it may create temporary objects). A policy admitting one of those writes, a BEFORE INSERT or FOR EACH STATEMENT trigger (they fire even when RLS admits no row), a foreign key of the table with ON DELETE CASCADE or SET NULL (the referential action fires it in the session of the role that changed the referenced row), or a SECURITY DEFINER function or view that writes it, opens the hole. '
  );
}

/**
 * What RLS does to a role subject to it that writes the tables with the events the function's
 * triggers there fire on: `gets 42501 on INSERT` for an INSERT trigger, `changes 0 rows on UPDATE`
 * for UPDATE or DELETE ones (only the events the triggers have: an UPDATE trigger's table may well
 * admit INSERTs).
 */
function whatBlocks(model: Model, f: Func, tables: readonly string[], writes = ''): string {
  let events = 0;
  for (const tr of model.triggers) if (tr.func === f.key && tables.includes(tr.table)) events |= tr.events;
  const changes = [events & TRIGGER_UPDATE ? 'UPDATE' : '', events & TRIGGER_DELETE ? 'DELETE' : ''].filter(Boolean);
  const parts = [events & TRIGGER_INSERT ? 'gets 42501 on INSERT' : '', changes.length ? `changes 0 rows on ${changes.join(' and ')}` : ''].filter(Boolean);
  return `a role subject to RLS ${writes}${parts.join(' and ')}`;
}


/** The EXECUTEs of DO blocks and function bodies whose SQL text may create a trigger, in replay order (asked only of a trigger function no static trigger runs). */
function dynamicTriggerCreations(model: Model): Array<{ text: string; loc: Loc }> {
  return memoModel(model, 'util:dynamicTriggerCreations', (m) => {
    const out: Array<{ text: string; loc: Loc }> = [];
    for (const { file, stmt } of m.statements) {
      for (const d of stmt.body?.dynamicExecutes ?? []) if (/\bcreate\b[\s\S]*\btrigger\b/i.test(d.text)) out.push({ text: d.text, loc: { file: file.file, start: d.start, end: d.end } });
    }
    return out;
  });
}

/**
 * The transition tables the triggers dynamic SQL may create to run the function declare
 * (`REFERENCING NEW TABLE AS new_rows` in an EXECUTE's text, names as the parser folds them), with
 * the first such EXECUTE; undefined when no dynamic SQL creates one.
 */
export function dynamicTransitionTables(model: Model, f: Func): { names: string[]; each: string[][]; loc: Loc } | undefined {
  const ds = dynamicTriggerCreations(model).filter((d) => executesFunction(d.text, f));
  if (!ds.length) return undefined;
  const each = ds.map((d) =>
    [...d.text.matchAll(/\b(?:new|old)\s+table\s+(?:as\s+)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)/gi)].map((m) => (m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!.toLowerCase())),
  );
  return { names: [...new Set(each.flat())], each, loc: ds[0]!.loc };
}

/** Whether SQL text names the function after EXECUTE FUNCTION / PROCEDURE (with or without its schema). */
function executesFunction(text: string, f: Func): boolean {
  const id = (name: string) => `"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?`;
  return new RegExp(`\\bexecute\\s+(?:function|procedure)\\s+(?:${id(f.schema)}\\s*\\.\\s*)?${id(f.name)}\\s*\\(`, 'i').test(text);
}

/**
 * The transition tables that every trigger running a trigger function declares (`REFERENCING NEW
 * TABLE AS new_rows`, names as parsed): written without a schema in a query of its body, such a
 * name is resolved to the firing trigger's transition table before any schema, pg_temp included
 * (PGlite: a temporary table of that name does not change what the trigger reads). Empty when a
 * trigger of the migrations that runs it declares none of a name (that firing resolves it through
 * the search_path), when none runs it, or when dynamic SQL may create one (its REFERENCING is not
 * read), and for a function that is no trigger function.
 */
export function transitionTablesAlways(model: Model, f: Func): ReadonlySet<string> {
  if (!f.returnsTrigger) return NO_NAMES;
  const byFunc = memoModel(model, 'util:transitionTables', (m) => {
    const out = new Map<string, ReadonlySet<string>>();
    for (const tr of m.triggers) {
      const had = out.get(tr.func);
      out.set(tr.func, had === undefined ? new Set(tr.transitionTables) : new Set(tr.transitionTables.filter((x) => had.has(x))));
    }
    return out;
  });
  const names = byFunc.get(f.key);
  if (!names?.size) return NO_NAMES;
  return dynamicTriggerCreations(model).some((d) => executesFunction(d.text, f)) ? NO_NAMES : names;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/** Whether a policy calls the function (by its name as written, `name` or `schema.name`): its callers need EXECUTE, which definer-execute-granted-to-public looks at. */
export function calledByPolicy(model: Model, f: Func): boolean {
  const called = policyCallNames(model);
  return called.has(f.name) || called.has(`${f.schema}.${f.name}`);
}

/** Whether the function's owner bypasses row-level security (or is assumed to, unnamed). */
export function ownerBypassesRls(model: Model, f: Func): boolean {
  const owner = f.owner?.role;
  return model.roleBypassesRls(owner) === true || (owner === undefined && model.assumeUnknownOwnerBypassesRls);
}

/**
 * Whether the migrations' auth.users is Supabase's: they do not create it, or only with CREATE
 * TABLE IF NOT EXISTS, a local stand-in that is a no-op where Supabase's exists. (A plain CREATE
 * TABLE makes it a table of their own: view-bypasses-rls and definer-bypasses-rls look at it.)
 */
export function supabaseAuthUsers(model: Model): boolean {
  const t = model.tables.get(AUTH_USERS);
  return !t || !!t.stmt.node?.if_not_exists;
}

/**
 * The statement after which a REVOKE of `roles` (or PUBLIC) on an object goes: the last GRANT
 * of a `kind` privilege to one of them or PUBLIC on one of `objects` (keys, signatures, or
 * `schema:name` for ALL … IN SCHEMA), in migration order, else the object's creation.
 */
export function lastGrantOf(model: Model, created: Loc, kind: 'table' | 'function', objects: readonly string[], roles: readonly string[]): Loc {
  let at = created;
  let best = orderOf(model, at);
  // (the events of that kind naming one of the objects, in model.grantEvents order: the first of
  // the latest replay position still wins)
  const events = model.grantEvents;
  for (const k of grantEventsNaming(model, kind, objects)) {
    const g = events[k]!;
    if (!g.isGrant || !g.grantees.some((r) => r === 'public' || roles.includes(r))) continue;
    const i = orderOf(model, g.loc);
    if (i > best) {
      best = i;
      at = g.loc;
    }
  }
  return at;
}

/**
 * The columns a CREATE TABLE of a table that existed writes that the table does not have
 * (Model.recreatedTables); with `model`, only those it does not have at the end either.
 */
export function newColumnsOf(r: TableRecreation, model?: Model): string[] {
  const out = columnsBeyond(r.stmt, r.table.columns);
  const now = model?.tables.get(r.table.key)?.columns;
  return now ? out.filter((c) => !now.includes(c)) : out;
}

/** `the column a` / `the columns a, b`. */
export const theColumns = (names: readonly string[]): string => `${names.length === 1 ? 'the column' : 'the columns'} ${names.join(', ')}`;

/** A CREATE TABLE of a table that existed (Model.recreatedTables): the table's name, and the sentence that says where it was made. */
export function existingTable(model: Model, r: TableRecreation): { name: string; intro: string } {
  const name = r.table.key.replace(/^public\./, '');
  const same = r.table.created.file === r.loc.file;
  return { name, intro: `The table ${name} already exists: it is created at ${where(model, r.table.created)}${same ? '' : ' (an earlier migration)'} and nothing drops it before this statement. ` };
}

/**
 * `ALTER TABLE … ADD COLUMN IF NOT EXISTS` of each of the columns `names`, with the definition the
 * CREATE TABLE of a table that existed writes (Model.recreatedTables), or undefined.
 */
export function addColumnStatements(model: Model, r: TableRecreation, names: readonly string[]): string[] | undefined {
  const text = fileOf(model, r.loc.file)?.text ?? '';
  const table = textOf(model, r.nameLoc);
  const out: string[] = [];
  for (const e of r.stmt.node?.tableElts ?? []) {
    const def = e?.ColumnDef;
    if (!def || !names.includes(def.colname) || typeof def.location !== 'number') continue;
    const end = listItemEnd(text, def.location, r.loc.end);
    if (end < 0) return undefined;
    out.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${text.slice(def.location, end)};`);
  }
  return out.length === names.length ? out : undefined;
}


/**
 * A file right in a `supabase/migrations/` folder: its folder (with its separator), its name (as
 * the folder holds it: the editor names a file by its URI) and whether the Supabase CLI applies
 * it. The CLI (pkg/migration/list.go, ListLocalMigrations) applies only names matching
 * `^([0-9]+)_(.*)\.sql$`, and skips any other (supabase-migration-skipped).
 */
export function supabaseMigration(file: string): SupabaseMigration | undefined {
  // (kept per file name: the answer reads the name alone; supabase-migration-skipped and
  // supabase-migration-version-duplicate ask it of every file on every lint, 1,102 on kingmansa)
  let kept = supabaseMigrations.get(file);
  if (kept === undefined) {
    if (supabaseMigrations.size >= 100_000) supabaseMigrations.clear();
    supabaseMigrations.set(file, (kept = supabaseMigrationOf(file) ?? null));
  }
  return kept ?? undefined;
}
/** Shared: do not mutate. */
type SupabaseMigration = Readonly<{ folder: string; name: string; applied: boolean }>;
const supabaseMigrations = new Map<string, SupabaseMigration | null>();

function supabaseMigrationOf(file: string): SupabaseMigration | undefined {
  const m = supabaseMigrationMatch(file);
  if (!m) return undefined;
  let name = m.name;
  try {
    name = decodeURIComponent(name);
  } catch {
    // (kept as written)
  }
  return { folder: m.folder, name, applied: CLI_APPLIED.test(name) };
}

/**
 * Where the migrations revoke the default EXECUTE on functions from roles (`ALTER DEFAULT
 * PRIVILEGES [IN SCHEMA public] REVOKE EXECUTE ON FUNCTIONS FROM anon, …`, Supabase's own
 * hardening advice): statement order and roles. A function created after one is not taken to
 * have Supabase's default grant to those roles (whichever role the defaults are for).
 */
function defaultRevokes(model: Model): Array<{ order: number; roles: string[] }> {
  return memoModel(model, 'util:defaultExecuteRevokes', () =>
    defaultExecutePrivileges(model)
      .filter((d) => !d.isGrant && (d.schemas.length === 0 || d.schemas.includes('public')))
      .map((d) => ({ order: d.order, roles: d.roles })),
  );
}

const hasDefaultPrivileges = anyStatementIn((s) => s.kind === 'AlterDefaultPrivilegesStmt');

/** Whether some file of the model has an ALTER DEFAULT PRIVILEGES (each file's answer kept with its parse: most workspaces have none, and two rules asked each of the bench's ≈ 37,000 statements at every re-lint). */
export function anyDefaultPrivileges(model: Model): boolean {
  return model.files.some(hasDefaultPrivileges);
}

/** The `ALTER DEFAULT PRIVILEGES [IN SCHEMA …] GRANT|REVOKE EXECUTE ON FUNCTIONS …` of the workspace: statement order, grant or revoke, schemas (none: every schema) and roles. */
function defaultExecutePrivileges(model: Model): Array<{ order: number; isGrant: boolean; schemas: string[]; roles: string[] }> {
  return memoModel(model, 'util:defaultExecutePrivileges', () => {
    const out: Array<{ order: number; isGrant: boolean; schemas: string[]; roles: string[] }> = [];
    // (most workspaces have none: then no statement is looked at, each file's answer kept with it)
    if (!model.files.some(hasDefaultPrivileges)) return out;
    model.statements.forEach((s, i) => {
      if (s.stmt.kind !== 'AlterDefaultPrivilegesStmt') return;
      const a = s.stmt.node.action;
      if (!a || a.objtype !== 'OBJECT_FUNCTION') return;
      const privs: string[] = (a.privileges ?? []).map((p: { AccessPriv?: { priv_name?: string } }) => String(p.AccessPriv?.priv_name ?? '').toLowerCase());
      if (privs.length && !privs.includes('execute') && !privs.includes('all')) return;
      const schemas: string[] = (defElems(s.stmt.node.options).get('schemas')?.arg?.List?.items ?? []).map((x: unknown) => String(sval(x) ?? '').toLowerCase());
      out.push({ order: i, isGrant: !!a.is_grant, schemas, roles: (a.grantees ?? []).map((g: Node) => finalRoleName(model, roleName(g), i)) });
    });
    return out;
  });
}

/**
 * Whether the migrations revoke EXECUTE on `f` from `role` (and do not grant it back), or its
 * default before creating it (`defaults: false`: only a REVOKE naming the function, or all those of
 * its schema, counts).
 */
export function executeRevokedFrom(model: Model, f: Func, role: string, opts: { publicDefaults?: boolean; defaults?: boolean } = {}): boolean {
  const created = orderOf(model, f.created);
  // (`publicDefaults: false`: a default revoke from PUBLIC leaves a role's own default grant, Supabase's to anon)
  let revoked = opts.defaults !== false && defaultRevokes(model).some((r) => r.order < created && (r.roles.includes(role) || (opts.publicDefaults !== false && r.roles.includes('public'))));
  // the last function grant event for the role that names the function, or all those of its
  // schema made after it (ON ALL FUNCTIONS IN SCHEMA acts on the functions that exist when it runs)
  const index = functionGrantIndex(model);
  const events = model.grantEvents;
  let last = -1;
  const named = index.bySignature.get(f.signature);
  if (named) {
    for (let i = named.length - 1; i >= 0; i--) {
      if (events[named[i]!]!.grantees.includes(role)) {
        last = named[i]!;
        break;
      }
    }
  }
  const wide = index.bySchema.get(f.schema);
  if (wide) {
    for (let i = wide.length - 1; i >= 0 && wide[i]! > last; i--) {
      const g = events[wide[i]!]!;
      if (g.grantees.includes(role) && orderOf(model, g.loc) > created) {
        last = wide[i]!;
        break;
      }
    }
  }
  return last >= 0 ? !events[last]!.isGrant : revoked;
}

/**
 * Where a GRANT of EXECUTE on `f` written after `loc` holds: `loc`, or the last REVOKE … ON
 * FUNCTION naming `f` (or ON ALL FUNCTIONS IN its schema) in replay order, if that comes later.
 */
export function afterExecuteRevokes(model: Model, f: Func, loc: Loc): Loc {
  const index = functionGrantIndex(model);
  const events = model.grantEvents;
  let at = loc;
  let order = orderOf(model, loc);
  for (const list of [index.bySignature.get(f.signature), index.bySchema.get(f.schema)]) {
    if (!list) continue;
    for (const i of list) {
      const g = events[i]!;
      if (g.isGrant) continue;
      const o = orderOf(model, g.loc);
      if (o > order) {
        at = g.loc;
        order = o;
      }
    }
  }
  return at;
}

/**
 * The function grant events of a model (GRANT / REVOKE … ON FUNCTION, ON ALL FUNCTIONS IN
 * SCHEMA), as indexes into model.grantEvents in their order: by the signature they name, and
 * by the schema of an ALL FUNCTIONS IN SCHEMA.
 */
function functionGrantIndex(model: Model): { bySignature: Map<string, number[]>; bySchema: Map<string, number[]> } {
  return memoModel(model, 'util:functionGrantIndex', (m) => {
    const bySignature = new Map<string, number[]>();
    const bySchema = new Map<string, number[]>();
    const events = m.grantEvents;
    for (let i = 0; i < events.length; i++) {
      const g = events[i]!;
      if (g.objectKind !== 'function') continue;
      for (const o of g.objects) {
        const map = o.startsWith('schema:') ? bySchema : bySignature;
        const k = o.startsWith('schema:') ? o.slice(7) : o;
        let list = map.get(k);
        if (!list) map.set(k, (list = []));
        // (an event naming one object twice is listed once)
        if (list[list.length - 1] !== i) list.push(i);
      }
    }
    return { bySignature, bySchema };
  });
}

/**
 * Whether CREATE TABLE declares the column boolean (flowglad's `livemode`, a flag such as
 * `profiles.is_admin`).
 */
export function isBooleanColumn(t: Table, column: string): boolean {
  const type = columnTypes(t)?.get(column)?.toLowerCase().replace(/^pg_catalog\./, '');
  return type === 'bool' || type === 'boolean';
}

/** Of a table's columns named for a value (a secret, an e-mail address), those that are not boolean flags named as one (`reset_password`, `mobile`). */
export function valueColumns(t: Table, named: readonly string[]): readonly string[] {
  return named.some((c) => isBooleanColumn(t, c)) ? named.filter((c) => !isBooleanColumn(t, c)) : named;
}

/**
 * Of a table's columns, those `role` may name in a SELECT: every one, unless the workspace grants
 * it SELECT on some columns only (columnsGrantedOnly), then those; a query naming another fails
 * with 42501 (what policy-secret-readable and policy-personal-data-public advise, done).
 */
export function selectableColumns(model: Model, t: Table, role: string, columns: readonly string[]): readonly string[] {
  const only = privilegesOf(model, t, role).has('select') ? columnsGrantedOnly(model, t, role, 'select') : undefined;
  return only ? columns.filter((c) => only.some((r) => r.toLowerCase() === c.toLowerCase())) : columns;
}

/** The types of a table's columns as its CREATE TABLE writes them (`typeName`), or undefined when another statement made it. */
export function columnTypes(t: Table): Map<string, string> | undefined {
  if (t.stmt.kind !== 'CreateStmt') return undefined;
  const out = new Map<string, string>();
  for (const el of t.stmt.node.tableElts ?? []) if (el.ColumnDef) out.set(el.ColumnDef.colname, typeName(el.ColumnDef.typeName));
  return out;
}

/**
 * The role a suggestion names for "the roles that need it": Supabase's `authenticated` where
 * the platform's roles exist (a Supabase layout, or migrations calling auth.uid()), else the
 * role the workspace's policies name most (`app_user`), else `authenticated`.
 */
export function appRole(model: Model): string {
  return memoModel(model, 'rules:appRole', (m) => {
    if (onSupabasePlatform(m)) return 'authenticated';
    const count = new Map<string, number>();
    for (const p of m.policies) for (const r of p.roles) if (r !== 'public' && m.roleBypassesRls(r) !== true) count.set(r, (count.get(r) ?? 0) + 1);
    let best = 'authenticated';
    let most = 0;
    for (const [r, n] of count) if (n > most) [best, most] = [r, n];
    return best;
  });
}

export { onSupabasePlatform };

/**
 * The keys of a record's RangeVars (`rvs`), kept on the record
 * for the default schema they were made under (`probe`: the key of an unqualified name), unless
 * a SET search_path resolved its statement's names (`fresh`): resolving the same names on every
 * lint was most of some rules' re-lint.
 */
export function keptKeys(model: Model, rec: { keys?: readonly string[]; keysFor?: string }, rvs: readonly Node[], probe: string, fresh: boolean): readonly string[] {
  if (!fresh && rec.keysFor === probe && rec.keys) return rec.keys;
  const keys = rvs.map((rv) => model.relKey(rv));
  if (!fresh) {
    rec.keys = keys;
    rec.keysFor = probe;
  }
  return keys;
}

/**
 * The commands UPDATE and DELETE of a table that fail (or do nothing) whatever its policies say:
 * a trigger on them whose function raises an exception (an append-only table), or a rule `DO
 * INSTEAD NOTHING`. `always`: only a trigger with no `WHEN`, no `UPDATE OF` columns, whose
 * PL/pgSQL function raises first thing (`BEGIN RAISE EXCEPTION …`), so that every such statement
 * touching a row fails; `may`: any trigger whose function raises somewhere (what a rule that keeps
 * quiet about an append-only table asks).
 */
export function refusedWrites(model: Model, t: Table | undefined, how: 'always' | 'may'): Map<'update' | 'delete', string> {
  // (each command with what refuses it: `trigger x raises an exception`, `rule r does nothing instead`)
  const out = new Map<'update' | 'delete', string>();
  if (!t) return out;
  for (const tr of t.triggers) {
    if (!(tr.events & (TRIGGER_UPDATE | TRIGGER_DELETE))) continue;
    const f = (model.functions.get(tr.func) ?? []).find((g) => g.argTypes.length === 0);
    const body = f ? codeOnly(bodyText(model, f)) : '';
    if (how === 'may' ? !/\braise\s+exception\b/i.test(body) : !raisesFirst(body)) continue;
    if (how === 'always') {
      const stmt = codeOnly(fileOf(model, tr.loc.file)?.text.slice(tr.loc.start, tr.loc.end) ?? '');
      if (/\bwhen\s*\(/i.test(stmt) || /\bupdate\s+of\b/i.test(stmt)) continue;
    }
    const why = `trigger ${tr.name} raises an exception`;
    if (tr.events & TRIGGER_UPDATE && !out.has('update')) out.set('update', why);
    if (tr.events & TRIGGER_DELETE && !out.has('delete')) out.set('delete', why);
  }
  for (const n of insteadNothing(model).get(t.key) ?? []) {
    if (how === 'always' && n.whereClause) continue;
    const why = `rule ${n.rulename} does nothing instead`;
    if (n.event === 'CMD_UPDATE' && !out.has('update')) out.set('update', why);
    if (n.event === 'CMD_DELETE' && !out.has('delete')) out.set('delete', why);
  }
  return out;
}

/** The rules `DO INSTEAD NOTHING` of the migrations, by table (once per model). */
function insteadNothing(model: Model): Map<string, Node[]> {
  return memoModel(model, 'util:insteadNothing', (m) => {
    const out = new Map<string, Node[]>();
    if (!m.files.some(hasRule)) return out;
    for (const { stmt } of m.statements) {
      const n = stmt.kind === 'RuleStmt' ? stmt.node : undefined;
      if (!n?.instead || (n.actions?.length ?? 0) !== 0 || !n.relation?.relname) continue;
      const k = m.key([n.relation.schemaname, n.relation.relname]);
      out.set(k, [...(out.get(k) ?? []), n]);
    }
    return out;
  });
}
const hasRule = anyStatementIn((s) => s.kind === 'RuleStmt');

/** A PL/pgSQL body (comments and strings blanked) whose first statement raises an exception (RAISE with no level is EXCEPTION). */
function raisesFirst(body: string): boolean {
  return /^\s*(?:<<\s*\w+\s*>>\s*)?(?:declare\b(?:(?!\bbegin\b)[\s\S])*)?\bbegin\s+raise\b(?!\s+(?:debug|log|info|notice|warning)\b)/i.test(body);
}

/**
 * An `ALTER TABLE … ENABLE ROW LEVEL SECURITY` of `t` that the migrations run before the table is
 * created (a file that sorts earlier): PostgreSQL rejects it (42P01), so RLS is never enabled
 * although the statement is there. Its location, for a message; undefined when there is none.
 */
/** ` (the ALTER TABLE … ENABLE at x runs before the CREATE TABLE at y: 42P01 …)` for a message saying RLS is never enabled, or ''. */
export function enabledTooEarly(model: Model, t: Table): string {
  const e = enabledBeforeCreated(model, t);
  if (!e) return '';
  if (e.dropped) return ` (the ALTER TABLE … ENABLE ROW LEVEL SECURITY at ${where(model, e.at)} enabled it on an earlier table of that name, which the DROP TABLE at ${where(model, e.dropped)} removed, its policies with it; the CREATE TABLE at ${where(model, t.created)} makes a new one, with row-level security off)`;
  if (e.failed)
    return ` (its CREATE TABLE at ${where(model, e.failed.loc)} fails, ${referenceFailure(model, e.failed.loc, e.failed.key).code}: it references ${e.failed.key}, which the migrations create only later${referenceFailure(model, e.failed.loc, e.failed.key).code === '3F000' ? ', and its schema too' : ''}. So the ALTER TABLE${e.ifExists ? ' IF EXISTS' : ''} … ENABLE ROW LEVEL SECURITY at ${where(model, e.at)} finds no table (${e.ifExists ? 'skipped with a notice' : '42P01'}) and enables nothing, nor do the policies written for it then exist; the CREATE TABLE at ${where(model, t.created)} makes the table, with row-level security off)`;
  if (e.ifExists)
    return ` (the ALTER TABLE IF EXISTS … ENABLE ROW LEVEL SECURITY at ${where(model, e.at)} runs before the CREATE TABLE at ${where(model, t.created)}: PostgreSQL finds no table there and skips it with a notice, relation does not exist, skipping, so it enables nothing)`;
  // (in a DO block that looks for the table first, `IF to_regclass('public.t') IS NULL THEN RETURN`:
  // skipped, no error — Jeduardo622/AllIincompassing's admin_actions, made later by a baseline migration)
  if (e.guarded)
    return ` (the ALTER TABLE … ENABLE ROW LEVEL SECURITY at ${where(model, e.at)}, in a DO block that first looks the table up, runs before the CREATE TABLE at ${where(model, t.created)}: the table is not there yet, so the block skips it and enables nothing${unversionedOrder(model, e.at, t.created)})`;
  return ` (the ALTER TABLE … ENABLE ROW LEVEL SECURITY at ${where(model, e.at)} runs before the CREATE TABLE at ${where(model, t.created)}: PostgreSQL rejects it, 42P01 relation does not exist, and the migration stops there${unversionedOrder(model, e.at, t.created)})`;
}

/**
 * Whether the statement at `at`, replayed from a DO block, is one the block runs only when the
 * table exists: the block's text looks the table up (to_regclass, information_schema.tables,
 * pg_tables, pg_class) — where it is absent, the block skips the statement rather than failing.
 */
function guardedInDo(model: Model, at: Loc, stmt: Statement): boolean {
  if (stmt.origin === 'file') return false;
  const pf = fileOf(model, at.file);
  const block = pf ? doBlockAround(pf, at.start, at.end) : undefined;
  return !!block && /\bto_regclass\s*\(|\binformation_schema\s*\.\s*tables\b|\bpg_(?:catalog\s*\.\s*)?(?:tables|class)\b/i.test(pf!.text.slice(block.start, at.start));
}

/** A file name that carries an order of its own: a number or a timestamp first (`001_x.sql`, `V2__x.sql`, `20240101_x.sql`). */
const VERSIONED_NAME = /^(?:[VvRrUu]?\d)/;

/**
 * `; …` for a message saying a statement of one file runs before the CREATE TABLE of another,
 * where a file's name carries no order (tables.sql, folders.sql; one of the two is enough) and the "order" setting is
 * not set: the replay's order is then the files' path order only, which a script may not follow —
 * pierre-lgb/slashwriter's README runs `psql --file tables.sql --file auth.sql … --file folders.sql`,
 * so folders.sql's ENABLE comes after tables.sql's CREATE TABLE there. Or ''.
 */
export function unversionedOrder(model: Model, early: Loc, created: Loc): string {
  if (early.file === created.file || model.config.order?.length) return '';
  const base = (f: string) => f.replace(/^file:\/\//, '').split(/[\\/]/).pop()!;
  const a = base(early.file);
  const b = base(created.file);
  // (one name with a version and the other without: where the one without runs is not told either —
  // geraldinocv/evently's scripts/011_supabase_resync.sql policies on profiles, which
  // setup_supabase_complete.sql, a setup script, makes)
  const va = VERSIONED_NAME.test(a);
  const vb = VERSIONED_NAME.test(b);
  if (va && vb) return '';
  const why = !va && !vb ? 'as their names carry no version' : `as the name ${va ? b : a} carries no version`;
  return `; that is the files' path order, which the lint follows ${why}: where a script runs ${b} before ${a}, the statement works, and this finding comes from the path order alone — list the files in the order they run in the "order" setting of .pg-rls-lint.json`;
}

/**
 * unversionedOrder as a sentence of its own (" That is the files' path order, … .pg-rls-lint.json."),
 * for a message that ends with its advice: isongeee/CLM-V3's supabase/rls_….sql, which its README
 * runs after schema_….sql, sorts before it. Or ''.
 */
export function unversionedOrderSentence(model: Model, early: Loc, created: Loc): string {
  const s = unversionedOrder(model, early, created);
  return s ? ` T${s.slice(3)}.` : '';
}

/**
 * The policies written for the table before its CREATE TABLE (files replayed in path order:
 * policies/ before tables/; a table made later IF NOT EXISTS): PostgreSQL rejected them, 42P01,
 * unless the table stood there already, made elsewhere. Not the table's own.
 */
export function policiesBeforeCreate(model: Model, t: Table): Policy[] {
  const list = policiesWithKey(model, t.key);
  if (list.length === t.policies.length) return [];
  const made = orderOf(model, t.created);
  return list.filter((p) => !t.policies.includes(p) && orderOf(model, p.created) < made);
}

/** ` (its policy "p" is written before the table is made, at x: …)` for a message saying RLS is never enabled (and no policy filters the rows), or ''. */
export function policiesTooEarly(model: Model, t: Table): string {
  const early = policiesBeforeCreate(model, t);
  if (early.length === 0) return '';
  const which = early.length === 1 ? `its policy "${early[0]!.name}" is` : `its ${early.length} policies (the first, "${early[0]!.name}") are`;
  return ` (${which} written before the table is created, at ${where(model, early[0]!.created)}: PostgreSQL rejects ${early.length === 1 ? 'that CREATE POLICY' : 'each CREATE POLICY'}, 42P01, as the table does not exist yet; were the table made elsewhere before, ${early.length === 1 ? 'it would exist' : 'they would exist'} and do nothing, with RLS off${unversionedOrder(model, early[0]!.created, t.created)})`;
}

/**
 * `Its ALTER TABLE … ENABLE ROW LEVEL SECURITY, at x, is in one of the files <why>, … ` (a sentence)
 * for a message saying RLS is never enabled, where an ENABLE naming the table stands only in a file no
 * migration tool of the workspace applies (notReplayedReason: a Drizzle Kit folder's file its
 * journal does not list, a Supabase project's stray file…): the replay leaves it out as that tool
 * does, and the message says so rather than seem not to have seen it (Yersimo/tempo-platform:
 * 0001_rls_policies.sql, absent from the journal, enables RLS on 44 of the 210 tables reported). Or ''.
 */
export function enabledInUnappliedFile(model: Model, t: Table): string {
  for (const f of model.files) {
    const why = notReplayedReason(f);
    if (why === undefined) continue;
    for (const e of enableStatementsIn(f)) {
      if (model.key([e.rel.schemaname, e.rel.relname]) !== t.key) continue;
      return `Its ALTER TABLE … ENABLE ROW LEVEL SECURITY, at ${where(model, { file: f.file, start: e.start, end: e.end })}, is in one of the files ${why}, and the lint does not replay it either: where that file is run by other means, the table has RLS. `;
    }
  }
  return '';
}

const enableStatements = new WeakMap<ParsedFile, Array<{ rel: Node; start: number; end: number }>>();
/** The ALTER TABLE … ENABLE ROW LEVEL SECURITY statements of a parsed file, with the relation each names. */
function enableStatementsIn(file: ParsedFile): Array<{ rel: Node; start: number; end: number }> {
  let out = enableStatements.get(file);
  if (out === undefined) {
    out = [];
    for (const s of file.statements) {
      const rel = s.kind === 'AlterTableStmt' ? s.node?.relation : undefined;
      if (rel?.relname && (s.node.cmds ?? []).some((c: Node) => c?.AlterTableCmd?.subtype === 'AT_EnableRowSecurity')) out.push({ rel, start: s.start, end: s.end });
    }
    enableStatements.set(file, out);
  }
  return out;
}

/**
 * The key of a table of another schema that the workspace's ALTER TABLE … ENABLE ROW LEVEL
 * SECURITY names by t's name, where t's CREATE TABLE writes no schema and the workspace makes no
 * table under that key: the session that ran the migrations put that schema first on its
 * search_path (a role's or database's setting, made outside them), so the table is that one
 * (aekyung11/pupcle, a Graphile starter: `create table mission_participants (…)` then `alter table
 * app_public.mission_participants enable row level security`; its dump has
 * app_public.mission_participants). Undefined otherwise (asked only of tables about to be reported).
 */
export function enabledUnderAnotherSchema(model: Model, t: Table): string | undefined {
  const rel = t.stmt.kind === 'CreateStmt' ? t.stmt.node?.relation : undefined;
  if (!rel || rel.schemaname !== undefined) return undefined;
  for (const f of model.files) {
    for (const r of enablesIn(f)) {
      if (r.relname !== t.name || r.schemaname === undefined || r.schemaname === t.schema) continue;
      const k = model.key([r.schemaname, r.relname]);
      if (!model.tables.has(k)) return k;
    }
  }
  return undefined;
}

/** The keys of the tables an ALTER TABLE … ENABLE ROW LEVEL SECURITY of the workspace names (its files' statements, the names kept per parsed file). */
function enableTargets(model: Model): Set<string> {
  const out = new Set<string>();
  for (const f of model.files) for (const rel of enablesIn(f)) out.add(model.key([rel.schemaname, rel.relname]));
  return out;
}

const enables = new WeakMap<ParsedFile, Node[]>();
/** The relations the ALTER TABLE … ENABLE ROW LEVEL SECURITY statements of a parsed file name. */
function enablesIn(file: ParsedFile): Node[] {
  let out = enables.get(file);
  if (out === undefined) {
    out = [];
    for (const s of file.statements) {
      const rel = s.kind === 'AlterTableStmt' ? s.node?.relation : undefined;
      if (rel?.relname && (s.node.cmds ?? []).some((c: Node) => c?.AlterTableCmd?.subtype === 'AT_EnableRowSecurity')) out.push(rel);
    }
    enables.set(file, out);
  }
  return out;
}

/**
 * The last ALTER TABLE … ENABLE ROW LEVEL SECURITY of the table's name before its CREATE TABLE:
 * rejected (no table of that name was made before it), or run on an earlier table of that name
 * that a DROP TABLE then removed (`dropped`). Undefined when there is none, or when a table of
 * that name may stand where the CREATE TABLE runs (made before and not seen dropped).
 */
function enabledBeforeCreated(model: Model, t: Table): { at: Loc; dropped?: Loc; failed?: { loc: Loc; key: string }; ifExists?: boolean; guarded?: boolean } | undefined {
  // (a table no ALTER TABLE … ENABLE ROW LEVEL SECURITY names, anywhere: nothing to look for; the
  // walk below is a pass over the statements up to each table's CREATE)
  if (!memoModel(model, 'util:enableTargets', enableTargets).has(t.key)) return undefined;
  const created = orderOf(model, t.created);
  const failing = createsReferencingLater(model);
  let made = false;
  let failed: { loc: Loc; key: string } | undefined;
  let found: { at: Loc; dropped?: Loc; failed?: { loc: Loc; key: string }; ifExists?: boolean; guarded?: boolean } | undefined;
  for (let i = 0; i < model.statements.length && i < created; i++) {
    const { file, stmt } = model.statements[i]!;
    const n = stmt.node;
    const loc = { file: file.file, start: stmt.start, end: stmt.end };
    if (stmt.kind === 'CreateStmt' || stmt.kind === 'CreateTableAsStmt') {
      const rel = stmt.kind === 'CreateStmt' ? n?.relation : n?.into?.rel;
      if (rel?.relname && model.key([rel.schemaname, rel.relname]) === t.key) {
        // (one whose FOREIGN KEY names a table made only later makes nothing: 42P01)
        const f = failing.length ? failing.find((x) => x.stmt === stmt) : undefined;
        if (f) {
          if (!made) failed = { loc, key: f.key };
          continue;
        }
        made = true;
        failed = undefined;
        found = undefined;
      }
    } else if (stmt.kind === 'RenameStmt' && n?.renameType === 'OBJECT_TABLE' && typeof n.newname === 'string' && model.key([n.relation?.schemaname, n.newname]) === t.key) {
      made = true;
      found = undefined;
    } else if (stmt.kind === 'DropStmt' && n?.removeType === 'OBJECT_TABLE' && made) {
      const keys = (n.objects ?? []).map((o: Node) => model.key(nameParts(o?.List?.items)));
      if (keys.includes(t.key)) {
        made = false;
        if (found) found.dropped = loc;
      }
    } else if (stmt.kind === 'AlterTableStmt') {
      const rel = n?.relation;
      if (!rel?.relname || model.key([rel.schemaname, rel.relname]) !== t.key) continue;
      if ((n.cmds ?? []).some((c: Node) => c?.AlterTableCmd?.subtype === 'AT_EnableRowSecurity')) {
        // (ALTER TABLE IF EXISTS: no table is skipped with a notice, not rejected)
        found = failed && !made ? { at: loc, failed } : { at: loc };
        if (n.missing_ok === true) found.ifExists = true;
        else if (!made && !failed && guardedInDo(model, loc, stmt)) found.guarded = true;
      }
    }
  }
  // (made before and not seen dropped: the ENABLE ran on a table that may still stand; nothing certain to say)
  if (!found || (made && !found.dropped)) return undefined;
  // (an ENABLE on an earlier table, rejected by none: said only with the DROP that removed it)
  return found;
}

/**
 * The hint of the definer rules for a lookup by a secret argument (an invitation token): the right
 * way to do it, once the secret's check raises for a value no row has (dbdev's redeem_access_token
 * compared tokens_row.token_hash != sha256(token), NULL for an unknown id, and signed a JWT;
 * definer-check-fails-open reports such a check).
 */
export const SECRET_LOOKUP_HINT =
  'If an argument is a secret only the right caller holds (an invitation or verification token), the function needs no other check of the caller once every row it reads or writes is one that secret leads to: each statement requires it in its WHERE (`… AND token = p_token`, or an EXISTS of a row that holds it), or a lookup of it comes first and raises when no row matches (SELECT … INTO STRICT, or IF NOT FOUND THEN RAISE; IF v <> x THEN RAISE does not raise when the lookup left v NULL); then suppress the finding here.';

/** A function's parameters a call passes arguments to, in order (its FunctionParameter nodes; not OUT nor TABLE ones). */
export function inputParams(f: Func): Node[] {
  return (f.stmt.node?.parameters ?? []).filter((x: Node) => x?.FunctionParameter?.mode !== 'FUNC_PARAM_OUT' && x?.FunctionParameter?.mode !== 'FUNC_PARAM_TABLE');
}

/**
 * Whether `e` is pgcrypto's check of a password the caller passes against a stored hash, `hash =
 * crypt(<an argument of f>, hash)` either way round (`=` of a column or variable and the call):
 * the hash it checks, or undefined. `same` tells the two places of the hash as the same (by
 * default, written alike). What a login check compares: bcrypt's crypt() gives the stored hash back
 * for the right password only.
 */
export function passwordCheckHash(f: Func, e: Node, same: (hash: Node, salt: Node) => boolean = (a, b) => shapeOf(a) === shapeOf(b)): Node | undefined {
  const x = e?.A_Expr;
  if (!x || x.kind !== 'AEXPR_OP' || sval(x.name?.[x.name.length - 1]) !== '=') return undefined;
  for (const [hash, call] of [[x.lexpr, x.rexpr], [x.rexpr, x.lexpr]] as Array<[Node, Node]>) {
    const fc = call?.FuncCall;
    if (!hash?.ColumnRef || !fc || sval(fc.funcname?.[fc.funcname.length - 1]) !== 'crypt' || fc.args?.length !== 2) continue;
    if (same(hash, fc.args[1]) && namesArgument(f, fc.args[0])) return hash;
  }
  return undefined;
}

/** Whether `n` names an argument of f: `$1`, a parameter's name, or one qualified with the function's name. */
function namesArgument(f: Func, n: Node): boolean {
  const params = new Set(inputParams(f).map((x) => String(x?.FunctionParameter?.name ?? '').toLowerCase()).filter(Boolean));
  let hit = false;
  walk(n, (k, v) => {
    if (k === 'ParamRef') hit = true;
    else if (k === 'ColumnRef') {
      const fields: Node[] = v.fields ?? [];
      const last = sval(fields[fields.length - 1]);
      if (typeof last === 'string' && params.has(last) && (fields.length === 1 || (fields.length === 2 && sval(fields[0]) === f.name.toLowerCase()))) hit = true;
    }
  });
  return hit;
}

/** The function a SET or set_config in a body belongs to, as the statement it is in defines it (undefined at top level, or when a later CREATE OR REPLACE or DROP replaced that definition). */
export function definingFunction(model: Model, w: ContextWrite): Func | undefined {
  if (!w.inFunction) return undefined;
  return model.functions.get(w.inFunction)?.find((g) => g.created.file === w.loc.file && g.created.start <= w.loc.start && w.loc.end <= g.created.end);
}

/**
 * The statements of a file a tool never applies, for a message: `Its statement (a policy, …) never
 * reaches ${where}` or `Its 3 statements (2 of them policies, …) never reach ${where}`.
 */
export function statementsNeverRun(top: readonly Statement[], where: string): string {
  const rls = top.filter(aboutRls).length;
  const one = top.length === 1;
  const which = rls === 0 ? '' : one ? ' (a policy, row-level security switch, grant or SECURITY DEFINER function)' : ` (${rls} of them policies, row-level security switches, grants or SECURITY DEFINER functions)`;
  return `${one ? 'Its statement' : `Its ${top.length} statements`}${which} never reach${one ? 'es' : ''} ${where}`;
}

/** Statements that change who sees which rows: policies, RLS switches, grants, SECURITY DEFINER functions. */
export function aboutRls(s: Statement): boolean {
  switch (s.kind) {
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
    case 'GrantStmt':
      return true;
    case 'DropStmt':
      return s.node?.removeType === 'OBJECT_POLICY';
    case 'AlterTableStmt':
      return (s.node?.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string } }) => /RowSecurity$/.test(c.AlterTableCmd?.subtype ?? ''));
    case 'CreateFunctionStmt':
      return (s.node?.options ?? []).some((o: { DefElem?: { defname?: string; arg?: { Boolean?: { boolval?: boolean } } } }) => o.DefElem?.defname === 'security' && !!o.DefElem.arg?.Boolean?.boolval);
    default:
      return false;
  }
}
