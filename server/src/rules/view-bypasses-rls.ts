import { matchParen } from '../analysis/ast.js';
import type { Model, Table, View } from '../analysis/model.js';
import { skipTrivia } from '../analysis/parse.js';
import type { Loc } from '../analysis/types.js';
import { defineRule, type Edit } from './types.js';
import { fileOf, insertAfter, quoteIdent, where } from './lib/util.js';

interface Hit {
  table: Table;
}

/**
 * RLS tables a view reads directly (joins and sub-queries included). A security_invoker view
 * nested inside it checks its own tables as the querying role, not as the outer view's owner
 * (measured), and a view that is not security_invoker on the way is a finding of its own, so
 * other views are not followed.
 */
function rlsTablesReached(model: Model, v: View): Hit[] {
  const hits: Hit[] = [];
  for (const r of v.reads) {
    const t = model.tables.get(r);
    if (t?.rlsEnabled) hits.push({ table: t });
  }
  return hits;
}

/** End of a possibly schema-qualified, possibly quoted name starting at `at`. */
function nameEnd(text: string, at: number, limit: number): number {
  let i = at;
  for (;;) {
    if (text[i] === '"') {
      i++;
      while (i < limit && !(text[i] === '"' && text[i + 1] !== '"')) i += text[i] === '"' ? 2 : 1;
      i++;
    } else {
      const m = /^[\w$\u0080-\uffff]+/.exec(text.slice(i, Math.min(limit, i + 200)));
      if (!m) return i;
      i += m[0].length;
    }
    const j = skipTrivia(text, i, limit);
    if (text[j] !== '.') return i;
    i = skipTrivia(text, j + 1, limit);
  }
}

/** The statement after which security_invoker was last changed for the view (a later ALTER VIEW), if any. */
function lastInvokerChange(model: Model, v: View): Loc | undefined {
  let after = false;
  let last: Loc | undefined;
  for (const { file, stmt } of model.statements) {
    if (stmt === v.stmt) {
      after = true;
      continue;
    }
    if (!after || stmt.kind !== 'AlterTableStmt') continue;
    const n = stmt.node;
    if (model.key([n.relation?.schemaname, n.relation?.relname]) !== v.key) continue;
    const touches = (n.cmds ?? []).some(
      (c: { AlterTableCmd?: { subtype?: string; def?: { List?: { items?: Array<{ DefElem?: { defname?: string } }> } } } }) =>
        (c.AlterTableCmd?.subtype === 'AT_SetRelOptions' || c.AlterTableCmd?.subtype === 'AT_ResetRelOptions') &&
        (c.AlterTableCmd.def?.List?.items ?? []).some((o) => o.DefElem?.defname === 'security_invoker'),
    );
    if (touches) last = { file: file.file, start: stmt.start, end: stmt.end };
  }
  return last;
}

/** Edits that make the view security_invoker: in its CREATE VIEW when possible, else an ALTER VIEW after the last change. */
function invokerFix(model: Model, v: View): Edit[] {
  const text = fileOf(model, v.created.file)?.text ?? '';
  const limit = v.created.end;
  const nameStart = v.nameLoc.start;
  const end = nameEnd(text, nameStart, limit);
  const written = text.slice(nameStart, end) || quoteIdent(v.name);
  const alter = (loc: Loc) => [insertAfter(model, loc, [`ALTER VIEW ${written} SET (security_invoker = true);`])];
  const later = lastInvokerChange(model, v);
  if (later) return alter(later);
  let pos = end;
  let p = skipTrivia(text, pos, limit);
  if (text[p] === '(') {
    const close = matchParen(text, p, limit);
    if (close < 0) return alter(v.created);
    pos = close + 1;
    p = skipTrivia(text, pos, limit);
  }
  const withClause = /^WITH\s*\(/i.exec(text.slice(p, p + 16));
  if (withClause) {
    const open = p + withClause[0].length - 1;
    const close = matchParen(text, open, limit);
    if (close < 0 || /security_invoker/i.test(text.slice(open, close))) return alter(v.created);
    if (!/^AS\b/i.test(text.slice(skipTrivia(text, close + 1, limit), limit))) return alter(v.created);
    const empty = text.slice(open + 1, close).trim() === '';
    return [{ file: v.created.file, start: close, end: close, newText: empty ? 'security_invoker = true' : ', security_invoker = true' }];
  }
  if (!/^AS\b/i.test(text.slice(p, limit))) return alter(v.created);
  return [{ file: v.created.file, start: pos, end: pos, newText: ' WITH (security_invoker = true)' }];
}

export const viewBypassesRls = defineRule({
  meta: {
    id: 'view-bypasses-rls',
    description: 'A view without security_invoker (or a materialized view) reads a table that has row-level security.',
    severity: 'error',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "A view reads its tables with its owner's rights: when the owner bypasses RLS, every role that can select from the view sees all rows.",
    truths: ['T18', 'T18b'],
    sources: ['splinter 0010 security_definer_view', 'splinter 0016 materialized_view_in_api'],
  },
  check({ model, config, report }) {
    for (const v of model.views.values()) {
      if (!v.materialized && v.securityInvoker) continue;
      const rv = v.materialized ? v.stmt.node?.into?.rel : v.stmt.node?.view;
      if (rv?.relpersistence === 't') continue; // a temporary view lives in one session
      const reachable = config.exposedSchemas.includes(v.schema) || [...v.grants.values()].some((s) => s.size > 0);
      if (!reachable) continue;
      const hits = rlsTablesReached(model, v);
      if (hits.length === 0) continue;
      // An owner known to be subject to the tables' policies does not bypass them.
      const owner = v.owner?.role;
      if (owner && model.roleBypassesRls(owner) === false && hits.every((h) => h.table.owner?.role !== owner || h.table.rlsForced)) continue;
      const tables = hits.map((h) => h.table.key).filter((k, i, a) => a.indexOf(k) === i);
      const tableText = tables.length === 1 ? tables[0]! : `${tables.slice(0, -1).join(', ')} and ${tables[tables.length - 1]}`;
      const ownerText = owner ? `its owner ${owner}` : 'its owner';
      const text = fileOf(model, v.nameLoc.file)?.text ?? '';
      const at = { file: v.nameLoc.file, start: v.nameLoc.start, end: Math.max(v.nameLoc.end, nameEnd(text, v.nameLoc.start, v.created.end)) };
      const related = hits.map((h) => ({ file: h.table.nameLoc.file, start: h.table.nameLoc.start, end: h.table.nameLoc.end, message: `${h.table.key} (row-level security enabled; created at ${where(model, h.table.created)})` }));
      if (v.materialized) {
        report({
          ...at,
          message:
            `Materialized view ${v.key} stores rows of ${tableText}, which ${tables.length === 1 ? 'has' : 'have'} row-level security: its rows are computed with ${ownerText}'s rights when it is created or refreshed, ` +
            'and a materialized view has no row-level security of its own (PostgreSQL rejects ENABLE ROW LEVEL SECURITY and security_invoker for it), ' +
            `so every role that can select from ${v.key} reads the stored rows — all of them when the owner bypasses RLS (a superuser, a BYPASSRLS role, or the tables' owner while RLS is not forced; T18). ` +
            'Keep it out of exposed schemas and revoke SELECT on it from roles subject to RLS, or serve it through a function or view that filters.',
          related,
        });
        continue;
      }
      report({
        ...at,
        message:
          `View ${v.key} reads ${tableText}, which ${tables.length === 1 ? 'has' : 'have'} row-level security, but is not security_invoker: PostgreSQL checks the tables behind a view with ${ownerText}'s privileges and policies, not the querying role's. ` +
          `When the owner bypasses RLS (a superuser, a BYPASSRLS role such as Supabase's postgres, or the table's owner while RLS is not forced), every role that can select from ${v.key} sees all rows (T18); ` +
          'otherwise it gets the rows the policies give the owner. ' +
          `Add WITH (security_invoker = true) (PostgreSQL 15+) so the querying role's policies apply (T18b).`,
        related,
        fixes: [{ title: `Make ${v.key} security_invoker (PostgreSQL 15+)`, kind: 'unsafe', edits: invokerFix(model, v) }],
      });
    }
  },
});
