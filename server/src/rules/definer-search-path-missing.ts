import { authServiceFiring, rlsBlockedFiring, DF_SEARCH_PATH, firingNote, functionLists, platformFunction } from './lib/util.js';
import { defineRule } from './types.js';
import { namesNothingUnqualified, transitionAside, transitionWayIn } from './definer-search-path-unsafe.js';
import { extensionCalls } from './auth-trigger-unqualified-name.js';
import type { Func } from '../analysis/model.js';

/**
 * The search_path a PL/pgSQL body sets by its first statement (`SET [LOCAL] search_path TO a, b`),
 * names as PostgreSQL keeps them, and whether LOCAL; undefined when it does not start so.
 */
function bodyFirstSearchPath(f: Func): { path: string[]; local: boolean; end: number } | undefined {
  const b = f.body;
  // (a function an EXECUTE string makes: its body's text is not in the file as written)
  if (!b || b.language !== 'plpgsql' || b.lexical || f.stmt.dynamic) return undefined;
  const s = b.statements[0];
  if (s?.kind !== 'VariableSetStmt' || s.node.kind !== 'VAR_SET_VALUE' || s.node.name !== 'search_path') return undefined;
  const path: string[] = [];
  for (const a of s.node.args ?? []) {
    const v = a?.A_Const?.sval?.sval;
    if (typeof v !== 'string') return undefined;
    path.push(v);
  }
  return { path, local: !!s.node.is_local, end: s.end };
}

export const definerSearchPathMissing = defineRule({
  meta: {
    id: 'definer-search-path-missing',
    description: 'A SECURITY DEFINER function without SET search_path.',
    severity: 'error',
    category: 'security',
    fixKind: 'safe',
    guards: "A definer function resolves names through the caller's search_path, where pg_temp comes first for relations: a temp table hijacks it (T19c).",
    truths: ['T19c', 'F3'],
    sources: ['splinter 0011 function_search_path_mutable', 'pgspot PS004'],
    shownBy: { exposure: 'search-path' },
  },
  check({ model, report }) {
    const { definers, definerFacts } = functionLists(model);
    for (let i = 0; i < definers.length; i++) {
      if (definerFacts[i]! & DF_SEARCH_PATH) continue; // (the definer is not read)
      const f = definers[i]!;
      if (!f.securityDefiner || platformFunction(model, f)) continue;
      // (a body that first sets a path ending with pg_temp resolves its names through that path:
      // nothing a caller makes in pg_temp comes before a schema of it)
      const own = bodyFirstSearchPath(f);
      if (own && own.path[own.path.length - 1] === 'pg_temp') continue;
      // (the body's path as written in its SET, an empty name as '')
      const ownPath = own?.path.map((p) => (p === '' ? "''" : p)).join(', ');
      const at = f.securityLoc ?? f.nameLoc;
      // (on Supabase, uuid-ossp's and pgcrypto's functions are in schema extensions: the caller's
      // search_path finds them today (PostgREST's lists extensions); a path without it does not (42883))
      const ext = model.supabase ? extensionCalls(model, f) : [];
      const path = `${f.schema === 'public' ? 'public' : `${f.schema}, public`}${ext.length ? ', extensions' : ''}, pg_temp`;
      const extensions = [...new Set(ext.map((x) => x.extension))];
      const extText = ext.length
        ? `Its body calls ${ext.map((x) => `${x.name}()`).join(', ')} without a schema: on Supabase ${extensions.join(' and ')} ${extensions.length > 1 ? 'are' : 'is'} in schema extensions, which the caller's search_path lists (PostgREST's does) but the function's own must list too, or the call fails with 42883 (function does not exist). `
        : '';
      // (a trigger only on Supabase's auth.users, or only where RLS admits none of the writes its
      // row triggers fire on: no role subject to RLS fires it in a session of its own)
      const authOnly = authServiceFiring(model, f) ?? rlsBlockedFiring(model, f);
      // (it names nothing without a schema but transition tables its triggers declare: shadowed only
      // from a trigger that leaves one undeclared, not by writing its tables; no SET search_path helps)
      const via = authOnly ? undefined : transitionWayIn(model, f);
      const firing = via ? via.firing : firingNote(model, f) ?? '';
      const viaText = via?.text ?? '';
      report({
        file: at.file,
        start: at.start,
        end: at.end,
        ...(authOnly ? { severity: 'warning' as const } : {}),
        message:
          (own
            ? `SECURITY DEFINER function ${f.signature} has no SET search_path: it runs with its owner's rights, and the first statement of its body, SET${own.local ? ' LOCAL' : ''} search_path TO ${ownPath}, sets the path the rest of it resolves unqualified names through ` +
              `(and, with no SET clause to restore the caller's, leaves it set after the call, for the rest of the caller's ${own.local ? 'transaction' : 'session'}), a path that does not end with pg_temp, so there `
            : `SECURITY DEFINER function ${f.signature} has no SET search_path: it runs with its owner's rights but resolves unqualified names through the caller's search_path, where `) +
          (authOnly
            ? `pg_temp is searched first for relations and types unless listed: a temporary table or type of the same name as one it names without a schema (a type such as text too; keyword types such as int and functions are not looked up in pg_temp) would change what it does in the session that fires it (T19c). ${authOnly}`
            : `pg_temp is searched first for relations and types unless listed. Any role that can create temporary objects (PUBLIC can, by default)${firing} ` +
              `can shadow any table or type it names without a schema (a type such as text too; keyword types such as int and functions are not looked up in pg_temp) and change what it does (T19c). `) +
          viaText +
          (!via && namesNothingUnqualified(model, f) === 'always'
            ? own
              ? `Its body names every table and type with its schema today${transitionAside(model, f)}, so no temporary object can shadow one yet; but the first name written without a schema opens the hole. `
              : `Its body names every table and type with its schema today${transitionAside(model, f)}, so no temporary object can shadow one yet; but the first name written without a schema opens the hole, and a caller that may create objects in some schema can still put it first in its search_path for the body's unqualified functions and operators. `
            : '') +
          (own
            ? `End that statement's path with pg_temp (SET${own.local ? ' LOCAL' : ''} search_path TO ${ownPath}, pg_temp). A SET clause on the function alone is not enough while the body's SET stays: it replaces the clause's path for the rest of the body (PGlite); moved into a clause (SET search_path = ${ownPath}, pg_temp), the path would also be the caller's again after the call.`
            : extText + `Add SET search_path = ${path}, or SET search_path = '' with schema-qualified names.`),
        fixes: own
          ? [{ title: "End the body's SET search_path with pg_temp", kind: 'safe', edits: [{ file: at.file, start: own.end, end: own.end, newText: ', pg_temp' }] }]
          : [
              { title: `Add SET search_path = ${path}`, kind: 'safe', edits: [{ file: at.file, start: at.end, end: at.end, newText: ` SET search_path = ${path}` }] },
              { title: "Add SET search_path = '' (every name in the body must be schema-qualified)", kind: 'unsafe', edits: [{ file: at.file, start: at.end, end: at.end, newText: " SET search_path = ''" }] },
            ],
      });
    }
  },
});
