import { nodeFactsFor, stringConst } from '../analysis/ast.js';
import { resolvedThroughPath, type Policy } from '../analysis/model.js';
import type { WrappedCall } from '../analysis/unseen.js';
import { usingFoldedAway } from '../analysis/policies.js';
import {
  activeRowsWith,
  callKeyList,
  callListSig,
  FLAG_CALL_OUTSIDE_SELECT,
  keptOnCalls,
  nodeCallSigOf,
  perRowCalls,
  selectSubLinkWouldRecurse,
  textOfFile,
  visitTyped,
  type CallKey,
  type PolicyExpr,
  type RowIndependentCall,
} from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { callsUserId, neonUserIdIsText } from '../analysis/operators.js';
import { nameParts, sqlOneLine } from '../analysis/parse.js';
import { defineRule, type Edit, type Fix, type KeptFinding, type Report } from './types.js';
import { fileId } from './lib/util.js';

/**
 * The report kept for a USING across lints, with what it is made of: the calls found (under
 * the node's call signature) and the policy's name and table, the file and its text (fileId),
 * and the policy closing a 42P17 cycle. The engine keeps its finding on it (KeptFinding), so a
 * record is made for each new report. (Kept here rather than through reportKeeper: no list of
 * dependencies nor closure to make per row, 2,235 on the bench.)
 */
interface Kept extends KeptFinding {
  /**
   * The node's calls (callKeyList, a list shared by the nodes with the same calls) and the
   * signature of what they resolve to (callListSig, its nodeCallSig) the calls were found under;
   * a node without calls keeps no record. The signature is asked of the list, once per list and
   * lint, not of the node: no look-up of the node's facts per row.
   */
  list: CallKey[];
  sig: string;
  /** the node the record was made for */
  node: Node;
  file: string;
  fileId: number;
  name: string;
  table: string;
  closerName: string | undefined;
  closerTable: string | undefined;
  /** the calls a later rewrite wrapped (Policy.wrapped), for this node */
  wrapped: WrappedCall[] | undefined;
  report: Report;
}

/**
 * By the USING's PolicyExpr, kept on its statement while the policy's expressions are the same
 * (so a new one for a new node): the rows have just read it, where the node would be one more
 * object to read per row. With the signature asked per list, the rule's bench re-lint went
 * from 4.6–6.3 to 3.0–3.5 ms (CPU, 3 rounds each).
 */
const keptOn = new WeakMap<PolicyExpr, Kept>();

/** Whether the rewrite's wrap `w` takes in the call `c`: the same name (and schema, where both name one), and first argument if it names one. */
function wraps(w: WrappedCall, c: RowIndependentCall): boolean {
  const a = w.name;
  const b = c.name;
  if (a[a.length - 1] !== b[b.length - 1] || (a.length > 1 && b.length > 1 && a[a.length - 2] !== b[b.length - 2])) return false;
  return w.arg === undefined || stringConst(c.node.args?.[0]) === w.arg;
}

/** The call's name as written, e.g. `auth.uid`. */
function nameOf(c: RowIndependentCall, text: string): { text: string; end: number } {
  const open = text.indexOf('(', c.span.start);
  const name = text.slice(c.span.start, open).trimEnd();
  return { text: name, end: c.span.start + name.length };
}

export const policyPerRowFunction = defineRule({
  meta: {
    id: 'policy-per-row-function',
    description: 'A policy USING calls a row-independent function (auth.uid(), current_setting(), a STABLE helper) outside a sub-select, or in one without FROM that names the row\'s column, so it runs for every row.',
    severity: 'warning',
    category: 'performance',
    fixKind: 'safe',
    guards:
      'A STABLE call that does not depend on the row is still evaluated for each row a scan filters; wrapped in a scalar sub-select it becomes an InitPlan evaluated once per statement (measured with a PL/pgSQL helper: 152 ms → 11 ms on 200,000 rows).',
    sources: ['splinter 0003 auth_rls_initplan'],
    shownBy: { exposure: 'plan' },
  },
  check({ model, report }) {
    const recursion = new Map<string, Policy | undefined>();
    const rows = activeRowsWith(model, FLAG_CALL_OUTSIDE_SELECT);
    // Neon Authorize's auth.user_id() (pg_session_jwt: STABLE, made outside the migrations) is
    // row-independent where the workspace shows it is Neon's: drizzle-orm/neon's crudPolicy writes
    // `(select auth.user_id() = "posts"."user_id")` (dhanushreddy291/workos-drizzle-sveltekit-neon-authorize,
    // daveyplate/pglofi), a correlated sub-select run for each row, and no migration creates the
    // function, so it was not known to be one. That verdict reads the whole workspace, not the
    // calls' signature: such policies are found again at each lint, never kept.
    let neon: boolean | undefined;
    // rows come file by file: the file's id is looked up once per run
    let file: string | undefined;
    let id = 0;
    // and its text once, when a row asks for it
    let text: string | undefined;
    // the last call list asked of and its signature
    let list: CallKey[] | undefined;
    let sig = '';
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const p = row.policy;
      const e = row.using;
      if (!(row.usingFlags & FLAG_CALL_OUTSIDE_SELECT)) continue; // no call outside a SELECT: perRowCalls finds none
      if (!e) continue;
      if (usingFoldedAway(model, p)) continue; // never evaluated: nothing runs per row
      // A sub-select in a SELECT policy can create 42P17 when the table is read in a
      // sub-select while its own policies are being expanded (T31).
      let closer: Policy | undefined;
      if (p.command === 'select' || p.command === 'all') {
        if (!recursion.has(p.table)) recursion.set(p.table, selectSubLinkWouldRecurse(model, p.table));
        closer = recursion.get(p.table);
      }
      if (e.file !== file) {
        file = e.file;
        id = fileId(model, file);
        text = undefined;
      }
      const wrapped = p.wrapped && p.wrapped.using === e.node ? p.wrapped.calls : undefined;
      // (names resolved through a SET search_path: what they resolve to may change with an edit
      // elsewhere, which the kept records' signatures do not follow — found again, not kept)
      // (the workspace's answer first: once per lint, and false outside Neon, where no node is walked for the call)
      const userId = (neon ??= neonUserIdIsText(model)) && callsUserId(e.node);
      const viaPath = resolvedThroughPath(p.stmt) || resolvedThroughPath(e.node) || userId;
      const k = viaPath ? undefined : keptOn.get(e);
      if (k && k.list !== list) {
        list = k.list;
        sig = callListSig(model, list);
      }
      if (
        k &&
        k.sig === sig &&
        k.node === e.node &&
        k.file === e.file &&
        k.fileId === id &&
        k.name === p.name &&
        k.table === p.table &&
        k.closerName === closer?.name &&
        k.closerTable === closer?.table &&
        k.wrapped === wrapped
      ) {
        report(k.report);
        continue;
      }
      // (the node's facts looked up once for the signature and the call list)
      const facts = nodeFactsFor(e.node, model);
      const nodeSig = nodeCallSigOf(model, facts, e.node);
      const t = (text ??= textOfFile(model, file));
      // kept on the node across lints (perRowCalls' records hold no `func`, an object of the model they were found in)
      let calls: RowIndependentCall[] = viaPath ? perRowCalls(model, t, e.node, userId) : keptOnCalls(model, e.node, 'per-row-function:calls', () => perRowCalls(model, t, e.node));
      // (a rewrite of the policy by dynamic SQL wrapped these in sub-selects: they run once now)
      if (wrapped) calls = calls.filter((c) => !wrapped.some((w) => wraps(w, c)));
      if (calls.length === 0) continue;
      const r = reportOf(t, e.file, calls, p.name, p.table, closer && { name: closer.name, table: closer.table }, enclosingCall(e.node, calls[0]!.node, t));
      // (the engine's fields there from the start, where it would add them: a property store per record)
      const kept: Kept = {
        list: callKeyList(facts, e.node),
        sig: nodeSig,
        node: e.node,
        file: e.file,
        fileId: id,
        name: p.name,
        table: p.table,
        closerName: closer?.name,
        closerTable: closer?.table,
        wrapped,
        report: r,
        finding: undefined,
        files: undefined,
      };
      r.kept = kept;
      if (!viaPath) keptOn.set(e, kept);
      report(r);
    }
  },
});

/**
 * The name (as written) of the function call `call` is an argument of, when that call is not
 * row-independent itself (perRowCalls would have taken it whole): `is_workspace_admin(auth.uid(),
 * workspace_id)` runs for each row whatever `auth.uid()` becomes.
 */
function enclosingCall(root: Node, call: Node, text: string): { name: string; rowIndependent: boolean } | undefined {
  let found: { name: string; rowIndependent: boolean } | undefined;
  visitTyped(root, (type, n, ancestors) => {
    if (found !== undefined) return false;
    if (type !== 'FuncCall' || n !== call) return;
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i]!;
      if (a.type === 'SubLink' && a.field !== 'testexpr') return false; // (inside a sub-select: another query)
      if (a.type === 'FuncCall' && a.field === 'args') {
        const at: number = a.node.location ?? -1;
        const m = at >= 0 ? /^[\w$."]+/.exec(text.slice(at, at + 200)) : null;
        // (arguments that name no column: the call itself is the same for every row)
        found = { name: m ? m[0] : nameParts(a.node.funcname).join('.'), rowIndependent: !namesColumn(a.node) };
        return false;
      }
    }
    return false;
  });
  return found;
}

/** Whether a node names a column (a ColumnRef outside any sub-select). */
function namesColumn(n: Node): boolean {
  let found = false;
  visitTyped(n, (type) => {
    if (found || type === 'SubLink') return false;
    if (type === 'ColumnRef') found = true;
    return undefined;
  });
  return found;
}

/** The fix wrapping each call in a sub-select (one loop into an exact-size list: no wrapped-text list nor map closures per report). */
function wrapFix(text: string, file: string, calls: RowIndependentCall[], firstText: string): Fix {
  if (calls.some((c) => c.sub)) return rowSubSelectFix(text, file, calls);
  const edits = new Array<Edit>(calls.length);
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    edits[i] = { file, start: c.span.start, end: c.span.end, newText: `(select ${i === 0 ? firstText : text.slice(c.span.start, c.span.end)})` };
  }
  return { title: calls.length === 1 ? `Wrap ${firstText} in a sub-select: ${edits[0]!.newText}` : `Wrap ${calls.length} row-independent calls in sub-selects`, kind: 'safe', edits };
}

/**
 * The fix for calls in row sub-selects, `(select auth.uid() = user_id)`: the sub-select's
 * `select` goes and each call in it is wrapped instead, `((select auth.uid()) = user_id)` (a
 * sub-select without FROM returns its one value: the condition is the same). One edit per
 * sub-select, from after its `(` to the end of its last call; calls outside one are wrapped as usual.
 */
function rowSubSelectFix(text: string, file: string, calls: RowIndependentCall[]): Fix {
  const edits: Edit[] = [];
  const bySub = new Map<number, RowIndependentCall[]>();
  for (const c of calls) {
    if (!c.sub) edits.push({ file, start: c.span.start, end: c.span.end, newText: `(select ${text.slice(c.span.start, c.span.end)})` });
    else bySub.set(c.sub.open, [...(bySub.get(c.sub.open) ?? []), c]);
  }
  for (const [open, cs] of bySub) {
    const target = cs[0]!.sub!.target;
    let out = '';
    let at = target;
    for (const c of cs) {
      out += `${text.slice(at, c.span.start)}(select ${text.slice(c.span.start, c.span.end)})`;
      at = c.span.end;
    }
    edits.push({ file, start: open + 1, end: at, newText: out });
  }
  edits.sort((a, b) => a.start - b.start);
  return { title: 'Take the comparison out of the sub-select and wrap only the call: an InitPlan, evaluated once', kind: 'safe', edits };
}

/**
 * `(select auth.org_id()::uuid = "t"."org_id")` as written and as the fix writes it,
 * `((select auth.org_id())::uuid = "t"."org_id")`, each cut to its start and `…)` past 80
 * characters; and the first column it names, as written.
 */
function subSelectText(text: string, sub: { open: number; target: number; column: number }, calls: RowIndependentCall[]): { text: string; fixed: string; column: string } {
  // (the closing parenthesis: depth counted, string literals and quoted names skipped)
  let depth = 0;
  let end = -1;
  for (let i = sub.open; i < text.length && end < 0; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) break;
      i = close;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) end = i + 1;
  }
  const short = (x: string) => sqlOneLine(x.length > 80 || end < 0 ? `${x.slice(0, 77).trimEnd()}…)` : x);
  const whole = end > 0 ? text.slice(sub.open, end) : text.slice(sub.open, sub.open + 81);
  const m = sub.column >= 0 ? /^(?:"[^"]+"|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|[\w$]+))*/.exec(text.slice(sub.column, sub.column + 200)) : null;
  const column = m ? m[0] : '';
  // (the fix's text of it: its target, without `select`, with the calls wrapped)
  let fixed = '(';
  let at = sub.target;
  for (const c of calls) {
    if (c.sub?.open !== sub.open) continue;
    fixed += `${text.slice(at, c.span.start)}(select ${text.slice(c.span.start, c.span.end)})`;
    at = c.span.end;
  }
  fixed += end > 0 ? text.slice(at, end) : text.slice(at, at + 81);
  return { text: short(whole), fixed: short(fixed), column };
}

/** The finding: made of the file's text, the calls found, the policy's name and table, and the name and table of the policy that closes a 42P17 cycle. */
function reportOf(text: string, file: string, calls: RowIndependentCall[], name: string, table: string, closer: { name: string; table: string } | undefined, enclosing?: { name: string; rowIndependent: boolean }): Report {
  const first = calls[0]!;
  // the first call's name and text once (each was sliced 3 and 2 times per finding)
  const firstName = nameOf(first, text);
  const firstText = text.slice(first.span.start, first.span.end);
  const fixes: Fix[] = closer ? [] : [wrapFix(text, file, calls, firstText)];
  const more = calls.length > 1 ? ` (and ${calls.length - 1} more such call${calls.length > 2 ? 's' : ''})` : '';
  const recursionNote = closer
    ? ` Not wrapped automatically: policy "${closer.name}" on ${closer.table} reads ${table} inside a sub-select while ${table}'s policies are being expanded, so a sub-select in ${table}'s SELECT policies would make PostgreSQL raise 42P17 infinite recursion (T31); keep the call, or have "${closer.name}" read ${table} through a SECURITY DEFINER function.`
    : '';
  const described = first.via === 'workspace' ? `the STABLE function ${firstName.text}()` : `${firstName.text}()`;
  // (SQL in the message in backticks: a sub-select's parentheses are not read as the prose's)
  if (first.sub) {
    const sub = subSelectText(text, first.sub, calls);
    const inSub = calls.filter((c) => c.sub?.open === first.sub!.open).length;
    return {
      file,
      start: first.span.start,
      end: firstName.end,
      message:
        `Policy "${name}" on ${table} calls ${described} in its USING inside \`${sub.text}\`${more}, a sub-select without FROM that reads the row's ${sub.column ? `column ${sub.column}` : 'columns'}: ` +
        'so it is correlated, and PostgreSQL runs it again for each row a scan filters (a SubPlan in the plan\'s Filter), the call with it, and cannot use the condition to scan an index. ' +
        `Take the comparison out of the sub-select and wrap only the call${inSub > 1 ? 's' : ''}, \`${sub.fixed}\`: ${inSub > 1 ? 'each' : 'the'} call is then evaluated once per statement as an InitPlan, and an index on the column can serve the condition.${recursionNote}`,
      fixes,
      kept: undefined,
    };
  }
  // The range and message name the function only, so that other fixes that rewrite its
  // arguments (e.g. policy-current-setting-unsafe) leave this finding as it is.
  return {
    file,
    start: first.span.start,
    end: firstName.end,
    message:
      `Policy "${name}" on ${table} calls ${described} in its USING outside any sub-select${more}: its value is the same for every row, ` +
      'but PostgreSQL evaluates it again for each row a scan filters with the policy (the plan shows it in the Filter, or the body it inlines of a simple LANGUAGE sql function). ' +
      `Wrapped in a scalar sub-select, \`(select ${firstName.text}(${(first.node.args ?? []).length ? '…' : ''}))\`, it is evaluated once per statement as an InitPlan` +
      (enclosing?.rowIndependent
        ? `; it is an argument of ${enclosing.name}(…), whose arguments name no column either: wrap that whole call instead, \`(select ${enclosing.name}(…))\`, and it too runs once per statement.${recursionNote}`
        : enclosing
          ? `; but it is an argument of ${enclosing.name}(…), which depends on the row and still runs for each row: wrapping saves only this call's cost. To run ${enclosing.name}() once per statement, give it no row value (e.g. have it return the ids it allows, and test the column with \`IN (select …)\` of them).${recursionNote}`
          : ` (measured with a PL/pgSQL helper: 152 ms → 11 ms on 200,000 rows).${recursionNote}`),
    fixes,
    kept: undefined, // set by check (declared here: no property store added per report)
  };
}
