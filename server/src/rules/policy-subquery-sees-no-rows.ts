import { resolvedThroughPath, type Model, type Policy, type Table } from '../analysis/model.js';
import { locationBounds, matchParen, memoised } from '../analysis/ast.js';
import { roleList, rolesSubjectToRls } from '../analysis/policies.js';
import { activeRowsWith, FLAG_READS_RELATION, textOfFile, type PolicyExpr } from '../analysis/policy-exprs.js';
import type { Node, Span } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { onSupabasePlatform, tableName } from './lib/util.js';
import { hiddenFrom, linkKeys, requiredLinks, type Hidden } from './lib/hidden.js';
import { cannotReadKept } from './lib/unreadable.js';

const API_ROLES = ['anon', 'authenticated'];
const NO_ROLES: string[] = [];

type Link = ReturnType<typeof requiredLinks>[number];

/**
 * The sub-selects each branch of an OR requires (requiredLinks of the branch), for an OR that is
 * the expression or one of its AND-ed parts (nested ORs flattened); none without an OR.
 */
const branchLinks = memoised((e: Node): Link[] => {
  const out: Link[] = [];
  const visit = (n: Node, top: boolean) => {
    const b = n?.BoolExpr;
    if (b?.boolop === 'AND_EXPR' && top) {
      for (const a of (b.args ?? []) as Node[]) visit(a, true);
    } else if (b?.boolop === 'OR_EXPR') {
      for (const a of (b.args ?? []) as Node[]) {
        if (a?.BoolExpr?.boolop === 'OR_EXPR') visit(a, false);
        else for (const l of requiredLinks(a)) out.push(l);
      }
    }
  };
  visit(e, true);
  return out;
});

/**
 * The first table of the link's FROM with row-level security that no row of is visible to any of
 * the roles (hiddenFrom), and which each of them may read (else the sub-select fails with 42501:
 * policy-reads-without-grant); undefined when there is none.
 */
function blindTable(model: Model, l: Link, t: Table, roles: readonly string[], probe: string, fresh: boolean): Table | undefined {
  const keys = linkKeys(model, l, probe, fresh);
  for (let i = 0; i < keys.length; i++) {
    const v = model.tables.get(keys[i]!);
    if (!v || v === t || !v.rlsEnabled) continue;
    // (a role that may not read the table at all gets 42501 from the sub-select, not an
    // empty result: policy-reads-without-grant says so; sheenapps' EXISTS (… auth.users …)
    // for PUBLIC, on Supabase, where the API roles are granted nothing on auth.users)
    let readable = true;
    for (let j = 0; j < roles.length && readable; j++) if (cannotReadKept(model, v.key, roles[j]!)) readable = false;
    if (!readable) continue;
    let all = true;
    for (let j = 0; j < roles.length && all; j++) if (!hiddenFrom(model, v, roles[j]!)) all = false;
    if (all) return v;
  }
  return undefined;
}

/**
 * The span of the link in the text of the statement that wrote the expression: `EXISTS (…)`, or
 * `x IN (…)` from its left operand; undefined where the text does not agree (dynamic SQL).
 */
function linkSpan(model: Model, e: PolicyExpr, link: Node): Span | undefined {
  const text = textOfFile(model, e.file);
  const { start: lo, end: hi } = e.stmt;
  const at = link.location;
  if (typeof at !== 'number' || at < lo || at >= hi) return undefined;
  const open = text.indexOf('(', at);
  if (open < 0 || open >= hi) return undefined;
  const kw = text.slice(at, open);
  if (link.subLinkType === 'EXISTS_SUBLINK' ? !/^EXISTS\s*$/i.test(kw) : !/^(IN|=\s*ANY|=\s*SOME)\s*$/i.test(kw)) return undefined;
  const close = matchParen(text, open, hi);
  if (close < 0) return undefined;
  let start = at;
  if (link.subLinkType === 'ANY_SUBLINK') {
    const min = link.testexpr ? locationBounds(link.testexpr).min : Infinity;
    if (!Number.isFinite(min) || min >= at || min < lo) return undefined;
    start = min;
  }
  return { start, end: close + 1 };
}

export const policySubquerySeesNoRows = defineRule({
  meta: {
    id: 'policy-subquery-sees-no-rows',
    description: "A policy admits a row only when its sub-select finds one in another table with row-level security, and no policy of that table lets the policy's roles see any row: the policy (or that branch of its OR) admits nothing.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "Row-level security applies inside a policy's sub-selects as in any query of the role: a required EXISTS (or IN) on a table whose policies show that role no row is never true, so the policy admits no row (reads return nothing, writes fail with 42501); in one branch of an OR, that branch never admits a row.",
    truths: ['T12'],
    shownBy: { emptyRead: true, asPolicyRole: true },
  },
  check({ model, report }) {
    const supabase = onSupabasePlatform(model);
    const probe = model.key([undefined, '']);
    for (const row of activeRowsWith(model, FLAG_READS_RELATION)) {
      const p = row.policy;
      const t = row.table;
      if (!p.permissive || !t) continue;
      let roles: readonly string[] | undefined;
      let done = false;
      // (the links the whole expression requires first, then those of one branch of an OR: one finding a policy)
      for (let pass = 0; pass < 2 && !done; pass++) {
        for (let ei = 0; ei < row.exprs.length && !done; ei++) {
          const e = row.exprs[ei]!;
          const links = pass === 0 ? requiredLinks(e.node) : branchLinks(e.node);
          if (links.length === 0) continue;
          // the roles it is for: those it names (subject to RLS); for PUBLIC, Supabase's API roles
          roles ??= p.roles.includes('public') ? (supabase ? API_ROLES : NO_ROLES) : rolesSubjectToRls(model, p);
          if (roles.length === 0) break;
          // (the links' keys and the tables looked up in place: a list per link and policy was most of the rule's garbage)
          const fresh = resolvedThroughPath(p.stmt);
          for (let li = 0; li < links.length; li++) {
            const l = links[li]!;
            const u = blindTable(model, l, t, roles, probe, fresh);
            if (!u) continue;
            report(pass === 0 ? whole(model, p, e, l.link, u, roles) : branch(model, p, e, l.link, u, roles));
            done = true;
            break;
          }
        }
        if (roles?.length === 0) break;
      }
    }
  },
});

/** The roles, the sub-select's form and why the table is hidden from them, for a message. */
function parts(model: Model, p: Policy, link: Node, u: Table, roles: readonly string[]) {
  const hidden: Array<Hidden | undefined> = roles.map((r) => hiddenFrom(model, u, r));
  const who = p.roles.includes('public') ? 'anon and authenticated (it is for PUBLIC)' : roleList(roles);
  const uName = tableName(model, u, p.created);
  const form = link.subLinkType === 'EXISTS_SUBLINK' ? `EXISTS (SELECT … FROM ${uName} …)` : `… IN (SELECT … FROM ${uName} …)`;
  const why = [...new Set(hidden.map((h) => h!.why))].join('; ');
  const them = roles.length === 1 ? 'that role' : 'those roles';
  return { who, uName, form, why, them, related: [{ ...u.nameLoc, message: `${uName}: row-level security enabled, no row visible to ${roleList(roles)}` }] };
}

/** A sub-select the whole expression requires finds nothing: the policy admits no row. */
function whole(model: Model, p: Policy, e: PolicyExpr, link: Node, u: Table, roles: readonly string[]): Report {
  const { who, uName, form, why, them, related } = parts(model, p, link, u, roles);
  const effect =
    e.clause === 'using'
      ? `${p.command === 'select' || p.command === 'all' ? 'their queries of' : `their ${p.command.toUpperCase()}s on`} ${p.table} get no row through it, with no error`
      : `every ${p.command === 'update' ? 'UPDATE' : 'INSERT'} it alone would admit fails with 42501 new row violates row-level security policy`;
  return {
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${p.table} is for ${who} and admits a row only when its sub-select ${form} finds one, but no row of ${uName} is visible to ${them}: ` +
      `${why}. Row-level security applies inside a policy's sub-selects as in any query of the role, so the sub-select finds nothing and the policy admits no row: ${effect}. ` +
      `Add a SELECT policy on ${uName} for ${roles.length === 1 ? 'the role' : 'these roles'} admitting the rows this policy needs (e.g. the published ones), or look the row up through a SECURITY DEFINER function (with SET search_path) that reads ${uName} as its owner.`,
    related,
  };
}

/**
 * A sub-select one branch of an OR requires finds nothing: that branch is never true, and the
 * policy admits only what its other branches admit (collaborative-editor's document policy,
 * `creator_id = current_user_id() OR is_public OR id IN (SELECT document_id FROM user_document …)`,
 * with no SELECT policy on user_document for postgraphile_user: an invited user never saw the
 * document). Reported on the sub-select.
 */
function branch(model: Model, p: Policy, e: PolicyExpr, link: Node, u: Table, roles: readonly string[]): Report {
  const { who, uName, form, why, them, related } = parts(model, p, link, u, roles);
  const span = linkSpan(model, e, link);
  const effect =
    e.clause === 'using'
      ? `${p.command === 'select' || p.command === 'all' ? 'their queries of' : `their ${p.command.toUpperCase()}s on`} ${p.table} get no row through this branch, only the rows its other branches admit, with no error`
      : `a new row only this branch would admit is refused with 42501 new row violates row-level security policy`;
  return {
    ...(span ? { file: e.file, ...span } : p.nameLoc),
    message:
      `Policy "${p.name}" on ${p.table} is for ${who}, and this branch of its OR is true only when its sub-select ${form} finds a row, but no row of ${uName} is visible to ${them}: ` +
      `${why}. Row-level security applies inside a policy's sub-selects as in any query of the role, so the sub-select finds nothing and this branch is never true: ${effect}. ` +
      `Add a SELECT policy on ${uName} for ${roles.length === 1 ? 'the role' : 'these roles'} admitting the rows this branch needs, or look the row up through a SECURITY DEFINER function (with SET search_path) that reads ${uName} as its owner.`,
    related,
  };
}
