// Views: whether one reads as the querying role, where its name is written, and the edit that
// makes it security_invoker (view-bypasses-rls, view-exposes-auth-users).
import { matchParen } from '../../analysis/ast.js';
import { relationMadeOnlyAfter } from '../../analysis/columns.js';
import { mayBeDynamic } from '../../analysis/dynamic-rls.js';
import type { Model, View } from '../../analysis/model.js';
import { skipTrivia } from '../../analysis/parse.js';
import type { Loc } from '../../analysis/types.js';
import type { Edit } from '../types.js';
import { fileOf, insertAfter, quoteIdent } from './util.js';

/**
 * Whether a view reads its tables as the querying role: security_invoker, or possibly made so by
 * dynamic SQL the replay cannot see (a DO block looping over the catalog's views with
 * `EXECUTE format('ALTER VIEW %I.%I SET (security_invoker = true)', …)`). Never a
 * materialized view.
 */
export function readsAsCaller(model: Model, v: View): boolean {
  return !v.materialized && (v.securityInvoker || mayBeDynamic(model, 'invoker', v));
}

/** Whether dynamic SQL the replay cannot see may drop the view (`EXECUTE format('DROP VIEW %I', name)` over a list of names). */
export function mayBeDropped(model: Model, v: View): boolean {
  return mayBeDynamic(model, 'dropView', v);
}

/**
 * Whether PostgreSQL never creates the view on a database these migrations make: its query reads
 * a table or view they create only after it (a plain CREATE, in the same folder), so its CREATE
 * fails with 42P01 relation "x" does not exist and no role can select from it.
 */
export function neverCreated(model: Model, v: View): boolean {
  return v.stmt.origin === 'file' && relationMadeOnlyAfter(model, v.reads, v.created) !== undefined;
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
export function invokerFix(model: Model, v: View): Edit[] {
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

/** The view's name as written in its CREATE statement (schema and quotes included). */
export function viewNameSpan(model: Model, v: View): Loc {
  const text = fileOf(model, v.nameLoc.file)?.text ?? '';
  return { file: v.nameLoc.file, start: v.nameLoc.start, end: Math.max(v.nameLoc.end, nameEnd(text, v.nameLoc.start, v.created.end)) };
}
