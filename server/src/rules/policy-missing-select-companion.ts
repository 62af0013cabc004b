import type { Func, Model, Policy, Table } from '../analysis/model.js';
import type { Node, Statement } from '../analysis/types.js';
import { callsIn, census, hasSubLink, returningOf, roleText, shapeOf } from '../analysis/ast.js';
import { doBlockAround, sqlOneLine, sval, walk } from '../analysis/parse.js';
import { activeRuns, constBool, exprSql, exprText, functionsToken, policyExprs, readsTable, selectSubLinkWouldRecurse, unsafeContent, policiesWithKey, type ActiveRun, type PolicyRow } from '../analysis/policy-exprs.js';
import { privilegesToken } from '../analysis/privileges.js';
import { keeper, modelFacts } from './lib/kept.js';
import { appliesToRole, roleList } from '../analysis/policies.js';
import { neverTrueIn, requiresKeyIn } from '../analysis/unset-context.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { membersOf, PSEUDO_ROLES, rolesActingAs, SUPABASE_PLATFORM_GRANTEES, workspaceManagesTableGrants } from '../analysis/privileges.js';
import { defineRule, type Edit, type Fix, type Report } from './types.js';
import { calledHelper, trueForRole } from './policy-always-true.js';
import { admitsInsert, insertsOf, mayEscape } from './lib/inserts.js';
import { authTableGrantees, bareValue, fileOf, functionLists, insertAfter, mayHoldPrivilege, onSupabasePlatform, quoteIdent, platformTable, SUPABASE_AUTH_TABLES, tableName, usesSchema } from './lib/util.js';

/** A policy name not yet used on the table. */
function freshName(model: Model, p: Policy, suffix: string): string {
  const used = new Set(policiesWithKey(model, p.table).map((q) => q.name));
  const base = `${p.name}_${suffix}`;
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  return name;
}

/** Whether a permissive SELECT (or ALL) policy with a USING of the list applies to the role. */
function readable(model: Model, policies: readonly Policy[], role: string): boolean {
  for (let i = 0; i < policies.length; i++) {
    const q = policies[i]!;
    if (q.permissive && (q.command === 'select' || q.command === 'all') && q.using && appliesToRole(model, q, role)) return true;
  }
  return false;
}

/**
 * What the members of a group role in `missing` get: the policy applies to them too, and a member
 * with a SELECT policy of its own reaches the rows both admit, while one without is in the group's
 * case (measured on PGlite: an UPDATE policy for a group, a SELECT policy for one of its two
 * members: that member's UPDATE … WHERE id = … changes 1 row, the other's and the group's 0).
 * '' when no such group has a member that reads.
 */
function membersNote(model: Model, p: Policy, t: Table | undefined, policies: readonly Policy[], missing: readonly string[]): string {
  const cmd = p.command === 'delete' ? 'delete' : 'update';
  const parts: string[] = [];
  for (const role of missing) {
    if (role === 'public') continue;
    const ms = membersOf(model, role).filter((m) => m !== role && model.roleBypassesRls(m) !== true && !(t && t.owner?.role === m && !t.rlsForced) && (!t || mayHoldPrivilege(model, t, m, [cmd])));
    const readers = ms.filter((m) => readable(model, policies, m));
    if (!readers.length) continue;
    const others = ms.filter((m) => !readers.includes(m));
    const one = readers.length === 1;
    parts.push(
      `${roleList(readers)}, ${one ? 'a member' : 'members'} of ${roleText(role)}, ${one ? 'has a SELECT policy of its' : 'have SELECT policies of their'} own: ${one ? 'its' : 'their'} statements reach the rows both admit` +
        (others.length ? `, while ${roleList(others)}, also ${others.length === 1 ? 'a member' : 'members'}, ${others.length === 1 ? 'is' : 'are'} in ${roleText(role)}'s case` : `; only statements run as ${roleText(role)} itself (after SET ROLE ${roleText(role)}) are in this case`),
    );
  }
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/**
 * The roles of the policy, subject to row-level security on the table, that no SELECT policy
 * of `policies` lets read, undefined when there is none. (Index loops, no closure, a list only
 * for a missing role: asked of every UPDATE and DELETE policy, 4,472 on the bench, which has none.)
 * `bypass` keeps model.roleBypassesRls by role for the lint: it lower-cases the name, a new
 * string per call (≈ 140 KB a re-lint of the bench).
 */
function missingReaders(model: Model, p: Policy, t: Table | undefined, policies: readonly Policy[], bypass: Map<string, boolean>): string[] | undefined {
  let missing: string[] | undefined;
  const roles = p.roles;
  for (let i = 0; i < roles.length; i++) {
    const r = roles[i]!;
    if (r !== 'public') {
      let bypasses = bypass.get(r);
      if (bypasses === undefined) bypass.set(r, (bypasses = !!model.roleBypassesRls(r)));
      if (bypasses || PSEUDO_ROLES.has(r)) continue;
      if (t && t.owner?.role === r && !t.rlsForced) continue; // the owner bypasses RLS without FORCE
    }
    if (!readable(model, policies, r)) (missing ??= []).push(r);
  }
  return missing;
}

/**
 * `missing` without Supabase's anon where the policy admits it nothing: a part of its USING
 * compares a column with the platform's auth.uid(), NULL for a request without a signed-in user
 * (argos-x's `USING (user_id = auth.uid())`). A PUBLIC policy then needs a SELECT companion
 * only for the roles it reaches that have none: none, when authenticated has one and the
 * workspace declares no other role subject to RLS. A SELECT policy for PUBLIC would give anon
 * reads it does not have.
 */
function withoutSignedOut(model: Model, p: Policy, policies: readonly Policy[], missing: string[] | undefined): string[] | undefined {
  if (!missing || !onSupabasePlatform(model) || !p.using || !(requiresKeyIn(model, p.using, 'auth.uid') || neverTrueIn(model, p.using, 'auth.uid', 'no-user', { mode: 'filter' }))) return missing;
  const others = [...model.roles.values()].some((r) => r.declared && !r.bypassRls && !r.superuser && r.name !== 'anon' && r.name !== 'authenticated');
  const out = missing.filter((r) => r !== 'anon' && !(r === 'public' && !others && readable(model, policies, 'authenticated')));
  return out.length ? out : undefined;
}

/**
 * `missing` without PUBLIC where the migrations say which roles may run the policy's command on
 * the table and each of them has a SELECT policy (or bypasses RLS): a role without the privilege
 * gets 42501 before row-level security is consulted, so the silent 0 rows happen to nobody
 * (crispy-crm: DELETE granted to authenticated, which reads through its own policy; revoked
 * from anon).
 */
function withoutGranted(model: Model, p: Policy, t: Table | undefined, policies: readonly Policy[], missing: string[] | undefined): string[] | undefined {
  // (on Supabase the roles that matter are the platform's API roles, whose privileges a REVOKE alone may settle: 2025MainShopManager's REVOKE ALL … FROM anon)
  if (!missing?.includes('public') || !t || !(workspaceManagesTableGrants(model) || onSupabasePlatform(model))) return missing;
  const cmd = p.command === 'delete' ? 'delete' : 'update';
  if (t.grants.get('public')?.has(cmd)) return missing;
  const candidates = new Set<string>([...t.grants.keys(), ...SUPABASE_PLATFORM_GRANTEES]);
  for (const r of candidates) {
    if (r === 'public' || PSEUDO_ROLES.has(r) || model.roleBypassesRls(r) || (t.owner?.role === r && !t.rlsForced)) continue;
    if (!mayHoldPrivilege(model, t, r, [cmd])) continue;
    if (!readable(model, policies, r)) return missing;
  }
  const out = missing.filter((r) => r !== 'public');
  return out.length ? out : undefined;
}

/**
 * `missing` on a table of Supabase Auth (auth.users…, which the migrations do not create): only
 * the roles these migrations grant the policy's command on it (PUBLIC: when they grant it to any
 * role). The platform grants anon, authenticated and service_role no UPDATE or DELETE there, so
 * theirs fails with 42501 permission denied before row-level security is consulted (T28): no
 * silent 0 rows, the policy is never used (bryandijkhuizen/dartproject-s7's "Users can update
 * their own data" ON auth.users FOR UPDATE TO public).
 */
function withoutAuthPlatform(model: Model, p: Policy, missing: string[] | undefined): string[] | undefined {
  if (!missing || !p.table.startsWith('auth.') || !SUPABASE_AUTH_TABLES.has(p.table.slice(5))) return missing;
  const granted = authTableGrantees(model, p.table, p.command === 'delete' ? 'delete' : 'update');
  if (granted.includes('public')) return missing;
  const out = missing.filter((r) => (r === 'public' ? granted.length > 0 : granted.includes(r)));
  return out.length ? out : undefined;
}

/**
 * The roles of the policy (not `missing`, subject to RLS) whose SELECT policies all admit rows
 * whatever the row, only when a condition on the caller holds: their USING names no column at
 * all (`is_superadmin((select auth.uid()))`, `has_role(auth.uid(), 'admin')`) and is not true
 * for the role as such; with the policies that are so. The UPDATE or DELETE policy must read its
 * row (a column) and call none of their functions: a caller they are false for sees none of the
 * rows it may change (kickstart's user_sessions: an own-row UPDATE, a superadmin-only SELECT).
 */
function gatedReaders(model: Model, p: Policy, t: Table | undefined, policies: readonly Policy[], missing: readonly string[] | undefined, bypass: Map<string, boolean>): { roles: string[]; gates: Policy[] } | undefined {
  if (!p.using || !mayGate(policies) || census(p.using).columnRefs.length === 0) return undefined;
  let out: { roles: string[]; gates: Policy[] } | undefined;
  let called: Set<string> | undefined;
  for (let i = 0; i < p.roles.length; i++) {
    const r = p.roles[i]!;
    if (r === 'public' || missing?.includes(r) || PSEUDO_ROLES.has(r) || bypass.get(r) || (t && t.owner?.role === r && !t.rlsForced)) continue;
    // (a first pass without allocation: almost every SELECT policy names a column, and then the role is not gated)
    let any = false;
    let gated = true;
    for (let j = 0; j < policies.length && gated; j++) {
      const q = policies[j]!;
      if (!q.permissive || (q.command !== 'select' && q.command !== 'all') || !q.using || !appliesToRole(model, q, r)) continue;
      any = true;
      if (census(q.using).columnRefs.length !== 0 || constBool(q.using) === true || trueForRole(model, q.using, r)) gated = false;
    }
    if (!any || !gated) continue;
    // (the gate's own functions, not those telling who calls, which both sides use: auth.uid())
    called ??= new Set(deciding(p.using));
    const select = policies.filter((q) => q.permissive && (q.command === 'select' || q.command === 'all') && q.using && appliesToRole(model, q, r));
    if (select.some((q) => deciding(q.using!).some((x) => called!.has(x)))) continue;
    if (complementary(model, select)) continue;
    out ??= { roles: [], gates: [] };
    out.roles.push(r);
    for (const q of select) if (!out.gates.includes(q)) out.gates.push(q);
  }
  return out;
}

/**
 * Whether the gates' conditions together admit every caller: one is the negation of another
 * (`(select is_staff())` and `NOT is_staff()`, sub-selects of their own aside) of a condition that
 * is never NULL, so that it is true or false for each caller. leamonline/Smarter-dog-bookings'
 * salon_config: staff read it through is_staff(), customers through NOT is_staff(), an EXISTS.
 */
function complementary(model: Model, gates: readonly Policy[]): boolean {
  if (gates.length < 2) return false;
  const shapes = new Set(gates.map((q) => shapeOf(bareValue(q.using!))));
  for (const q of gates) {
    const n = bareValue(q.using!);
    const negated = n?.BoolExpr?.boolop === 'NOT_EXPR' && n.BoolExpr.args?.length === 1 ? bareValue(n.BoolExpr.args[0]) : undefined;
    if (negated && shapes.has(shapeOf(negated)) && neverNull(model, negated, new Set())) return true;
  }
  return false;
}

/**
 * Whether a condition is true or false, never NULL: an EXISTS, IS [NOT] NULL, IS [NOT] TRUE, an
 * AND, OR or NOT of such conditions, or a call of a LANGUAGE sql helper without arguments whose
 * body only selects such a condition (`SELECT EXISTS (SELECT 1 FROM staff_profiles WHERE …)`).
 */
function neverNull(model: Model, n: Node, seen: Set<Func>): boolean {
  const e = bareValue(n);
  if (e?.SubLink?.subLinkType === 'EXISTS_SUBLINK' || e?.NullTest || e?.BooleanTest) return true;
  if (e?.BoolExpr) return (e.BoolExpr.args ?? []).every((a: Node) => neverNull(model, a, seen));
  const f = calledHelper(model, e, 0);
  if (!f || f.language !== 'sql' || seen.has(f) || !f.body || f.body.statements.length !== 1) return false;
  seen.add(f);
  const sel = f.body.statements[0]!.node;
  const target: Node | undefined = sel && !sel.fromClause && !sel.whereClause && sel.targetList?.length === 1 ? sel.targetList[0]?.ResTarget?.val : undefined;
  return !!target && neverNull(model, target, seen);
}

/**
 * Whether some permissive SELECT (or ALL) policy of the list names no column (a gate), kept per
 * list: a table's list is the same object across re-lints while the table is (model.ts), and
 * most have none, so their UPDATE and DELETE policies are not asked further.
 */
function mayGate(policies: readonly Policy[]): boolean {
  let v = gateLists.get(policies);
  if (v === undefined) {
    v = false;
    for (let i = 0; i < policies.length && !v; i++) {
      const q = policies[i]!;
      if (q.permissive && (q.command === 'select' || q.command === 'all') && q.using && census(q.using).columnRefs.length === 0 && constBool(q.using) !== true) v = true;
    }
    gateLists.set(policies, v);
  }
  return v;
}
const gateLists = new WeakMap<readonly Policy[], boolean>();

/** The functions a condition calls that decide something, not those telling who calls (auth.uid(), current_setting()). */
function deciding(n: Node): string[] {
  return callsIn(n)
    .map((c) => c.name.join('.'))
    .filter((x) => !x.startsWith('auth.') && x !== 'current_setting' && x !== 'pg_catalog.current_setting');
}

/** ` (policy "x", for SELECT, has no USING: it admits no row)` when such a policy is there for these roles (yellow-project's), else ''. */
function noUsing(policies: readonly Policy[], roles: readonly string[]): string {
  const q = policies.find((x) => x.permissive && (x.command === 'select' || x.command === 'all') && !x.using && (x.roles.includes('public') || x.roles.some((r) => roles.includes(r))));
  return q ? ` (policy "${q.name}", for ${q.command.toUpperCase()}, has no USING: it admits no row)` : '';
}

/**
 * The policy's USING as written, for a companion SELECT policy that repeats it; undefined when the
 * companion must not: it would read the table itself (T01), or give the table's SELECT policies a
 * sub-select while some policy reads the table in one (T31), or it holds what cannot be copied.
 */
function companionUsing(model: Model, p: Policy): string | undefined {
  const using = policyExprs(p).find((e) => e.clause === 'using')!;
  const text = exprText(model, using);
  const recursionRisk = readsTable(model, using.node, p.table) || (hasSubLink(using.node) && !!selectSubLinkWouldRecurse(model, p.table));
  return text && !recursionRisk && !unsafeContent(model, using.node) ? text : undefined;
}

/**
 * For a policy a DO block's EXECUTE makes (Statement.dynamic): the DO block, when the EXECUTE runs
 * whenever the block does (not under an IF or CASE, in a loop, after a statement that may leave the
 * block, nor in a block with an EXCEPTION clause: its expression's statement in the block's body
 * says so), else undefined. A companion SELECT policy goes after the block, as a statement of the
 * file: in the string, it would make the EXECUTE run two statements, which the string edits refuse.
 */
function certainDoBlock(model: Model, p: Policy): Statement | undefined {
  const dyn = p.stmt;
  const pf = fileOf(model, p.created.file);
  const block = pf && doBlockAround(pf, dyn.start, dyn.end);
  if (!block?.body || block.body.lexical || dyn.literal?.values || dyn.pieces?.some((x) => x.values)) return undefined;
  if (dyn.caught?.length || dyn.guard || dyn.arms?.length || dyn.whenNoFunction) return undefined;
  const expr = block.body.statements.find((s) => !s.dynamic && s.start === dyn.start);
  if (!expr || expr.mayNotRun || expr.arms?.length || expr.caught?.length || expr.tries?.length || expr.handlerOf?.length || expr.guard) return undefined;
  return block;
}

/**
 * Where the companion SELECT policy of `p` goes, with the USING it repeats (companionUsing): after
 * the policy's statement; for a policy a DO block's EXECUTE makes, after the block, its condition
 * as PostgreSQL runs it (exprSql: not the string's escaped text); none where the EXECUTE may not run.
 */
function companionPlace(model: Model, p: Policy): { text: string; after: Policy['loc'] } | undefined {
  if (!p.stmt.dynamic) {
    const text = companionUsing(model, p);
    return text ? { text, after: p.loc } : undefined;
  }
  const block = certainDoBlock(model, p);
  if (!block || !companionUsing(model, p)) return undefined;
  const text = exprSql(model, policyExprs(p).find((e) => e.clause === 'using')!);
  return text ? { text, after: { file: p.created.file, start: block.start, end: block.end } } : undefined;
}

/** The finding of an UPDATE or DELETE policy whose roles' SELECT policies admit rows only on a condition on the caller (gatedReaders). */
function reportGated(model: Model, p: Policy, t: Table | undefined, gated: { roles: string[]; gates: Policy[] }, report: (r: Report) => void): void {
  const cmd = p.command.toUpperCase();
  const name = t ? tableName(model, t, p.loc) : p.table;
  const example = p.command === 'update' ? `UPDATE ${name} SET … WHERE id = …` : `DELETE FROM ${name} WHERE id = …`;
  const gates = gated.gates.map((q) => `"${q.name}" (USING ${oneLine(exprText(model, policyExprs(q).find((e) => e.clause === 'using')!) ?? '…')})`);
  const fixes: Fix[] = [];
  const place = companionPlace(model, p);
  if (place) {
    const pname = freshName(model, p, 'select');
    fixes.push({
      title: `Add a SELECT policy "${pname}" for ${roleList(gated.roles)} with the same USING: they can then read the rows they may ${p.command}`,
      kind: 'unsafe',
      edits: [insertAfter(model, place.after, [`CREATE POLICY ${quoteIdent(pname)} ON ${name} FOR SELECT TO ${gated.roles.map(quoteIdent).join(', ')}\n  USING (${place.text});`])],
    });
  }
  report({
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${p.table} lets ${roleList(gated.roles)} ${cmd} rows by a condition on the row, but the only SELECT (or ALL) ${gated.gates.length === 1 ? 'policy' : 'policies'} for ${gated.roles.length === 1 ? 'that role' : 'those roles'}, ${gates.join(', ')}, admit${gated.gates.length === 1 ? 's' : ''} rows whatever the row, only to callers for whom ${gated.gates.length === 1 ? 'its condition holds' : 'one of their conditions holds'}: ` +
      `a caller it is false for sees none of the rows this policy lets them ${p.command}, and ${p.command === 'update' ? 'an' : 'a'} ${cmd} whose ${p.command === 'update' ? 'WHERE, SET or RETURNING' : 'WHERE or RETURNING'} reads a column only reaches rows the caller may SELECT, so e.g. ${example} silently affects 0 rows for them, with no error (${p.command === 'update' ? 'T26' : 'T27'}). ` +
      `Add a SELECT policy for ${gated.roles.length === 1 ? 'the role' : 'these roles'} admitting the rows they may ${p.command} (often with the same USING).`,
    fixes,
  });
}

const oneLine = (s: string) => (s.length > 80 ? `${sqlOneLine(s.slice(0, 77))}…` : sqlOneLine(s));

/**
 * Whether an INSERT's RETURNING reads the new row (`*`, a column of the table, the row itself):
 * PostgreSQL then needs SELECT on it and checks the new row against the SELECT policies of the
 * role inserting (T30). `RETURNING 1` or `RETURNING now()` reads none, and passes (measured on
 * PGlite); a name that is no column of the table (a PL/pgSQL variable) is not taken for one.
 */
function returningReadsRow(ins: Node, t: Table, variables: readonly string[] | undefined): boolean {
  const exprs = returningOf(ins);
  if (exprs.length === 0) return false;
  const alias: string | undefined = ins.relation?.alias?.aliasname;
  let reads = false;
  walk(exprs, (k, v) => {
    if (reads) return false;
    if (k !== 'ColumnRef') return;
    const fields: Node[] = v.fields ?? [];
    const names = fields.map((f) => (f?.A_Star ? '*' : sval(f)));
    const last = names[names.length - 1];
    // (a PL/pgSQL variable of a column's name makes the reference ambiguous, 42702: not this rule's)
    const bare = names.length === 1 && !variables?.includes(last!) && (t.columns.includes(last!) || last === (alias ?? t.name));
    if (last === '*' || bare || (names.length > 1 && names[names.length - 2] === (alias ?? t.name))) reads = true;
    return false;
  });
  return reads;
}

/** Whether `role` may call the function: EXECUTE (PUBLIC's by default, or granted to it or a group of it) and USAGE on its schema. */
function mayExecute(model: Model, f: Func, role: string): boolean {
  const acting = rolesActingAs(model, role);
  return (f.publicExecute || acting.some((x) => f.executeGrants.has(x))) && acting.some((x) => usesSchema(model, f.schema, x));
}

/**
 * The roles that run an INSERT of `t` in an invoker function and reach its RETURNING check: they
 * may call the function, insert into `t` (the privilege, USAGE on its schema, a permissive INSERT
 * policy admitting them), are subject to its row-level security, hold SELECT on it (else 42501
 * permission denied first), and no permissive SELECT (or ALL) policy with a USING applies to them.
 * The candidates: the roles the INSERT policies name, those granted on the table, and Supabase's
 * API roles (anon not where each INSERT policy needs a signed-in user: its insert is refused anyway).
 */
function blindInserters(model: Model, f: Func, t: Table): string[] {
  const candidates = new Set<string>();
  for (const p of t.policies) if (p.permissive && (p.command === 'insert' || p.command === 'all')) for (const r of p.roles) candidates.add(r);
  for (const r of t.grants.keys()) candidates.add(r);
  const supabase = onSupabasePlatform(model);
  if (supabase && t.schema === 'public') for (const r of SUPABASE_PLATFORM_GRANTEES) candidates.add(r);
  const out: string[] = [];
  for (const r of candidates) {
    if (PSEUDO_ROLES.has(r) || model.roleBypassesRls(r) !== false || (t.owner?.role === r && !t.rlsForced)) continue;
    const admitting = t.policies.filter((p) => admitsInsert(model, p, r));
    if (admitting.length === 0 || readable(model, t.policies, r)) continue;
    if (r === 'anon' && supabase && admitting.every((p) => { const c = p.withCheck ?? p.using!; return requiresKeyIn(model, c, 'auth.uid') || neverTrueIn(model, c, 'auth.uid', 'no-user', { mode: 'check' }); })) continue;
    if (!mayHoldPrivilege(model, t, r, ['insert']) || !mayHoldPrivilege(model, t, r, ['select'])) continue;
    if (!rolesActingAs(model, r).some((x) => usesSchema(model, t.schema, x)) || !mayExecute(model, f, r)) continue;
    out.push(r);
  }
  return out;
}

/**
 * INSERT … RETURNING (or, in PL/pgSQL, RETURNING … INTO a variable) of a function, on a table with
 * row-level security, run as a role an INSERT policy admits but no SELECT policy applies to: the
 * new row must pass a SELECT policy too, so PostgreSQL refuses it with 42501 (T30). Reported on the
 * INSERT for a SECURITY INVOKER function, by the roles that may call it (collaborative-editor's
 * invite_user_to_document, a PostGraphile mutation: `INSERT INTO user_document … RETURNING *`,
 * an INSERT policy for postgraphile_user and no SELECT policy, so every invitation failed); for a
 * SECURITY DEFINER one, when its owner the migrations show is subject to the table's row-level
 * security in the same way. Static SQL only; not a trigger function (its callers are the writers
 * of another table), nor one that may catch the error or change role.
 */
function checkReturning(model: Model, report: (r: Report) => void): void {
  // (SQL and PL/pgSQL functions writing a table, not trigger functions: functionLists, kept per overload list)
  const writers = functionLists(model).writers;
  for (let i = 0; i < writers.length; i++) {
    const f = writers[i]!;
    if (!f.body) continue;
    let any = false;
    f.writes.forEach((k) => {
      const t = model.tables.get(k);
      if (t?.rlsEnabled && !t.temp) any = true;
    });
    if (!any || mayEscape(model, f)) continue;
    for (const ins of insertsOf(model, f)) {
      const t = model.tables.get(ins.table);
      if (!t || !t.rlsEnabled || t.temp || !returningReadsRow(ins.node, t, f.body.variables)) continue;
      if (mayBeDynamic(model, 'policy', t)) continue;
      let who: string;
      let roles: string[];
      if (f.securityDefiner) {
        // (the owner as the migrations show it, an ordinary role subject to the table's RLS: else silence)
        const owner = f.owner?.role;
        if (!owner || model.roleBypassesRls(owner) !== false || (t.owner?.role === owner && !t.rlsForced)) continue;
        if (!t.policies.some((p) => admitsInsert(model, p, owner)) || readable(model, t.policies, owner)) continue;
        if (!mayHoldPrivilege(model, t, owner, ['insert']) || !mayHoldPrivilege(model, t, owner, ['select'])) continue;
        roles = [owner];
        who = `It runs as its owner ${roleText(owner)} (SECURITY DEFINER), which is`;
      } else {
        roles = blindInserters(model, f, t);
        if (roles.length === 0) continue;
        who = `It runs as its caller (SECURITY INVOKER): ${roleList(roles)}, which may call it, ${roles.length === 1 ? 'is' : 'are'}`;
      }
      const admitting = [...new Set(t.policies.filter((p) => roles.some((r) => admitsInsert(model, p, r))).map((p) => `"${p.name}"`))];
      // (a row per call, certainly: VALUES with no ON CONFLICT, in SQL where every statement runs,
      // the body run unless STRICT and an argument is NULL; else: the calls that insert one)
      const values = !!ins.node.selectStmt?.SelectStmt?.valuesLists && !ins.node.onConflictClause;
      const calls = f.securityDefiner ? 'every call' : `every call by ${roles.length === 1 ? 'that role' : 'those roles'}`;
      const strict = ((f.stmt.node?.options ?? []) as Node[]).some((o) => o?.DefElem?.defname === 'strict' && o.DefElem.arg?.Boolean?.boolval === true);
      const when = values && f.language === 'sql' && f.alters.length === 0 ? `${calls}${strict ? ' with no NULL argument (the function is STRICT)' : ''}` : `${calls} in which this INSERT adds a row`;
      report({
        ...ins.loc,
        message:
          `Function ${f.signature} inserts into ${t.key} with RETURNING, which reads the new row: PostgreSQL then also checks the new row against the SELECT policies of the role inserting (T30). ` +
          `${who} subject to row-level security on ${t.key}, where ${admitting.join(', ')} let${admitting.length === 1 ? 's' : ''} ${roles.length === 1 ? 'it' : 'them'} insert, but no permissive SELECT (or ALL) policy with a USING applies to ${roles.length === 1 ? 'it' : 'them'}${noUsing(t.policies, roles)}: ` +
          `${when} fails: the row it adds is refused with 42501 new row violates row-level security policy for table "${t.name}". ` +
          `Add a SELECT policy on ${t.key} for ${roles.length === 1 ? 'that role' : 'those roles'} admitting the rows ${roles.length === 1 ? 'it inserts' : 'they insert'}, or drop RETURNING if the caller does not need the row back.`,
      });
    }
  }
}

export const policyMissingSelectCompanion = defineRule({
  meta: {
    id: 'policy-missing-select-companion',
    description: "An UPDATE or DELETE policy for a role that has no SELECT (or ALL) policy on the table, or only ones that admit rows on a condition on the caller alone; or a function's INSERT … RETURNING run as a role an INSERT policy admits but no SELECT policy applies to.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'An UPDATE or DELETE that reads the table (a WHERE, a SET expression or RETURNING on its columns) only reaches rows a SELECT policy lets the role see: with no SELECT policy it silently affects 0 rows. An INSERT … RETURNING needs the new row to pass a SELECT policy: with none it fails with 42501.',
    truths: ['T26', 'T27', 'T30'],
    shownBy: { exposure: 'companion' },
  },
  check({ model, report }) {
    // permissive UPDATE and DELETE policies with a USING (policyFacts: the others are not read);
    // without USING the policy admits no existing row anyway
    // run by run of the active policies: a run the index keeps on its table (the same object across
    // models) none of whose rows needed a look beyond its table is skipped while calls, privileges
    // and roles are the same (quietRuns; the bench's 4,470 UPDATE and DELETE policies were read again at every re-lint)
    const facts = quietFacts(model);
    const runs = activeRuns(model);
    const bypass = new Map<string, boolean>();
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r]!;
      if (run.kept && quietRuns.get(model, run, facts)?.value === true) continue;
      const quiet = runReports(model, run.active, bypass, report);
      if (run.kept && quiet) quietRuns.set(run, facts, undefined, true);
    }
    checkReturning(model, report);
  },
});

const quietRuns = keeper<ActiveRun, boolean>();
const quietFacts = modelFacts('policy-missing-select-companion:facts', (m) => [functionsToken(m), privilegesToken(m), onSupabasePlatform(m)]);

/**
 * The reports on a run of active policies (one table's, or those on a key the workspace does not
 * create); whether it is quiet: no permissive UPDATE or DELETE policy of it leaves a role without
 * rows to read (what follows from the table, its policies, calls, privileges and roles alone).
 */
function runReports(model: Model, rows: readonly PolicyRow[], bypass: Map<string, boolean>, report: (r: Report) => void): boolean {
  let quiet = true;
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]!.policy;
    if (!p.permissive || (p.command !== 'update' && p.command !== 'delete') || !p.using) continue;
    if (constBool(p.using) === false) continue; // (USING (false): it admits no row to change, with or without a SELECT policy)
    const t = rows[i]!.table;
    // (a table made outside the migrations, but the platform's: its SELECT policies may be
    // elsewhere too — MKB's public.riders, whose base schema is not in the repository)
    if (!t && !platformTable(model, { schema: p.table.slice(0, p.table.indexOf('.')) })) continue;
    const policies = t?.policies ?? policiesWithKey(model, p.table);
    const found = withoutGranted(model, p, t, policies, withoutSignedOut(model, p, policies, missingReaders(model, p, t, policies, bypass)));
    const missing = t ? found : withoutAuthPlatform(model, p, found);
    if (found && !missing) continue;
    const gated = missing ? undefined : gatedReaders(model, p, t, policies, missing, bypass);
    if (missing || gated) quiet = false;
    if (gated && t && mayBeDynamic(model, 'policy', t)) continue;
    if (gated) {
      reportGated(model, p, t, gated, report);
      continue;
    }
    if (!missing) continue;
    if (t && mayBeDynamic(model, 'policy', t)) continue; // (dynamic SQL may create its SELECT policies: analysis/dynamic-rls.ts)
    const cmd = p.command.toUpperCase();
    const name = t ? tableName(model, t, p.loc) : p.table;
    // Roles whose privileges the workspace manages and that lack SELECT: such statements
    // fail with 42501 permission denied before row-level security is consulted (T28).
    const noSelectGrant = t ? missing.filter((r) => r !== 'public' && !mayHoldPrivilege(model, t, r, ['select'])) : [];
    const example = p.command === 'update' ? `UPDATE ${name} SET … WHERE id = …` : `DELETE FROM ${name} WHERE id = …`;
    const reach =
      p.command === 'update'
        ? 'only an UPDATE that reads no column (no WHERE, no column in SET or RETURNING) reaches rows, and then every row USING admits'
        : 'only a DELETE that reads no column (no WHERE, no column in RETURNING) reaches rows, and then every row USING admits';
    const grantNote = noSelectGrant.length
      ? ` (${roleList(noSelectGrant)} also ${noSelectGrant.length === 1 ? 'has' : 'have'} no SELECT privilege on ${p.table}, so for ${noSelectGrant.length === 1 ? 'it' : 'them'} such statements fail with 42501 permission denied instead, T28)`
      : '';

    const fixes: Fix[] = [];
    const place = companionPlace(model, p);
    if (place) {
      const text = place.text;
      const pname = freshName(model, p, 'select');
      const roles = p.roles.includes('public') ? (p.implicitPublic ? [] : ['PUBLIC']) : missing.map(quoteIdent);
      const to = roles.length ? ` TO ${roles.join(', ')}` : '';
      const stmts = [`CREATE POLICY ${quoteIdent(pname)} ON ${name} FOR SELECT${to}\n  USING (${text});`];
      if (noSelectGrant.length) stmts.push(`GRANT SELECT ON ${name} TO ${noSelectGrant.map(quoteIdent).join(', ')};`);
      const edit: Edit = insertAfter(model, place.after, stmts);
      fixes.push({
        title: `Add a SELECT policy "${pname}" for ${roleList(p.roles.includes('public') ? ['public'] : missing)} with the same USING${noSelectGrant.length ? ' (and GRANT SELECT)' : ''}: they can then read the rows they may ${p.command}`,
        kind: 'unsafe',
        edits: [edit],
      });
    }
    const isPublic = missing.includes('public');
    const readers = [...new Set(policies.filter((q) => q.permissive && (q.command === 'select' || q.command === 'all') && q.using).flatMap((q) => q.roles))];
    const subject = isPublic
      ? `every role (PUBLIC) ${cmd} rows, but no SELECT (or ALL) policy with a USING applies to PUBLIC${readers.length ? ` (only to ${roleList(readers)})` : ''}: for a role without a SELECT policy of its own, `
      : `${roleList(missing)} ${cmd} rows, but no SELECT (or ALL) policy with a USING applies to ${missing.length === 1 ? 'that role' : 'those roles'}${noUsing(policies, missing)}: `;
    report({
      ...p.nameLoc,
      message:
        `Policy "${p.name}" on ${p.table} lets ${subject}` +
        `${p.command === 'update' ? 'an' : 'a'} ${cmd} whose ${p.command === 'update' ? 'WHERE, SET or RETURNING' : 'WHERE or RETURNING'} reads a column only reaches rows the role may SELECT, so e.g. ${example} silently affects 0 rows, with no error (${p.command === 'update' ? 'T26' : 'T27'}); ` +
        `${reach}${grantNote}${membersNote(model, p, t, policies, missing)}. Add a SELECT policy for ${isPublic || missing.length > 1 ? 'these roles' : 'the role'} (often with the same USING).`,
      fixes,
    });
  }
  return quiet;
}
