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
import type { Model, Policy, Table } from '../analysis/model.js';
import { activeRows, constBool, exprClauseSpan, textOfFile, type PolicyExpr } from '../analysis/policy-exprs.js';
import { roleList } from '../analysis/policies.js';
import { rlsSubjectGrantees } from '../analysis/privileges.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { looksAtCaller, mayHoldPrivilege, quoteIdent, refusedWrites, tableName } from './lib/util.js';

/** The table's owner, named for a message, when FORCE subjects it to the policy. */
const FORCED_OWNER = (owner: string | undefined) => `${owner ?? "the table's owner"} (${owner ? "the table's owner, " : ''}whom FORCE ROW LEVEL SECURITY subjects to the policy)`;

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
  const checkSpan = check ? exprClauseSpan(model, check) : undefined;
  if (check && !checkSpan) return undefined;
  const checkText = checkSpan ? unwrap(text.slice(checkSpan.start, checkSpan.end)) : caller;
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

export const policySharedRowsWritable = defineRule({
  meta: {
    id: 'policy-shared-rows-writable',
    description: 'A FOR ALL policy whose USING admits, besides the caller\'s own rows, rows shared with everyone (OR visibility = \'public\'): its roles may update and delete the shared rows too.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      'A FOR ALL policy\'s USING is also the filter of UPDATE and DELETE: a branch that shares rows for reading (OR is_public) lets every role of the policy delete those rows, and update them as far as WITH CHECK allows.',
  },
  check({ model, report }) {
    for (const row of activeRows(model)) {
      const p = row.policy;
      if (p.command !== 'all' || !p.permissive) continue;
      const using = row.using;
      const args: Node[] | undefined = using?.node?.BoolExpr?.boolop === 'OR_EXPR' ? using.node.BoolExpr.args : undefined;
      if (!using || !args) continue;
      const callerIndexes: number[] = [];
      const shared: number[] = [];
      args.forEach((a, i) => (looksAtCaller(model, a) ? callerIndexes.push(i) : constBool(a) === false ? undefined : shared.push(i)));
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
      const sharedText = parts && parts.length === args.length ? shared.map((i) => parts[i]!.replace(/\s+/g, ' ')).join(' OR ') : undefined;
      const who = roles.includes('public') ? 'every role (PUBLIC)' : roleList([...new Set(roles)]);
      const update = row.check
        ? 'update them as far as WITH CHECK allows (it checks only the new row: e.g. move them into their own tenant)'
        : "update them to any values that pass that USING (with no WITH CHECK, USING is the check too: still shared, or taken over as the caller's own), and insert rows that pass that branch";
      // (`OR user_id IS NULL`: rows of no one, never another user's)
      const ownerless = shared.every((i) => args[i]?.NullTest?.nulltesttype === 'IS_NULL');
      const can = blocked.has('delete') ? update : blocked.has('update') ? 'delete those rows' : `delete those rows, and ${update}`;
      report({
        file: p.nameLoc.file,
        start: span?.start ?? p.nameLoc.start,
        end: span?.end ?? p.nameLoc.end,
        message:
          `Policy "${p.name}" on ${p.table} is FOR ALL, so its USING also decides which rows UPDATE and DELETE reach: ` +
          `its branch ${sharedText ? `\`${sharedText}\` ` : ''}admits rows without looking at who is asking — ${ownerless ? 'rows that belong to no one, shared by all' : "other users' and tenants' rows among them"} — so ${who} may ${can}; not only read them. ` +
          'Split it: a FOR SELECT policy with this USING, and INSERT, UPDATE and DELETE policies with only the condition on the caller.',
        fixes: [splitFix(model, p, row.table, using, row.check, callerIndexes)].filter((f): f is Fix => !!f),
      });
    }
  },
});
