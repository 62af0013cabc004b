import type { Func, Model, Policy, Table } from '../analysis/model.js';
import { activePoliciesWithKey, activeRows, activeRowsWith, FLAG_TAUTOLOGY, constBool, andOperandText, exprClauseSpan, exprText, memoModel, textOfFile, type PolicyExpr, type PolicyRow } from '../analysis/policy-exprs.js';
import { conjuncts, constValue } from '../analysis/ast.js';
import { nameParts, sval } from '../analysis/parse.js';
import type { Node } from '../analysis/types.js';
import { appliesToRole, commandList, coversCommand, readUnfilteredFor, roleList, type Command } from '../analysis/policies.js';
import { defineRule } from './types.js';
import { API_ROLES, authCallOf, bareValue, columnRef, functionLists, mayHoldPrivilege, onSupabasePlatform, refusedWrites } from './lib/util.js';
import { columnsGrantedOnly, grantsManagedFor, platformGrantee, platformMayGrant, privilegesOf } from '../analysis/privileges.js';
import { anonymousSignInsOn } from '../analysis/supabase-config.js';
import { listOr } from '../analysis/words.js';

/** `auth.role()`, or the role claim of `auth.jwt()` (`auth.jwt() ->> 'role'`), cast or not, bare or in a sub-select of its own. */
export function asksRole(n: Node): boolean {
  if (authCallOf(n) === 'role') return true;
  const x = bareValue(n)?.A_Expr;
  return !!x && x.kind === 'AEXPR_OP' && sval(x.name?.[0]) === '->>' && authCallOf(x.lexpr) === 'jwt' && constValue(x.rexpr) === 'role';
}

/**
 * Whether the condition is true for every request of `role` through Supabase's API, by what it
 * asks of auth.role() (the JWT's role, the role PostgREST runs the request as) and auth.uid()
 * (set for every signed-in user): `auth.role() = 'authenticated'` (or `<> 'anon'`, or on `auth.jwt() ->> 'role'`), `… IN ('anon', 'authenticated')`,
 * `auth.uid() IS NOT NULL`, constants, and AND / OR of these.
 */
export function trueForRole(model: Model, n: Node, role: string, depth = 0): boolean {
  if (constBool(n) === true) return true;
  const b = n?.BoolExpr;
  if (b?.boolop === 'AND_EXPR') return (b.args as Node[]).every((a) => trueForRole(model, a, role, depth));
  if (b?.boolop === 'OR_EXPR') return (b.args as Node[]).some((a) => trueForRole(model, a, role, depth));
  // (a helper without arguments whose body only returns such a condition: garden's is_authenticated(), `SELECT auth.uid() IS NOT NULL`)
  if (depth < 3 && bareValue(n)?.FuncCall) {
    const f = calledHelper(model, n, 0);
    const e = f && returnedExpr(model, f);
    if (e) return trueForRole(model, e, role, depth + 1);
  }
  const x = n?.A_Expr;
  const op = x?.name?.length === 1 ? sval(x.name[0]) : undefined;
  if (x && (op === '=' || op === '<>')) {
    if (x.kind === 'AEXPR_OP') {
      const [ask, lit] = asksRole(x.lexpr) ? [x.lexpr, x.rexpr] : [x.rexpr, x.lexpr];
      // (the literal cast as pg_dump and supabase db diff write it: `'authenticated'::text`, victoria-aquaculture's pesapal_transactions)
      const v = constValue(bareValue(lit));
      // (`<> 'anon'` is true for another API role: the role claim is always set through the API)
      return asksRole(ask) && typeof v === 'string' && (op === '=' ? v === role : v !== role);
    }
    if (x.kind === 'AEXPR_IN' && op === '=' && asksRole(x.lexpr)) return ((x.rexpr?.List?.items as Node[]) ?? []).some((v) => constValue(bareValue(v)) === role);
  }
  const t = n?.NullTest;
  return !!t && t.nulltesttype === 'IS_NOT_NULL' && role === 'authenticated' && authCallOf(t.arg) === 'uid';
}

/**
 * On Supabase Storage's objects: a condition made of bucket filters (`bucket_id = 'avatars'`, `IN
 * (…)`) and of conditions true for every request of `role` alone (trueForRole): the buckets, or
 * undefined. It admits every object of those buckets, whoever uploaded it (cocktailsop's "Users can
 * update avatars" USING (bucket_id = 'avatars')).
 */
export function bucketWide(model: Model, n: Node, role: string): string[] | undefined {
  const buckets: string[] = [];
  for (const c of conjuncts(n)) {
    const named = bucketFilter(c);
    if (named) {
      buckets.push(...named);
      continue;
    }
    if (!trueForRole(model, c, role)) return undefined;
  }
  return buckets.length ? buckets : undefined;
}

/**
 * Whether this rule reports the policy for its USING alone: on Supabase Storage's objects, a
 * permissive UPDATE, DELETE or ALL policy for authenticated (named, or through PUBLIC) whose USING is
 * a condition on the bucket and on who the request is alone (bucketWide), so every signed-in user
 * reaches every object of the bucket. policy-anon-write's signed-in half leaves such a policy to
 * this rule (the same policy, the same reason), as it leaves USING (true); anon's case stays its.
 */
export function reportsBucketWideUsing(model: Model, row: PolicyRow): boolean {
  const p = row.policy;
  if (!model.supabase || !p.permissive || p.table !== 'storage.objects' || p.command === 'insert' || p.command === 'select' || !row.using) return false;
  const roles = subjectRoles(model, p, row.table);
  const api = roles.includes('public') ? API_ROLES : roles.filter((r) => API_ROLES.includes(r));
  // (a condition true for an API role by who the request is alone: the rule's other branch, "admits every row")
  if (!api.includes('authenticated') || row.exprs.some((e) => api.some((r) => trueForRole(model, e.node, r)))) return false;
  return !!bucketWide(model, row.using.node, 'authenticated');
}

/** The buckets a condition's bucket filter names (`bucket_id = 'avatars'`, `bucket_id IN ('a', 'b')`), or undefined when it is no such filter. */
export function bucketFilter(c: Node): string[] | undefined {
  const x = c?.A_Expr;
  const op = x?.name?.length === 1 ? sval(x.name[0]) : undefined;
  if (!x || op !== '=' || (x.kind !== 'AEXPR_OP' && x.kind !== 'AEXPR_IN')) return undefined;
  const [col, v] = columnRef(x.lexpr)?.name === 'bucket_id' ? [x.lexpr, x.rexpr] : [x.rexpr, x.lexpr];
  // (`'avatars'::text`, as pg_dump writes it, is the bucket too)
  const values: unknown[] = x.kind === 'AEXPR_IN' ? ((v?.List?.items ?? v) as Node[]).map?.((e: Node) => constValue(bareValue(e))) ?? [] : [constValue(bareValue(v))];
  return columnRef(col)?.name === 'bucket_id' && values.length && values.every((b) => typeof b === 'string') ? (values as string[]) : undefined;
}

/** A body that only returns an expression: `BEGIN RETURN <e>; END` (PL/pgSQL), `SELECT <e>` (SQL), comments aside. */
const ONLY_RETURN = { plpgsql: /^begin\s+return\s+[^;]*;\s*end\s*;?$/i, sql: /^(?:select|return)\s+[^;]*;?$/i } as Record<string, RegExp>;
const COMMENTS = /--[^\n]*|\/\*[\s\S]*?\*\//g;
const returned = new WeakMap<object, Node | null>();

/** The expression a boolean function's body only returns, if it is written so (soil-sidekick's is_service_role(): `RETURN true`; garden's is_authenticated(): `SELECT auth.uid() IS NOT NULL`). */
export function returnedExpr(model: Model, f: Func): Node | undefined {
  const b = f.body;
  const re = ONLY_RETURN[f.language];
  if (!b || !re || (f.returnType !== 'boolean' && f.returnType !== 'bool')) return undefined;
  let v = returned.get(b);
  if (v === undefined) {
    const s = b.statements.length === 1 ? b.statements[0]!.node : undefined;
    const e: Node | undefined = s && !s.fromClause && !s.whereClause && s.targetList?.length === 1 ? s.targetList[0]?.ResTarget?.val : undefined;
    // (only a constant or a condition on who calls matters here: a sub-select, EXISTS, is not read, nor its body's text)
    const only = !!e && !e.SubLink && re.test(textOfFile(model, f.nameLoc.file).slice(b.start, b.end).replace(COMMENTS, ' ').trim());
    returned.set(b, (v = only ? e! : null));
  }
  return v ?? undefined;
}

/** Whether a function's body returns true whatever the call. */
const returnsOnlyTrue = (model: Model, f: Func) => constBool(returnedExpr(model, f)) === true;

/** Whether the workspace has such a function (per model: where none, the rule looks at the tautologies' rows alone). */
const hasTrueHelper = (model: Model) => memoModel(model, 'policy-always-true:helpers', (m) => functionLists(m).oneStatementBooleans.some((f) => returnsOnlyTrue(m, f)));

/** The function a condition is a call of (bare, or in a sub-select of its own) with `argc` arguments or any, if the workspace has it. */
export function calledHelper(model: Model, n: Node, argc?: number): Func | undefined {
  const c = bareValue(n)?.FuncCall;
  const args = (c?.args ?? []).length;
  return c && (argc === undefined || args === argc) ? model.findFunction(nameParts(c.funcname), args) : undefined;
}

/** The function a condition is a call of whose body returns true whatever the call, if any. */
function trueHelperOf(model: Model, n: Node): Func | undefined {
  const f = calledHelper(model, n);
  return f && returnsOnlyTrue(model, f) ? f : undefined;
}

/**
 * The owner of a table of Supabase's own schemas the migrations do not make: its Storage server's
 * role owns storage's tables (storage.objects, storage.buckets…), its Auth server's role auth's
 * (a Supabase database's pg_dump: `ALTER TABLE storage.objects OWNER TO supabase_storage_admin`,
 * `… auth.users OWNER TO supabase_auth_admin`), and neither forces row-level security there.
 */
function platformOwner(model: Model, p: Policy, t: Table | undefined): string | undefined {
  if (t || !model.supabase) return undefined;
  const schema = p.table.slice(0, p.table.indexOf('.'));
  return schema === 'storage' ? 'supabase_storage_admin' : schema === 'auth' ? 'supabase_auth_admin' : undefined;
}

/** Roles of the policy that are subject to it: not BYPASSRLS/superuser roles, not the table's owner. */
function subjectRoles(model: Model, p: Policy, t: Table | undefined): string[] {
  const platform = platformOwner(model, p, t);
  return p.roles.filter((r) => {
    if (r === 'public') return true;
    if (model.roleBypassesRls(r)) return false;
    // The owner can switch row-level security off for its own table (ALTER TABLE … NO FORCE /
    // DISABLE), so a tautology for the owner hides nothing (e.g. the T11b pattern); without
    // FORCE, no policy applies to it at all (a policy TO supabase_storage_admin on storage.buckets).
    if (t?.owner?.role === r || platform === r) return false;
    return true;
  });
}

/** A column naming a user or a group a row belongs to (`owner_id`, `tenant_id`, `user`, `org`…): any `…_id` but the row's own `id`. */
const namesOwner = (c: string): boolean => (c !== 'id' && /_id$/.test(c)) || /^(?:user|owner|tenant|org|organi[sz]ation|team|account|workspace|company|profile|member|group|author|created_by)s?$/.test(c);

/** A statement that reads no column of the table is checked against this policy alone (T26). */
const NO_READ = 'with a statement that reads no column (no WHERE, no column in SET or RETURNING)';
const NO_READ_DELETE = 'with a DELETE that reads no column (no WHERE, no column in RETURNING)';
const READS_UPDATE = 'one that reads columns is also limited to rows, and new values, that the SELECT policies admit (T26)';

/**
 * The SELECT policies that admit every row to each of `roles` (USING (true), no restrictive SELECT
 * policy, no recursion: readUnfilteredFor), as a phrase naming them, or undefined. Then an UPDATE or
 * DELETE that reads columns is narrowed by nothing either: the rows it sees, and the new rows the
 * SELECT policies check, are all of them (recogito-server's storage.objects: "… can SELECT on
 * objects" USING (true) beside the DELETE and UPDATE policies USING (true)).
 */
function selectAdmitsAll(model: Model, p: Policy, roles: readonly string[]): string | undefined {
  // (the policies PostgreSQL applies on the table: also on one the migrations do not make, Supabase's storage.objects)
  const policies = activePoliciesWithKey(model, p.table);
  if (roles.length === 0 || !roles.every((r) => readUnfilteredFor(model, p.table, policies, r))) return undefined;
  const names = policies.filter((q) => q !== p && q.permissive && coversCommand(q, 'select') && q.using !== undefined && constBool(q.using) === true && roles.some((r) => appliesToRole(model, q, r))).map((q) => `"${q.name}"`);
  if (names.length === 0) return undefined;
  return `the SELECT ${names.length > 1 ? 'policies' : 'policy'} ${listOr(names, 'and')} ${names.length > 1 ? 'admit' : 'admits'} every row to them too`;
}

/** What the always-true clauses let the roles do, per command, where UPDATE and DELETE of the table are not refused whatever the policies say. */
function effects(p: Policy, usingTrue: boolean, checkTrue: boolean, othersUpdate: boolean, refused: ReadonlyMap<'update' | 'delete', string>, readAll?: string): { cmds: Command[]; text: string } {
  // Without WITH CHECK, USING is the check for new rows (T14c).
  const writeAny = checkTrue || (usingTrue && !p.withCheck);
  // (WITH CHECK (false): no new row passes it, so nothing is inserted or updated through it: sqitch-example's web_anon)
  const writeNone = !!p.withCheck && constBool(p.withCheck) === false;
  // (UPDATE or DELETE refused whatever the policies say: a policy for that command alone admits nothing that works)
  if ((p.command === 'update' || p.command === 'delete') && refused.has(p.command)) return { cmds: [], text: '' };
  if (p.command === 'all' && usingTrue && refused.size) return refusedEffects(writeAny, writeNone, refused);
  if (p.command === 'all' && refused.has('update') && !writeNone)
    return { cmds: ['insert'], text: `may insert rows with any values, e.g. rows that name another user or tenant (UPDATE fails: ${refused.get('update')}, whatever the policies say)` };
  switch (p.command) {
    case 'insert':
      return { cmds: ['insert'], text: 'may insert rows with any values, e.g. rows that name another user or tenant' };
    case 'delete':
      if (readAll) return { cmds: ['delete'], text: `may delete any row, whatever the DELETE reads: ${readAll}, so one with a WHERE or RETURNING reaches every row its WHERE picks (T27)` };
      return { cmds: ['delete'], text: `may delete any row ${NO_READ_DELETE}; one that reads columns is limited to the rows the SELECT policies admit (T27)` };
    case 'update':
      if (writeNone) return { cmds: [], text: '' };
      if (usingTrue && readAll)
        return { cmds: ['update'], text: `may update any row${writeAny ? ' and give it any values' : ' (the new row must still pass WITH CHECK)'}, whatever the UPDATE reads: ${readAll}, so one with a WHERE, or a SET or RETURNING that reads columns, reaches every row its WHERE picks (T26)` };
      if (usingTrue && writeAny) return { cmds: ['update'], text: `may update any row and give it any values ${NO_READ}; ${READS_UPDATE}` };
      if (usingTrue) return { cmds: ['update'], text: `may update any row ${NO_READ} (the new row must still pass WITH CHECK); ${READS_UPDATE}` };
      // (no USING: it admits no row to update itself; its WITH CHECK is ORed with the checks of the policies that do)
      if (!p.using && !othersUpdate) return { cmds: [], text: '' };
      if (readAll) return { cmds: ['update'], text: `may give the rows they may update any values, e.g. hand them to another user or tenant, whatever the UPDATE reads (${readAll}: the new row of one that reads columns passes them)` };
      return { cmds: ['update'], text: `may give the rows they may update any values, e.g. hand them to another user or tenant, ${NO_READ}; one that reads columns also checks the new row against the SELECT policies` };
    case 'all':
      if (usingTrue && writeNone) return { cmds: ['select', 'delete'], text: 'may read and delete any row (its WITH CHECK (false) refuses every new row: nothing is inserted or updated through it)' };
      if (usingTrue && writeAny) return { cmds: ['select', 'insert', 'update', 'delete'], text: 'may read, update and delete any row, and insert or update rows with any values' };
      if (usingTrue) return { cmds: ['select', 'update', 'delete'], text: 'may read, update and delete any row (new rows must still pass WITH CHECK)' };
      if (!p.using && !othersUpdate)
        return { cmds: ['insert'], text: 'may insert rows with any values, e.g. rows that name another user or tenant (no row can be updated through it: it has no USING, and no other policy lets these roles update a row)' };
      return {
        cmds: ['insert', 'update'],
        text: `may insert rows with any values, e.g. rows that name another user or tenant, and give the rows they may update any values ${NO_READ}; one that reads columns also checks the new row against the SELECT policies`,
      };
    default:
      return { cmds: [], text: '' };
  }
}

/**
 * effects() of a FOR ALL policy with an always-true USING, on a table where a trigger or rule
 * refuses UPDATE or DELETE whatever the policies say (an append-only table): those verbs are
 * left out, and the text says what refuses them.
 */
function refusedEffects(writeAny: boolean, writeNone: boolean, refused: ReadonlyMap<'update' | 'delete', string>): { cmds: Command[]; text: string } {
  const update = !refused.has('update') && !writeNone;
  const del = !refused.has('delete');
  const verbs = ['read', ...(update ? ['update'] : []), ...(del ? ['delete'] : [])];
  const rows = `may ${listOr(verbs, 'and')} any row`;
  const insert = writeAny && !writeNone ? `, and insert${update ? ' or update' : ''} rows with any values` : '';
  const check = !writeAny && !writeNone ? ' (new rows must still pass WITH CHECK)' : writeNone ? ' (its WITH CHECK (false) refuses every new row)' : '';
  const why = [...refused].map(([c, w]) => `${c.toUpperCase()} fails: ${w}`).join('; ');
  const cmds: Command[] = ['select', ...(insert ? (['insert'] as Command[]) : []), ...(update ? (['update'] as Command[]) : []), ...(del ? (['delete'] as Command[]) : [])];
  return { cmds, text: `${rows}${insert}${check} (${why}, whatever the policies say)` };
}

export const policyAlwaysTrue = defineRule({
  meta: {
    id: 'policy-always-true',
    description: 'An INSERT, UPDATE, DELETE or ALL policy whose USING or WITH CHECK is always true.',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards: 'A permissive policy whose expression is a tautology (true, 1 = 1, NOT false, … OR true) admits every row for its roles and that command; without WITH CHECK, USING is also the check for new rows.',
    truths: ['T14c'],
    sources: ['splinter 0024 rls_policy_always_true'],
    shownBy: { exposure: 'policy' },
  },
  check({ model, config, report }) {
    // (in a Supabase project, also a condition that only asks who the request is: every policy)
    // (and, where a function's body only returns true, every policy: one may call it)
    const helpers = hasTrueHelper(model);
    for (const row of model.supabase || helpers ? activeRows(model) : activeRowsWith(model, FLAG_TAUTOLOGY)) {
      const p = row.policy;
      if (!p.permissive || p.command === 'select') continue; // SELECT USING (true) is public read by intent
      const t = row.table;
      const exprs = row.exprs;
      let tautologies = exprs.filter((e) => constBool(e.node) === true);
      // (a call of a function whose body returns true: as true)
      let helper: Func | undefined;
      if (tautologies.length === 0 && helpers) {
        for (const e of exprs) {
          const f = trueHelperOf(model, e.node);
          if (f) (helper ??= f), tautologies.push(e);
        }
      }
      let roles = subjectRoles(model, p, t);
      // the API roles for which a condition on auth.role() / auth.uid() alone is true, if any
      let asked: string[] | undefined;
      // the buckets of storage.objects a condition on the bucket and the request alone admits every object of
      let buckets: string[] | undefined;
      // whether anon, the role of requests with no signed-in user, passes the bucket conditions too
      let bucketAnon: boolean | undefined;
      if (tautologies.length === 0) {
        if (!model.supabase) continue;
        const api = roles.includes('public') ? API_ROLES : roles.filter((r) => API_ROLES.includes(r));
        for (const e of exprs) {
          const r = api.filter((role) => trueForRole(model, e.node, role));
          if (r.length === 0) continue;
          asked = asked ? asked.filter((x) => r.includes(x)) : r;
          tautologies = [...tautologies, e];
        }
        // (on storage.objects, a condition on the bucket and on who the request is alone: every object of the bucket, for every signed-in user;
        // not for INSERT alone: uploading to a shared bucket is the common intent, and a new object takes no one's)
        if (!asked?.length && p.table === 'storage.objects' && p.command !== 'insert' && api.includes('authenticated')) {
          for (const e of exprs) {
            const b = bucketWide(model, e.node, 'authenticated');
            if (!b) continue;
            buckets = [...new Set([...(buckets ?? []), ...b])];
            tautologies = [...tautologies, e];
            // (a condition on the bucket alone asks for no signed-in user: anon passes it too, b2b-materialidad-v2's "Public Update Invoices")
            bucketAnon = (bucketAnon ?? true) && api.includes('anon') && !!bucketWide(model, e.node, 'anon');
          }
          if (buckets) asked = ['authenticated'];
        }
        if (!asked?.length) continue;
        roles = asked;
      }
      if (roles.length === 0) continue;
      const usingTrue = tautologies.some((e) => e.clause === 'using');
      const checkTrue = tautologies.some((e) => e.clause === 'check');
      // (a policy without USING admits no row to update: its WITH CHECK only widens the checks of those that do)
      const othersUpdate =
        !p.using && roles.some((r) => (t?.policies ?? []).some((q) => q !== p && q.permissive && q.using !== undefined && coversCommand(q, 'update') && appliesToRole(model, q, r)));
      // (UPDATE and DELETE an append-only table refuses whatever the policies say: left out)
      const refused = p.command === 'insert' ? new Map<'update' | 'delete', string>() : refusedWrites(model, t, 'always');
      // (on storage.objects, a bucket condition as the check keeps the objects in the bucket: any values but another bucket_id)
      // (an UPDATE or DELETE that reads columns is narrowed by the SELECT policies, unless they admit every row too)
      const readAll = p.command === 'update' || p.command === 'delete' ? selectAdmitsAll(model, p, roles) : undefined;
      const { cmds, text: said } = effects(p, usingTrue, checkTrue, othersUpdate, refused, readAll);
      // (the example of whose rows, only on a table with a column naming a user or a group: not open-bsp-api's organizations, a tenant itself)
      const named = !t || t.columns.length === 0 || t.columns.some(namesOwner) ? said : said.replace(/, e\.g\. (?:rows that name|hand them to) another user or tenant/g, '');
      let text = buckets ? named.replace(/\bany values\b/g, 'any values but another bucket_id') : named;
      if (cmds.length === 0) continue;
      // (where the roles may write only some columns — GRANT INSERT (location, time): any other column
      // of a new row takes its default, and no other is changed — the values are theirs only in those
      // columns, and no example of another user's row when none names one: beach-volley-app's match,
      // whose host_id defaults to the caller and is granted to no one)
      let columnsNote = '';
      if (t && !buckets && !roles.includes('public')) {
        for (const c of ['insert', 'update'] as const) {
          if (!cmds.includes(c)) continue;
          const lists = roles.map((r) => columnsGrantedOnly(model, t, r, c));
          if (lists.some((l) => !l)) continue;
          // (not a column dropped since: its privileges went with it)
          const cols = [...new Set(lists.flat() as string[])].filter((x) => t.columns.length === 0 || t.columns.includes(x));
          if (cols.length === 0) continue;
          if (!cols.some(namesOwner)) text = text.replace(c === 'insert' ? /, e\.g\. rows that name another user or tenant/ : /, e\.g\. hand them to another user or tenant/, '');
          columnsNote +=
            ` These migrations grant ${roleList(roles)} ${c.toUpperCase()} on ${p.table} only on the column${cols.length > 1 ? 's' : ''} ${cols.join(', ')}: ` +
            (c === 'insert' ? 'every other column of a row they insert takes its default' : 'an UPDATE leaves every other column as it is') +
            ` (naming another is refused, 42501), so the values are theirs in ${cols.length > 1 ? 'those columns' : 'that column'} alone.`;
        }
      }
      // A restrictive policy for every affected role and command still filters: the usual
      // "permissive true + restrictive condition" pattern.
      const restricted = (cmd: Command) =>
        roles.every((r) => (t?.policies ?? []).some((q) => !q.permissive && coversCommand(q, cmd) && appliesToRole(model, q, r) && q.using !== undefined && constBool(q.using) !== true));
      if (cmds.every(restricted)) continue;
      const first: PolicyExpr = tautologies[0]!;
      const span = exprClauseSpan(model, first);
      const clauses = tautologies.map((e) => (e.clause === 'using' ? 'USING' : 'WITH CHECK')).join(' and ');
      const isAre = tautologies.length === 1 ? 'is' : 'are';
      const checkNote = p.command !== 'insert' && p.command !== 'delete' && usingTrue && !p.withCheck ? ' With no WITH CHECK, USING is also the check for new rows (T14c).' : '';
      const forWhom = roles.includes('public') ? 'every role (PUBLIC)' : roleList(roles);
      // (a policy named for the service role but written without TO: "service_manage_parent_links",
      // "Service role can manage AI profiles" — fluentia-lms' 20 such; service_role bypasses RLS)
      const forService = p.roles.includes('public') && SERVICE_NAME.test(p.name) && onSupabasePlatform(model) && model.roleBypassesRls('service_role') !== false;
      // (where these migrations manage the roles' grants: which of the commands they grant today)
      let grantNote = '';
      if (t && !roles.includes('public') && roles.every((r) => grantsManagedFor(model, r) && (platformGrantee(model, t.schema, r) || !platformMayGrant(model, t.schema, r)))) {
        // (per role: danbiagini/parlour-room's admin_invitations_policy is for parlour_admin and
        // parlour_root, granted ALL on the table, and parlour_postgraphile, granted SELECT and
        // UPDATE; each is named with what it holds, the roles holding every privilege not at all)
        const groups = new Map<string, { granted: Command[]; roles: string[] }>();
        for (const r of roles) {
          const granted = cmds.filter((c) => privilegesOf(model, t, r).has(c));
          if (granted.length === cmds.length) continue;
          const k = granted.join(',');
          const g = groups.get(k);
          if (g) g.roles.push(r);
          else groups.set(k, { granted, roles: [r] });
        }
        for (const { granted, roles: rs } of groups.values()) {
          grantNote += granted.length
            ? ` These migrations grant ${roleList(rs)} only the ${commandList(granted)} privilege${granted.length > 1 ? 's' : ''} on ${p.table} today: the rest takes a GRANT first.`
            : ` These migrations grant ${roleList(rs)} none of these privileges on ${p.table} today: the policy takes effect with the first GRANT.`;
        }
      }
      const command = p.command === 'all' ? 'FOR ALL' : `FOR ${p.command.toUpperCase()}`;
      // (with Supabase's anonymous sign-ins on, "every signed-in user" is anyone: policy-admits-anonymous-users)
      const anonymous = anonymousSignInsOn(config);
      // (not where anon has the same access without signing in: the policy applies to it, and it may hold the privileges)
      const anonToo = (roles.includes('anon') || roles.includes('public')) && (!t || cmds.every((c) => mayHoldPrivilege(model, t, 'anon', [c])));
      const anonNote =
        anonymous && !anonToo && (roles.includes('authenticated') || roles.includes('public'))
          ? ` Anonymous sign-ins are on (${anonymous === 'setting' ? 'setting anonymousSignIns' : anonymous}): anyone can get an authenticated session with supabase.auth.signInAnonymously().`
          : '';
      // (anon given the privileges too: the condition does not stop it; policy-anon-write says what it writes)
      const bucketAnonNote =
        bucketAnon && (!t || cmds.every((c) => mayHoldPrivilege(model, t, 'anon', [c])))
          ? ` Nor does it ask for a signed-in user: anon, the role of requests without one, passes it too.`
          : '';
      if (buckets) {
        const named = `bucket${buckets.length > 1 ? 's' : ''} ${buckets.map((x) => `'${x}'`).join(', ')}`;
        // (what a user gets of other users' objects: the rows say "rows", "another user or tenant"; here objects, owners and folders)
        const said = text
          // (", other users' included," already ends with the comma a list such as "any row, and insert …" had)
          .replace(/\bany row\b,?/g, `any object of the ${named}, other users' included,`)
          .replace(/\brows with any values\b/g, 'objects with any values')
          .replace(/\bthe rows they may update\b/g, 'the objects they may update')
          .replace(/\bhand them to another user or tenant\b/g, "set their owner to another user or move them into another user's folder")
          .replace(/\brows that name another user or tenant\b/g, "objects owned by another user or in another user's folder")
          .replace(/, \(/g, ' (');
        if (!usingTrue) {
          // (only the WITH CHECK asks the bucket alone: its USING, or other policies', still limit which objects are updated —
          // snapconnect's USING ((SELECT auth.uid()) = owner) WITH CHECK (bucket_id = 'avatars'): the new row may be anything in the bucket)
          const which = p.using ? 'its USING decides which' : 'other UPDATE policies decide which';
          const opening =
            p.command === 'update'
              ? `lets every signed-in user give the objects they may update (${which}) any owner and any path in ${named}`
              : `lets every signed-in user write objects of ${named} with any owner and any path: new ones, and the ones they may update (${which})`;
          const usingText = row.using && andOperandText(model, row.using);
          const checkText = andOperandText(model, first);
          const example =
            usingText && checkText && usingText.length + checkText.length <= 160 && !usingText.includes('`') && !checkText.includes('`')
              ? `ask the new row what its USING asks of the old one, e.g. \`WITH CHECK (${checkText} AND ${usingText})\``
              : 'add a condition on the new row\'s owner or path to its WITH CHECK, e.g. `owner_id = (select auth.uid()::text)` or `(storage.foldername(name))[1] = (select auth.uid()::text)`';
          report({
            ...(span ? { file: first.file, start: span.start, end: span.end } : p.nameLoc),
            message:
              `Policy "${p.name}" on storage.objects (${command}) ${opening}: its WITH CHECK is a condition on the bucket and on who the request is alone, ` +
              `and asks neither who owns the new row nor its path, so every new row in the ${named} passes it for ${roleList(roles)} (given the ${commandList(cmds)} privilege${cmds.length > 1 ? 's' : ''}), who ${said}.${grantNote}${anonNote} ` +
              `To keep each object its owner's, ${example}.`,
          });
          continue;
        }
        report({
          ...(span ? { file: first.file, start: span.start, end: span.end } : p.nameLoc),
          message:
            `Policy "${p.name}" on storage.objects (${command}) admits every object of ${named} to every signed-in user: its ${clauses} ${isAre} a condition on the bucket and on who the request is alone, ` +
            `and ${isAre === 'is' ? 'asks' : 'ask'} neither who owns an object nor its path, so every object there passes it for ${roleList(roles)} (given the ${commandList(cmds)} privilege${cmds.length > 1 ? 's' : ''}), who ${said}.${checkNote}${grantNote}${anonNote}${bucketAnonNote} ` +
            `Add a condition on the object's owner or path, e.g. owner_id = (select auth.uid()::text) or (storage.foldername(name))[1] = (select auth.uid()::text), or drop the policy if every signed-in user should have this access.`,
        });
        continue;
      }
      report({
        ...(span ? { file: first.file, start: span.start, end: span.end } : p.nameLoc),
        message:
          `Policy "${p.name}" on ${p.table} (${command}) admits every row: ` +
          (asked
            ? `its ${clauses} ${isAre} true for every request of ${roleList(asked)} whatever the row, by a condition on who the request is alone (through Supabase's API, auth.role() is the role of the request's JWT, which PostgREST runs it as, and auth.uid() is set for every signed-in user), `
            : helper
              ? `its ${clauses} ${isAre} always true (${tautologies.length === 1 ? 'it calls' : 'each calls'} ${helper.schema}.${helper.name}(), whose body returns true whatever the call), `
              : `its ${clauses} ${isAre} always true, `) +
          `so every row passes it for ${forWhom} (given the ${commandList(cmds)} privilege${cmds.length > 1 ? 's' : ''}), who ${text}.${checkNote}${grantNote}${columnsNote}${anonNote} ` +
          (forService
            ? `Its name says it is meant for the service role, but it names no role (TO), so it is for ${forWhom}; and service_role, which Supabase gives BYPASSRLS, needs no policy: it reads and writes every row without one. Drop the policy, or write TO service_role if it is to document that role's access.`
            : `Write the condition a row must meet (${conditionExample(model, p)}), or drop the policy if these roles should not have this access.`),
      });
    }
  },
});

/** A policy name that says the service role (`service_insert_patterns`, "Service role can manage …"): the word service on its own. */
const SERVICE_NAME = /(^|[^a-z])service([^a-z]|$)/i;

/**
 * An example of a row condition for the advice: on Supabase Realtime's messages (Realtime
 * Authorization), the channel a message is for, realtime.topic() (the table has no owner column);
 * elsewhere on Supabase, the row's owner; else the owner or tenant column.
 */
function conditionExample(model: Model, p: Policy): string {
  if (p.table === 'realtime.messages') return "e.g. on the channel the request joins: (select realtime.topic()) = 'room:' || (select auth.uid())::text, or a membership of the room the topic names";
  return onSupabasePlatform(model) ? 'e.g. owner_id = (select auth.uid())' : "e.g. a match of the row's owner or tenant column with the request's";
}
