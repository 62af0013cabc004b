import { roleText, shapeOf } from '../analysis/ast.js';
// policy-shared-rows-writable: a FOR ALL policy whose USING shares some rows with everyone
// (`tenant_id = <the caller's tenant> OR visibility = 'public'`): USING also decides which rows
// UPDATE and DELETE reach, so every role of the policy may delete the shared rows, and update them
// (into its own tenant, when WITH CHECK is the tenant check), not only read them. Measured on
// PGlite (test/rules/policy-shared-rows-writable.test.ts): tenant B deletes tenant A's shared row,
// and moves another into its own tenant.
//
// Reported when the USING is an OR of conditions of which one looks at who is asking (auth.uid(),
// a setting, current_user, a helper that does: looksAtCaller) and another does not, and a role of
// the policy may hold UPDATE or DELETE on the table.
//
// The WITH CHECK written the same way (`tenant_id IS NULL OR tenant_id = <setting>`: Oppsera's
// 0331_ai_support_rls_policies.sql) lets a caller create the shared rows too: tenant A inserts a
// row of no tenant, or turns its own into one, and tenant B reads it (PGlite). Said in the FOR ALL
// policy's message, and reported on an INSERT or UPDATE policy whose check has a branch a SELECT
// policy shows to everyone (the same policies split by command). The split fix leaves the
// shared branches out of the WITH CHECK as out of the USING. Split with the shared branch kept in
// a FOR DELETE or FOR UPDATE policy's USING (a SELECT policy showing it), any tenant deletes or
// rewrites the shared rows (PGlite); the fix keeps the caller's branches in that USING.
import type { Model, Policy, Table } from '../analysis/model.js';
import { activePoliciesWithKey, activeRowsWith, constBool, FLAG_TOP_OR, exprClauseSpan, rowOf, textOfFile, type PolicyExpr } from '../analysis/policy-exprs.js';
import { appliesToRole, coversCommand, roleList } from '../analysis/policies.js';
import { rlsSubjectGrantees } from '../analysis/privileges.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { looksAtCaller, mayHoldPrivilege, quoteIdent, refusedWrites, tableName } from './lib/util.js';
import { sqlOneLine } from '../analysis/parse.js';

/** The table's owner, named for a message, when FORCE subjects it to the policy (with parentheses of its own: a message never puts it inside others). */
const FORCED_OWNER = (owner: string | undefined) => `${owner !== undefined ? roleText(owner) : "the table's owner"} (${owner ? "the table's owner, " : ''}whom FORCE ROW LEVEL SECURITY subjects to the policy)`;

/**
 * The roles of the policy, subject to it, that may update or delete rows of the table (one of
 * `need`). For a policy TO PUBLIC, the roles that may: those subject to RLS granted UPDATE or
 * DELETE on it (here, via PUBLIC — then `public` — or by Supabase's default privileges), and the
 * table's owner when the table is forced and its owner does not bypass RLS (fg-core's app
 * connects as it).
 */
export function writers(model: Model, p: Policy, t: Table | undefined, need: readonly string[] = ['update', 'delete']): string[] {
  const out: string[] = [];
  for (const r of p.roles) {
    if (r === 'public') {
      // (Supabase Storage's objects, which the migrations do not create: the platform grants its
      // API roles every privilege on it; MakerKit's account_image policy, truck-scout)
      if (!t && p.table === 'storage.objects' && model.supabase) out.push('anon', 'authenticated');
      if (!t) continue;
      const owner = t.owner?.role;
      const forcedOwner = !!t.rlsForced && (owner ? model.roleBypassesRls(owner) !== true : !model.assumeUnknownOwnerBypassesRls);
      for (const g of rlsSubjectGrantees(model, t)) if (g !== owner && mayHoldPrivilege(model, t, g, need)) out.push(g);
      if (forcedOwner) out.push(FORCED_OWNER(owner));
      continue;
    }
    if (model.roleBypassesRls(r) || (t && t.owner?.role === r && !t.rlsForced)) continue;
    if (!t || mayHoldPrivilege(model, t, r, need)) out.push(r);
  }
  return out;
}

/**
 * The parts of a condition's text at its top-level ORs (`a OR (b AND c)` → `a`, `(b AND c)`),
 * without comments; strings, quoted names, dollar quotes and parentheses skipped. Undefined when
 * the text has no top-level OR.
 */
export function topLevelOr(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      const end = close < 0 ? text.length : close + 1;
      current += text.slice(i, end);
      i = end - 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$[A-Za-z_]*\$/.exec(text.slice(i));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        const end = close < 0 ? text.length : close + m[0].length;
        current += text.slice(i, end);
        i = end - 1;
        continue;
      }
    }
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = (nl < 0 ? text.length : nl) - 1;
      current += ' ';
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 1;
      current += ' ';
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && (c === 'o' || c === 'O') && /^or\b/i.test(text.slice(i, i + 3)) && !/[\w$]/.test(text[i - 1] ?? ' ')) {
      parts.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
  }
  if (parts.length === 0) return undefined;
  parts.push(current.trim());
  return parts.every((x) => x.length > 0) ? parts : undefined;
}

/** The condition's text without the parentheses that wrap all of it. */
export function unwrap(text: string): string {
  let t = text.trim();
  while (t.startsWith('(') && t.endsWith(')')) {
    let depth = 0;
    let closesAtEnd = true;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '(') depth++;
      else if (t[i] === ')' && --depth === 0 && i < t.length - 1) {
        closesAtEnd = false;
        break;
      }
    }
    if (!closesAtEnd) break;
    t = t.slice(1, -1).trim();
  }
  return t;
}

/** ` TO <roles>` for a policy split in several, or '' when the policy has none (`head`: its text between its name and its USING). */
export function toClause(p: Policy, head: string): string {
  if (p.roles.length === 1 && p.roles[0] === 'public' && !/\bTO\b/i.test(head)) return '';
  return ` TO ${p.roles.map((r) => (r === 'public' ? 'PUBLIC' : r === 'current_user' || r === 'current_role' || r === 'session_user' ? r.toUpperCase() : quoteIdent(r))).join(', ')}`;
}

/** The branches of a condition at its top-level ORs (the condition itself when it is no OR). */
const orArgs = (n: Node): Node[] => (n?.BoolExpr?.boolop === 'OR_EXPR' ? n.BoolExpr.args : [n]);

/** Whether a policy's USING looks at who is asking in each of its top-level OR branches (an always-false branch aside). */
function restrictsToCaller(model: Model, o: Policy): boolean {
  const u = rowOf(model, o).using;
  if (!u) return false;
  const { caller, shared } = callerAndShared(model, orArgs(u.node));
  return caller.length > 0 && shared.length === 0;
}

/** The indexes of the branches that look at who is asking, and of those that do not (an always-false branch in neither). */
function callerAndShared(model: Model, args: readonly Node[]): { caller: number[]; shared: number[] } {
  const caller: number[] = [];
  const shared: number[] = [];
  args.forEach((a, i) => (looksAtCaller(model, a) ? caller.push(i) : constBool(a) === false ? undefined : shared.push(i)));
  return { caller, shared };
}

/**
 * The text of a WITH CHECK (or a USING) keeping only its branches that look at the caller (all of
 * it when it is no OR and looks at the caller); undefined when it has none, or its text cannot be
 * cut where its ORs are. (Copied whole, `tenant_id IS NULL OR tenant_id = <setting>` kept letting every tenant
 * plant rows of no tenant after the split: Oppsera.)
 */
export function callerCheckText(model: Model, check: PolicyExpr): string | undefined {
  const span = exprClauseSpan(model, check);
  if (!span) return undefined;
  const whole = unwrap(textOfFile(model, check.file).slice(span.start, span.end));
  const args = orArgs(check.node);
  const { caller } = callerAndShared(model, args);
  if (caller.length === 0) return undefined;
  if (caller.length === args.length) return whole;
  const parts = topLevelOr(whole);
  if (!parts || parts.length !== args.length) return undefined;
  return caller.map((i) => parts[i]!).join(' OR ');
}

/** The split fix: a SELECT policy keeping the USING, and INSERT, UPDATE and DELETE policies with the caller's branches only. */
function splitFix(model: Model, p: Policy, t: Table | undefined, using: PolicyExpr, check: PolicyExpr | undefined, callerIndexes: number[]): Fix | undefined {
  if (!t || using.stmt.start !== p.created.start || using.stmt.file !== p.created.file || (check && check.stmt.start !== p.created.start)) return undefined; // (changed by ALTER POLICY since)
  const text = textOfFile(model, using.file);
  const span = exprClauseSpan(model, using);
  if (!span) return undefined;
  const usingText = unwrap(text.slice(span.start, span.end));
  const parts = topLevelOr(usingText);
  if (!parts || parts.length !== (using.node?.BoolExpr?.args?.length ?? 0)) return undefined;
  const caller = callerIndexes.map((i) => parts[i]!).join(' OR ');
  const checkText = check ? callerCheckText(model, check) : caller;
  if (checkText === undefined) return undefined;
  const on = tableName(model, t, p.created);
  const to = toClause(p, text.slice(p.nameLoc.end, span.start));
  const named = (suffix: string) => quoteIdent(`${p.name.slice(0, 63 - suffix.length)}${suffix}`);
  const statements = [
    `CREATE POLICY ${quoteIdent(p.name)} ON ${on} FOR SELECT${to}\n  USING (${usingText});`,
    `CREATE POLICY ${named('_insert')} ON ${on} FOR INSERT${to}\n  WITH CHECK (${checkText});`,
    `CREATE POLICY ${named('_update')} ON ${on} FOR UPDATE${to}\n  USING (${caller})\n  WITH CHECK (${checkText});`,
    `CREATE POLICY ${named('_delete')} ON ${on} FOR DELETE${to}\n  USING (${caller});`,
  ];
  return {
    title: `Split policy "${p.name}": FOR SELECT keeps its USING; INSERT, UPDATE and DELETE get only the condition on the caller`,
    kind: 'unsafe',
    edits: [replacePolicyStatement(model, p, statements)],
  };
}

/** An edit replacing the policy's CREATE POLICY, its `;` included, with `statements` (the split fixes). */
export function replacePolicyStatement(model: Model, p: Policy, statements: readonly string[]): Edit {
  const file = textOfFile(model, p.created.file);
  let end = p.created.end;
  while (end < file.length && (file[end] === ' ' || file[end] === '\t')) end++;
  if (file[end] === ';') end++;
  return { file: p.created.file, start: p.created.start, end, newText: statements.join('\n') };
}

/**
 * The WITH CHECK's branches (at its top-level ORs) that look at no caller and are one of the USING's
 * shared branches (`sharedShapes`): the rows the caller may then write are shared rows. With their
 * text, when the check's text can be cut at its ORs.
 */
function plantedBranches(model: Model, check: PolicyExpr, sharedShapes: ReadonlySet<string>): { text: string | undefined } | undefined {
  const args = orArgs(check.node);
  const { shared } = callerAndShared(model, args);
  const hits = shared.filter((i) => sharedShapes.has(shapeOf(args[i]!)));
  if (hits.length === 0) return undefined;
  const span = exprClauseSpan(model, check);
  const parts = span ? topLevelOr(unwrap(textOfFile(model, check.file).slice(span.start, span.end))) : undefined;
  return { text: parts && parts.length === args.length ? hits.map((i) => sqlOneLine(parts[i]!)).join(' OR ') : undefined };
}

/** Who may write the shared rows a WITH CHECK admits, and how (insert them, turn their own rows into them); undefined when no role of the policy may. */
function creators(model: Model, p: Policy, t: Table | undefined, blocked: ReadonlyMap<string, string>, commands: readonly ('insert' | 'update')[] = ['insert', 'update']): { who: string; how: string } | undefined {
  const ins = commands.includes('insert') ? writers(model, p, t, ['insert']) : [];
  const upd = commands.includes('update') && !blocked.has('update') ? writers(model, p, t, ['update']) : [];
  const roles = [...new Set([...ins, ...upd])];
  if (roles.length === 0) return undefined;
  const how = [ins.length ? 'insert such rows' : '', upd.length ? 'turn rows they may update into such rows' : ''].filter(Boolean).join(', or ');
  return { who: roles.includes('public') ? 'every role (PUBLIC)' : roleList(roles), how };
}

/**
 * A SELECT policy of the table showing to roles that may read it one of `args`' branches at
 * `shared` (the same expression): the policy, its readers, and the index of that branch in `args`.
 */
function sharedReader(model: Model, t: Table, policies: readonly Policy[], args: readonly Node[], shared: readonly number[]): { policy: Policy; roles: string[]; index: number } | undefined {
  const shapes = new Map(shared.map((i) => [shapeOf(args[i]!), i]));
  for (const o of policies) {
    if (!coversCommand(o, 'select') || !o.using) continue;
    const ou = rowOf(model, o).using;
    const hit = ou ? orArgs(ou.node).map((a) => shapes.get(shapeOf(a))).find((i) => i !== undefined) : undefined;
    if (hit === undefined) continue;
    const roles = writers(model, o, t, ['select']);
    if (roles.length) return { policy: o, roles, index: hit };
  }
  return undefined;
}

export const policySharedRowsWritable = defineRule({
  meta: {
    id: 'policy-shared-rows-writable',
    description:
      'A FOR ALL, UPDATE or DELETE policy whose USING admits, besides the caller\'s own rows, rows shared with everyone (OR visibility = \'public\'): its roles may update or delete the shared rows too; and an INSERT or UPDATE check with such a branch lets them create shared rows.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      'A FOR ALL, UPDATE or DELETE policy\'s USING is also the filter of UPDATE and DELETE: a branch that shares rows for reading (OR is_public) lets every role of the policy delete those rows, and update them as far as WITH CHECK allows; the same branch in a WITH CHECK lets a caller create rows everyone reads.',
  },
  check({ model, report }) {
    const reported = new Set<Policy>();
    // (the active policies with an OR at the top of a clause: a pass over every policy was ≈ 2.4 ms of each bench re-lint)
    for (const row of activeRowsWith(model, FLAG_TOP_OR)) {
      const p = row.policy;
      if (p.command !== 'all' || !p.permissive || !(row.usingFlags & FLAG_TOP_OR)) continue;
      const using = row.using;
      const args: Node[] | undefined = using?.node?.BoolExpr?.boolop === 'OR_EXPR' ? using.node.BoolExpr.args : undefined;
      if (!using || !args) continue;
      const { caller: callerIndexes, shared } = callerAndShared(model, args);
      if (callerIndexes.length === 0 || shared.length === 0) continue;
      if (shared.some((i) => constBool(args[i]) === true)) continue; // (OR true: policy-always-true's)
      const roles = writers(model, p, row.table);
      if (roles.length === 0) continue;
      // (an append-only table: a trigger raising on UPDATE and DELETE, or DO INSTEAD NOTHING rules)
      const blocked = refusedWrites(model, row.table, 'may');
      if (blocked.has('update') && blocked.has('delete')) continue;
      const text = textOfFile(model, using.file);
      const span = exprClauseSpan(model, using);
      const parts = span ? topLevelOr(unwrap(text.slice(span.start, span.end))) : undefined;
      const sharedText = parts && parts.length === args.length ? shared.map((i) => sqlOneLine(parts[i]!)).join(' OR ') : undefined;
      const update = row.check
        ? 'update them as far as WITH CHECK allows (it checks only the new row: e.g. move them into their own tenant)'
        : "update them to any values that pass that USING (with no WITH CHECK, USING is the check too: still shared, or taken over as the caller's own)";
      // (`OR user_id IS NULL`: rows of no one, never another user's)
      const ownerless = shared.every((i) => args[i]?.NullTest?.nulltesttype === 'IS_NULL');
      // (what each role may do as the migrations grant it: a role granted DELETE and INSERT but not
      // UPDATE — saltastroops/data-archive-database's observations_editor on position — deletes and
      // inserts shared rows but updates none; without WITH CHECK the insert is the USING's branch)
      // (a restrictive policy for DELETE or UPDATE that applies to a role and asks, in each of its
      // branches, who is asking keeps that role's DELETE or UPDATE to the caller's rows, shared or
      // not: resolve-works/insight-migrate's inodes_external_user_delete, AS RESTRICTIVE FOR DELETE
      // USING (owner_id = <the JWT's sub>), beside its FOR ALL policy's `OR is_public`)
      const keeps = activePoliciesWithKey(model, p.table).filter((o) => !o.permissive && (o.command === 'update' || o.command === 'delete' || o.command === 'all') && restrictsToCaller(model, o));
      const kept = (cmd: 'update' | 'delete', r: string) => keeps.some((o) => coversCommand(o, cmd) && appliesToRole(model, o, r));
      const updaters = new Set(blocked.has('update') ? [] : writers(model, p, row.table, ['update']).filter((r) => !kept('update', r)));
      const deleters = new Set(blocked.has('delete') ? [] : writers(model, p, row.table, ['delete']).filter((r) => !kept('delete', r)));
      const inserters = new Set(row.check ? [] : writers(model, p, row.table, ['insert']));
      const byCan = new Map<string, string[]>();
      for (const r of [...new Set(roles)]) {
        const acts = [deleters.has(r) ? 'delete those rows' : undefined, updaters.has(r) ? update : undefined, inserters.has(r) ? 'insert rows that pass that branch' : undefined].filter((x): x is string => !!x);
        if (!acts.some((a) => a !== 'insert rows that pass that branch')) continue;
        const can = acts.join(', and ');
        byCan.set(can, [...(byCan.get(can) ?? []), r]);
      }
      if (byCan.size === 0) continue;
      const may = [...byCan].map(([can, rs]) => `${rs.includes('public') ? 'every role (PUBLIC)' : roleList(rs)} may ${can}`).join('; ');
      // (a WITH CHECK with the USING's shared branch: the caller creates shared rows too, Oppsera)
      const planted = row.check ? plantedBranches(model, row.check, new Set(shared.map((i) => shapeOf(args[i]!)))) : undefined;
      const creates = planted ? creators(model, p, row.table, blocked) : undefined;
      reported.add(p);
      report({
        file: p.nameLoc.file,
        start: span?.start ?? p.nameLoc.start,
        end: span?.end ?? p.nameLoc.end,
        message:
          `Policy "${p.name}" on ${p.table} is FOR ALL, so its USING also decides which rows UPDATE and DELETE reach: ` +
          `its branch ${sharedText ? `\`${sharedText}\` ` : ''}admits rows without looking at who is asking — ${ownerless ? 'rows that belong to no one, shared by all' : "other users' and tenants' rows among them"} — so ${may}; not only read them. ` +
          (planted && creates
            ? `Its WITH CHECK admits the same rows (${planted.text ? `\`${planted.text}\`` : 'a branch that looks at no caller'}): ${creates.who} may also create them — ${creates.how} — and this policy shows them to all its roles, whatever their tenant or user: content planted for everyone. `
            : '') +
          `Split it: a FOR SELECT policy with this USING, and INSERT, UPDATE and DELETE policies with only the condition on the caller${planted && creates ? ', in WITH CHECK too' : ''}.`,
        fixes: [splitFix(model, p, row.table, using, row.check, callerIndexes)].filter((f): f is Fix => !!f),
      });
    }
    // The same policies split by command with the shared branch kept in the USING of a FOR DELETE or
    // FOR UPDATE policy (Oppsera's 0331 `tenant_id IS NULL OR tenant_id = <setting>` written once per
    // command, calibration h2 r2–r4): that USING decides which rows DELETE removes and UPDATE reaches,
    // so any caller deletes or rewrites the shared rows a SELECT policy shows to every caller; and
    // with no WITH CHECK the USING is the check of the new row too (T14c): what UPDATE may write
    // follows it, shared rows included.
    for (const row of activeRowsWith(model, FLAG_TOP_OR)) {
      const p = row.policy;
      const cmd = p.command === 'update' || p.command === 'delete' ? p.command : undefined;
      // (a caller branch and a shared one: an OR, the rest asked of no other policy — the bench's 4,470 UPDATE and DELETE policies have none)
      if (!cmd || !p.permissive || !row.using || !row.table || row.using.node?.BoolExpr?.boolop !== 'OR_EXPR') continue;
      const args = orArgs(row.using.node);
      const { caller, shared } = callerAndShared(model, args);
      if (caller.length === 0 || shared.length === 0 || shared.some((i) => constBool(args[i]) === true)) continue;
      const t = row.table;
      if (refusedWrites(model, t, 'may').has(cmd)) continue;
      const policies = activePoliciesWithKey(model, p.table);
      // (a restrictive policy may require the caller's tenant of every row written, or read)
      if (policies.some((o) => !o.permissive && (coversCommand(o, 'select') || coversCommand(o, cmd)))) continue;
      const roles = writers(model, p, t, [cmd]);
      if (roles.length === 0) continue;
      const reader = sharedReader(model, t, policies, args, shared);
      if (!reader) continue;
      const span = exprClauseSpan(model, row.using);
      const parts = span ? topLevelOr(unwrap(textOfFile(model, row.using.file).slice(span.start, span.end))) : undefined;
      const branch = parts && parts.length === args.length ? sqlOneLine(parts[reader.index]!) : undefined;
      const who = roles.includes('public') ? 'every role (PUBLIC)' : roleList([...new Set(roles)]);
      const readers = reader.roles.includes('public') ? 'every role (PUBLIC)' : roleList([...new Set(reader.roles)]);
      // (an UPDATE's WITH CHECK with the shared branch too: the new row may be shared, as without one)
      const planted = cmd === 'update' && row.check ? plantedBranches(model, row.check, new Set(shared.map((i) => shapeOf(args[i]!)))) : undefined;
      const what =
        cmd === 'delete'
          ? `so ${who}, whatever their tenant or user, may delete those shared rows. `
          : `so ${who}, whatever their tenant or user, may update those shared rows` +
            (!row.check
              ? ". With no WITH CHECK, USING is the check of the new row too, so what they may write follows it: a shared row rewritten and still shared, or taken over as the caller's own, and rows of their own turned into shared ones. "
              : planted
                ? `. Its WITH CHECK admits the same rows (${planted.text ? `\`${planted.text}\`` : 'a branch that looks at no caller'}): a shared row may be rewritten and stay shared, or be taken over as the caller's own, and rows of their own turned into shared ones. `
                : ', as far as WITH CHECK allows (it checks only the new row: e.g. move them into their own tenant, gone for everyone else). ');
      const usingText = callerCheckText(model, row.using);
      const checkText = planted && row.check ? callerCheckText(model, row.check) : undefined;
      const checkSpan = planted && row.check ? exprClauseSpan(model, row.check) : undefined;
      const unchanged = (e: PolicyExpr) => e.stmt.start === p.created.start && e.file === p.created.file; // (not since changed by ALTER POLICY)
      const edits: Edit[] | undefined =
        usingText === undefined || !span || !unchanged(row.using)
          ? undefined
          : !planted
            ? [{ file: row.using.file, start: span.start, end: span.end, newText: `(${usingText})` }]
            : checkText !== undefined && checkSpan && row.check && unchanged(row.check)
              ? [
                  { file: row.using.file, start: span.start, end: span.end, newText: `(${usingText})` },
                  { file: row.check.file, start: checkSpan.start, end: checkSpan.end, newText: `(${checkText})` },
                ]
              : undefined;
      reported.add(p);
      report({
        file: p.nameLoc.file,
        start: span?.start ?? p.nameLoc.start,
        end: span?.end ?? p.nameLoc.end,
        message:
          `Policy "${p.name}" on ${p.table} is FOR ${cmd.toUpperCase()}, so its USING decides which rows ${cmd === 'delete' ? 'DELETE removes' : 'UPDATE reaches'}: ` +
          `its branch ${branch ? `\`${branch}\` ` : ''}does not look at who is asking, and policy "${reader.policy.name}" shows the rows it admits to ${readers}, whoever asks — ` +
          what +
          `Keep only the condition on the caller in this USING${planted ? ' and in the WITH CHECK' : !row.check && cmd === 'update' ? ' (it then checks the new row too)' : ''}; policy "${reader.policy.name}" still shows the shared rows.`,
        fixes: edits ? [{ title: `Keep only the condition on the caller in the USING${planted ? ' and WITH CHECK' : ''} of "${p.name}"`, kind: 'unsafe', edits }] : [],
      });
    }
    // The same policies split by command (Oppsera's FOR ALL written as FOR SELECT + FOR INSERT): an
    // INSERT or UPDATE policy whose WITH CHECK has a branch looking at no caller that a SELECT
    // policy of the table shows to all its roles.
    for (const row of activeRowsWith(model, FLAG_TOP_OR)) {
      const p = row.policy;
      if (!p.permissive || reported.has(p) || !row.check || !row.table) continue;
      const cmd = p.command === 'insert' ? 'insert' : p.command === 'update' ? 'update' : p.command === 'all' ? 'all' : undefined;
      if (!cmd || row.check.node?.BoolExpr?.boolop !== 'OR_EXPR') continue;
      const cargs = orArgs(row.check.node);
      const { caller, shared } = callerAndShared(model, cargs);
      if (caller.length === 0 || shared.length === 0 || shared.some((i) => constBool(cargs[i]) === true)) continue;
      const t = row.table;
      const commands: ('insert' | 'update')[] = cmd === 'all' ? ['insert', 'update'] : [cmd];
      const policies = activePoliciesWithKey(model, p.table);
      // (a restrictive policy may require the caller's tenant of every new row, or of every row read)
      if (policies.some((o) => !o.permissive && (coversCommand(o, 'select') || commands.some((c) => coversCommand(o, c))))) continue;
      const blocked = refusedWrites(model, t, 'may');
      const creates = creators(model, p, t, blocked, commands);
      if (!creates) continue;
      const reader = sharedReader(model, t, policies, cargs, shared);
      if (!reader) continue;
      const span = exprClauseSpan(model, row.check);
      const whole = span ? unwrap(textOfFile(model, row.check.file).slice(span.start, span.end)) : undefined;
      const parts = whole ? topLevelOr(whole) : undefined;
      const branch = parts && parts.length === cargs.length ? sqlOneLine(parts[reader.index]!) : undefined;
      const readers = reader.roles.includes('public') ? 'every role (PUBLIC)' : roleList([...new Set(reader.roles)]);
      const fixText = callerCheckText(model, row.check);
      report({
        file: p.nameLoc.file,
        start: span?.start ?? p.nameLoc.start,
        end: span?.end ?? p.nameLoc.end,
        message:
          `Policy "${p.name}" on ${p.table} checks new rows with a branch ${branch ? `\`${branch}\` ` : ''}that does not look at who is asking, ` +
          `and policy "${reader.policy.name}" shows the rows it admits to ${readers}, whoever asks: so ${creates.who} may ${creates.how}, ` +
          'and they then show up for every caller, whatever their tenant or user — content planted for everyone. ' +
          'Keep only the condition on the caller in the WITH CHECK, or ask there for a role allowed to write shared rows (`tenant_id IS NULL AND is_admin()`).',
        fixes:
          fixText !== undefined && span && row.check.stmt.start === p.created.start && row.check.file === p.created.file
            ? [{ title: `Keep only the condition on the caller in the WITH CHECK of "${p.name}"`, kind: 'unsafe', edits: [{ file: row.check.file, start: span.start, end: span.end, newText: `(${fixText})` }] }]
            : [],
      });
    }
  },
});
