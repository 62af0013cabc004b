import { hasSubLink, locationBounds, matchParen, relationsIn, roleText } from '../analysis/ast.js';
import type { Func, Model, Policy } from '../analysis/model.js';
import { sval, walk } from '../analysis/parse.js';
import { policyExprs, textOfFile, visitTyped, type PolicyExpr } from '../analysis/policy-exprs.js';
import { appliesToRole, commandsOf, coversCommand, type Command } from '../analysis/policies.js';
import { policiesReadingInSubSelect, recursionCycles, type RecursionCycle, type RecursionStep } from '../analysis/recursion.js';
import { counted } from '../analysis/words.js';
import type { Loc, Node } from '../analysis/types.js';
import { bypassOwnerFix, readsAsOwner } from './definer-helper-under-force-rls.js';
import { defineRule, type Edit, type Fix, type Related } from './types.js';
import { failsAsWritten } from './plpgsql-ambiguous-column.js';
import { AUTH_USERS, authUsersText, columnTypes, insertAfter, mayReadAuthUsers, quoteIdent, supabaseAuthUsers, where } from './lib/util.js';

const bare = (key: string) => key.replace(/^public\./, '');

function funcName(f: Func): string {
  return `${f.schema === 'public' ? '' : `${f.schema}.`}${f.name}()`;
}

function kindText(s: RecursionStep, f: Func): string {
  if (!f.securityDefiner) return 'a SECURITY INVOKER function';
  return `a SECURITY DEFINER function owned by ${roleText(s.role ?? f.owner?.role ?? '')} (an ordinary role, no BYPASSRLS)`;
}

/** One step of the chain in words. */
function stepText(model: Model, s: RecursionStep): string {
  const head = `policy "${s.policy.name}" on ${bare(s.table)} (${where(model, s.policy.loc)})`;
  const view = s.view ? ` through view ${bare(s.view)}` : '';
  if (s.via === 'sub-select') return `${head} reads ${bare(s.reads)}${view} in a sub-select`;
  const f = s.func!;
  const reader = s.reader ?? f;
  const through = reader !== f ? `, which calls ${funcName(reader)},` : ',';
  return `${head} calls ${funcName(f)}${through} ${kindText(s, reader)} whose query reads ${bare(s.reads)}${view} as ${s.role ?? 'the caller'}`;
}

function truthIds(c: RecursionCycle): string {
  if (c.code === '42P17') {
    if (c.steps.some((s) => s.table !== c.start.table || s.reads !== c.start.table)) return 'T25';
    return c.start.command === 'select' || c.start.command === 'all' ? 'T01' : 'T31';
  }
  if (c.steps.some((s) => s.role !== undefined && (s.func?.securityDefiner || s.reader?.securityDefiner))) return 'T06';
  const lang = c.steps.find((s) => s.via === 'function')?.reader?.language;
  return lang === 'plpgsql' ? 'T05' : lang === 'sql' ? 'T02' : 'T02, T05';
}

function commandText(p: Policy, roles: string[] | null | undefined): string {
  const cmd = p.command === 'all' ? 'query' : p.command.toUpperCase();
  // (a role none of whose SELECT policies on the way holds a sub-select is not stopped: name the ones that are)
  const narrower = roles && (p.roles.includes('public') || p.roles.some((r) => !roles.includes(r)));
  if (!narrower) return `every ${cmd} that applies the policy`;
  const one = roles.length === 1;
  return `every ${cmd} that applies the policy run by ${roles.map(roleText).join(', ')}, the role${one ? '' : 's'} whose SELECT policies met on the way hold a sub-select; other roles' queries do not recurse there`;
}

function messageOf(model: Model, c: RecursionCycle): string {
  const R = c.start.table;
  const name = R.split('.').pop()!;
  const chain = c.steps.map((s) => stepText(model, s)).join(' → ');
  const ids = truthIds(c);
  if (c.code === '42P17') {
    const closer = c.closer!;
    const closing =
      closer === c.start
        ? `→ ${bare(R)} again, whose policy "${closer.name}" is being expanded`
        : `→ ${bare(R)} again, whose SELECT policy "${closer.name}" contains a sub-select (an uncorrelated (select auth.uid()) counts too)`;
    return (
      `Policy "${c.start.name}" on ${bare(R)} recurses: ${chain} ${closing}. ` +
      `PostgreSQL's rewriter meets ${bare(R)} while still expanding its policies and raises 42P17 infinite recursion detected in policy for relation "${name}" on ${commandText(c.start, c.roles)} (${ids}). ` +
      readersText(model, c) +
      'Read the table in a SECURITY DEFINER function (LANGUAGE plpgsql STABLE, SET search_path = public, pg_temp) owned by a role that bypasses RLS and call it from the policy: its query runs as the owner, outside these policies (T04; a LANGUAGE sql SECURITY DEFINER function is never inlined and works too, T03).'
    );
  }
  const definer = ids === 'T06';
  const alts = alternatives(model, c);
  const altText = alts
    .slice(0, 3)
    .map((q) => `"${q.name}" on ${bare(q.table)}`)
    .join(', ');
  const more = alts.length > 3 ? ` and ${alts.length - 3} more` : '';
  const denied = authUsersFirst(model, c);
  // (a function of the cycle whose query fails as written with 42702: that error comes first; oitayoo's is_store_staff_from_order)
  const ambiguous = c.steps.map((s) => s.reader ?? s.func).find((f): f is Func => !!f && failsAsWritten(model, f) !== '');
  return (
    `Policy "${c.start.name}" on ${bare(R)} recurses: ${chain} → ${bare(R)} again, in a new query that applies policy "${c.start.name}" again. ` +
    (denied
      ? `Before it goes round, the query of ${funcName(denied)} fails: it runs as the caller and also reads auth.users, ${authUsersText(model)}, so a query that evaluates the policy for a row fails with 42501 permission denied for table users; granted that, it would recurse until 54001 stack depth limit exceeded (${ids}). `
      : ambiguous
        ? `Each evaluation of the policy for a row runs that query, and each row the query reads would evaluate the policy again, without end — but as written the query of ${funcName(ambiguous)} fails first with 42702 (plpgsql-ambiguous-column): a query that evaluates the policy for a row gets that error now, and 54001 stack depth limit exceeded once it is fixed (${ids}). `
        : `Each evaluation of the policy for a row runs that query, and each row the query reads evaluates the policy again, without end: PostgreSQL fails with 54001 stack depth limit exceeded (${ids}). `) +
    (alts.length
      ? `Whether a query goes round depends on the rows and on the other policies: PostgreSQL stops at the first permissive policy of a table that admits a row, so ${alts.length === 1 ? 'policy' : 'policies'} ${altText}${more} may admit it before the cycle's policy is evaluated. The cycle may then stay silent in tests and fail once the data or the policies change (even a policy's name: it sets the order they are evaluated in). `
      : 'It takes a row the query reads: an empty table hides it. ') +
    (definer
      ? "FORCE ROW LEVEL SECURITY applies the table's policies to the function's owner too: have the function owned by a role with BYPASSRLS (or a superuser)."
      : 'Make the function SECURITY DEFINER (with SET search_path = public, pg_temp) owned by a role that bypasses RLS, so its query runs outside these policies (T03, T04).')
  );
}

/**
 * For a SELECT (or ALL) policy that recurses on its own table through a sub-select of its own:
 * the other tables' policies that read the table in a sub-select, for a role it applies to.
 * Expanding such a policy expands the table's SELECT policies inside its sub-select, and this
 * one then meets the table again: queries of those tables fail with the same 42P17 (measured on
 * PGlite; Valdemar-Junior/solidgo's users, read by the policies of 28 other tables).
 */
function readersText(model: Model, c: RecursionCycle): string {
  const R = c.start.table;
  if (c.closer !== c.start || (c.start.command !== 'select' && c.start.command !== 'all') || c.steps.some((s) => s.via !== 'sub-select')) return '';
  const roles = c.roles ?? c.start.roles;
  const overlaps = (q: { roles: string[] }) => roles.includes('public') || q.roles.includes('public') || q.roles.some((r) => roles.includes(r));
  const readers = policiesReadingInSubSelect(model, R).filter(overlaps);
  if (!readers.length) return '';
  const tables = [...new Set(readers.map((q) => q.table))];
  const shown = readers.slice(0, 3).map((q) => `"${q.name}" on ${bare(q.table)}`).join(', ');
  const more = readers.length > 3 ? ` and ${counted(readers.length - 3, 'more policy', 'more policies')}` : '';
  return (
    `The same 42P17 fails every query, by these roles, that applies a policy of another table reading ${bare(R)} in a sub-select — ${shown}${more} (${counted(tables.length, 'table')}) —, ` +
    `since the SELECT policies of ${bare(R)} are expanded inside that sub-select. `
  );
}

/**
 * The SECURITY INVOKER function of a 54001 cycle that also reads Supabase's auth.users, when no
 * role of the cycle's first policy may read it: PostgreSQL checks a query's privileges as it
 * starts, so that function's first query fails with 42501 before it can recurse (madmono's
 * is_member, measured on PGlite). Undefined otherwise.
 */
function authUsersFirst(model: Model, c: RecursionCycle): Func | undefined {
  if (!supabaseAuthUsers(model)) return undefined;
  // (the roles the policy applies to: a role that bypasses RLS never applies it)
  const roles = (c.start.roles.includes('public') ? ['anon', 'authenticated'] : c.start.roles).filter((r) => model.roleBypassesRls(r) !== true);
  if (roles.length === 0 || roles.some((r) => mayReadAuthUsers(model, r))) return undefined;
  for (const s of c.steps) {
    const f = s.reader ?? s.func;
    if (s.via === 'function' && f && !f.securityDefiner && f.reads.has(AUTH_USERS)) return f;
  }
  return undefined;
}

/**
 * The other permissive policies of the cycle's tables, for its roles and commands: PostgreSQL
 * ORs a table's permissive policies and stops at the first that admits a row, so one of these
 * may admit it before the cycle's policy is evaluated (measured on PGlite: the order follows
 * the policies' names, and renaming one can set the recursion off; test/rules/policy-recursion.test.ts).
 */
function alternatives(model: Model, c: RecursionCycle): Policy[] {
  const inCycle = new Set(c.steps.map((s) => s.policy));
  const out: Policy[] = [];
  c.steps.forEach((s, i) => {
    const p = s.policy;
    const cmds: Command[] = i === 0 ? commandsOf(p) : ['select'];
    for (const q of model.tables.get(s.table)?.policies ?? []) {
      if (inCycle.has(q) || !q.permissive || out.includes(q)) continue;
      if (!cmds.some((cmd) => coversCommand(q, cmd))) continue;
      if (p.roles.some((r) => appliesToRole(model, q, r))) out.push(q);
    }
  });
  return out;
}

function relatedOf(model: Model, c: RecursionCycle): Related[] {
  const out: Related[] = [];
  c.steps.forEach((s, i) => {
    if (i > 0) out.push({ ...s.loc, message: stepText(model, s) });
    const f = s.reader ?? s.func;
    if (f) out.push({ ...f.nameLoc, message: `${funcName(f)} reads ${bare(s.reads)} (${f.securityDefiner ? `SECURITY DEFINER, owned by ${roleText(s.role ?? f.owner?.role ?? '')}` : 'SECURITY INVOKER'})` });
  });
  if (c.closer && c.closer !== c.start) out.push({ ...c.closer.nameLoc, message: `SELECT policy "${c.closer.name}" on ${bare(c.closer.table)} contains a sub-select: re-entering ${bare(c.start.table)} is 42P17` });
  return out;
}

// ---------------------------------------------------------------------------------------
// Fix: move the sub-select into a SECURITY DEFINER helper

/** Whether a definer helper reading these tables would read them outside their policies (owner assumed to own them). */
function definerEscapesRls(model: Model, tables: Iterable<string>): boolean {
  if (model.assumeUnknownOwnerBypassesRls) return true;
  for (const k of tables) if (model.tables.get(k)?.rlsForced) return false;
  return true;
}

const IDENT_CHAIN = /^(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*))*/;

function uniqueName(model: Model, schema: string, base: string): string {
  let name = base;
  for (let i = 2; model.functions.has(`${schema}.${name}`); i++) name = `${base}_${i}`;
  return name;
}

/**
 * EXECUTE on the new helper for the policy's roles only: revoked from PUBLIC, and on Supabase from
 * anon too unless the policy is anon's (its default privileges grant EXECUTE on new functions in
 * public to anon directly: definer-execute-granted-to-public), then granted to the roles.
 */
function grantLines(model: Model, schema: string, sig: string, roles: string[]): string[] {
  const named = roles.filter((r) => r !== 'public');
  if (roles.includes('public')) return [];
  const from = model.supabase && schema === 'public' && !named.includes('anon') ? 'PUBLIC, anon' : 'PUBLIC';
  return [`REVOKE EXECUTE ON FUNCTION ${sig} FROM ${from};`, ...(named.length ? [`GRANT EXECUTE ON FUNCTION ${sig} TO ${named.map(quoteIdent).join(', ')};`] : [])];
}

/** The outermost sub-select of the expression holding the read at `at`, as a boolean predicate that can move into a function. */
function extractFix(model: Model, c: RecursionCycle, e: PolicyExpr, at: number): Fix | undefined {
  const text = textOfFile(model, e.file);
  let sub: Node | undefined;
  visitTyped(e.node, (type, n, anc) => {
    if (sub) return false;
    if (type === 'RangeVar' && n.location === at) {
      sub = anc.find((a) => a.type === 'SubLink')?.node;
      return false;
    }
    return true;
  });
  if (!sub || sub.location === undefined) return undefined;
  const type = sub.subLinkType;
  if (type !== 'EXISTS_SUBLINK' && type !== 'ANY_SUBLINK') return undefined;
  const open = text.indexOf('(', sub.location);
  const kw = text.slice(sub.location, open);
  if (type === 'EXISTS_SUBLINK' ? !/^EXISTS\s*$/i.test(kw) : !/^(IN|=\s*ANY|=\s*SOME)\s*$/i.test(kw)) return undefined;
  const close = matchParen(text, open);
  if (close < 0) return undefined;
  let start = sub.location;
  if (type === 'ANY_SUBLINK') {
    if (!sub.testexpr || hasSubLink(sub.testexpr)) return undefined;
    start = locationBounds(sub.testexpr).min;
    if (!Number.isFinite(start) || start >= sub.location) return undefined;
  }
  const end = close + 1;
  const t = model.tables.get(c.start.table);
  if (!t) return undefined;
  const outerTypes = columnTypes(t);
  if (!outerTypes) return undefined;
  // inner relations, their names and columns
  const innerNames = new Set<string>();
  const innerColumns = new Set<string>();
  const innerTables = new Set<string>();
  let unknownInner = false;
  walk(sub.subselect, (k, v) => {
    if (k === 'RangeVar') {
      innerNames.add(v.alias?.aliasname ?? v.relname);
      if (!v.alias) innerNames.add(v.relname);
      const it = model.tables.get(model.relKey(v));
      if (it) {
        innerTables.add(it.key);
        it.columns.forEach((col) => innerColumns.add(col));
      } else unknownInner = true;
      return false;
    }
    if (k === 'RangeSubselect' || k === 'RangeFunction' || k === 'CommonTableExpr') unknownInner = true;
    return true;
  });
  for (const r of relationsIn(sub.subselect)) innerTables.add(model.relKey(r));
  if (!definerEscapesRls(model, innerTables)) return undefined;
  // outer column references: replaced by parameters
  const params = new Map<string, string>(); // column → parameter
  const replace: Array<{ start: number; end: number; text: string }> = [];
  let bail = false;
  const outerRef = (n: Node, inTest: boolean) => {
    const fields: string[] = (n.fields ?? []).map((f: Node) => sval(f) ?? '*');
    if (fields.includes('*')) return;
    const col = fields[fields.length - 1]!;
    let outer = inTest;
    if (!inTest) {
      if (fields.length === 1) {
        if (innerColumns.has(col)) outer = false;
        else if (outerTypes.has(col) && !unknownInner) outer = true;
        else if (outerTypes.has(col)) bail = true;
      } else {
        const q = fields[fields.length - 2]!;
        outer = !innerNames.has(q) && q === t.name;
      }
    }
    if (!outer) return;
    if (!outerTypes.has(col) || innerColumns.has(`_${col}`)) {
      bail = true;
      return;
    }
    const m = IDENT_CHAIN.exec(text.slice(n.location, end));
    if (!m) {
      bail = true;
      return;
    }
    params.set(col, `_${col}`);
    replace.push({ start: n.location, end: n.location + m[0].length, text: `_${col}` });
  };
  if (sub.testexpr) walk(sub.testexpr, (k, v) => (k === 'ColumnRef' ? (outerRef(v, true), false) : true));
  walk(sub.subselect, (k, v) => (k === 'ColumnRef' ? (outerRef(v, false), false) : true));
  if (bail) return undefined;
  replace.sort((a, b) => b.start - a.start);
  let predicate = text.slice(start, end);
  for (const r of replace) predicate = predicate.slice(0, r.start - start) + r.text + predicate.slice(r.end - start);
  const cols = [...params.keys()];
  const name = uniqueName(model, t.schema, `${c.start.name}_check`);
  const qname = `${t.schema === 'public' ? '' : `${quoteIdent(t.schema)}.`}${quoteIdent(name)}`;
  const types = cols.map((col) => outerTypes.get(col)!);
  const sig = `${qname}(${types.join(', ')})`;
  const q = predicate.includes('$$') ? '$fn$' : '$$';
  const schemaPath = model.config.defaultSchema || 'public';
  const fn = [
    `CREATE FUNCTION ${qname}(${cols.map((col, i) => `_${col} ${types[i]}`).join(', ')}) RETURNS boolean`,
    `LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ${schemaPath}, pg_temp AS ${q}`,
    'BEGIN',
    `  RETURN ${predicate};`,
    `END ${q};`,
    ...grantLines(model, t.schema, sig, c.start.roles),
    '',
  ].join('\n');
  const call = cols.length ? `${qname}(${cols.map(quoteIdent).join(', ')})` : `(select ${qname}())`;
  const edits: Edit[] = [
    { file: e.file, start: e.stmt.start, end: e.stmt.start, newText: fn },
    { file: e.file, start, end, newText: call },
  ];
  return {
    title: `Move the sub-select into SECURITY DEFINER function ${name}(${types.join(', ')}) and call it from policy "${c.start.name}"`,
    kind: 'unsafe',
    edits,
  };
}

/** For an invoker helper: make it SECURITY DEFINER with a safe search_path. */
function definerFix(model: Model, c: RecursionCycle, f: Func): Fix | undefined {
  if (f.securityDefiner || (f.language !== 'sql' && f.language !== 'plpgsql')) return undefined;
  if (!definerEscapesRls(model, readsAsOwner(model, f))) return undefined;
  const sig = `${quoteIdent(f.schema)}.${quoteIdent(f.name)}(${f.argTypes.join(', ')})`;
  const roles = new Set<string>();
  for (const p of model.policies) if (policyExprs(p).some((e) => JSON.stringify(e.node).includes(`"${f.name}"`))) p.roles.forEach((r) => roles.add(r));
  const schemaPath = model.config.defaultSchema || 'public';
  const at = [f.created, ...f.alters].reduce((a: Loc, b: Loc) => (b.file === a.file && b.start > a.start ? b : a));
  return {
    title: `Make ${funcName(f)} SECURITY DEFINER with SET search_path = ${schemaPath}, pg_temp, so its query runs as its owner, outside the policies of ${bare(c.start.table)}`,
    kind: 'unsafe',
    edits: [insertAfter(model, at, [`ALTER FUNCTION ${sig} SECURITY DEFINER SET search_path = ${schemaPath}, pg_temp;`, ...grantLines(model, f.schema, sig, [...roles])])],
  };
}

function fixesOf(model: Model, c: RecursionCycle): Fix[] {
  const s = c.steps[0]!;
  if (s.via === 'sub-select') {
    const e = policyExprs(c.start).find((x) => x.file === s.loc.file && relationsIn(x.node).some((r) => r.location === s.loc.start));
    const fix = e && extractFix(model, c, e, s.loc.start);
    return fix ? [fix] : [];
  }
  const f = s.func!;
  if (!f.securityDefiner) {
    const fix = definerFix(model, c, f);
    return fix ? [fix] : [];
  }
  const fix = bypassOwnerFix(model, f);
  return fix ? [fix] : [];
}

export const policyRecursion = defineRule({
  meta: {
    id: 'policy-recursion',
    description: 'A policy reads its own table, directly, through a SECURITY INVOKER function or through a cycle of policies on other tables, so queries fail with 42P17 or 54001.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'A relation met again while its policies with a sub-select are being expanded raises 42P17 (T01, T25, T31); a function the policy calls that queries the table as a role subject to its policies recurses at execution time until 54001 (T02, T05, T06).',
    truths: ['T01', 'T02', 'T03', 'T05', 'T06', 'T25', 'T31', 'T32', 'T33', 'F1'],
    shownBy: { probe: ['42P17', '54001'] },
    sources: ['Supabase docs: "infinite recursion detected in policy"'],
  },
  check({ model, report }) {
    for (const c of recursionCycles(model)) {
      const first = c.steps[0]!;
      report({
        file: first.loc.file,
        start: first.loc.start,
        end: first.loc.end,
        message: messageOf(model, c),
        related: relatedOf(model, c),
        fixes: fixesOf(model, c),
      });
    }
  },
});
