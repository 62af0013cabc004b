import { clauseSpan } from '../analysis/ast.js';
import { clauseError } from '../analysis/rejected.js';
import { clauseStatements } from '../analysis/columns.js';
import type { Loc, Span } from '../analysis/types.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { fileOf } from './lib/util.js';

/** The keyword before a clause's parentheses (`USING` or `WITH CHECK`), from its start to the parenthesis. */
function keywordBefore(text: string, open: number, clause: 'using' | 'check'): Span | undefined {
  const head = text.slice(Math.max(0, open - 40), open);
  const m = (clause === 'using' ? /\bUSING\s*$/i : /\bWITH\s+CHECK\s*$/i).exec(head);
  return m ? { start: open - head.length + m.index, end: open } : undefined;
}

/** An edit removing a clause (its keyword, its parentheses and the blanks before it). */
function removeClause(file: string, text: string, paren: Span, keyword: Span): Edit {
  let start = keyword.start;
  while (start > 0 && /\s/.test(text[start - 1]!)) start--;
  return { file, start, end: paren.end, newText: '' };
}

export const policyInvalidClause = defineRule({
  meta: {
    id: 'policy-invalid-clause',
    description: 'A FOR INSERT policy with USING, or a FOR SELECT or DELETE policy with WITH CHECK: PostgreSQL rejects the statement (42601).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'PostgreSQL accepts only WITH CHECK for INSERT policies and only USING for SELECT and DELETE ones: CREATE POLICY (or ALTER POLICY) with the other clause fails with 42601, and the policy does not exist (or keeps its old expressions).',
    truths: ['T14b'],
    shownBy: { statement: ['42601'] },
  },
  check({ model, report }) {
    for (const { file, stmt } of clauseStatements(model)) {
      if (stmt.kind !== 'CreatePolicyStmt' && stmt.kind !== 'AlterPolicyStmt') continue;
      const n = stmt.node;
      let command: string = n?.cmd_name ?? 'all';
      if (stmt.kind === 'AlterPolicyStmt') {
        const key = model.key([n?.table?.schemaname, n?.table?.relname]);
        const p = (model.tables.get(key)?.policies ?? model.policies).find((q) => q.table === key && q.name === n?.policy_name);
        if (!p) continue;
        command = p.command;
      }
      const error = clauseError(n, stmt.kind === 'AlterPolicyStmt' ? { command } : undefined);
      if (!error) continue;
      const text = fileOf(model, file.file)?.text ?? '';
      const at: Loc = { file: file.file, start: stmt.start, end: stmt.end };
      const wrong: 'using' | 'check' = command === 'insert' ? 'using' : 'check';
      const paren = clauseSpan(text, at, wrong);
      const keyword = paren && keywordBefore(text, paren.start, wrong);
      const span = paren && keyword ? { start: keyword.start, end: keyword.start + text.slice(keyword.start, keyword.end).trimEnd().length } : { start: stmt.start, end: Math.min(stmt.end, stmt.start + 13) };
      const cmd = command.toUpperCase();
      const what = stmt.kind === 'CreatePolicyStmt' ? `so the policy "${n.policy_name}" is not created` : `so the policy "${n.policy_name}" keeps its expressions`;
      const fixes: Fix[] = [];
      if (paren && keyword) {
        const other = wrong === 'using' ? n?.with_check : n?.qual;
        if (wrong === 'using' && !other) {
          fixes.push({ title: 'Write WITH CHECK instead of USING (the condition new rows must meet)', kind: 'unsafe', edits: [{ file: file.file, start: keyword.start, end: keyword.end, newText: 'WITH CHECK ' }] });
        } else {
          fixes.push({ title: `Remove the ${wrong === 'using' ? 'USING' : 'WITH CHECK'} clause (a FOR ${cmd} policy does not take it)`, kind: 'unsafe', edits: [removeClause(file.file, text, paren, keyword)] });
        }
      }
      report({
        file: file.file,
        ...span,
        message:
          `PostgreSQL rejects this ${stmt.kind === 'CreatePolicyStmt' ? 'CREATE POLICY' : 'ALTER POLICY'} with 42601 ${error}: ${
            wrong === 'using'
              ? 'a FOR INSERT policy checks new rows with WITH CHECK and has no USING (there are no existing rows to filter)'
              : `a FOR ${cmd} policy filters existing rows with USING and has no WITH CHECK (it writes no new row)`
          }, ${what} (a migration tool stops here). ` +
          (wrong === 'using' && !(n?.with_check) ? 'Write the condition as WITH CHECK (…).' : `Remove the ${wrong === 'using' ? 'USING' : 'WITH CHECK'} clause${wrong === 'check' ? ', or use FOR UPDATE or FOR ALL if new rows are to be checked' : ''}.`),
        fixes,
      });
    }
  },
});
