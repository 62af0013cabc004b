import { callsIn } from '../analysis/ast.js';
import type { ContextWrite, Func, Model } from '../analysis/model.js';
import { walk } from '../analysis/parse.js';
import type { Loc, Node, ParsedFile } from '../analysis/types.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { definingFunction, fileOf, forEachInvokerCallee, isOffValue, ownerBypassesRls, quoteIdent, functionLists } from './lib/util.js';
import { readsAsOwner } from './definer-helper-under-force-rls.js';

/** Value of a VariableSetStmt's first argument, as text. */
function setValue(n: Node): string | undefined {
  const a = n?.args?.[0]?.A_Const;
  if (!a) return undefined;
  return String(a.sval?.sval ?? a.ival?.ival ?? (a.boolval ? a.boolval.boolval : undefined) ?? ('ival' in a ? 0 : ''));
}

/** An edit removing [start, end) plus the following `;`, and the whole line when nothing else is on it. */
function removal(text: string, file: string, start: number, end: number): Edit {
  let e = end;
  while (e < text.length && /[ \t]/.test(text[e]!)) e++;
  if (text[e] === ';') e++;
  let s = start;
  while (s > 0 && /[ \t]/.test(text[s - 1]!)) s--;
  const lineStart = s === 0 || text[s - 1] === '\n';
  let e2 = e;
  while (e2 < text.length && /[ \t]/.test(text[e2]!)) e2++;
  const lineEnd = e2 >= text.length || text[e2] === '\n' || text[e2] === '\r';
  if (lineStart && lineEnd) return { file, start: s, end: Math.min(text.length, e2 + (text[e2] === '\r' ? 2 : 1)), newText: '' };
  return { file, start: lineStart ? start : s, end: e, newText: '' };
}

/** Tables the function body INSERTs into. */
function insertTargets(model: Model, f: Func): string[] {
  const out = new Set<string>();
  for (const s of f.body?.statements ?? []) {
    walk(s.node, (k: string, v: Node) => {
      if (k === 'InsertStmt' && v.relation) out.add(model.funcRelKey(f, v.relation));
      return true;
    });
    if (s.kind === 'InsertStmt' && s.node.relation) out.add(model.funcRelKey(f, s.node.relation));
  }
  return [...out];
}

/** For a SECURITY DEFINER trigger function that inserts into RLS tables: the trigger-only INSERT policy of T10 for each. */
function triggerPolicies(model: Model, f: Func | undefined): { statements: string[]; tables: string[] } {
  if (!f || !f.returnsTrigger || !f.securityDefiner) return { statements: [], tables: [] };
  const role = f.owner?.role ? quoteIdent(f.owner.role) : 'CURRENT_USER';
  const statements: string[] = [];
  const tables: string[] = [];
  for (const k of insertTargets(model, f)) {
    const t = model.tables.get(k);
    if (!t || !t.rlsEnabled) continue;
    const name = `${t.name}_insert_from_trigger`;
    if (t.policies.some((p) => p.name === name)) continue;
    const rel = t.schema === (model.config.defaultSchema || 'public') ? quoteIdent(t.name) : `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    statements.push(`CREATE POLICY ${quoteIdent(name)} ON ${rel} FOR INSERT TO ${role} WITH CHECK (pg_trigger_depth() > 0);`);
    tables.push(t.key);
  }
  return { statements, tables };
}

/**
 * Whether no policy can apply to what a SECURITY DEFINER function does as its owner, so that
 * row_security = off in it changes nothing and nothing fails: every relation it reads or writes
 * (itself or through the invoker functions it calls) is a table of the workspace that has no
 * row-level security, or whose owner is the function's (both named the same, or neither named:
 * the same migrations made both) and that is not FORCE'd (T13). Not when it runs dynamic SQL,
 * reads a view or a relation the workspace does not create (ng-alain-gighub's is_org_member,
 * owned as its tables by postgres).
 */
function ownerUnrestricted(model: Model, f: Func): boolean {
  const funcs = [f];
  forEachInvokerCallee(model, f, (g) => void funcs.push(g));
  for (const g of funcs) if (!g.body || g.body.dynamicExecutes.length || g.body.errors.length) return false;
  const keys = new Set(readsAsOwner(model, f));
  for (const g of funcs) for (const k of g.writes) keys.add(k);
  const owner = f.owner?.role;
  for (const k of keys) {
    const t = model.tables.get(k);
    if (!t) return false;
    if (!t.rlsEnabled) continue;
    if (t.rlsForced || t.owner?.role !== owner) return false;
  }
  return true;
}

/** Offset just after the statement at `loc` (and its semicolon). */
function endOf(model: Model, loc: Loc): number {
  const text = fileOf(model, loc.file)?.text ?? '';
  let i = loc.end;
  while (i < text.length && /[ \t]/.test(text[i]!)) i++;
  return text[i] === ';' ? i + 1 : loc.end;
}

interface Site {
  loc: Loc;
  form: string;
  removal?: Edit;
  func?: Func;
  /** where the policy statements go (after this statement) */
  after?: Loc;
  /** in a function's body: how long the setting lasts after the function returns (none with a SET clause of it: restored) */
  outlives?: 'transaction' | 'session';
  /** a SET statement in the body of a non-volatile PL/pgSQL function (0A000 when it runs) */
  nonVolatile?: boolean;
  /** the write in a body or at top level (not a function's SET clause) */
  write?: ContextWrite;
}

/**
 * Whether a top-level statement at `at` of the file runs as Supabase's postgres, a BYPASSRLS role:
 * the file is a Supabase project's migration or seed (the CLI applies them as postgres) and no
 * `SET ROLE` / `SET SESSION AUTHORIZATION` comes before it in the file.
 */
function runsAsPostgres(model: Model, file: ParsedFile, at: number): boolean {
  if (!model.supabase || !/(^|[\\/])supabase[\\/](migrations[\\/]|seeds?[\\/]|seed[^\\/]*\.sql$)/i.test(file.file)) return false;
  return !file.statements.some((s) => s.start < at && s.kind === 'VariableSetStmt' && (s.node?.name === 'role' || s.node?.name === 'session_authorization'));
}

/** Whether a write of row_security (SET, RESET or set_config) sets it to something other than off. */
function writesNotOff(w: ContextWrite): boolean {
  if (w.via === 'set') return !isOffValue(setValue(w.node));
  const v = w.node?.args?.[1]?.A_Const?.sval?.sval;
  return typeof v === 'string' && !isOffValue(v);
}

/** `text` without its comments and string literals (kept as spaces), for a keyword search. */
function codeOnly(text: string): string {
  return text.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'/g, (m) => ' '.repeat(m.length));
}

/** Whether list `a` starts with all of list `b` (outermost first: the IF branches or exception blocks of `b` enclose `a`'s). */
function within(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return y.length <= x.length && y.every((v, i) => JSON.stringify(v) === JSON.stringify(x[i]));
}

/**
 * Whether the body of `f` sets row_security back (to anything but off) after the write `w` on
 * every way out of it that does not raise: a later write in `w`'s IF branch or one enclosing it,
 * in no exception block `w` is not in, with no RETURN between the two
 * (`PERFORM set_config('row_security', 'off', true); INSERT …; PERFORM set_config('row_security',
 * 'on', true);`: PGlite, after the call the caller's SHOW row_security is on and its filtered
 * query works). An error between them aborts the transaction, the setting with it. A body read
 * only lexically has no branches to tell: not restored.
 */
function restoredBeforeReturn(model: Model, f: Func, w: ContextWrite): boolean {
  const body = f.body;
  if (!body || body.lexical || body.language !== 'plpgsql') return false;
  const at = (x: ContextWrite) => body.statements.find((s) => s.start <= x.loc.start && x.loc.start < s.end);
  const off = at(w);
  if (!off) return false;
  const text = fileOf(model, w.loc.file)?.text ?? '';
  return model.contextWrites.some((r) => {
    if (r === w || r.name !== 'row_security' || r.loc.file !== w.loc.file || r.loc.start < w.loc.end || !writesNotOff(r) || definingFunction(model, r) !== f) return false;
    const back = at(r);
    // (arms list the IF branches outermost first; tries and handlerOf the blocks innermost first)
    const outward = <T,>(x: readonly T[] | undefined) => [...(x ?? [])].reverse();
    if (!back || !within(off.arms, back.arms) || !within(outward(off.tries), outward(back.tries)) || !within(outward(off.handlerOf), outward(back.handlerOf))) return false;
    return !/\bRETURN\b(?!\s+(QUERY|NEXT)\b)/i.test(codeOnly(text.slice(w.loc.end, r.loc.start)));
  });
}

/** How long a setting made in a function's body lasts after it returns: the function's SET clause of it restores it. */
function outlivesCall(f: Func | undefined, local: boolean): Site['outlives'] {
  if (!f || f.settings.some((x) => x.name === 'row_security')) return undefined;
  return local ? 'transaction' : 'session';
}

/** Whether the text before a top-level SET holds pg_dump's preamble lines `SET check_function_bodies = false;` and `SET xmloption = content;` (comments left out). */
function dumpPreamble(before: string): boolean {
  const code = codeOnly(before);
  return /(^|;)\s*SET\s+check_function_bodies\s*=\s*false\s*;/i.test(code) && /(^|;)\s*SET\s+xmloption\s*=\s*content\s*;/i.test(code);
}

export const rowSecurityOffDoesNotBypass = defineRule({
  meta: {
    id: 'row-security-off-does-not-bypass',
    description: 'row_security = off used as if it bypassed row-level security.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards: 'row_security = off never bypasses RLS: a query that RLS would filter fails with 42501 instead (T08, F2).',
    truths: ['T08', 'F2', 'T10'],
    shownBy: { exposure: 'row-security' },
  },
  check({ model, report }) {
    const sites: Site[] = [];

    // 1. SET row_security = off as a function option (CREATE FUNCTION … SET / ALTER FUNCTION … SET)
    for (const f of functionLists(model).rowSecurity) {
      const s = f.settings.find((x) => x.name === 'row_security');
      if (!s || !isOffValue(s.values[0])) continue;
      const text = fileOf(model, s.loc.file)?.text ?? '';
      const alter = model.statements.find((x) => x.file.file === s.loc.file && x.stmt.kind === 'AlterFunctionStmt' && x.stmt.start <= s.loc.start && s.loc.end <= x.stmt.end);
      let edit: Edit;
      if (alter && (alter.stmt.node.actions ?? []).length === 1) edit = removal(text, s.loc.file, alter.stmt.start, alter.stmt.end);
      else {
        let st = s.loc.start;
        while (st > 0 && /\s/.test(text[st - 1]!)) st--;
        edit = { file: s.loc.file, start: st, end: s.loc.end, newText: '' };
      }
      const createdAt = f.created;
      sites.push({ loc: s.loc, form: alter ? `ALTER FUNCTION ${f.signature} SET` : `a SET clause of ${f.signature}`, removal: edit, func: f, after: createdAt });
    }

    // 2. SET row_security / set_config('row_security', …) in bodies and at top level
    for (const w of model.contextWrites) {
      if (w.name !== 'row_security') continue;
      const file = fileOf(model, w.loc.file);
      const text = file?.text ?? '';
      const f = definingFunction(model, w);
      // (in a definition a later CREATE OR REPLACE replaced: the function that runs is the later one, checked itself)
      if (w.inFunction && !f) continue;
      if (w.via === 'set') {
        if (!isOffValue(setValue(w.node))) continue;
        // pg_dump writes `SET row_security = off;` on purpose (a dump must fail rather than miss rows)
        if (!w.inFunction && /PostgreSQL database dump|pg_catalog\.set_config\('search_path', '', false\)/.test(text)) continue;
        // (and pg_dump's preamble kept without its header comment: `SET check_function_bodies = false;
        // SET xmloption = content;` before it, lines only pg_dump writes — andreascansee/advanced-postgres's
        // expense-demo/init.sql, a dump's opening under `-- Setup`)
        if (!w.inFunction && dumpPreamble(text.slice(0, w.loc.start))) continue;
        // (a Supabase project's migration or seed runs as postgres, which bypasses RLS: at top level
        // it changes nothing and nothing fails, unless the file switched roles before it)
        if (!w.inFunction && file && runsAsPostgres(model, file, w.loc.start)) continue;
        sites.push({
          loc: w.loc,
          form: w.inFunction ? `SET in the body of ${f?.signature ?? w.inFunction}` : 'SET',
          removal: removal(text, w.loc.file, w.loc.start, w.loc.end),
          func: f,
          after: f?.created,
          outlives: outlivesCall(f, !!w.node?.is_local),
          write: w,
          nonVolatile: !!f && f.language === 'plpgsql' && f.volatility !== 'volatile',
        });
      } else {
        const args: Node[] = w.node?.args ?? [];
        const v = args[1]?.A_Const?.sval?.sval;
        if (typeof v !== 'string' || !isOffValue(v)) continue;
        // a fix only when the statement is just this call: `PERFORM set_config(…);` / `SELECT set_config(…);`
        let edit: Edit | undefined;
        const stmts = f ? (f.body?.statements ?? []) : model.statements.filter((x) => x.file.file === w.loc.file).map((x) => x.stmt);
        const st = stmts.find((x) => x.start <= w.loc.start && w.loc.start < x.end);
        if (st && st.kind === 'SelectStmt' && callsIn(st.node).length === 1 && (st.node.targetList ?? []).length === 1) {
          const kw = /(PERFORM|SELECT)\s*$/i.exec(text.slice(Math.max(0, st.start - 16), st.start));
          const from = kw && !/^\s*SELECT\b/i.test(text.slice(st.start, st.start + 8)) ? st.start - kw[0].length : st.start;
          edit = removal(text, w.loc.file, from, st.end);
        }
        const local = args[2]?.A_Const?.boolval?.boolval === true || /^(t|true|on|1|y|yes)$/i.test(String(args[2]?.A_Const?.sval?.sval ?? ''));
        sites.push({ loc: w.loc, form: `set_config(…)${f ? ` in ${f.signature}` : ''}`, removal: edit, func: f, after: f?.created, outlives: outlivesCall(f, local), write: w });
      }
    }

    for (const site of sites) {
      // (a SET statement in a STABLE or IMMUTABLE PL/pgSQL function: PostgreSQL refuses it, every call that reaches it fails)
      if (site.nonVolatile && site.func) {
        const f = site.func;
        report({
          ...site.loc,
          message:
            `SET row_security = off in the body of ${f.volatility.toUpperCase()} function ${f.signature} fails every call that reaches it: PostgreSQL allows no SET statement in a non-volatile function (0A000 "SET is not allowed in a non-volatile function"), whoever calls it. ` +
            `And it would not bypass row-level security anyway (T08, F2). Remove it; ${f.securityDefiner ? "a SECURITY DEFINER function whose owner bypasses RLS (BYPASSRLS, or the tables' owner without FORCE) reads the rows the policies hide from the caller without it" : 'to read rows the policies hide from the caller, make the function SECURITY DEFINER, owned by a role that bypasses RLS'}.`,
          fixes: site.removal ? [{ title: 'Remove row_security = off', kind: 'unsafe', edits: [site.removal] }] : [],
        });
        continue;
      }
      // (in a SECURITY DEFINER function whose owner bypasses RLS — named so, or the platform's
      // owner the other rules assume, Supabase's postgres — it changes nothing and nothing fails:
      // stewardtrack's helpers; the owner bypasses the policies anyway — but a setting made in the
      // body, with no SET clause of it, stays once the function returns: the caller's next query
      // that a policy would filter fails)
      const harmless = !!site.func?.securityDefiner && (ownerBypassesRls(model, site.func) || ownerUnrestricted(model, site.func));
      if (harmless && site.outlives && site.func && !(site.write && restoredBeforeReturn(model, site.func, site.write))) {
        const f = site.func;
        report({
          ...site.loc,
          message:
            `row_security = off (${site.form}) outlives the call: a setting made in a function's body stays after it returns (only a SET clause of the function, SET row_security = off, is undone on exit), ` +
            `so for the rest of the ${site.outlives === 'transaction' ? 'transaction' : 'session (on a pooled connection, for the next clients too)'} every query of the caller that a policy would filter fails with 42501 "query would be affected by row-level security policy" (T08). ` +
            `Inside ${f.signature} it changes nothing: its owner bypasses RLS anyway. Remove it.`,
          fixes: site.removal ? [{ title: 'Remove row_security = off', kind: 'unsafe', edits: [site.removal] }] : [],
        });
        continue;
      }
      if (harmless) continue;
      const { statements, tables } = triggerPolicies(model, site.func);
      const fixes: Fix[] = [];
      if (site.removal) {
        const edits: Edit[] = [site.removal];
        if (statements.length && site.after) {
          const at = endOf(model, site.after);
          edits.push({ file: site.after.file, start: at, end: at, newText: `\n${statements.join('\n')}` });
        }
        fixes.push({
          title: statements.length ? `Remove row_security = off and add a trigger-only INSERT policy on ${tables.join(', ')}` : 'Remove row_security = off',
          kind: 'unsafe',
          edits,
        });
      }
      const f = site.func;
      const advice = statements.length
        ? `Remove it and let the trigger's inserts through with a policy that only admits rows written from a trigger: ${statements.join(' ')} (T10: the trigger's insert works, a direct INSERT still fails with 42501).`
        : f?.returnsTrigger
          ? 'Remove it; for the trigger to write an RLS table, add a policy for the role the trigger runs as, e.g. FOR INSERT … WITH CHECK (pg_trigger_depth() > 0) (T10), or have it owned by a BYPASSRLS role (T11).'
          : 'Remove it; to read or write rows that the policies hide from this role, add a policy that admits them, or run the code as a role that bypasses RLS (BYPASSRLS or the table owner without FORCE).';
      report({
        ...site.loc,
        message:
          `row_security = off (${site.form}) does not bypass row-level security: when a query under it would be filtered by a policy, PostgreSQL raises 42501 ` +
          '"query would be affected by row-level security policy" instead (T08, F2); for superusers and BYPASSRLS roles it changes nothing, as they bypass RLS anyway, nor for a table\'s owner where the table is not FORCE\'d (its policies do not apply to the owner: T13). ' +
          advice,
        fixes,
      });
    }
  },
});
