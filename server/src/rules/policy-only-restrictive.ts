import { appliesToRole, commandList, commandsOf, coversCommand, roleList, type Command } from '../analysis/policies.js';
import { isRejected } from '../analysis/rejected.js';
import type { Model, Policy } from '../analysis/model.js';
import { constBool } from '../analysis/policy-exprs.js';
import { defineRule, type Fix } from './types.js';
import { fileOf, forEachEnabledTable, PF_PERMISSIVE, policyFacts } from './lib/util.js';
import { listOr } from '../analysis/words.js';

/** What a role sees when no permissive policy applies, per command. */
function effects(cmds: readonly Command[]): string {
  const parts: string[] = [];
  if (cmds.includes('select')) parts.push('SELECT returns no rows');
  const ud = cmds.filter((c) => c === 'update' || c === 'delete');
  if (ud.length) parts.push(`${commandList(ud)} ${ud.length === 1 ? 'changes' : 'change'} no rows`);
  if (cmds.includes('insert')) parts.push('INSERT fails with 42501');
  return listOr(parts, 'and');
}

/** The `RESTRICTIVE` keyword of the policy's CREATE/ALTER statement. */
function restrictiveKeyword(model: Model, p: Policy): { file: string; start: number; end: number } | undefined {
  const at = p.created; // AS RESTRICTIVE is only written in CREATE POLICY
  const text = fileOf(model, at.file)?.text ?? '';
  const m = /^CREATE\s+POLICY\s+(?:"(?:[^"]|"")*"|[\w$]+)\s+ON\s+[\s\S]*?\bAS\s+(RESTRICTIVE)\b/i.exec(text.slice(at.start, at.end));
  if (!m) return undefined;
  const start = at.start + m.index + m[0].length - m[1]!.length;
  return { file: at.file, start, end: start + m[1]!.length };
}

/** Whether a policy at `from` to `to` (exclusive) of model.policies is restrictive, from their policyFacts (the policies are not read). */
function hasRestrictive(facts: Uint16Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!(facts[i]! & PF_PERMISSIVE)) return true;
  return false;
}

/**
 * A restrictive policy whose expressions are constant false or NULL (`AS RESTRICTIVE USING
 * (false) WITH CHECK (false)`): a deny-all by intent, which admits nothing whatever else exists.
 */
function deniesAll(p: Policy): boolean {
  const off = (e: unknown) => e === undefined || constBool(e) === false || constBool(e) === null;
  return (p.using !== undefined || p.withCheck !== undefined) && off(p.using) && off(p.withCheck);
}

export const policyOnlyRestrictive = defineRule({
  meta: {
    id: 'policy-only-restrictive',
    description: 'A RESTRICTIVE policy applies to a role and command for which no PERMISSIVE policy exists, so it admits nothing.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards: 'A row is admitted only if some permissive policy allows it and every restrictive one does: with only restrictive policies, no row is ever visible or writable.',
    truths: ['T17'],
    shownBy: { emptyRead: true, asPolicyRole: true },
  },
  check({ model, report }) {
    // model.policies, which policyFacts follows, holds the tables' policies first, in this order
    // (the policies of a table without RLS are ignored: policy-on-table-without-rls / rls-disabled report them)
    const facts = policyFacts(model);
    forEachEnabledTable(model, (t, from, to) => {
      if (!hasRestrictive(facts, from, to)) return; // most tables: no list of permissive policies to make
      // (a policy PostgreSQL rejects when it is created never exists: rejected.ts)
      const permissive = t.policies.filter((p) => p.permissive && !isRejected(model, p));
      for (const r of t.policies) {
        if (r.permissive || deniesAll(r) || isRejected(model, r)) continue;
        const gaps: Array<{ role: string; cmds: Command[] }> = [];
        let pairs = 0;
        for (const role of r.roles) {
          if (role !== 'public' && model.roleBypassesRls(role)) continue; // RLS does not apply to it
          const cmds = commandsOf(r);
          pairs += cmds.length;
          const covered = (cmd: Command) => permissive.some((p) => coversCommand(p, cmd) && (role === 'public' || appliesToRole(model, p, role)));
          if (r.command === 'all') {
            // A FOR ALL restrictive policy next to permissive policies for some commands is the
            // usual pattern (e.g. read-only access): it is dead only when nothing is permitted at all.
            if (!cmds.some(covered)) gaps.push({ role, cmds });
          } else if (!covered(r.command as Command)) gaps.push({ role, cmds: [r.command as Command] });
        }
        if (gaps.length === 0) continue;
        const cmds = [...new Set(gaps.flatMap((g) => g.cmds))];
        const roles = gaps.map((g) => g.role);
        const forText = r.command === 'all' ? 'any command' : r.command.toUpperCase();
        const fixes: Fix[] = [];
        const kw = restrictiveKeyword(model, r);
        // Turning it PERMISSIVE gives exactly the rows its expression admits; only offered when
        // that loosens nothing, i.e. when no (role, command) it covers has a permissive policy.
        if (kw && gaps.reduce((n, g) => n + g.cmds.length, 0) === pairs) {
          fixes.push({ title: `Make policy "${r.name}" permissive (it then admits exactly the rows its expression allows)`, kind: 'unsafe', edits: [{ ...kw, newText: 'PERMISSIVE' }] });
        }
        report({
          ...r.nameLoc,
          message:
            `Policy "${r.name}" on ${t.key} is RESTRICTIVE, and no permissive policy applies to ${roleList(roles)} for ${forText}: ` +
            'PostgreSQL admits a row only when at least one permissive policy allows it and every restrictive one does, ' +
            `so for ${roleList(roles)}, ${effects(cmds)} (T17). ` +
            'Restrictive policies only narrow what permissive ones grant: add a permissive policy for these roles and commands, or make this one permissive.',
          fixes,
        });
      }
    });
  },
});
