import { TRIGGER_INSERT, TRIGGER_UPDATE, type Func, type Model, type Policy, type Table, type Trigger } from '../analysis/model.js';
import { callsIn, conjuncts, constValue, hasSubLink, literalText } from '../analysis/ast.js';
import { appliesToRole, onSupabasePlatform, roleList } from '../analysis/policies.js';
import { policyCallNames, recursionCycles } from '../analysis/recursion.js';
import { activeRows, anyStatementIn, constBool, functionsToken, memoModel, textOfFile, type PolicyRow } from '../analysis/policy-exprs.js';
import { rejectedPolicies } from '../analysis/rejected.js';
import { stripComments, sval, walk } from '../analysis/parse.js';
import type { Node, Statement } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { AUTH_USERS, authCallOf, bareValue, bodyText, columnRef, constantText, funcLooksAtCaller, forWriter, functionLists, inputParams, isBooleanColumn, looksAtCaller, mayHoldPrivilege, publicMayHold, uniqueColumn } from './lib/util.js';
import { callersOf, unrestrictedFor } from './definer-bypasses-rls.js';
import { subselectReads } from './lib/unreadable.js';
import { hiddenFrom } from './lib/hidden.js';
import { claimPathOf, hookClaims, jsonbTrue, jwtClaimPath, permissionClaim } from './lib/claims.js';
import { uuidAsNumber } from './lib/uuid-as-number.js';
import { isRealtimeTopic, REALTIME_MESSAGES, realtimeMessages, topicThrough } from './lib/realtime.js';

// A membership table (org_members, team_users …) decides what other tables' policies admit:
// `EXISTS (SELECT 1 FROM members m WHERE m.org_id = docs.org_id AND m.user_id = auth.uid())`. A
// policy that lets users write their own membership rows checking only the user column
// (`WITH CHECK (user_id = auth.uid())`) lets a user insert, or update their row to, any org_id,
// and so read every org's rows (measured).

/** Whether a node holds any column reference. */
function hasColumn(n: Node): boolean {
  let found = false;
  walk(n, (k) => {
    if (k === 'ColumnRef') found = true;
    return !found;
  });
  return found;
}

/** Whether `n` tells who the caller is and reads no column: auth.uid(), (select auth.uid()), current_user, current_setting('app.user_id') … */
export function isIdentity(model: Model, n: Node): boolean {
  return !hasColumn(n) && looksAtCaller(model, n);
}

/**
 * Whether a query reads the key of the caller's own row of another table: one column unique in
 * that table, of its only relation, where a condition ties a unique column of it to who calls and nothing
 * else of the query varies (`SELECT id FROM users WHERE auth_id = auth.uid()`: the app's user id
 * where it is not the Auth id; naijaprodigies' conversation_participants). A scalar sub-select gives
 * one row or fails (21000), so it is one caller's id, as auth.uid() is. A column not unique
 * (`SELECT org_id FROM profiles WHERE id = auth.uid()`) is the caller's group, not who they are.
 * `key` resolves the relation (a policy's names, or a function body's).
 */
export function callerRowQuery(model: Model, q: Node | undefined, key: (rv: Node) => string): boolean {
  const from = q?.fromClause as Node[] | undefined;
  const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
  if (!rv?.relname || q.targetList?.length !== 1 || q.groupClause || q.havingClause || q.withClause || (q.op && q.op !== 'SETOP_NONE')) return false;
  const t = model.tables.get(key(rv));
  if (!t) return false;
  const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const own = (c: { qual?: string; name: string } | undefined) => !!c && (c.qual === undefined || c.qual === alias) && t.columns.includes(c.name);
  const target = columnRef(q.targetList[0]?.ResTarget?.val);
  if (!own(target) || !uniqueColumn(t, target!.name)) return false;
  // (every column it names is the table's own: nothing of the outer row)
  let outer = false;
  walk(q.whereClause, (k, v) => {
    if (k === 'ColumnRef' && !own(columnRef({ ColumnRef: v }))) outer = true;
    if (k === 'SubLink' || k === 'ParamRef') outer = true;
    return !outer;
  });
  if (outer) return false;
  // (a column unique in the table tied to who calls: the caller's own row, not one of several, as
  // `SELECT id FROM teams WHERE owner_id = auth.uid()` is, whose id is a group the caller owns)
  const tiedKey = (a: Node, b: Node) => {
    const c = columnRef(a);
    return own(c) && uniqueColumn(t, c!.name) && isIdentity(model, b);
  };
  return conjuncts(q.whereClause).some((c) => {
    const eq = equality(c);
    return !!eq && (tiedKey(eq[0], eq[1]) || tiedKey(eq[1], eq[0]));
  });
}

/** `(SELECT id FROM users WHERE auth_id = auth.uid())` in a policy: the caller's own row's key (callerRowQuery). */
function callerRowValue(model: Model, n: Node): boolean {
  const link = n?.SubLink;
  return link?.subLinkType === 'EXPR_SUBLINK' && callerRowQuery(model, link.subselect?.SelectStmt, (rv) => model.relKey(rv));
}

/** Whether `n` tells who the caller is (isIdentity), or is the key of the caller's own row of another table (callerRowValue). */
const isCaller = (model: Model, n: Node): boolean => isIdentity(model, n) || callerRowValue(model, n);

/** Whether `n` tells who the caller is, as a value a membership row's column can equal (not `auth.uid()::text::integer`, uuidAsNumber). */
const readsAsCaller = (model: Model, n: Node): boolean => isCaller(model, n) && !uuidAsNumber(model, n);

/**
 * The one column of a row that an expression is a function of: `'sala:' || m.sala_id::text`,
 * `concat('org:', m.org_id)`, `format('sala:%s', m.sala_id)`, `split_part(t.scope, ':', 2)::bigint`.
 * Every column it names is that one, of the row `ofRow` accepts, and it reads nothing else that
 * varies: no sub-select, no parameter, nothing telling who calls. Whoever writes that column
 * decides the expression's value (the value a legitimate row holds gives the same result).
 */
function columnThrough(model: Model, n: Node, ofRow: (c: { qual?: string; name: string }) => boolean): string | undefined {
  let col: string | undefined;
  let ok = true;
  walk(n, (k, v) => {
    if (!ok) return false;
    if (k === 'ColumnRef') {
      const c = columnRef({ ColumnRef: v });
      if (!c || !ofRow(c) || (col !== undefined && col !== c.name)) ok = false;
      else col = c.name;
      return false;
    }
    if (k === 'SubLink' || k === 'ParamRef') ok = false;
    return ok;
  });
  return ok && col !== undefined && !looksAtCaller(model, n) ? col : undefined;
}

/** `a = b` as its two sides. */
function equality(n: Node): [Node, Node] | undefined {
  const e = n?.A_Expr;
  if (!e || e.kind !== 'AEXPR_OP' || e.name?.length !== 1 || sval(e.name[0]) !== '=') return undefined;
  return [e.lexpr, e.rexpr];
}

interface Use {
  /** the policy that reads the membership table, and its table */
  policy: Policy;
  table: Table;
  member: Table;
  userCol: string;
  groupCol: string;
  /** the value the group column is compared with, when it is a constant (a role: `role = 'admin'`), as written */
  groupValue?: string;
  /** the function the policy reads the membership table through (`has_role(auth.uid(), 'admin')`), if any */
  via?: Func;
  /**
   * a constant another column of the membership row is compared with next to the group column
   * (`m.org_id = t.org_id AND m.user_id = auth.uid() AND m.role = 'admin'`): the role the policy
   * asks for within the group
   */
  role?: { col: string; value: string };
  /**
   * with a constant group: another column of the membership row the read compares with something
   * else the policy decides (`check_team_admin(t.team_id, auth.uid())` of a joined table's column):
   * the trusted value counts only for that one
   */
  scope?: string;
  /** the call or sub-select of the policy's expression `expr` that reads the membership table */
  at?: Node;
  expr?: Node;
  /**
   * the policy reads the group column as a JWT claim that a custom access token hook copies from
   * the caller's row (claims.ts: ITAM's `auth.jwt() ->> 'user_role'`, users.role)
   */
  claim?: { hook: Func; path: string[]; by: string; flag?: true; asked?: string };
  /**
   * the columns of the membership row the read asks to be NULL or not (`AND accepted_at IS NOT
   * NULL`): a row written with the other is not one it counts
   */
  nulls?: NullAsk[];
  /**
   * the columns of the membership row the read asks to be later than now (`AND expires_at > NOW()`):
   * a forged row must carry a future value there too, which the message says (vyxhub's is_subscribed_to)
   */
  later?: string[];
  /** the group column reaches the comparison through an expression (`'sala:' || m.sala_id::text = (select realtime.topic())`), or is compared with the channel's topic: what with, for the message */
  against?: Against;
}

/** A column of the membership row a read asks to be NULL (`notNull` false) or not NULL. */
interface NullAsk {
  col: string;
  notNull: boolean;
}

/** The `member.col IS [NOT] NULL` conditions ANDed in a WHERE. */
function memberNullTests(where: Node | undefined, ofMember: (c: { qual?: string; name: string } | undefined) => boolean): NullAsk[] {
  const out: NullAsk[] = [];
  for (const c of conjuncts(where)) {
    const t = c?.NullTest;
    const col = t ? columnRef(t.arg) : undefined;
    if (col && ofMember(col)) out.push({ col: col.name, notNull: t.nulltesttype === 'IS_NOT_NULL' });
  }
  return out;
}

/** The time functions a `member.col > now()` compares with (now(), CURRENT_TIMESTAMP, LOCALTIMESTAMP, statement_timestamp(), transaction_timestamp()). */
function isNow(n: Node | undefined): boolean {
  const v = n?.SQLValueFunction?.op;
  if (v) return /^SVFOP_(CURRENT_TIMESTAMP|LOCALTIMESTAMP|CURRENT_DATE)/.test(v);
  const f = n?.FuncCall;
  const name = f?.funcname?.map((x: Node) => sval(x)).at(-1)?.toLowerCase();
  return !!f && !f.args?.length && (name === 'now' || name === 'statement_timestamp' || name === 'transaction_timestamp' || name === 'clock_timestamp');
}

/** The member columns a WHERE asks, ANDed, to be later than now (`expires_at > NOW()`, `now() < m.ends_at`). */
function memberLaterTests(where: Node | undefined, ofMember: (c: { qual?: string; name: string } | undefined) => boolean): string[] {
  const out: string[] = [];
  for (const c of conjuncts(where)) {
    const e = c?.A_Expr;
    const op = e?.kind === 'AEXPR_OP' && e.name?.length === 1 ? sval(e.name[0]) : undefined;
    if (!op) continue;
    const [colSide, nowSide] = op === '>' || op === '>=' ? [e.lexpr, e.rexpr] : op === '<' || op === '<=' ? [e.rexpr, e.lexpr] : [undefined, undefined];
    const col = colSide ? columnRef(colSide) : undefined;
    if (col && ofMember(col) && isNow(nowSide) && !out.includes(col.name)) out.push(col.name);
  }
  return out;
}

/** What the other side of `member.col = x` is: who calls, or a group (a column of the policy's table, or a constant). */
type Side = { kind: 'identity' } | { kind: 'group'; col?: string; value?: string; through?: true };

/** What the group column is compared with when not plainly a column of the policy's table: the column (`topic` for realtime.topic()), and whether either side is computed. */
interface Against {
  outer: string;
  computed: boolean;
}

const TRUE: Node = { A_Const: { boolval: { boolval: true } } };

/** The `member.col = x` conditions ANDed in a WHERE, either way round: each member column's name and the other side. */
function memberEqualities(where: Node | undefined, ofMember: (c: { qual?: string; name: string } | undefined) => boolean): Array<[string, Node]> {
  const out: Array<[string, Node]> = [];
  for (const c of conjuncts(where)) {
    // (a boolean column of the member's row tested as it is, `u.system_admin` or `u.system_admin
    // IS TRUE`: the same as `= true`; bionic-gpt's users.system_admin, which a user may set on
    // their own row)
    const flag = c?.ColumnRef ? columnRef(c) : c?.BooleanTest?.booltesttype === 'IS_TRUE' ? columnRef(c.BooleanTest.arg) : undefined;
    if (flag && ofMember(flag)) {
      out.push([flag.name, TRUE]);
      continue;
    }
    // (`role IN ('owner', 'admin')`, `role = ANY (ARRAY['owner', 'admin'])`: a row with any of the
    // values passes; taken as the first that names no administrator, if one does not, since holding
    // it is then enough; produtive's and daddypdf's team_members)
    const listed = oneOf(c);
    if (listed && ofMember(listed.col)) {
      out.push([listed.col!.name, listed.values.find((v) => !ADMIN_VALUE.test(String(constValue(v?.TypeCast ? v.TypeCast.arg : v) ?? ''))) ?? listed.values[0]!]);
      continue;
    }
    const eq = equality(c);
    if (!eq) continue;
    for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
      const col = columnRef(a);
      if (ofMember(col)) out.push([col!.name, b]);
    }
  }
  return out;
}

/**
 * Of two constants a membership read asks of the member's row, the one that names the role within
 * the group: the first, unless only the second names an administrator (`status = 'active' AND role
 * = 'owner'`: the role is what a writer gains; codescribblr/budget-app's account_users, read with
 * `au.status = 'active' AND au.role IN ('owner', 'editor')`).
 */
function rolier(had: { col: string; value: string } | undefined, next: { col: string; value: string }): { col: string; value: string } {
  return !had || (!ADMIN_VALUE.test(had.value) && ADMIN_VALUE.test(next.value)) ? next : had;
}

/** `col IN (c1, c2 …)` or `col = ANY (ARRAY[c1, c2 …])` with constants: the column and the constants. */
function oneOf(n: Node): { col: { qual?: string; name: string } | undefined; values: Node[] } | undefined {
  const e = n?.A_Expr;
  if (!e || e.name?.length !== 1 || sval(e.name[0]) !== '=') return undefined;
  const list: Node[] | undefined = e.kind === 'AEXPR_IN' ? e.rexpr?.List?.items : e.kind === 'AEXPR_OP_ANY' ? (e.rexpr?.TypeCast?.arg ?? e.rexpr)?.A_ArrayExpr?.elements : undefined;
  if (!list?.length || !list.every((v) => constValue(v?.TypeCast ? v.TypeCast.arg : v) !== undefined)) return undefined;
  return { col: columnRef(e.lexpr), values: list };
}

/**
 * The membership use of a sub-select `q` (`SELECT … FROM member WHERE member.user = <caller> AND
 * member.group = <a group>`), sides of its equalities classified by `classify` (member columns
 * by `ofMember`); or of `t.group IN (SELECT member.group FROM member WHERE member.user = <caller>)`
 * (`inColumn`: the IN's outer column of the policy's table).
 */
function useOfSelect(
  model: Model,
  q: Node,
  member: Table,
  ofMember: (c: { qual?: string; name: string } | undefined) => boolean,
  classify: (n: Node) => Side | undefined,
  inColumn?: { col: string; through: boolean },
): { userCol: string; groupCol: string; groupValue?: string; role?: { col: string; value: string }; scope?: string; nulls?: NullAsk[]; later?: string[]; against?: Against } | undefined {
  const found = useOfSelectEqualities(model, q, member, ofMember, classify, inColumn);
  if (!found) return found;
  const nulls = memberNullTests(q.whereClause, ofMember);
  const later = memberLaterTests(q.whereClause, ofMember);
  return { ...found, ...(nulls.length ? { nulls } : {}), ...(later.length ? { later } : {}) };
}

function useOfSelectEqualities(
  model: Model,
  q: Node,
  member: Table,
  ofMember: (c: { qual?: string; name: string } | undefined) => boolean,
  classify: (n: Node) => Side | undefined,
  inColumn?: { col: string; through: boolean },
): { userCol: string; groupCol: string; groupValue?: string; role?: { col: string; value: string }; scope?: string; against?: Against } | undefined {
  let userCol: string | undefined;
  let groupCol: string | undefined;
  let against: Against | undefined;
  let constant: { col: string; value: string } | undefined;
  let scope: string | undefined;
  for (const [col, b] of memberEqualities(q.whereClause, ofMember)) {
    const side = classify(b);
    if (side?.kind === 'identity') userCol ??= col;
    else if (side?.kind === 'group' && side.col) {
      if (groupCol === undefined) against = { outer: side.col, computed: !!side.through };
      groupCol ??= col;
    }
    else if (side?.kind === 'group' && side.value !== undefined) constant = rolier(constant, { col, value: side.value });
    else scope ??= col;
  }
  // (the group column through an expression of it alone, compared with a group: `'org:' || m.org_id =
  // t.scope`, `concat('sala:', m.sala_id) = (select realtime.topic())`; a row with the org_id of a
  // legitimate member's row gives the same value)
  if (!groupCol) {
    for (const c of conjuncts(q.whereClause)) {
      const eq = equality(c);
      if (!eq) continue;
      for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
        if (columnRef(a)) continue; // (a column as it is: memberEqualities)
        const col = columnThrough(model, a, ofMember);
        const side = col === undefined ? undefined : classify(b);
        if (side?.kind === 'group' && side.col && groupCol === undefined) {
          groupCol = col;
          against = { outer: side.col, computed: true };
        }
      }
    }
  }
  // (`t.org_id IN (SELECT m.org_id …)`, or `split_part(realtime.topic(), ':', 2)::bigint IN (SELECT
  // m.sala_id …)`, `realtime.topic() IN (SELECT 'sala:' || m.sala_id …)`)
  if (inColumn && q.targetList?.length === 1) {
    const target = q.targetList[0]?.ResTarget?.val;
    const col = columnRef(target);
    const through = col ? undefined : columnThrough(model, target, ofMember);
    if (ofMember(col) || through !== undefined) {
      groupCol = col ? col.name : through;
      against = { outer: inColumn.col, computed: inColumn.through || through !== undefined };
    }
  }
  if (!userCol) return undefined;
  // (a column of the policy's table names the group; a constant (`role = 'admin'`) is the group when none does)
  if (groupCol) {
    if (groupCol === userCol) return undefined;
    // (a group column unique on its own is an owner's row: stores.id with owner_id, which a user
    // cannot take from another row; a membership table has many rows per group)
    if (uniqueColumn(member, groupCol)) return undefined;
    // (what it is compared with, said when not a plain column of the policy's table)
    const said = against && (against.computed || against.outer === 'topic') ? { against } : {};
    return constant && constant.col !== userCol && constant.col !== groupCol ? { userCol, groupCol, role: constant, ...said } : { userCol, groupCol, ...said };
  }
  if (constant && constant.col !== userCol) return { userCol, groupCol: constant.col, groupValue: constant.value, ...(scope !== undefined && scope !== userCol && scope !== constant.col ? { scope } : {}) };
  return undefined;
}

/** How a sub-select of policy `p` of `t` uses a membership table, if it does. */
function membershipUse(model: Model, t: Table, p: Policy, link: Node, expr: Node): Use[] {
  const q = link.subselect?.SelectStmt;
  const from = q?.fromClause as Node[] | undefined;
  const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
  if (!rv?.relname) return NO_USES;
  const member = model.tables.get(model.relKey(rv));
  if (!member || member === t) return NO_USES;
  const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const ofMember = (c: { qual?: string; name: string } | undefined) => !!c && (c.qual === undefined ? member.columns.includes(c.name) : c.qual === alias) && member.columns.includes(c.name);
  const text = textOfFile(model, p.created.file);
  const ofTable = (c: { qual?: string; name: string }) => (c.qual === undefined ? !member.columns.includes(c.name) && t.columns.includes(c.name) : c.qual === t.name.toLowerCase() && t.columns.includes(c.name));
  const classify = (n: Node): Side | undefined => {
    if (readsAsCaller(model, n)) return { kind: 'identity' };
    const c = columnRef(n);
    if (link.subLinkType === 'EXISTS_SUBLINK') {
      if (c && ofTable(c)) return { kind: 'group', col: c.name };
      // (a function of one column of the policy's table, `split_part(t.scope, ':', 2)::bigint`; on
      // realtime.messages, the channel's topic, `(select realtime.topic())`, or a function of it)
      const through = c ? undefined : columnThrough(model, n, ofTable);
      if (through !== undefined) return { kind: 'group', col: through, through: true };
      if (!c && t.key === REALTIME_MESSAGES && topicThrough(model, n)) return isRealtimeTopic(n) ? { kind: 'group', col: 'topic' } : { kind: 'group', col: 'topic', through: true };
    }
    const v = constantText(n, text);
    return v === undefined ? undefined : { kind: 'group', value: v };
  };
  // t.org_id IN (SELECT m.org_id FROM members m WHERE m.user_id = auth.uid()): the IN's column is
  // outside the sub-select, so an unqualified one is the policy's table's (or a function of it
  // alone, or on realtime.messages the channel's topic)
  let inColumn: { col: string; through: boolean } | undefined;
  if (link.subLinkType === 'ANY_SUBLINK') {
    const c = columnRef(link.testexpr);
    const ofOuter = (x: { qual?: string; name: string }) => (x.qual === undefined || x.qual === t.name.toLowerCase()) && t.columns.includes(x.name);
    const through = c ? undefined : columnThrough(model, link.testexpr, ofOuter);
    if (c && ofOuter(c)) inColumn = { col: c.name, through: false };
    else if (through !== undefined) inColumn = { col: through, through: true };
    else if (!c && t.key === REALTIME_MESSAGES && topicThrough(model, link.testexpr)) inColumn = { col: 'topic', through: !isRealtimeTopic(link.testexpr) };
  }
  // (the WHERE as written, then each branch of an OR in it: `m.user_id = auth.uid() AND (m.org_id =
  // t.org_id OR m.role = 'admin')` admits through either, cortex-etl's tenants. Every branch that
  // gives a use: a friendship read either way round, `(f.source_user_id = posts.creator_id AND
  // f.target_user_id = auth.uid()) OR (f.target_user_id = posts.creator_id AND f.source_user_id =
  // auth.uid())`, trusts each column as the caller's in one branch, and a write policy tying only
  // source_user_id to the caller forges the second's rows: steve-chavez/socnet's friendships)
  const whole = useOfSelect(model, q, member, ofMember, classify, inColumn);
  if (whole && !needsOthersRow(model, q, member, whole.userCol)) return [{ policy: p, table: t, member, ...whole, at: link, expr }];
  const out: Use[] = [];
  for (const branch of orBranches(q)) {
    const use = useOfSelect(model, branch, member, ofMember, classify, inColumn);
    if (use && !needsOthersRow(model, branch, member, use.userCol)) out.push({ policy: p, table: t, member, ...use, at: link, expr });
  }
  return out.length ? out : NO_USES;
}

const NO_USES: Use[] = [];

/**
 * The sub-select with its WHERE cut to one branch of an OR it ANDs (each branch of the first such
 * OR, in order, with the other conjuncts): the rows it finds through that branch. None without one.
 */
function orBranches(q: Node): Node[] {
  const all = conjuncts(q.whereClause);
  const at = all.findIndex((c) => c?.BoolExpr?.boolop === 'OR_EXPR');
  if (at < 0) return [];
  const rest = all.filter((_, i) => i !== at);
  return (all[at].BoolExpr.args as Node[]).map((d) => ({ ...q, whereClause: { BoolExpr: { boolop: 'AND_EXPR', args: [...rest, ...conjuncts(d)], location: -1 } } }));
}

/**
 * Whether the sub-select also requires (ANDed in its WHERE) a row of the membership table whose
 * user column is not the caller: another user's row, which the caller cannot write (a mutual
 * follow, `EXISTS (… f2.follower_id = user_locations.user_id AND f2.following_id = auth.uid())`:
 * cocktailsop; measured, following someone shows nothing until they follow back).
 */
function needsOthersRow(model: Model, q: Node, member: Table, userCol: string): boolean {
  for (const c of conjuncts(q.whereClause)) {
    const link = c?.SubLink;
    const inner = link?.subLinkType === 'EXISTS_SUBLINK' ? link.subselect?.SelectStmt : undefined;
    const from = inner?.fromClause as Node[] | undefined;
    const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
    if (!rv?.relname || model.tables.get(model.relKey(rv)) !== member) continue;
    const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
    const ofInner = (x: { qual?: string; name: string } | undefined) => !!x && (x.qual === undefined || x.qual === alias) && member.columns.includes(x.name);
    for (const [col, b] of memberEqualities(inner.whereClause, ofInner)) if (col === userCol && !isIdentity(model, b)) return true;
  }
  return false;
}

/**
 * A helper's membership read: each equality on a column of the membership table, its other side a
 * parameter of the helper (which the call's argument decides), who calls, or a constant.
 */
export interface HelperRead {
  member: Table;
  sides: Array<{ col: string; param?: number; identity?: true; value?: string }>;
  /** the one column of the membership table it returns (`SELECT role FROM profiles WHERE id = auth.uid()`), if so */
  returns?: string;
  /** the columns its WHERE asks to be NULL or not (`AND accepted_at IS NOT NULL`) */
  nulls?: NullAsk[];
  /** the columns its WHERE asks to be later than now (`AND expires_at > NOW()`) */
  later?: string[];
}

const helperReads = new WeakMap<Model, Map<Func, HelperRead[]>>();

/**
 * The membership reads of a SQL or PL/pgSQL function (`SELECT EXISTS (SELECT 1 FROM user_roles
 * WHERE user_id = _user_id AND role = _role)`); kept per model.
 */
export function readsOfHelper(model: Model, f: Func): HelperRead[] {
  let byFunc = helperReads.get(model);
  if (!byFunc) helperReads.set(model, (byFunc = new Map()));
  let out = byFunc.get(f);
  if (out) return out;
  const found: HelperRead[] = [];
  byFunc.set(f, found);
  if (!f.body || f.body.lexical || (f.language !== 'sql' && f.language !== 'plpgsql')) return found;
  // (the arguments a call passes, in order: OUT and TABLE parameters take none, and $n counts only these)
  const params: string[] = inputParams(f).map((x) => String(x?.FunctionParameter?.name ?? '').toLowerCase());
  const fname = f.name.toLowerCase();
  const text = textOfFile(model, f.created.file);
  // (a PL/pgSQL variable assigned who calls, `v_uid := auth.uid()`: paftamobile's current_company_id())
  const callerVars = new Set<string>();
  for (const s of f.body.statements) {
    const n = s.node;
    // (inside a SECURITY DEFINER helper current_user is its owner: `v := current_user` is no caller)
    if (s.assigns && s.kind === 'SelectStmt' && !n.fromClause && !n.whereClause && looksAtCaller(model, n, undefined, f.securityDefiner ? 'definer' : 'caller')) for (const v of s.assigns) callerVars.add(v);
    // (`SELECT id INTO v_uid FROM users WHERE auth_id = auth.uid()`: the caller's own row's key, callerRowQuery; naijaprodigies' is_current_user_participant())
    else if (s.assigns?.length === 1 && s.kind === 'SelectStmt' && looksAtCaller(model, n, undefined, f.securityDefiner ? 'definer' : 'caller') && callerRowQuery(model, n, (rv) => model.funcRelKey(f, rv))) callerVars.add(s.assigns[0]!);
  }
  for (const s of f.body.statements) {
    const visit = (k: string, q: Node) => {
      if (k !== 'SelectStmt') return;
      const from = q.fromClause as Node[] | undefined;
      const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
      if (!rv?.relname) return;
      // (an unqualified name resolved as the model does in the function: its own search_path, or the one it was made under)
      const key = model.funcRelKey(f, rv);
      const member = model.tables.get(key);
      if (!member || !writable(model, key)) return;
      // (a row of it counts only with a row of another table too, `AND EXISTS (SELECT 1 FROM
      // members m WHERE m.uid = auth.uid() AND m.ws = p.ws)`: a forged row alone gains nothing
      // unless that one can be forged as well, which is not followed; sm-crm's profiles)
      if (conjuncts(q.whereClause).some((c) => c?.SubLink?.subLinkType === 'EXISTS_SUBLINK' || c?.SubLink?.subLinkType === 'ANY_SUBLINK')) return;
      const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
      const ofMember = (c: { qual?: string; name: string } | undefined) => !!c && (c.qual === undefined || c.qual === alias) && member.columns.includes(c.name);
      const read: HelperRead = { member, sides: [] };
      const target = q.targetList?.length === 1 ? columnRef(q.targetList[0]?.ResTarget?.val) : undefined;
      if (ofMember(target)) {
        // (a PL/pgSQL `SELECT role … INTO r` that the function then tests, `IF r = 'admin' THEN
        // RETURN true` or `RETURN r = 'admin'`: the row counts with that value, and the function
        // returns a boolean, not the column; deploy-vercel's private.can_view())
        const into = f.language === 'plpgsql' && q === s.node && s.assigns?.length === 1 ? s.assigns[0]! : undefined;
        const tested = into === undefined ? undefined : testedValue(f.body!.statements, s, into, text);
        if (tested !== undefined) read.sides.push({ col: target!.name, value: tested });
        else read.returns = target!.name;
      }
      for (const [col, b] of memberEqualities(q.whereClause, ofMember)) {
        const ref = columnRef(b);
        // (an unqualified name that is no column of the table is the parameter: SQL functions prefer the column;
        // qualified with the function's name, `is_admin.user_id`, it is the parameter whatever the columns: suggest-ai-flow)
        const param = b?.ParamRef
          ? Number(b.ParamRef.number) - 1
          : ref && ((ref.qual === undefined && !member.columns.includes(ref.name)) || (ref.qual === fname && ref.qual !== alias))
            ? params.indexOf(ref.name)
            : -1;
        if (param >= 0) read.sides.push({ col, param });
        else if (readsAsCaller(model, b) || (ref && ref.qual === undefined && !member.columns.includes(ref.name) && callerVars.has(ref.name))) read.sides.push({ col, identity: true });
        else {
          const v = constantText(b, text);
          if (v !== undefined) read.sides.push({ col, value: v });
        }
      }
      const nulls = memberNullTests(q.whereClause, ofMember);
      if (nulls.length) read.nulls = nulls;
      const later = memberLaterTests(q.whereClause, ofMember);
      if (later.length) read.later = later;
      if (read.sides.length > 1 || (read.returns && read.sides.length)) found.push(read);
    };
    if (s.kind === 'SelectStmt') visit('SelectStmt', s.node);
    walk(s.node, visit);
  }
  return found;
}

/** The one value of a PL/pgSQL expression (parse.ts makes `IF cond`, `RETURN expr` a `SELECT <expr>`). */
function plExpr(st: Statement | undefined): Node | undefined {
  return st?.kind === 'SelectStmt' && !st.node?.fromClause && st.node?.targetList?.length === 1 ? st.node.targetList[0]?.ResTarget?.val : undefined;
}

/** `v = <constant>` (v a PL/pgSQL variable), either way round: the constant as written. */
function variableTest(n: Node | undefined, v: string, text: string | undefined): string | undefined {
  const eq = n ? equality(n) : undefined;
  if (!eq) return undefined;
  for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
    const c = columnRef(a);
    if (c && c.qual === undefined && c.name === v) return constantText(b, text);
  }
  return undefined;
}

/**
 * The value a PL/pgSQL function tests variable `v` against to return true, `v` being what
 * statement `s` assigns (`SELECT role … INTO v`): `IF v = 'admin' THEN RETURN true`, or `RETURN v =
 * 'admin'`. (A `RETURN v` is not among the statements: libpg-query gives the variable, no
 * expression; without such a test the function is taken to return v, as before.)
 */
function testedValue(statements: Statement[], s: Statement, v: string, text: string | undefined): string | undefined {
  for (let i = statements.indexOf(s) + 1; i < statements.length; i++) {
    const st = statements[i]!;
    const value = variableTest(plExpr(st), v, text);
    if (value === undefined) continue;
    if (st.reported) return value;
    // (the first statement of the IF's branch comes right after its condition: here its RETURN)
    const next = statements[i + 1];
    const ret = st.returnsIf && next?.reported ? plExpr(next) : undefined;
    if (ret !== undefined && constBool(ret) === true) return value;
  }
  return undefined;
}

/**
 * What a call passes to parameter `i` of `f`: its argument, or for one it leaves out, the
 * parameter's DEFAULT when that tells who calls (`is_admin(user_id uuid DEFAULT auth.uid())`
 * called as `is_admin()`: suggest-ai-flow). Other defaults are left out (a constant one is
 * written in the function's file, not the policy's).
 */
function argumentOf(model: Model, f: Func, args: Node[], i: number | undefined): Node | undefined {
  if (i === undefined) return undefined;
  if (i < args.length) return args[i];
  const d: Node | undefined = inputParams(f)[i]?.FunctionParameter?.defexpr;
  return d && readsAsCaller(model, d) ? d : undefined;
}

/** The membership uses of a policy through the helpers it calls (has_role(auth.uid(), 'admin'), is_member(org_id)). */
function helperUses(model: Model, t: Table, p: Policy, expr: Node, out: Use[]): void {
  const text = textOfFile(model, p.created.file);
  // (a call compared with a constant: `get_my_role() = 'admin'`, the value it returns is the group;
  // or with a column of the policy's table: `company_id = current_company_id()`, the caller's
  // group, paftamobile; looked for when a helper returns a column)
  let comparedWith: Map<Node, { value?: string; column?: string }> | undefined;
  const compared = () => {
    if (comparedWith) return comparedWith;
    const found = (comparedWith = new Map<Node, { value?: string; column?: string }>());
    const ofTable = (c: { qual?: string; name: string } | undefined) => !!c && (c.qual === undefined || c.qual === t.name.toLowerCase()) && t.columns.includes(c.name);
    walk(expr, (k, v) => {
      // (a column of the table in the set a helper returns: `conversation_id IN (SELECT
      // my_conversation_ids())`, or `… IN (SELECT id FROM my_conversation_ids() id)`; stfrancis)
      if (k === 'SubLink' && v.subLinkType === 'ANY_SUBLINK') {
        const c = columnRef(bareValue(v.testexpr));
        const call = setReturnedBy(v.subselect?.SelectStmt);
        if (call && ofTable(c)) found.set(call, { column: c!.name });
        return;
      }
      if (k !== 'A_Expr') return;
      const eq = equality({ A_Expr: v });
      if (!eq) return;
      for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
        const call = bareValue(a)?.FuncCall;
        if (!call) continue;
        const value = constantText(b, text);
        const c = value === undefined ? columnRef(bareValue(b)) : undefined;
        if (value !== undefined) found.set(call, { value });
        else if (c && (c.qual === undefined || c.qual === t.name.toLowerCase()) && t.columns.includes(c.name)) found.set(call, { column: c.name });
      }
    });
    return found;
  };
  for (const call of callsIn(expr)) {
    const f = model.findFunction(call.name, call.args.length);
    if (!f || f.reads.size === 0) continue;
    for (const r of readsOfHelper(model, f)) {
      // (a policy of the membership table itself trusts it only through a constant: its admins
      // manage every row of it, LocalHeroFinder's "Admins can manage all roles" with
      // has_role(auth.uid(), 'admin'); a group column of its own rows is the row's own group)
      const self = r.member === t;
      const returned = r.returns !== undefined ? compared().get(call.node) : undefined;
      const arg = (x: { param?: number }) => argumentOf(model, f, call.args, x.param);
      const user = r.sides.find((x) => x.identity || (arg(x) !== undefined && readsAsCaller(model, arg(x)!)));
      if (!user) continue;
      let groupCol: string | undefined;
      let constant: { col: string; value: string } | undefined;
      let scope: string | undefined;
      for (const x of r.sides) {
        if (x.col === user.col) continue;
        const a = arg(x);
        const c = a ? columnRef(a) : undefined;
        const v = a ? constantText(a, text) : x.value;
        if (c && (c.qual === undefined || c.qual === t.name.toLowerCase()) && t.columns.includes(c.name)) groupCol ??= x.col;
        else if (v !== undefined) constant = rolier(constant, { col: x.col, value: v });
        else if (a !== undefined) scope ??= x.col;
      }
      if (groupCol) {
        if (self || uniqueColumn(r.member, groupCol)) continue;
        out.push({ policy: p, table: t, member: r.member, userCol: user.col, groupCol, via: f, at: call.node, expr, ...(r.nulls ? { nulls: r.nulls } : {}), ...(r.later ? { later: r.later } : {}), ...(constant && constant.col !== groupCol ? { role: constant } : {}) });
      } else if (constant) {
        // (a helper returning the key of the caller's own row, compared with a column of the table:
        // writing the constant into that row reaches only the rows tied to it, the caller's own —
        // gighub's get_user_account_id() `WHERE auth_user_id = auth.uid() AND type = 'user'`)
        const own = r.returns !== undefined && uniqueColumn(r.member, r.returns) && returned?.column !== undefined;
        if (!own) out.push({ policy: p, table: t, member: r.member, userCol: user.col, groupCol: constant.col, groupValue: constant.value, via: f, at: call.node, expr, ...(r.nulls ? { nulls: r.nulls } : {}), ...(r.later ? { later: r.later } : {}), ...(scope !== undefined && scope !== constant.col ? { scope } : {}) });
        // (and the column it returns, compared with a column of the policy's table: the caller's
        // group, among their rows with that value — xbradpig/ChurchThrive's get_my_church_id(),
        // `SELECT church_id FROM members WHERE user_id = auth.uid() AND status = 'active'`, in
        // `church_id = get_my_church_id()`: a row of another church, active, is that church's)
        if (!self && !own && returned?.column !== undefined && r.returns !== undefined && r.returns !== user.col && r.returns !== constant.col && !uniqueColumn(r.member, r.returns)) {
          out.push({ policy: p, table: t, member: r.member, userCol: user.col, groupCol: r.returns, via: f, at: call.node, expr, ...(r.nulls ? { nulls: r.nulls } : {}), ...(r.later ? { later: r.later } : {}), role: constant });
        }
      }
      else if (returned?.value !== undefined && r.returns !== user.col) out.push({ policy: p, table: t, member: r.member, userCol: user.col, groupCol: r.returns!, groupValue: returned.value, via: f, at: call.node, expr, ...(r.nulls ? { nulls: r.nulls } : {}), ...(r.later ? { later: r.later } : {}) });
      // (a helper returning a boolean flag of the caller's own row, the policy's condition as it
      // is: `OR public.is_admin()`, which reads profiles.is_admin of auth.uid(); amethyst)
      else if (returned === undefined && r.returns !== undefined && r.returns !== user.col && isBooleanColumn(r.member, r.returns) && booleanTerms(expr).includes(call.node)) {
        out.push({ policy: p, table: t, member: r.member, userCol: user.col, groupCol: r.returns, groupValue: 'true', via: f, at: call.node, expr, ...(r.nulls ? { nulls: r.nulls } : {}), ...(r.later ? { later: r.later } : {}) });
      }
      else if (!self && returned?.column !== undefined && r.returns !== user.col && !uniqueColumn(r.member, r.returns)) {
        out.push({ policy: p, table: t, member: r.member, userCol: user.col, groupCol: r.returns!, via: f, at: call.node, expr, ...(r.nulls ? { nulls: r.nulls } : {}), ...(r.later ? { later: r.later } : {}) });
      }
    }
  }
}

/** The call whose rows a sub-select returns as they are: `SELECT f()`, or `SELECT x FROM f() x`. */
function setReturnedBy(q: Node | undefined): Node | undefined {
  if (!q || q.whereClause || q.targetList?.length !== 1) return undefined;
  const val = bareValue(q.targetList[0]?.ResTarget?.val);
  const from = q.fromClause as Node[] | undefined;
  if (!from?.length) return val?.FuncCall;
  const fn = from.length === 1 ? from[0]?.RangeFunction : undefined;
  const call = fn?.functions?.length === 1 ? fn.functions[0]?.List?.items?.[0]?.FuncCall : undefined;
  return call && (val?.ColumnRef || val?.A_Star) ? call : undefined;
}

/** The calls a condition is made of as they are, joined by AND and OR (not negated, not compared). */
function booleanTerms(expr: Node): Node[] {
  const out: Node[] = [];
  const visit = (n: Node): void => {
    const b = n?.BoolExpr;
    if (b && b.boolop !== 'NOT_EXPR') return (b.args as Node[]).forEach(visit);
    const v = bareValue(n);
    if (v?.FuncCall) out.push(v.FuncCall);
  };
  visit(expr);
  return out;
}

/** Whether the table has a permissive INSERT, UPDATE or ALL policy (kept per model). */
function writable(model: Model, key: string): boolean {
  const kept = memoModel(model, 'membership:writable', () => new Map<string, boolean>());
  let v = kept.get(key);
  if (v === undefined) {
    const t = model.tables.get(key);
    kept.set(key, (v = !!t && t.policies.some((w) => w.permissive && w.command !== 'select' && w.command !== 'delete')));
  }
  return v;
}

/** `<a claim of the caller's JWT> = 'c'` (either way round), `IN ('c', …)` or `= ANY (ARRAY['c', …])`: the claim's path and the constant as written (of a list, its first that names an administrator, else its first). */
function claimTest(model: Model, e: Node, text: string | undefined): { path: string[]; value: string } | undefined {
  if (sval(e.name?.[0]) !== '=') return undefined;
  const sides: Array<[Node, Node[]]> =
    e.kind === 'AEXPR_OP'
      ? [
          [e.lexpr, [e.rexpr]],
          [e.rexpr, [e.lexpr]],
        ]
      : e.kind === 'AEXPR_IN'
        ? [[e.lexpr, e.rexpr?.List?.items ?? []]]
        : e.kind === 'AEXPR_OP_ANY'
          ? [[e.lexpr, (e.rexpr?.TypeCast?.arg ?? e.rexpr)?.A_ArrayExpr?.elements ?? []]]
          : [];
  for (const [a, list] of sides) {
    // (a jsonb claim compared with a jsonb true: `(auth.jwt() -> 'app_metadata' -> 'staff') = to_jsonb(true)`)
    const jsonb = list.length === 1 ? jwtClaimPath(a, true) : undefined;
    if (jsonb && jsonbTrue(list[0]!)) return { path: jsonb, value: 'true' };
    const path = claimPathOf(model, a);
    if (!path || !list.length) continue;
    const values = list.map((v) => (constValue(v?.TypeCast ? v.TypeCast.arg : v) === undefined ? undefined : constantText(v, text)));
    if (values.some((v) => v === undefined)) continue;
    return { path, value: values.find((v) => ADMIN_VALUE.test(v!)) ?? values[0]! };
  }
  return undefined;
}

/** `authorize('channels.delete')` of Supabase's RBAC guide (claims.ts permissionClaim): the claim, and a role the permissions table gives it (of several, one naming an administrator). */
function permissionTest(model: Model, call: Node): { path: string[]; value: string; asked: string } | undefined {
  const p = permissionClaim(model, call);
  if (!p) return undefined;
  const role = p.roles.find((r) => ADMIN_VALUE.test(r)) ?? p.roles[0]!;
  return { path: p.path, value: role, asked: `through ${p.f.signature}, as ${p.table.key} gives ${role} '${call.args[0].A_Const.sval.sval}'` };
}

/** A claim cast to boolean (`(auth.jwt() -> 'app_metadata' ->> 'staff')::boolean`): true asked of it. */
function boolClaim(model: Model, cast: Node): { path: string[]; value: string } | undefined {
  const path = claimPathOf(model, { TypeCast: cast });
  return path && ['bool', 'boolean'].includes(String(cast.typeName?.names?.at(-1)?.String?.sval)) ? { path, value: 'true' } : undefined;
}

/**
 * The membership uses of every policy, by membership table key: only tables with a write policy,
 * read in other tables' policies' sub-selects, or by the functions they call.
 */
/** What a trusting policy's command gives a forged row most surely: reading (SELECT, ALL), then writing, a DELETE last (a foreign key from the forged row may refuse it, 23503). */
const commandRank = (c: Policy['command']) => (c === 'select' || c === 'all' ? 2 : c === 'delete' ? 0 : 1);

function membershipUses(model: Model): Map<string, Use[]> {
  const out = new Map<string, Use[]>();
  const add = (key: string, use: Use) => {
    // (a trusting policy that asks more of the caller next to the membership read gives a forged
    // row nothing by itself: affiliate-finance-hub's parceiros_ws_insert, `workspace_id =
    // get_current_workspace() AND has_permission(auth.uid(), workspace_id)`, refuses the row (42501)
    // once the user has moved their default workspace; its SELECT policy, trusting the helper alone, is the hole)
    if (use.at && use.expr && asksMore(model, use.expr, use.at)) return;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    // (one use per kind of command of the policies of a table trusting the same rows, the choice
    // left to the candidates' preference: the-suite's addresses, whose DELETE policy came first,
    // trusted client_profiles.address_id, a foreign key to them: the forged row references the
    // address, and its DELETE fails with 23503, while the SELECT and UPDATE policies trusting the
    // same rows go through)
    if (!list.some((u) => u.userCol === use.userCol && u.groupCol === use.groupCol && u.groupValue === use.groupValue && u.table === use.table && u.role?.col === use.role?.col && u.role?.value === use.role?.value && commandRank(u.policy.command) === commandRank(use.policy.command))) list.push(use);
  };
  for (const row of policyCalls(model)) {
    const found: Use[] = [];
    for (const e of row.exprs) helperUses(model, row.table!, row.policy, e.node, found);
    for (const u of found) add(u.member.key, u);
  }
  // (a claim of the caller's token that a custom access token hook copies from their row: only
  // in a project with such a hook, then once over the active policies)
  const claims = hookClaims(model);
  if (claims.length) {
    for (const row of activeRows(model)) {
      const t = row.table;
      const p = row.policy;
      if (!t || !p.permissive) continue;
      const text = textOfFile(model, p.created.file);
      for (const e of row.exprs) {
        walk(e.node, (k, v) => {
          // (a comparison, or a claim cast to boolean standing as a condition: `(auth.jwt() ->> 'staff')::boolean`)
          const c = k === 'A_Expr' ? claimTest(model, v, text) : k === 'TypeCast' ? boolClaim(model, v) : k === 'FuncCall' ? permissionTest(model, v) : undefined;
          // (a comparison of a claim cast to boolean with anything else, `= false`: not the cast's own true)
          if (!c) return k === 'A_Expr' && (v.lexpr?.TypeCast && boolClaim(model, v.lexpr.TypeCast) || v.rexpr?.TypeCast && boolClaim(model, v.rexpr.TypeCast)) ? false : undefined;
          for (const src of claims) {
            if (src.path.join('.') !== c.path.join('.') || !writable(model, src.table.key)) continue;
            // (a flag's claim is true when the column is: the policy must ask for true)
            const value = src.flag ? (c.value.replace(/^'|'$/g, '').toLowerCase() === 'true' ? 'true' : undefined) : c.value;
            if (value === undefined) continue;
            add(src.table.key, { policy: p, table: t, member: src.table, userCol: src.userCol, groupCol: src.column, groupValue: value, via: src.hook, claim: { hook: src.hook, path: src.path, by: src.by, ...(src.flag ? { flag: true as const } : {}), ...('asked' in c && typeof c.asked === 'string' ? { asked: c.asked } : {}) } });
          }
          return false;
        });
      }
    }
  }
  for (const [key, reads] of subselectReads(model)) {
    if (!writable(model, key)) continue;
    for (const { row } of reads) {
      // (Supabase's realtime.messages, which the platform makes: its policies decide who joins a
      // private channel, realtime.topic() giving the channel's topic)
      const t = row.table ?? (row.policy.table === REALTIME_MESSAGES ? realtimeMessages(model) : undefined);
      const p = row.policy;
      if (!t || !p.permissive) continue;
      for (const e of row.exprs) {
        walk(e.node, (k, v) => {
          // (not under NOT: `NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = auth.uid()
          // AND b.blocked_id = t.user_id)` hides a row when the caller has the row; a forged row
          // takes rows away, it gives none: off-training-note's blocks, measured)
          if (k === 'BoolExpr' && v.boolop === 'NOT_EXPR') return false;
          if (k !== 'SubLink') return;
          for (const use of membershipUse(model, t, p, v, e.node)) if (use.member.key === key) add(key, use);
        });
      }
    }
  }
  return out;
}

/**
 * Whether a condition ANDed with `at` (a call or sub-select under `expr`), on the way down to it,
 * asks who the caller is (`has_permission(auth.uid(), workspace_id)`, `owner_id = auth.uid()`):
 * what the read of `at` trusts is then not enough. A condition every signed-in caller passes
 * (`auth.uid() IS NOT NULL`, `auth.role() = 'authenticated'`) asks nothing.
 */
function asksMore(model: Model, expr: Node, at: Node): boolean {
  const asks = (x: Node) => looksAtCaller(model, x) && !checksNothing(model, x);
  // (undefined: `at` is not under n)
  const visit = (n: Node): boolean | undefined => {
    if (n === at) return false;
    if (Array.isArray(n)) {
      for (const x of n) {
        const r = x && typeof x === 'object' ? visit(x) : undefined;
        if (r !== undefined) return r;
      }
      return undefined;
    }
    if (n.boolop === 'AND_EXPR' && Array.isArray(n.args)) {
      const args = n.args as Node[];
      for (let i = 0; i < args.length; i++) {
        const r = visit(args[i]);
        if (r !== undefined) return r || args.some((y, j) => j !== i && asks(y));
      }
      return undefined;
    }
    for (const k in n) {
      const v = n[k];
      const r = v && typeof v === 'object' ? visit(v) : undefined;
      if (r !== undefined) return r;
    }
    return undefined;
  };
  return visit(expr) === true;
}

/**
 * A policy of another table that trusts the mere existence of the caller's row of a table: a
 * sub-select asking only that the table has a row whose user column is the caller (`EXISTS
 * (SELECT 1 FROM dispatchers WHERE email = (select auth.email()))`, `(select auth.uid()) IN
 * (SELECT user_id FROM admins)`), with nothing else in its branch of the condition asking who
 * calls, so what it admits is not tied to the caller: other users' rows (vip-drive-florida's
 * bookings, trusting dispatchers). Next to `passenger_id = auth.uid()` it admits only the
 * caller's own rows, and next to another sub-select a row of that one too: neither is one.
 */
interface Existence {
  policy: Policy;
  table: Table;
  member: Table;
  userCol: string;
}

/** The existence uses of every policy, by the key of the table whose row it asks for (only tables with a write policy). */
function existenceUses(model: Model): Map<string, Existence[]> {
  const out = new Map<string, Existence[]>();
  for (const [key, reads] of subselectReads(model)) {
    if (!writable(model, key)) continue;
    const member = model.tables.get(key);
    if (!member) continue;
    for (const { row } of reads) {
      const t = row.table;
      const p = row.policy;
      if (!t || t === member || !p.permissive) continue;
      const asks = (x: Node) => hasSubLink(x) || looksAtCaller(model, x);
      // (each sub-select of the condition with whether the other conditions ANDed with it ask who calls)
      const visit = (n: Node, tied: boolean): void => {
        const b = n?.BoolExpr;
        if (b?.boolop === 'OR_EXPR') return (b.args as Node[]).forEach((x) => visit(x, tied));
        if (b?.boolop === 'AND_EXPR') {
          const args = b.args as Node[];
          return args.forEach((x, i) => visit(x, tied || args.some((y, j) => j !== i && asks(y))));
        }
        const link = bareValue(n)?.SubLink;
        const userCol = !tied && link ? existenceOf(model, member, link) : undefined;
        if (userCol === undefined) return;
        let list = out.get(key);
        if (!list) out.set(key, (list = []));
        if (!list.some((e) => e.policy === p && e.userCol === userCol)) list.push({ policy: p, table: t, member, userCol });
      };
      for (const e of row.exprs) visit(e.node, false);
    }
  }
  return out;
}

/** The user column of a sub-select asking only that `member` has a row of the caller (EXISTS, or `<caller> IN (SELECT col FROM member)`), else undefined. */
function existenceOf(model: Model, member: Table, link: Node): string | undefined {
  const q = link.subselect?.SelectStmt;
  const from = q?.fromClause as Node[] | undefined;
  const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
  if (!rv?.relname || q.withClause || q.groupClause || q.havingClause || model.tables.get(model.relKey(rv)) !== member) return undefined;
  const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const ofMember = (c: { qual?: string; name: string } | undefined) => !!c && (c.qual === undefined || c.qual === alias) && member.columns.includes(c.name);
  // (every condition of its WHERE is `<column> = <caller>`: one more, `status = 'approved'`, is a value the row must hold, the uses above)
  const where = conjuncts(q.whereClause);
  const cols = memberEqualities(q.whereClause, ofMember).filter(([, b]) => readsAsCaller(model, b)).map(([c]) => c);
  if (cols.length !== where.length) return undefined;
  if (link.subLinkType === 'EXISTS_SUBLINK') return cols[0];
  if (link.subLinkType !== 'ANY_SUBLINK' || !readsAsCaller(model, link.testexpr) || q.targetList?.length !== 1) return undefined;
  const target = columnRef(q.targetList[0]?.ResTarget?.val);
  return ofMember(target) ? target!.name : undefined;
}

/** Whether a trigger on INSERT into auth.users runs a function writing the table's rows (a TRUNCATE, in f.truncates, gives none): each new account gets its row. */
function madeAtSignUp(model: Model, member: Table): boolean {
  return model.triggers.some((tr) => tr.table === AUTH_USERS && tr.events & TRIGGER_INSERT && !!model.functions.get(tr.func)?.some((f) => f.writes.has(member.key)));
}

/** Whether an INSERT trigger of the table may refuse a row: one guarded() counts, or any that raises an exception (`IF NOT is_admin() THEN RAISE …`), or whose body is not known. */
function insertRefused(model: Model, member: Table, userCol: string): boolean {
  if (guarded(model, member, 'insert', userCol)) return true;
  return member.triggers.some((tr) => {
    if (!(tr.events & TRIGGER_INSERT)) return false;
    const f = model.functions.get(tr.func)?.[0];
    return !f?.body || /\braise\s+exception\b/i.test(stripComments(bodyText(model, f)));
  });
}

/**
 * Reports each permissive INSERT or ALL policy of a table whose rows other tables' policies trust
 * by their existence (existenceUses) when it lets a user insert their own row: its check is only
 * `<user column> = <caller>` (or admits any row), for a role the trusting policies apply to that
 * may insert, with no INSERT trigger that may refuse the row. Where the row is made only by a
 * trusted path (no such policy; a check asking for an invitation or an administrator) nothing is.
 */
function reportExistence(model: Model, uses: Map<string, Existence[]>, said: Set<Policy>, report: (r: Report) => void): void {
  const rejected = rejectedPolicies(model);
  for (const [key, list] of uses) {
    const member = model.tables.get(key)!;
    // (a row every account gets at sign-up, from a trigger on auth.users: having one is having an
    // account, which the trusting policy then admits, not a privilege a user takes; stfrancis'
    // profiles, made by handle_new_user(), trusted by zoom_settings' policy)
    if (!member.rlsEnabled || madeAtSignUp(model, member)) continue;
    for (const w of member.policies) {
      if (said.has(w) || !w.permissive || (w.command !== 'insert' && w.command !== 'all')) continue;
      if (rejected.size !== 0 && rejected.has(w)) continue; // (never created: rejected.ts)
      // (without WITH CHECK, USING checks the new row: T14c)
      const check = w.withCheck ?? (w.command === 'all' ? w.using : undefined);
      if (!check) continue;
      const nothing = checksNothing(model, check);
      const found: Array<{ e: Existence; roles: string[] }> = [];
      for (const e of list) {
        if (!sharesRole(e.policy, w) || found.some((x) => x.e.policy === e.policy)) continue;
        const u: Use = { policy: e.policy, table: e.table, member, userCol: e.userCol, groupCol: e.userCol };
        if (!nothing && !checksOnlyUser(model, check, u)) continue;
        if (nothingGained(model, u, w)) continue;
        const roles = w.roles.filter((r) => (e.policy.roles.includes('public') || e.policy.roles.includes(r) || r === 'public') && (r === 'public' || !model.roleBypassesRls(r)));
        if (!roles.some((r) => mayWrite(model, member, r, 'insert')) || insertRefused(model, member, e.userCol)) continue;
        if (!roles.some((r) => (e.policy.command === 'all' ? ALL_CMDS : [e.policy.command]).some((c) => mayWrite(model, e.table, r, c)))) continue;
        found.push({ e, roles });
      }
      if (!found.length) continue;
      const { e, roles } = found[0]!;
      const verb = (x: Existence) => ({ select: 'get', insert: 'insert', update: 'update', delete: 'delete', all: 'read and change' })[x.policy.command];
      const shown = found.slice(0, 3).map(({ e: x }) => `policy "${x.policy.name}" on ${x.table.key}`);
      const more = found.length > 3 ? ` and ${found.length - 3} more` : '';
      const gains = found.slice(0, 3).map(({ e: x }) => `${verb(x)} the rows of ${x.table.key} that "${x.policy.name}" admits`);
      report({
        ...w.nameLoc,
        message:
          `Policy "${w.name}" on ${key} lets ${roleList(roles)} insert their own row of it ${nothing ? 'checking nothing about it (its check admits any row)' : `checking only their ${e.userCol} against who the caller is`}` +
          `${w.withCheck ? '' : ' (it has no WITH CHECK, so its USING checks new rows)'}, and having such a row is a privilege: ` +
          `${found.length === 1 ? shown[0] : `${shown.join(', ')}${more}`} ${found.length === 1 ? 'admits' : 'admit'} other users' rows to whoever has a row of ${key} with their own ${e.userCol} (${found.length === 1 ? 'its sub-select asks' : 'their sub-selects ask'} for nothing else), ` +
          `so any user can insert a row of ${key} with their own ${e.userCol} and then ${gains.join(', and ')}${more}, which they were never given. ` +
          `Let only a trusted path create these rows (${w.command === 'all' ? `keep INSERT out of this FOR ALL policy` : 'no INSERT policy'} for ${roleList(roles)}: an administrator, or a SECURITY DEFINER function that checks an invitation, adds them), or check more than the caller's identity in the WITH CHECK.`,
        related: found.map(({ e: x }) => ({ ...x.policy.nameLoc, message: `policy "${x.policy.name}" trusts any row of ${key} with the caller's ${x.userCol}` })),
        fixes: [],
      });
    }
  }
}

/** The active permissive policies of tables the workspace creates whose expressions call a function of the workspace. */
function policyCalls(model: Model): PolicyRow[] {
  const out: PolicyRow[] = [];
  // (the functions policies call that read a table with a write policy: the only helpers worth a look)
  const names = new Set<string>();
  for (const written of policyCallNames(model)) {
    const parts = written.split('.');
    const f = model.findFunction(parts);
    if (!f?.body || f.reads.size === 0) continue;
    for (const k of f.reads) {
      if (writable(model, k)) {
        names.add(parts[parts.length - 1]!.toLowerCase());
        break;
      }
    }
  }
  if (names.size === 0) return out;
  const rows = activeRows(model);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (!row.table || !row.policy.permissive) continue;
    let hit = false;
    for (let j = 0; j < row.exprs.length && !hit; j++) {
      const calls = callsIn(row.exprs[j]!.node);
      for (let k = 0; k < calls.length && !hit; k++) {
        const name = calls[k]!.name;
        hit = names.has(name[name.length - 1]!.toLowerCase()) && !!model.findFunction(name, calls[k]!.args.length);
      }
    }
    if (hit) out.push(row);
  }
  return out;
}

/** `group <> user` (or `<> <caller>`, `IS DISTINCT FROM`), either way round: it leaves out one value, the caller's own. */
function differsFromCaller(model: Model, c: Node, use: Use): boolean {
  const e = c?.A_Expr;
  const op = e?.name?.length === 1 ? sval(e.name[0]) : undefined;
  if (!e || !((e.kind === 'AEXPR_OP' && (op === '<>' || op === '!=')) || e.kind === 'AEXPR_DISTINCT')) return false;
  const caller = (n: Node) => columnRef(n)?.name === use.userCol || isIdentity(model, n);
  const group = (n: Node) => columnRef(n)?.name === use.groupCol;
  return (group(e.lexpr) && caller(e.rexpr)) || (group(e.rexpr) && caller(e.lexpr));
}

/**
 * Whether a condition is `NOT EXISTS (SELECT … FROM <membership table> WHERE … <user column> =
 * <caller> …)`, its WHERE's conditions ANDed: true for every group the caller is not in yet, the
 * very ones a forged row is for.
 */
/** Whether a check's ANDed conditions hold a notYetMember one. */
const notYet = (model: Model, check: Node, use: Use): boolean => conjuncts(check).some((c) => notYetMember(model, c, use));

/**
 * Whether every such NOT EXISTS of the check asks for no row of the caller's at all, whatever its
 * group (`NOT EXISTS (SELECT 1 FROM members m WHERE m.user_id = auth.uid() AND m.status = 'active')`:
 * xbradpig/ChurchThrive's members_insert_church_creator): an account that has none, a new one, passes
 * it for every group.
 */
const notYetAnywhere = (model: Model, check: Node, use: Use): boolean =>
  conjuncts(check).every((c) => {
    if (!notYetMember(model, c, use)) return true;
    let names = false;
    walk(notExistsOfMember(model, c, use)!.q.whereClause, (k, v) => {
      if (k === 'ColumnRef' && columnRef({ ColumnRef: v })?.name === use.groupCol) names = true;
      return !names;
    });
    return !names;
  });

function notYetMember(model: Model, c: Node, use: Use): boolean {
  const sub = notExistsOfMember(model, c, use);
  return !!sub && conjuncts(sub.q.whereClause).some((x) => isCallersRow(model, x, use));
}

/** `NOT EXISTS (SELECT … FROM <membership table> …)`: its sub-select and relation, else undefined. */
function notExistsOfMember(model: Model, c: Node, use: Use): { q: Node; rv: Node } | undefined {
  if (c.BoolExpr?.boolop !== 'NOT_EXPR') return undefined;
  const link = c.BoolExpr.args?.[0]?.SubLink;
  const q = link?.subLinkType === 'EXISTS_SUBLINK' ? link.subselect?.SelectStmt : undefined;
  const from: Node[] = q?.fromClause ?? [];
  const rv = from.length === 1 ? from[0]?.RangeVar : undefined;
  return rv && model.relKey(rv) === use.member.key ? { q, rv } : undefined;
}

/** `<user column> = <caller>`, either way round. */
function isCallersRow(model: Model, x: Node, use: Use): boolean {
  const eq = equality(x);
  if (!eq) return false;
  const [a, b] = eq;
  return (columnRef(a)?.name === use.userCol && isCaller(model, b)) || (columnRef(b)?.name === use.userCol && isCaller(model, a));
}

/**
 * Whether a condition is `NOT EXISTS (SELECT … FROM <membership table> x WHERE x.<group> =
 * <table>.<group> …)`: no row of the group yet, whoever's (not notYetMember's, which asks for the
 * caller's own row).
 */
function noMemberYet(model: Model, c: Node, use: Use): boolean {
  const sub = notExistsOfMember(model, c, use);
  if (!sub) return false;
  const { q, rv } = sub;
  const inner = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const outer = use.member.name.toLowerCase();
  if (inner === outer) return false; // (the outer row's columns are not reachable by its name)
  return conjuncts(q.whereClause).some((x) => {
    const eq = equality(x);
    if (!eq) return false;
    const [a, b] = [columnRef(eq[0]), columnRef(eq[1])];
    const side = (i: typeof a, o: typeof a) => i?.name === use.groupCol && (i.qual === inner || i.qual === undefined) && o?.name === use.groupCol && o.qual === outer;
    return side(a, b) || side(b, a);
  });
}

/**
 * Whether the membership table's SELECT policies show each of the roles only their own rows and
 * those of the groups they belong to: every permissive one that applies is an OR of `<user> =
 * <caller>`, a sub-select of the membership table asking for the caller's row, or a call of a
 * function reading it that looks at the caller (`is_member(list_id)`). None at all shows nothing.
 * A NOT EXISTS of the table then finds no row of a group the caller is not in.
 */
function callerScoped(model: Model, member: Table, roles: readonly string[], use: Use): boolean {
  const mine = (n: Node): boolean => {
    if (n?.BoolExpr?.boolop === 'OR_EXPR') return (n.BoolExpr.args as Node[]).every(mine);
    if (n?.BoolExpr?.boolop === 'AND_EXPR') return (n.BoolExpr.args as Node[]).some(mine);
    if (isCallersRow(model, n, use)) return true;
    const link = bareValue(n)?.SubLink;
    const q = link?.subselect?.SelectStmt;
    if (q) {
      const from: Node[] = q.fromClause ?? [];
      const rv = from.length === 1 ? from[0]?.RangeVar : undefined;
      return !!rv && model.relKey(rv) === member.key && conjuncts(q.whereClause).some((x) => isCallersRow(model, x, use));
    }
    const calls = callsIn(n);
    if (calls.length === 1 && n?.FuncCall) {
      const f = model.findFunction(calls[0]!.name, calls[0]!.args.length);
      return !!f && f.reads.has(member.key) && funcLooksAtCaller(model, f);
    }
    return false;
  };
  // (a writer for PUBLIC is every role: the SELECT policies of each count, forWriter; a NOT EXISTS
  // run by a signed-in user beside `TO authenticated USING (true)` sees the other groups' rows)
  return roles.every((r) => member.policies.every((p) => !p.permissive || (p.command !== 'select' && p.command !== 'all') || !forWriter(model, p, r) || (p.using !== undefined && mine(p.using))));
}

/**
 * Whether the write policy's check constrains the user column to the caller and nothing that
 * could limit the group column: its conditions are ANDed, one is `user = <caller>`, none names
 * the group column, and none holds a sub-select or a call other than one telling who calls. An
 * OR passes when one of its branches does (`user_id = auth.uid() OR is_admin()`: the first admits
 * any group); a condition on the caller alone (`auth.uid() IS NOT NULL`) limits nothing.
 */
function checksOnlyUser(model: Model, check: Node, use: Use, opens?: string[], blinds?: Node[], pins?: Pin[], signers?: string[]): boolean {
  let user = false;
  let signed = false;
  for (const c of conjuncts(check)) {
    if (c.BoolExpr?.boolop === 'OR_EXPR') {
      if (!pins) {
        // (a branch's signer columns count only where that branch passes)
        const passed = (c.BoolExpr.args as Node[]).some((d) => {
          const mine: string[] | undefined = signers && [];
          if (!checksOnlyUser(model, d, use, opens, blinds, undefined, mine)) return false;
          for (const x of mine ?? []) if (!signers!.includes(x)) signers!.push(x);
          return true;
        });
        if (passed) {
          user = true;
          continue;
        }
        return false;
      }
      // (what every branch that admits the caller's own row pins: a pin only some branches ask for pins nothing)
      let common: Pin[] | undefined;
      for (const d of c.BoolExpr.args as Node[]) {
        const own: Pin[] = [];
        const mine: string[] | undefined = signers && [];
        // (the branches after the first that admits are asked only for their pins: what they open or blind counts as before)
        if (!checksOnlyUser(model, d, use, common === undefined ? opens : opens && [], common === undefined ? blinds : blinds && [], own, mine)) continue;
        for (const x of mine ?? []) if (!signers!.includes(x)) signers!.push(x);
        common = common === undefined ? own : common.filter((p) => own.some((q) => q.col === p.col && q.value === p.value));
      }
      if (common === undefined) return false;
      pins.push(...common);
      user = true;
      continue;
    }
    // (`NOT EXISTS (SELECT … FROM members m WHERE m.org_id = members.org_id AND m.user_id = auth.uid())`:
    // the caller is not in that group yet, true of every group they would join; zrmed93's owner memberships)
    if (notYetMember(model, c, use)) continue;
    // (`NOT EXISTS (SELECT 1 FROM members m WHERE m.list_id = members.list_id)`, "the group has no
    // member yet", reads the membership table through its own SELECT policies: where those show
    // the caller only their rows and their groups', it finds none for any other group, so every
    // group passes as new (debt-manager's users_lists_insert_initial). Counted here; the report
    // asks those policies (callerScoped))
    if (blinds && noMemberYet(model, c, use)) {
      blinds.push(c);
      continue;
    }
    if (c.BoolExpr) return false; // NOT: not followed
    const eq = equality(c);
    if (eq) {
      const [a, b] = eq;
      const ca = columnRef(a);
      const cb = columnRef(b);
      if ((ca?.name === use.userCol && isCaller(model, b)) || (cb?.name === use.userCol && isCaller(model, a))) {
        user = true;
        continue;
      }
      // (`granted_by = auth.uid()`: another column of the row tied to the caller, which the writer
      // fills with their own id; it leaves both the user column and the group column to them, so a
      // user writes a row with their own user and any group: chainreact's workflow_permissions wp_insert)
      const other = ca && isCaller(model, b) ? ca : cb && isCaller(model, a) ? cb : undefined;
      if (signers && other && (other.qual === undefined || other.qual === use.member.name.toLowerCase()) && other.name !== use.groupCol && use.member.columns.includes(other.name)) {
        if (!signers.includes(other.name)) signers.push(other.name);
        signed = true;
        continue;
      }
    }
    // (`accepted_at IS NULL` where the trusting read asks `accepted_at IS NOT NULL`, or the reverse:
    // no row this branch admits is one the read counts — a pending invitation moved to another group
    // is still pending there; PGlite: the caller reads nothing more)
    if (c.NullTest && contradictsRead(c.NullTest, use)) return false;
    // (`org_id IS NOT NULL` names the group column without limiting it; `auth.uid() IS NOT NULL` asks only who calls)
    if (c.NullTest?.nulltesttype === 'IS_NOT_NULL' && (columnRef(c.NullTest.arg) || isIdentity(model, c.NullTest.arg))) continue;
    // (`admin_id <> player_id`: the group only differs from the caller, any other one passes; ft's admin_player_link_requests)
    if (differsFromCaller(model, c, use)) continue;
    // (`auth.role() = 'authenticated'`: every signed-in caller passes it)
    if (eq && signedInOnly(eq)) continue;
    // (`role = 'owner'`: a column of the row pinned to one value, which limits no group by itself,
    // but a partial unique index on the group column for that value does: pinned)
    if (eq && pins) {
      const [a, b] = eq;
      const col = columnRef(a)?.name ?? columnRef(b)?.name;
      const value = columnRef(a) ? literalText(b) : literalText(a);
      if (col !== undefined && col !== use.groupCol && value !== undefined) pins.push({ col, value });
    }
    // (`EXISTS (SELECT 1 FROM invitations WHERE company_id = company_members.company_id AND accepted_at
    // IS NULL)`: a row for the group, anyone's; any group that has one passes)
    const open = opens ? openLookup(model, c, use) : undefined;
    if (open !== undefined) {
      opens!.push(open);
      continue;
    }
    let limits = false;
    walk(c, (k, v) => {
      if (k === 'SubLink' || k === 'FuncCall') limits = true;
      if (k === 'ColumnRef' && columnRef({ ColumnRef: v })?.name === use.groupCol) limits = true;
      return !limits;
    });
    if (limits) return false;
  }
  return user || signed;
}

/** Whether a `col IS [NOT] NULL` of the write's check asks the opposite of what the trusting read asks of that column of the membership row. */
function contradictsRead(t: Node, use: Use): boolean {
  const col = columnRef(t.arg);
  if (!col || (col.qual !== undefined && col.qual !== use.member.name.toLowerCase()) || !use.member.columns.includes(col.name)) return false;
  const notNull = t.nulltesttype === 'IS_NOT_NULL';
  return !!use.nulls?.some((x) => x.col === col.name && x.notNull !== notNull);
}

/** Functions an open lookup may call: they compute from their arguments, not from who calls. */
const PURE_CALLS = new Set(['now', 'lower', 'upper', 'btrim', 'trim', 'length', 'char_length']);
/** SQLValueFunction ops that name who calls. */
const CALLER_VALUES = new Set(['SVFOP_CURRENT_USER', 'SVFOP_SESSION_USER', 'SVFOP_CURRENT_ROLE', 'SVFOP_USER']);

/**
 * The table of a condition that looks up a row of another table for the new row's group and asks
 * nothing of who calls — `EXISTS (SELECT 1 FROM invitations WHERE company_id =
 * company_members.company_id AND accepted_at IS NULL)`, `company_id IN (SELECT company_id FROM
 * invitations WHERE …)` — when certain: one table in FROM, other than the membership table, whose
 * columns the workspace knows; no reference to the caller (auth.uid(), auth.jwt(), current_user,
 * a setting), no call but a few pure ones, no nested sub-select, no OR; and the only column of the
 * new row it reads is the group column (a token the new row carries is a secret: left alone).
 * Such a row may be anyone's invitation: every group that has one passes.
 */
function openLookup(model: Model, c: Node, use: Use): string | undefined {
  // (`organization_name = (SELECT name FROM organizations WHERE id = organization_members.organization_id)`:
  // another column of the new row, which the writer fills, equal to what the lookup reads for the
  // group: any group with such a row passes, its value copied; HenryChung98/crm-project's organization_members)
  const eq = equality(c);
  const scalar = eq && (eq[1]?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? eq : eq[0]?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? ([eq[1], eq[0]] as [Node, Node]) : undefined);
  if (scalar) {
    const own = columnRef(scalar[0]);
    if (!own || (own.qual !== undefined && own.qual !== use.member.name.toLowerCase()) || own.name === use.groupCol || own.name === use.userCol || !use.member.columns.includes(own.name)) return undefined;
  }
  const link = scalar ? scalar[1].SubLink : c.SubLink;
  if (!link || (link.subLinkType !== 'EXISTS_SUBLINK' && link.subLinkType !== 'ANY_SUBLINK' && !scalar)) return undefined;
  const sel = link.subselect?.SelectStmt;
  const from = sel?.fromClause as Node[] | undefined;
  if (!sel || from?.length !== 1 || !from[0]?.RangeVar || sel.withClause || sel.groupClause || sel.havingClause || sel.op !== 'SETOP_NONE') return undefined;
  const rv = from[0].RangeVar;
  const key = model.relKey(rv);
  const t = model.tables.get(key);
  if (!t || t === use.member || t.columns.length === 0) return undefined;
  const alias = (rv.alias?.aliasname ?? rv.relname) as string;
  const memberName = use.member.name;
  let correlated = false;
  let ok = true;
  /** a column reference of the sub-select: the looked-up table's (inner), the new row's group column (correlated), or anything else (not certain) */
  const column = (n: Node): void => {
    const r = columnRef(n);
    if (!r) {
      ok = false;
      return;
    }
    if (r.qual !== undefined) {
      if (r.qual === alias && t.columns.includes(r.name)) return;
      if (r.qual === memberName && r.qual !== alias && r.name === use.groupCol) correlated = true;
      else ok = false;
      return;
    }
    if (t.columns.includes(r.name)) return;
    if (r.name === use.groupCol && use.member.columns.includes(r.name)) correlated = true;
    else ok = false;
  };
  if (scalar) {
    // (one column of t, the value the new row's column must equal)
    const target = (sel.targetList as Node[] | undefined)?.map((x) => x?.ResTarget?.val);
    const tr = target?.length === 1 ? columnRef(target[0]) : undefined;
    if (!tr || (tr.qual !== undefined && tr.qual !== alias) || !t.columns.includes(tr.name)) return undefined;
  }
  if (link.subLinkType === 'ANY_SUBLINK') {
    // (`group IN (SELECT col FROM t …)`: the test names the new row's group column, the target a column of t)
    const test = columnRef(link.testexpr);
    const target = (sel.targetList as Node[] | undefined)?.map((x) => x?.ResTarget?.val);
    if (!test || test.name !== use.groupCol || (test.qual !== undefined && test.qual !== memberName) || target?.length !== 1) return undefined;
    const tr = columnRef(target[0]);
    if (!tr || (tr.qual !== undefined && tr.qual !== alias) || !t.columns.includes(tr.name)) return undefined;
    correlated = true;
  }
  if (sel.whereClause) {
    for (const w of conjuncts(sel.whereClause)) if (w.BoolExpr) return undefined; // (OR, NOT: not followed)
    if (looksAtCaller(model, sel.whereClause)) return undefined;
    walk(sel.whereClause, (k, v) => {
      if (!ok) return false;
      if (k === 'SubLink' || k === 'ParamRef') ok = false;
      else if (k === 'FuncCall') {
        const names = (v.funcname as Node[]).map((x) => sval(x));
        if (names.length !== 1 || !PURE_CALLS.has(names[0] ?? '')) ok = false;
      } else if (k === 'SQLValueFunction' && CALLER_VALUES.has(v.op)) ok = false;
      else if (k === 'ColumnRef') {
        column({ ColumnRef: v });
        return false;
      }
      return ok;
    });
  }
  return ok && correlated ? key : undefined;
}

/**
 * Whether one of `roles` reads the same rows of `t` in a sub-select whoever calls: it may hold
 * SELECT on it, and the table has no row-level security, or a permissive SELECT policy for the role
 * admits rows and none of them asks who calls (an invitation read "by token": USING (true); live
 * orgs: USING (deleted_at IS NULL)). A lookup of such a table is open to every caller.
 */
function seesTheSameRows(model: Model, t: Table, roles: readonly string[]): boolean {
  return roles.some((r) => {
    // (a writer for PUBLIC is every role: one the platform grants SELECT to (anon, authenticated),
    // one the table's policies name, and its SELECT policies are every role's, forWriter: a
    // RESTRICTIVE one TO authenticated asking who calls ties a signed-in writer's lookup to them)
    const holders = r === 'public' ? ['public', ...(onSupabasePlatform(model) ? ['anon', 'authenticated'] : []), ...t.policies.flatMap((p) => p.roles)] : [r];
    if (!holders.some((h) => mayHoldPrivilege(model, t, h, ['select']))) return false;
    if (!t.rlsEnabled) return true;
    const select = t.policies.filter((p) => (p.command === 'select' || p.command === 'all') && forWriter(model, p, r));
    // (rows some permissive policy admits, and no policy asks who calls: `deleted_at IS NULL` shows
    // every live org to anyone, so any of them passes: paynless' organization_members update)
    return select.some((p) => p.permissive && p.using !== undefined && constBool(p.using) !== false) && !select.some((p) => p.using !== undefined && (looksAtCaller(model, p.using) || hasSubLink(p.using)));
  });
}


/**
 * Whether the write policy's check, though it limits the group column (an invitation lookup,
 * `is_member(org_id)`), says nothing of the role column the trusting policy asks for: its
 * conditions are ANDed, one is `user = <caller>`, none names the role column (nor the whole row),
 * and none is negated (`NOT EXISTS (… no member yet)`, the founder of a new group, is left alone).
 * A user the check lets in then writes their row with the trusted role (cloak's invitations).
 */
function checksNoRole(model: Model, check: Node, use: Use): boolean {
  const role = use.role!.col;
  let user = false;
  for (const c of conjuncts(check)) {
    const eq = equality(c);
    if (eq) {
      const [a, b] = eq;
      if ((columnRef(a)?.name === use.userCol && isIdentity(model, b)) || (columnRef(b)?.name === use.userCol && isIdentity(model, a))) {
        user = true;
        continue;
      }
    }
    // (the group is one the caller owns the row of: its creator makes themselves its owner)
    if (ownsGroup(model, c, use)) return false;
    let open = true;
    walk(c, (k, v) => {
      if (k === 'BoolExpr' && v.boolop === 'NOT_EXPR') open = false;
      if (k === 'ColumnRef') {
        const r = columnRef({ ColumnRef: v });
        if (!r || r.name === role || (r.qual === undefined && !use.member.columns.includes(r.name) && r.name === use.member.name.toLowerCase())) open = false;
      }
      return open;
    });
    if (!open) return false;
  }
  return user;
}

/**
 * Whether a condition ties the group to a row of another table that the caller owns, the group's
 * own row: `EXISTS (SELECT 1 FROM workspaces w WHERE w.id = workspace_members.workspace_id AND
 * w.created_by = auth.uid())`, `workspace_id IN (SELECT id FROM workspaces WHERE owner_id =
 * auth.uid())`, or a helper doing the same with the group column (`is_workspace_owner(workspace_id)`):
 * the creator of a group makes themselves its owner (nowadaysagency's "Creator can add first member").
 */
function ownsGroup(model: Model, c: Node, use: Use): boolean {
  const member = use.member;
  let owns = false;
  walk(c, (k, v) => {
    if (owns) return false;
    if (k !== 'SubLink') return undefined;
    const q = v.subselect?.SelectStmt;
    // (`project_id IN (SELECT get_user_owned_project_ids(auth.uid()))`: a set-returning helper giving
    // the key of the rows of another table the caller owns, `SELECT id FROM projects WHERE user_id =
    // uid`; danielbech/machi-os's "Users can join own projects")
    const set = v.subLinkType === 'ANY_SUBLINK' ? setReturnedBy(q) : undefined;
    if (set) {
      const ref = columnRef(bareValue(v.testexpr));
      owns = ref?.name === use.groupCol && (ref.qual === undefined || ref.qual === member.name.toLowerCase()) && ownedKeysOf(model, set, member);
      return !owns;
    }
    const from = q?.fromClause as Node[] | undefined;
    const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
    const t = rv?.relname ? model.tables.get(model.relKey(rv)) : undefined;
    if (!t || t === member) return undefined;
    const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
    const ofT = (x: { qual?: string; name: string } | undefined) => !!x && (x.qual === undefined ? t.columns.includes(x.name) : x.qual === alias);
    const isGroup = (n: Node) => {
      const x = columnRef(n);
      return !!x && x.name === use.groupCol && (x.qual === undefined ? !t.columns.includes(x.name) : x.qual === member.name.toLowerCase());
    };
    let keyTied = false;
    let callerTied = false;
    if (v.subLinkType === 'ANY_SUBLINK' && isGroup(v.testexpr)) {
      const target = q.targetList?.length === 1 ? columnRef(q.targetList[0]?.ResTarget?.val) : undefined;
      if (ofT(target) && uniqueColumn(t, target!.name)) keyTied = true;
    }
    for (const w of conjuncts(q.whereClause)) {
      const eq = equality(w);
      if (!eq) continue;
      for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
        const x = columnRef(a);
        if (!ofT(x)) continue;
        if (uniqueColumn(t, x!.name) && isGroup(b)) keyTied = true;
        else if (isIdentity(model, b)) callerTied = true;
      }
    }
    owns = keyTied && callerTied;
    return !owns;
  });
  if (owns) return true;
  for (const call of callsIn(c)) {
    const f = model.findFunction(call.name, call.args.length);
    if (!f) continue;
    for (const r of readsOfHelper(model, f)) {
      if (r.member === member) continue;
      const arg = (x: { param?: number }) => argumentOf(model, f, call.args, x.param);
      const tied = r.sides.some((x) => {
        const a = arg(x);
        const ref = a ? columnRef(a) : undefined;
        return ref?.name === use.groupCol && (ref.qual === undefined || ref.qual === member.name.toLowerCase()) && uniqueColumn(r.member, x.col);
      });
      if (tied && r.sides.some((x) => x.identity || (arg(x) !== undefined && isIdentity(model, arg(x)!)))) return true;
    }
  }
  return false;
}

/**
 * Whether a call returns the unique key of rows of a table other than `member` that the caller
 * owns: a helper whose read of that table returns its primary key or a unique column and compares
 * another column with who calls (`SELECT id FROM projects WHERE user_id = uid`, called with
 * auth.uid()). A group the check takes from it is one the caller made.
 */
function ownedKeysOf(model: Model, call: Node, member: Table): boolean {
  const name = ((call.funcname ?? []) as Node[]).map((x) => sval(x) ?? '');
  const args = (call.args ?? []) as Node[];
  const f = model.findFunction(name, args.length);
  if (!f || f.reads.size === 0) return false;
  return readsOfHelper(model, f).some((r) => {
    if (r.member === member || !uniqueColumn(r.member, r.returns)) return false;
    return r.sides.some((x) => x.col !== r.returns && (x.identity || (() => { const a = argumentOf(model, f, args, x.param); return a !== undefined && isIdentity(model, a); })()));
  });
}

/**
 * Whether the check reads the membership table itself (a sub-select of it, or a function reading
 * it): the caller must already have a row of that group, so (with the group and user columns a key)
 * inserting another fails; changing their own row's role does not.
 */
function checkReadsMember(model: Model, check: Node, member: Table): boolean {
  let reads = false;
  walk(check, (k, v) => {
    if (k === 'RangeVar' && v.relname && model.tables.get(model.relKey(v)) === member) reads = true;
    return !reads;
  });
  if (reads) return true;
  return callsIn(check).some((c) => model.findFunction(c.name, c.args.length)?.reads.has(member.key));
}

/**
 * Whether the write policy's USING asks, in one of its AND parts (a call of the helper), for the very value the use trusts
 * through the same helper (`is_owner(auth.uid())` where is_owner() reads role = 'owner'): only a
 * caller who holds it already reaches a row to UPDATE.
 */
function heldToUpdate(model: Model, member: Table, w: Policy, use: Use): boolean {
  if (!use.via || use.groupValue === undefined || !w.using) return false;
  return conjuncts(w.using).some((c) => {
    const found: Use[] = [];
    helperUses(model, member, w, c, found);
    // (the part is the call itself: one inside an OR, `has_role(…, 'super_admin') OR has_role(…, 'tenant_admin')`, asks nothing on its own)
    return found.some((x) => x.at !== undefined && x.at === c?.FuncCall && x.via === use.via && x.groupCol === use.groupCol && x.groupValue === use.groupValue);
  });
}

/**
 * A branch of the write policy's check (an OR's, or the whole check) that admits holders of
 * another value of the trusted column through the same helper (`has_role(auth.uid(),
 * 'tenant_admin')`) and says nothing of the column, while another branch asks for the trusted
 * value itself (`has_role(auth.uid(), 'super_admin') OR has_role(auth.uid(), 'tenant_admin')`):
 * a holder of the lesser value writes rows with the trusted one (fastnd-poc's user_roles). The
 * lesser value, or undefined.
 */
function lesserHolders(model: Model, member: Table, w: Policy, check: Node, use: Use): string | undefined {
  if (!use.via || use.groupValue === undefined) return undefined;
  const branches: Node[] = check.BoolExpr?.boolop === 'OR_EXPR' ? check.BoolExpr.args : [check];
  if (branches.length < 2) return undefined;
  const held = branches.map((b) => {
    const found: Use[] = [];
    helperUses(model, member, w, b, found);
    return found.filter((x) => x.via === use.via && x.groupCol === use.groupCol && x.groupValue !== undefined).map((x) => x.groupValue!);
  });
  if (!held.some((vs) => vs.includes(use.groupValue!))) return undefined;
  // (the values the trusting policy admits already: becoming the trusted value gives their holders nothing)
  const admitted = new Set<string>();
  for (const e of [use.policy.using, use.policy.withCheck]) {
    if (!e) continue;
    const found: Use[] = [];
    helperUses(model, use.table, use.policy, e, found);
    for (const x of found) if (x.via === use.via && x.groupCol === use.groupCol && x.groupValue !== undefined) admitted.add(x.groupValue);
  }
  for (let i = 0; i < branches.length; i++) {
    const other = held[i]!.find((v) => v !== use.groupValue && !admitted.has(v));
    if (other === undefined || held[i]!.includes(use.groupValue)) continue;
    let names = false;
    walk(branches[i], (k, v) => {
      if (k === 'ColumnRef' && columnRef({ ColumnRef: v })?.name === use.groupCol) names = true;
      return !names;
    });
    if (!names) return other;
  }
  return undefined;
}

/** `auth.role() = 'authenticated'`, either way round: every signed-in caller passes it. */
const signedInOnly = ([a, b]: [Node, Node]): boolean =>
  (authCallOf(a) === 'role' && bareValue(b)?.A_Const?.sval?.sval === 'authenticated') || (authCallOf(b) === 'role' && bareValue(a)?.A_Const?.sval?.sval === 'authenticated');

/**
 * Whether the write policy's check admits any row: `WITH CHECK (true)`, or only conditions on
 * who calls (`auth.uid() IS NOT NULL`, `auth.role() = 'authenticated'`) — a user writes rows with
 * any group, for themselves or anyone (classroomio's organizationmember).
 */
function checksNothing(model: Model, check: Node): boolean {
  return conjuncts(check).every((c) => {
    if (constBool(c) === true) return true;
    if (c.NullTest?.nulltesttype === 'IS_NOT_NULL' && isIdentity(model, c.NullTest.arg)) return true;
    const eq = equality(c);
    return !!eq && signedInOnly(eq);
  });
}

/**
 * Whether writes by `cmd` to the membership table may be changed or refused by something the
 * rule does not read: a trigger on that event (it may reset the row or raise, as role-change
 * guards do), or column privileges for `cmd` that leave the group column out (GRANT UPDATE
 * (name) ON profiles: the role cannot write the column at all).
 */
export function guarded(model: Model, member: Table, cmd: 'insert' | 'update', groupCol: string): boolean {
  // (kept per table object while calls resolve the same and no GRANT names columns: the table's
  // triggers are on it, what their functions do follows functionsToken; policy-update-moves-row
  // asks it of each of the bench's 2,234 tables at every re-lint)
  if (columnGrantIndex(model).size !== 0) return guardedUncached(model, member, cmd, groupCol);
  const token = functionsToken(model);
  let k = guardedKept.get(member);
  if (!k || k.token !== token) guardedKept.set(member, (k = { token, insert: new Map(), update: new Map() }));
  const byColumn = cmd === 'insert' ? k.insert : k.update;
  let v = byColumn.get(groupCol);
  if (v === undefined) byColumn.set(groupCol, (v = guardedUncached(model, member, cmd, groupCol)));
  return v;
}
const guardedKept = new WeakMap<Table, { token: object; insert: Map<string, boolean>; update: Map<string, boolean> }>();

/**
 * Whether guarded's answers in this model follow from the table object and functionsToken alone
 * (no GRANT names columns): an answer kept under the same table and functionsToken, asked where
 * this held too, is the same asked again (policy-update-moves-row's kept findings).
 */
export function guardedByTableAlone(model: Model): boolean {
  return columnGrantIndex(model).size === 0;
}

function guardedUncached(model: Model, member: Table, cmd: 'insert' | 'update', groupCol: string): boolean {
  const bit = cmd === 'insert' ? TRIGGER_INSERT : TRIGGER_UPDATE;
  for (const tr of member.triggers) if (tr.events & bit && triggerGuards(model, tr, groupCol)) return true;
  return columnGrants(model, member, cmd).some((cols) => !cols.includes(groupCol));
}

/**
 * Whether a SELECT policy of the membership table may show a user their own row whatever its
 * group column: a permissive SELECT (or ALL) policy for one of the roles (any, when they include
 * PUBLIC) with an OR branch that
 * names no group column. Without one, an UPDATE that reads a
 * column (WHERE, RETURNING) has its new row checked against SELECT policies that admit it through
 * its group only, and fails (42501); one that reads none still moves the row (fulbo's players).
 */
function seesOwnRow(model: Model, member: Table, roles: readonly string[], use: Use): boolean {
  const branches = (n: Node): Node[] => (n?.BoolExpr?.boolop === 'OR_EXPR' ? (n.BoolExpr.args as Node[]).flatMap(branches) : [n]);
  // (a branch that never names the group column may admit the moved row: `user_id = auth.uid()`,
  // `true`, or a helper of the caller alone; one naming it everywhere admits it only for a group
  // the caller is in)
  const free = (branch: Node) => {
    let names = false;
    walk(branch, (k, v) => {
      if (k === 'ColumnRef' && columnRef({ ColumnRef: v })?.name === use.groupCol) names = true;
      return !names;
    });
    return !names;
  };
  // (writers for PUBLIC include every role a SELECT policy names: tirilo's usuarios, UPDATE for PUBLIC
  // beside a SELECT policy TO authenticated USING (true), where a signed-in user's UPDATE … WHERE works)
  return readers(model, member, roles).some((q) => branches(q.using!).some(free));
}

/** The permissive SELECT (or ALL) policies of the membership table with a USING that apply to one of the writers. */
function readers(model: Model, member: Table, roles: readonly string[]): Policy[] {
  return member.policies.filter((q) => q.permissive && (q.command === 'select' || q.command === 'all') && q.using && roles.some((r) => forWriter(model, q, r)));
}

/** What guarded() found keeping users from updating `col`: the column privileges, or a trigger. */
function keptBy(model: Model, member: Table, col: string): string {
  const grant = columnGrants(model, member, 'update').find((cols) => !cols.includes(col));
  if (grant) return `the column privileges: GRANT UPDATE (${grant.join(', ')})`;
  const tr = member.triggers.find((t) => t.events & TRIGGER_UPDATE && triggerGuards(model, t, col));
  return tr ? `trigger ${tr.name}` : 'a trigger';
}

/** Trigger functions of contrib extensions and the core that neither raise nor set a group column: a timestamp, a tsvector, or skipping a no-op UPDATE. */
const CONTRIB_TRIGGERS = new Set(['moddatetime', 'tsvector_update_trigger', 'tsvector_update_trigger_column', 'suppress_redundant_updates_trigger']);

/**
 * Whether a trigger may refuse or reset the group column: its function assigns `NEW.<column>` (in
 * a BEFORE … FOR EACH ROW trigger: an AFTER trigger's NEW is not the row written), or raises an
 * exception in an IF whose condition names the column (`IF NEW.role <> OLD.role THEN RAISE …`); a
 * function whose body is not known may. An audit trigger, or a guard of another column, does not.
 */
function triggerGuards(model: Model, tr: Trigger, groupCol: string): boolean {
  const funcKey = tr.func;
  const f = model.functions.get(funcKey)?.[0];
  // (extension trigger functions that touch one column of their own: moddatetime(updated_at) sets a timestamp, kitloop's profiles)
  if (!f && CONTRIB_TRIGGERS.has(funcKey.slice(funcKey.lastIndexOf('.') + 1))) return false;
  if (!f?.body || (f.language !== 'plpgsql' && f.language !== 'sql')) return true;
  // (kept per body and column across lints: a function made again from an unchanged file has the same body)
  let byCol = guards.get(f.body);
  if (!byCol) guards.set(f.body, (byCol = new Map()));
  let v = byCol.get(groupCol);
  if (v === undefined) byCol.set(groupCol, (v = bodyGuards(bodyText(model, f), groupCol)));
  return v === GUARD_RAISES || (v === GUARD_ASSIGNS && tr.before && tr.row);
}
const guards = new WeakMap<object, Map<string, number>>();
/** bodyGuards' answers: neither, an assignment of NEW.<column>, a RAISE EXCEPTION guarding it. */
const GUARD_NONE = 0;
const GUARD_ASSIGNS = 1;
const GUARD_RAISES = 2;

/** What a function body as written (its comments not yet stripped) does with the column: GUARD_RAISES, GUARD_ASSIGNS or GUARD_NONE. */
function bodyGuards(body: string, groupCol: string): number {
  const re = columnPatterns(groupCol);
  // (a body that never spells the column matches neither pattern, its comments stripped or not
  // (each made a space): the bench's trigger functions, one per table, nothing stripped)
  if (re.mentions !== undefined && !re.mentions.test(body)) return GUARD_NONE;
  const text = stripComments(body);
  // (an IF or ELSIF whose condition names the column of the row, NEW.<column> or OLD.<column>, and
  // whose branch starts with RAISE EXCEPTION; not a column of another row the condition reads:
  // boundtime's guard of a Bull's role asks `EXISTS (SELECT … FROM profiles WHERE id = auth.uid()
  // AND is_admin = true)`, and leaves is_admin to anyone updating their own row, measured)
  for (const m of text.matchAll(/\b(?:els)?if\b([\s\S]*?)\bthen\s+raise\s+exception\b/gi)) if (re.names.test(m[1]!)) return GUARD_RAISES;
  return re.assigns.test(text) ? GUARD_ASSIGNS : GUARD_NONE;
}

/**
 * bodyGuards' patterns of a column (its name; NEW.<column> assigned; NEW.<column> or OLD.<column>
 * named), made once per column name (no `g` flag: test() keeps no state). The bench's trigger
 * functions, one per table, are each asked of the same few group columns.
 */
function columnPatterns(groupCol: string): ColumnPatterns {
  let re = patterns.get(groupCol);
  if (re === undefined) {
    const col = groupCol.replace(/[^\w$]/g, '');
    re = {
      // (the name itself, in any case, where it is only word characters: both patterns spell it)
      mentions: /^\w+$/.test(col) ? new RegExp(col, 'i') : undefined,
      // (a statement of its own: after `;`, BEGIN, THEN, ELSE or LOOP; not `IF NEW.role = 'recruiter'
      // THEN`, a comparison — hire-speedy-ai's auto_create_inbound_address(), AFTER INSERT on
      // user_roles, was taken for a trigger resetting the role)
      assigns: new RegExp(String.raw`(?:^|;|\bbegin\b|\bthen\b|\belse\b|\bloop\b)\s*new\s*\.\s*"?${col}"?\s*:?=(?!=)`, 'i'),
      names: new RegExp(String.raw`\b(?:new|old)\s*\.\s*"?${col}"?(?![\w$])`, 'i'),
    };
    patterns.set(groupCol, re);
  }
  return re;
}
interface ColumnPatterns {
  mentions: RegExp | undefined;
  assigns: RegExp;
  names: RegExp;
}
const patterns = new Map<string, ColumnPatterns>();

/** Whether a parsed file has a GRANT naming columns (kept per parsed file: most have none). */
const grantsColumns = anyStatementIn((s) => s.kind === 'GrantStmt' && ((s.node?.privileges ?? []) as Node[]).some((pr) => pr?.AccessPriv?.cols?.length));

/** The column lists of the GRANTs of `cmd` on the table that name columns (`GRANT UPDATE (name, bio) ON profiles`). */
function columnGrants(model: Model, t: Table, cmd: string): string[][] {
  const index = columnGrantIndex(model);
  // (no key made in a workspace without a column GRANT: most)
  return index.size === 0 ? NO_GRANTS : (index.get(`${t.key}\u0000${cmd}`) ?? NO_GRANTS);
}
const NO_GRANTS: string[][] = [];

/**
 * The column lists of the workspace's GRANTs, by table and command (per model): the grant
 * events' statements looked up once, and only in a workspace with such a GRANT (on the bench,
 * 2,234 tables each looked through every statement: 450 ms of a re-lint).
 */
function columnGrantIndex(model: Model): Map<string, string[][]> {
  return memoModel(model, 'membership:columnGrants', (m) => {
    const out = new Map<string, string[][]>();
    if (!m.files.some(grantsColumns)) return out;
    const stmts = new Map<string, Node>();
    for (const { file, stmt } of m.statements) if (stmt.kind === 'GrantStmt') stmts.set(`${file.file}\u0000${stmt.start}`, stmt.node);
    for (const g of m.grantEvents) {
      if (!g.isGrant || g.objectKind !== 'table') continue;
      const node = stmts.get(`${g.loc.file}\u0000${g.loc.start}`);
      for (const pr of (node?.privileges ?? []) as Node[]) {
        const a = pr?.AccessPriv;
        if (!a?.cols?.length) continue;
        const cmd = String(a.priv_name ?? '').toLowerCase();
        const cols = (a.cols as Node[]).map((c) => String(sval(c) ?? '').toLowerCase());
        for (const k of g.objects) {
          const key = `${k}\u0000${cmd}`;
          const list = out.get(key);
          if (list) list.push(cols);
          else out.set(key, [cols]);
        }
      }
    }
    return out;
  });
}

/**
 * Whether the trusting policy gives nothing its roles do not have anyway: another permissive
 * policy of its table for its commands admits every row to the writer's roles (USING (true), or
 * `auth.uid() IS NOT NULL` for authenticated: auradesk's profiles; for a write, its check too), or the policies of
 * the membership or trusting table recurse when read (42P17: every read of them fails, which
 * policy-recursion reports), or the writer's roles see no row of the membership table.
 */
function nothingGained(model: Model, u: Use, w: Policy): boolean {
  // Only a rewriter cycle (42P17) fails every statement: one from a SELECT policy of either table
  // fails every read of it, one from a write policy of the membership table every such write
  // (barbearia's INSERT policies). A cycle through a function (54001) goes round only for some
  // rows (studyu's study and study_subject read each other through is_study_subject_of(), and
  // joining still works).
  const fails = (p: Policy) =>
    ((p.command === 'select' || p.command === 'all') && (p.table === u.member.key || p.table === u.table.key)) ||
    (p.table === u.member.key && (p.command === w.command || w.command === 'all'));
  if (recursionCycles(model).some((c) => c.code === '42P17' && fails(c.start))) return true;
  // (the writer's roles see no row of the membership table: the trusting policy, reading it as
  // them, never finds the row they write; booktifi's users, with an INSERT policy only. Not
  // when it reads it through a SECURITY DEFINER function, as its owner)
  const writers = w.roles.includes('public') ? u.policy.roles.filter((r) => r !== 'public') : w.roles;
  // (nor when the policy reads a claim a hook copied: the hook reads the row, not the caller)
  if (!u.via?.securityDefiner && !u.claim && writers.length && writers.every((r) => hiddenFrom(model, u.member, r))) return true;
  const admits = (e: Node | undefined, role: string) => {
    if (!e) return false;
    if (constBool(e) === true) return true;
    const t = e.NullTest;
    return role === 'authenticated' && !!t && t.nulltesttype === 'IS_NOT_NULL' && authCallOf(t.arg) === 'uid';
  };
  // (a trusting policy for other commands too gives nothing when another policy for those
  // commands admits every row, and lets any row be written: an administrators' FOR ALL … USING
  // (true) beside a FOR ALL policy trusting memberships; danbiagini/parlour-room's
  // admin_invitations_policy, whose roles are the only writers of its users and
  // parlour_user_join rows — with no WITH CHECK, USING is the check, T14c)
  const cmd = u.policy.command;
  const all = (p: Policy, role: string) => {
    if (cmd === 'select') return p.command === 'select' || p.command === 'all' ? admits(p.using, role) : false;
    if (p.command !== 'all' && p.command !== cmd) return false;
    if (cmd !== 'insert' && !admits(p.using, role)) return false;
    return cmd === 'delete' || admits(p.withCheck ?? p.using, role);
  };
  const roles = w.roles.includes('public') ? u.policy.roles : w.roles;
  // (a writer for PUBLIC, the trusting policy for PUBLIC too, is every role: a SELECT policy TO
  // authenticated showing every row leaves a signed-in user nothing to gain, forWriter)
  return roles.every((r) => u.table.policies.some((p) => p.permissive && p !== u.policy && forWriter(model, p, r) && all(p, r === 'public' && p.roles.length === 1 ? p.roles[0]! : r)));
}

/**
 * ' As written, …' when the trusting policy reads the membership table as the caller and a SELECT
 * policy of that table recurses at execution (54001: it calls a SECURITY INVOKER function that reads
 * the table again, T02 — akuligowski9/chiribudget's members_read and is_household_member(), which
 * households_read calls too): the trusting policy then fails instead of admitting the rows, and the
 * hole opens once the recursion is fixed as policy-recursion advises (a SECURITY DEFINER helper). Or ''.
 */
function recursesAsWritten(model: Model, use: Use): string {
  if (use.via?.securityDefiner) return '';
  const c = recursionCycles(model).find((x) => x.code === '54001' && x.start.table === use.member.key && (x.start.command === 'select' || x.start.command === 'all'));
  if (!c) return '';
  // (another permissive SELECT policy of the table may admit a row before the cycle's is evaluated: policy-recursion's "whether a query goes round")
  const others = use.member.policies.some((q) => q !== c.start && q.permissive && (q.command === 'select' || q.command === 'all'));
  return (
    ` As written, the read of ${use.member.key} it trusts ${others ? 'may recurse' : 'recurses'}: policy "${c.start.name}" on it calls a function that reads it again as the caller (54001 stack depth limit exceeded, policy-recursion${others ? ': whether a query goes round depends on the rows and the table\'s other policies' : ''}), ` +
    `so policy "${use.policy.name}" ${others ? 'may fail' : 'fails'} on the rows it reads instead of admitting them; fixing that recursion as policy-recursion advises (a SECURITY DEFINER helper) leaves this hole open, so fix both.`
  );
}

/**
 * Whether the role may run `cmd` on the table, as far as the migrations say (grants made elsewhere
 * count as yes); for PUBLIC, whether a role it stands for may (publicMayHold: kirill-markin's
 * expense-budget-tracker revokes INSERT on workspace_members from its app roles, whose policy is for PUBLIC).
 */
function mayWrite(model: Model, t: Table, role: string, cmd: string): boolean {
  if (t.owner?.role === role) return true;
  return role === 'public' ? publicMayHold(model, t, [cmd]) : mayHoldPrivilege(model, t, role, [cmd]);
}

const ALL_CMDS = ['select', 'insert', 'update', 'delete'];

/** A use a write policy lets users abuse, with the roles, the commands and how (see the loop in check). */
/** A column of the written row that a check pins to one constant (`role = 'owner'`), the constant as literalText writes it. */
interface Pin {
  col: string;
  value: string;
}

interface Candidate {
  /** what the branches of the check admitting the caller's own row pin (`role = 'owner'`) */
  pins?: Pin[];
  use: Use;
  roles: string[];
  can: Array<'insert' | 'update'>;
  rank: number;
  lesser?: string;
  roleOf?: string;
  kept?: boolean;
  lookups: string[];
  blind?: boolean;
  /**
   * the role value the trusting read asks for beside the group column it leaves open (`AND role =
   * 'owner'`), and whether the write policy lets users set it too (the column unguarded, the check
   * not asking for it)
   */
  asks?: { col: string; value: string; set: boolean };
  /** the other columns of the row the check ties to the caller (`granted_by = auth.uid()`), and whether it ties the user column too */
  signers?: string[];
  userTied?: boolean;
  /**
   * The UPDATE policy's USING admits only rows whose user column is null (`challenger_id IS
   * NULL`: a seat no one holds yet), so the rows a user updates are not theirs but no one's,
   * which the same UPDATE makes theirs: the finding says so, not "their own row".
   */
  unclaimed?: boolean;
}

/** Whether a write policy's USING requires the user column to be null (a row no one holds yet: Candidate.unclaimed). */
function unclaimedOnly(w: Policy, userCol: string): boolean {
  return !!w.using && conjuncts(w.using).some((n) => n?.NullTest?.nulltesttype === 'IS_NULL' && columnRef(bareValue(n.NullTest.arg))?.name === userCol);
}

/** Whether some condition of the check compares the user column with who calls. */
function tiesUser(model: Model, check: Node, use: Use): boolean {
  let tied = false;
  walk(check, (k, v) => {
    if (tied) return false;
    if (k === 'A_Expr') {
      const eq = equality({ A_Expr: v });
      if (eq && ((columnRef(eq[0])?.name === use.userCol && isCaller(model, eq[1])) || (columnRef(eq[1])?.name === use.userCol && isCaller(model, eq[0])))) tied = true;
    }
    return !tied;
  });
  return tied;
}

/**
 * Whether every row the write's check admits without other limits has column `col` equal to who
 * calls: a conjunct `col = <caller>`, or an OR each of whose branches ties it or admits nothing by
 * itself (checksOnlyUser: `is_admin()`, a sub-select).
 */
function tiesColumn(model: Model, check: Node, use: Use, col: string): boolean {
  return conjuncts(check).some((c) => {
    if (c.BoolExpr?.boolop === 'OR_EXPR') return (c.BoolExpr.args as Node[]).every((d) => tiesColumn(model, d, use, col) || !checksOnlyUser(model, d, use));
    const eq = equality(c);
    return !!eq && ((columnRef(eq[0])?.name === col && isCaller(model, eq[1])) || (columnRef(eq[1])?.name === col && isCaller(model, eq[0])));
  });
}

/**
 * Between uses of the same rank for one column: one whose read asks for no role value too (all it
 * needs is the column), then one of a policy that reads (SELECT or ALL: the leak is the rows
 * themselves; vouti's tenant SELECT policies rather than an INSERT one), and a DELETE policy last:
 * where the membership table's column is a foreign key to the trusted table (ON DELETE NO ACTION
 * or RESTRICT, the default), the forged row itself references the row the policy admits, and the
 * DELETE fails with 23503 (the-suite's client_profiles.address_id → addresses), while an UPDATE
 * policy trusting the same rows goes through.
 */
const preference = (c: Candidate) => (c.use.role ? 0 : 4) + commandRank(c.use.policy.command);

/** A constant a role column is compared with that names an administrator. */
const ADMIN_VALUE = /admin|owner|super|manager|staff|moderator/i;

const sharesRole = (a: Policy, b: Policy) => a.roles.includes('public') || b.roles.includes('public') || a.roles.some((r) => b.roles.includes(r));

/** Whether one of `roles` may delete rows of the table: a permissive DELETE (or ALL) policy with a USING that is not false applies to it, and it may hold the privilege. */
function deletes(model: Model, t: Table, roles: readonly string[]): boolean {
  return roles.some(
    (r) =>
      mayWrite(model, t, r, 'delete') &&
      t.policies.some((p) => p.permissive && (p.command === 'delete' || p.command === 'all') && appliesToRole(model, p, r) && p.using !== undefined && constBool(p.using) !== false),
  );
}

export const policyMembershipSelfJoin = defineRule({
  meta: {
    id: 'policy-membership-self-join',
    description: "A policy lets users write their own rows of a membership table that other policies trust, checking only the user column: a user can add themselves to any group and read its rows.",
    severity: 'error',
    category: 'security',
    fixKind: 'none',
    guards:
      "Policies that admit a row when `EXISTS (SELECT 1 FROM members WHERE members.org_id = t.org_id AND members.user_id = <caller>)` trust every membership row; a write policy on members whose WITH CHECK only says `user_id = <caller>` lets a user write a row with any org_id, and the other policies then admit that org's rows.",
  },
  check({ model, report: say }) {
    // (the write policies reported for a trusted group or value: reportExistence leaves them alone)
    const said = new Set<Policy>();
    let current: Policy | undefined;
    const report = (r: Report) => {
      said.add(current!);
      say(r);
    };
    const uses = membershipUses(model);
    // (a write policy PostgreSQL rejects as it is created never exists, and lets no one write:
    // b2b-materialidad-v2's `WITH CHECK (id = (auth.jwt() ->> 'sub'))` on a uuid id, 42883)
    const rejected = rejectedPolicies(model);
    for (const [key, list] of uses) {
      const member = model.tables.get(key)!;
      if (!member.rlsEnabled) continue;
      for (const w of member.policies) {
        if (!w.permissive || (w.command !== 'insert' && w.command !== 'update' && w.command !== 'all')) continue;
        if (rejected.size !== 0 && rejected.has(w)) continue;
        current = w;
        // (without WITH CHECK, an UPDATE's new row is checked with USING: T14c)
        const check = w.withCheck ?? (w.command === 'insert' ? undefined : w.using);
        if (!check) continue;
        // (the first use this policy lets a user abuse: a trigger guarding one group column, a role, may leave another, an org)
        const cmds: Array<'insert' | 'update'> = w.command === 'all' ? ['insert', 'update'] : [w.command];
        // (per column a user may set, the use that gives most: a policy of the membership table
        // itself trusting a value (admins managing everyone's rows), then a value that names an
        // administrator, then the first; LocalHeroFinder's 'requester', which sign-up hands out,
        // was named where 'admin' manages every role. The finding leads with the one that gives
        // most of all and names every other column too: affiliate-finance-hub's profiles, whose
        // is_system_owner flag went unsaid next to default_workspace_id)
        const byColumn = new Map<string, Candidate>();
        let dead: { use: Use; roles: string[] } | undefined;
        const nothing = checksNothing(model, check);
        for (const trusted of list) {
          if (!sharesRole(trusted.policy, w)) continue;
          let u = trusted;
          const opens: string[] = [];
          const blinds: Node[] = [];
          const pins: Pin[] = [];
          const signers: string[] = [];
          const plain = nothing || checksOnlyUser(model, check, u, opens, blinds, pins, signers);
          // (the role counts only within the read's scope, and the check ties that scope to the
          // caller, `WITH CHECK (org_id = (select auth.uid()))`: the row makes its writer an owner of
          // the one group the check already lets them manage, whose members and roles it lets them
          // write for anyone; coach-house-lms' organization_memberships, trusted with role = 'owner')
          if (plain && !nothing && u.scope !== undefined && signers.includes(u.scope) && tiesColumn(model, check, u, u.scope)) continue;
          // (or holders of a lesser value who may write rows without a check of the column: tenant admins making super admins)
          const lesser = plain ? undefined : lesserHolders(model, member, w, check, u);
          // (or a check that limits the group but not the role the trusting policy asks for within
          // it: an invited user joins as admin; the use is then the role column's, with its value)
          let roleOf: string | undefined;
          if (!plain && lesser === undefined) {
            if (!u.role || !ADMIN_VALUE.test(u.role.value) || !checksNoRole(model, check, u)) continue;
            roleOf = u.groupCol;
            u = { ...u, groupCol: u.role.col, groupValue: u.role.value };
          }
          if (nothingGained(model, u, w)) continue;
          // (not roles that bypass row-level security, such as Supabase's service_role: a policy gives them nothing, and no user acts as them)
          const roles = w.roles.filter((r) => (u.policy.roles.includes('public') || u.policy.roles.includes(r) || r === 'public') && (r === 'public' || !model.roleBypassesRls(r)));
          const writes = (c: 'insert' | 'update', col: string) => roles.some((r) => mayWrite(model, member, r, c)) && !guarded(model, member, c, col);
          let can = cmds.filter((c) => writes(c, u.groupCol) && !(roleOf !== undefined && c === 'insert' && checkReadsMember(model, check, member)));
          // (one row per user, made for every account at sign-up by a trigger on auth.users, and no
          // policy letting them delete it: their own row already exists, so an INSERT of it fails
          // with 23505 and only a row with another user's id would pass, which the check refuses;
          // COMP3122's profiles, made by sync_profile_from_auth_user(), trusted by classes_insert_teacher)
          if (plain && !nothing && lesser === undefined && uniqueColumn(member, u.userCol) && madeAtSignUp(model, member) && !deletes(model, member, roles)) can = can.filter((c) => c !== 'insert');
          // (the group column kept from users by column privileges or a trigger, the role column
          // the trusting policy asks for within the group not: a member makes themselves its
          // admin by updating their own row)
          let kept = false;
          if (!can.length && plain && lesser === undefined && u.role && ADMIN_VALUE.test(u.role.value) && cmds.includes('update') && checksNoRole(model, check, u)) {
            const v: Use = { ...u, groupCol: u.role.col, groupValue: u.role.value };
            if (writes('update', v.groupCol) && !nothingGained(model, v, w)) {
              can = ['update'];
              roleOf = u.groupCol;
              kept = true;
              u = v;
            }
          }
          // (an UPDATE the write policy's USING lets only holders of the trusted value make, through
          // the same helper: they hold it already and gain nothing by it; its INSERT stays open.
          // Jeanway-USA/fleetflowjwusa's user_roles, "Owners can manage org roles" FOR ALL USING
          // (is_owner(auth.uid()) AND org_id = …) WITH CHECK (org_id = …), trusted through is_owner())
          if (can.includes('update') && heldToUpdate(model, member, w, u)) can = can.filter((c) => c !== 'update');
          if (!can.length) continue;
          // (the trusting policy gives nothing when none of these roles holds a privilege its command
          // needs on its table: the statement fails with 42501 before row-level security is asked,
          // T28; equity-flow-system's tenant_memberships, revoked from authenticated. What the
          // helper it calls returns may still choose rows elsewhere: rpcs below)
          if (!roles.some((r) => (u.policy.command === 'all' ? ALL_CMDS : [u.policy.command]).some((c) => mayWrite(model, u.table, r, c)))) {
            if (u.via && u.groupValue === undefined && can.includes('update')) dead ??= { use: u, roles };
            continue;
          }
          const rank = (u.table === member && u.groupValue !== undefined ? 2 : 0) + (u.groupValue !== undefined && ADMIN_VALUE.test(u.groupValue) ? 1 : 0);
          // (a "no member yet" NOT EXISTS limits the group unless the table's SELECT policies hide the groups the caller is not in)
          if (plain && blinds.length && !callerScoped(model, member, roles, u)) continue;
          // (the lookup runs as the writer, under the looked-up table's SELECT policies: it is open
          // only where they let the writer see every row, or the table has no row-level security)
          const lookups = plain && !nothing && !kept ? opens : [];
          if (lookups.some((k) => !seesTheSameRows(model, model.tables.get(k)!, roles))) continue;
          const had = byColumn.get(u.groupCol);
          // (the trusting read asks for a role value too, `AND role = 'owner'`: a forged group gives its
          // rows only with that value, which the finding must say; the write may set it as well)
          const asks = roleOf === undefined && u.role && u.role.col !== u.groupCol ? { ...u.role, set: can.some((x) => writes(x, u.role!.col)) && (nothing || checksNoRole(model, check, u)) } : undefined;
          // (the check pins the column the trusting read asks a value of to another value, `status =
          // 'pending'` where it asks for 'accepted': a row written through it never has that value,
          // and gives nothing through it; a friend request that only the other side accepts)
          const unquoted = (v: string) => v.replace(/^'(.*)'$/s, '$1');
          if (asks && !asks.set && plain && !nothing && pins.some((x) => x.col === asks.col && unquoted(x.value) !== unquoted(asks.value))) continue;
          const c: Candidate = { use: u, roles, can, rank, lesser, roleOf, kept, lookups, blind: plain && !kept && blinds.length > 0, pins: plain && !nothing && !kept ? pins : undefined, ...(asks ? { asks } : {}), ...(plain && !nothing && signers.length ? { signers, userTied: tiesUser(model, check, u) } : {}), ...(can.includes('update') && (w.command === 'update' || w.command === 'all') && unclaimedOnly(w, u.userCol) ? { unclaimed: true } : {}) };
          if (!had || rank > had.rank || (rank === had.rank && preference(c) > preference(had))) byColumn.set(u.groupCol, c);
        }
        const found = [...byColumn.values()];
        if (!found.length) {
          if (dead) reportRpc(model, w, nothing, dead.use, dead.roles, report);
          continue;
        }
        const best = found.reduce((a, b) => (b.rank > a.rank ? b : a));
        const { use, roles, lesser, roleOf, kept, lookups, blind, signers, userTied } = best;
        const { value, lookup, through, trust, gain, advice } = textOf(best);
        // (the other columns, each abused plainly: said after the first, with what to do for each; one
        // whose trusting read also asks for a value too, which its text names — ChurchThrive's church_id,
        // trusted with status = 'active', after the status of members_update_self)
        const others = found.filter((c) => c !== best && c.roleOf === undefined && c.lesser === undefined);
        const also =
          others
            .slice(0, 3)
            .map((c) => {
              const x = textOf(c);
              return ` It leaves ${c.use.groupCol} open too: policy "${c.use.policy.name}" on ${c.use.table.key} trusts ${member.key} ${x.trust}, so a user can ${x.how}, and then ${x.gain}, which they were never given. ${x.advice}`;
            })
            .join('') + (others.length > 3 ? ` It leaves ${others.length - 3} more columns open the same way (${others.slice(3).map((c) => c.use.groupCol).join(', ')}).` : '');
        const related = [best, ...others].map((c) => ({ ...c.use.policy.nameLoc, message: `policy "${c.use.policy.name}" trusts the rows of ${member.key}` }));
        if (roleOf !== undefined) {
          const can = best.can;
          const rows = can
            .map((c) => (c === 'insert' ? `insert their row of ${member.key} with the ${roleOf} of a group the check admits them to (one they are invited to, say) and ${use.groupCol} = ${value}` : `change the ${use.groupCol} of their own row of ${member.key} to ${value}`))
            .join(', or ');
          report({
            ...w.nameLoc,
            message:
              (kept
                ? `Policy "${w.name}" on ${member.key} lets ${roleList(roles)} update their own rows of it, checking only their ${use.userCol}; what keeps them from changing the ${roleOf} (${keptBy(model, member, roleOf)}) leaves the ${use.groupCol} open: policy "${use.policy.name}" on ${use.table.key} trusts ${member.key} `
                : `Policy "${w.name}" on ${member.key} lets ${roleList(roles)} write their own rows of it checking the ${roleOf} but not the ${use.groupCol}: policy "${use.policy.name}" on ${use.table.key} trusts ${member.key} `) +
              `(it admits a row when ${member.key}${through ? `, read${through},` : ''} has a row with its ${roleOf}, the caller's ${use.userCol} and ${use.groupCol} = ${value}), so a user can ${rows}, and then ${gain}, which they were never given. ` +
              (kept
                ? `Keep ${use.groupCol} out of what users may update too (leave it out of the column list of GRANT UPDATE, or refuse a change of it in a BEFORE UPDATE trigger), or let them change it only through a SECURITY DEFINER function that checks the caller already administers that ${roleOf}.`
                : `Check ${use.groupCol} in the WITH CHECK too (that it is the ${use.groupCol} the invitation names, or only a value users may give themselves, never ${value}), or let users join only through a SECURITY DEFINER function that sets the ${use.groupCol}.`) +
              also,
            related,
            fixes: [],
          });
          continue;
        }
        if (lesser !== undefined) {
          const rows = best.can.map((c) => (c === 'insert' ? `insert a row of ${member.key} with ${use.groupCol} = ${value}, for themselves or anyone` : `change the ${use.groupCol} of a row of ${member.key} the policy lets them update to ${value}, their own included`)).join(', or ');
          report({
            ...w.nameLoc,
            message:
              `Policy "${w.name}" on ${member.key} lets holders of ${use.groupCol} = ${lesser} (through ${use.via!.signature}) write rows of it without checking ${use.groupCol}: ${member.key} is a table that policy "${use.policy.name}" on ${use.table.key} trusts ${trust}, ` +
              `so a holder of ${lesser} can ${rows}, and then ${gain}, which ${lesser} was never given. ` +
              `Check ${use.groupCol} in that branch of the WITH CHECK (e.g. ${use.groupCol} <> ${value}, or only the values a ${lesser} may hand out), or let them write these rows only through a SECURITY DEFINER function that decides the ${use.groupCol}.` +
              also,
            related,
            fixes: [],
          });
          continue;
        }
        report({
          ...w.nameLoc,
          message:
            `Policy "${w.name}" on ${member.key} lets ${roleList(roles)} write rows of it ${nothing ? `checking nothing about them (its check admits any row, with anyone's ${use.userCol})` : `checking only ${signers?.length ? (userTied ? `their ${use.userCol} and ${signers.join(' and ')}` : `its ${signers.join(' and ')}`) : `their ${use.userCol}`} against who the caller is${signers?.length && !userTied ? `, not its ${use.userCol}` : ''}${lookup !== undefined ? ` and that ${lookup} has a row for the ${use.groupCol} (any row: that lookup's conditions do not name the caller)` : ''}`}${notYet(model, check, use) ? (notYetAnywhere(model, check, use) ? ` (its NOT EXISTS asks only that the caller has no such row of ${member.key} yet, whatever its ${use.groupCol}: true of an account that has none, a new one first, for every ${use.groupCol})` : ` (its NOT EXISTS asks only that the caller has no row for that ${use.groupCol} yet, true of every ${use.groupCol} they would join)`) : ''}${blind ? ` (its NOT EXISTS looks for any row of that ${use.groupCol}, but reads ${member.key} through its own SELECT policies, which show the caller only their own rows and those of their ${use.groupCol}s: it finds none for a ${use.groupCol} they are not in, so every such ${use.groupCol} passes as one with no member yet)` : ''}: ${member.key} is ${value !== undefined ? 'a table' : 'a membership table'} that policy "${use.policy.name}" on ${use.table.key} trusts ` +
            `${trust}, so a user can ${textOf(best).how}, and then ${gain}, which they were never given. ` +
            advice +
            recursesAsWritten(model, use) +
            also,
          related,
          fixes: [],
        });
      }
    }
    // (a row whose existence is the privilege: no group column nor value to forge, the user's own row is enough)
    reportExistence(model, existenceUses(model), said, say);

    /** What a finding says of one column a write policy leaves open: how users abuse it, what the trusting policy admits, what they gain, what to do. */
    function textOf(c: Candidate) {
      const { use, roles, can, lookups, blind, asks, unclaimed } = c;
      // (the role value the trusting read asks for too: the user sets it in the same write, or must hold it)
      const andRole = asks ? ` and ${asks.col} = ${asks.value}` : '';
      // (or the check itself requires the value, `AND status = 'active'`: the row is written with it)
      const setRole = asks?.set || (asks && c.pins?.some((p) => p.col === asks.col && p.value === asks.value)) ? andRole : '';
      // (the read asks a time of the row to be still ahead too, `AND expires_at > NOW()`: a forged
      // row carries a future one, vyxhub's subscriptions read through is_subscribed_to; PGlite)
      const laterCols = c.use.later?.length ? c.use.later.join(' and ') : undefined;
      const laterAsk = laterCols ? ` and ${laterCols} later than now()` : '';
      const laterSet = laterCols ? ` and ${laterCols} set in the future` : '';
      const member = use.member;
      // (a partial unique index on the group column for a value the check pins, `one_owner_per_organization
      // ON organization_members (organization_id) WHERE role = 'owner'` with `role = 'owner'`: a group
      // that already has such a row refuses another with 23505, so only one that has none is open;
      // gonasi's organization_members_insert; PGlite)
      const once = c.pins?.length
        ? member.indexes.find((i) => i.uniqueWhere && i.columns.length === 1 && i.columns[0]!.toLowerCase() === use.groupCol && c.pins!.some((p) => p.col === i.uniqueWhere!.col && p.value === i.uniqueWhere!.value))
        : undefined;
      const anyGroup = once
        ? `any ${use.groupCol} that has no row with ${once.uniqueWhere!.col} = ${once.uniqueWhere!.value} yet (the unique index ${once.name ?? 'on ' + use.groupCol} allows one such row per ${use.groupCol}: where there is one, the INSERT fails with 23505)`
        : `any ${use.groupCol}`;
      const value = use.groupValue;
      // (a lookup of another table for the group that asks nothing of the caller: any group with such a row)
      const lookup = lookups.length ? [...new Set(lookups)].join(' and ') : undefined;
      const invitation = lookup !== undefined && /invit/i.test(lookup) ? ' (an invitation sent to someone else, say)' : '';
      // (one row per user, profiles.id: kitloop's and paftamobile's users have theirs from sign-up)
      const userUnique = uniqueColumn(member, use.userCol);
      const scope = use.scope ? ` and any ${use.scope} the check allows` : '';
      const howRows = can
        .map((c) =>
          c === 'insert'
            ? `insert a row of ${member.key} with their own ${use.userCol}${scope ? ', ' : ' and '}${value !== undefined ? `${use.groupCol} = ${value}` : lookup !== undefined ? `the ${use.groupCol} of any row of ${lookup} those conditions accept${invitation}` : anyGroup}${scope}${setRole}${laterSet}` +
              (userUnique ? ` (${use.userCol} is unique: ${deletes(model, member, roles) ? 'one who already has a row can only after deleting it' : 'only one who has no row yet can; no policy lets them delete theirs'})` : '')
            : (unclaimed
                ? `take a row of ${member.key} that no one holds yet (the policy's USING admits only rows whose ${use.userCol} is null) and, in the same UPDATE, set its ${use.userCol} to their own and its ${use.groupCol} to ${value ?? (lookup !== undefined ? `that of any such row` : 'any value')}${asks?.set ? ` and its ${asks.col} to ${asks.value}` : ''}`
                : `change the ${use.groupCol} of their own row of ${member.key} to ${value ?? (lookup !== undefined ? `that of any such row` : 'any value')}${asks?.set ? ` and its ${asks.col} to ${asks.value}` : asks ? ` (one whose row has ${asks.col} = ${asks.value}, which that policy asks for too)` : ''}`) +
              (seesOwnRow(model, member, roles, use)
                ? ''
                : readers(model, member, roles).length
                  ? ` (through an UPDATE that reads no column, with no WHERE nor RETURNING, which changes every row ${unclaimed ? '' : 'of theirs '}the policy lets them update${unclaimed ? `, every such row of every ${use.groupCol}` : ''}: one that reads a column has its new row checked against the SELECT policies of ${member.key}, which admit a row through its ${use.groupCol} only, and fails with 42501)`
                  : // (no SELECT policy of the table for them: an UPDATE reading a column sees no row, 0 rows and no
                    // error, T26; territoires-en-transitions' utilisateur_support, FOR UPDATE USING (user_id = auth.uid()) alone; PGlite)
                    ` (through an UPDATE that reads no column, with no WHERE nor RETURNING, which changes every row of theirs the policy lets them update: no SELECT policy of ${member.key} applies to them, so one that reads a column reaches no row and updates nothing, without an error, T26)`),
        )
        .join(', or ');
      const through = use.via ? ` through function ${use.via.signature}` : '';
      // (Supabase Realtime's messages, matched with the channel's topic: what a forged row gives is the channel)
      const channel = use.table.key === REALTIME_MESSAGES && use.against?.outer === 'topic';
      const claim = use.claim;
      const trust = claim
        ? claim.flag
          ? `(it admits a row when the caller's token has the claim ${claim.path.join('.')} true, which the custom access token hook ${claim.hook.signature} (${claim.by}) sets when the ${use.groupCol} of their row of ${member.key} is true, each time Supabase Auth issues a token)`
          : `(it admits a row when the caller's token has ${claimText(claim.path)} = ${value}${claim.asked ? ` (${claim.asked})` : ''}, which the custom access token hook ${claim.hook.signature} (${claim.by}) copies from the ${use.groupCol} of their row of ${member.key} each time Supabase Auth issues a token)`
        : value !== undefined
          ? `(it admits a row when ${member.key}${through ? `, read${through},` : ''} has a row with the caller's ${use.userCol}${use.scope ? ', ' : ' and '}${use.groupCol} = ${value}${use.scope ? ` and the ${use.scope} it asks for` : ''}${laterAsk})`
          : use.against && (use.against.computed || channel)
            ? `(it admits a ${channel ? 'message' : 'row'} when ${member.key} has a row with the caller's ${use.userCol}${andRole} whose ${use.groupCol} ${use.against.computed ? 'its condition matches, through an expression, with' : 'equals'} ${channel ? "the channel's topic, realtime.topic()" : `the ${use.against.outer} of that row`})`
            : `(it admits a row when ${member.key}${through ? `, read${through},` : ''} has a row with its ${use.groupCol}${asks ? ', ' : ' and '}the caller's ${use.userCol}${andRole}${laterAsk})`;
      // (a claim: what they wrote reaches the token the hook issues next)
      const how = claim ? `${howRows} and then get a new token (sign in again, or refresh the session: the hook ${claim.flag ? 'reads' : 'copies'} the new ${use.groupCol})` : howRows;
      // (what the trusting policy gives: its command's rows)
      const verb = { select: 'get', insert: 'insert', update: 'update', delete: 'delete', all: 'read and change' }[use.policy.command];
      const gain =
        channel && value === undefined && (use.policy.command === 'select' || use.policy.command === 'insert')
          ? `${use.policy.command === 'select' ? 'receive what is broadcast on' : 'send to'} the private Realtime channels whose topic that ${use.groupCol} gives (Realtime asks the ${use.policy.command.toUpperCase()} policies of realtime.messages, with realtime.topic() returning the channel's topic, when a user ${use.policy.command === 'select' ? 'joins a channel' : 'sends to one'})`
          : value !== undefined
          ? `${verb} the rows of ${use.table.key} that policy admits to holders of ${use.groupCol} = ${value}${use.scope ? ` for the ${use.scope} of that row` : ''}`
          : `${verb} the rows of ${use.table.key} that policy admits for that ${use.groupCol}`;
      const ins = can.includes('insert');
      const upd = can.includes('update');
      const advice =
        value !== undefined
          ? value === 'true'
            ? // (the advice follows the command left open: a flag users may insert is kept out of GRANT INSERT, not UPDATE; deploy-vercel's user_orgs)
              `Keep ${use.groupCol} out of what users may write (a column list in ${can.map((x) => `GRANT ${x.toUpperCase()}`).join(' and ')}, or a trigger refusing ${[ins ? 'a new row with it true' : '', upd ? 'a change of it' : ''].filter(Boolean).join(' or ')}), ` +
              `or check in the WITH CHECK that ${ins && upd ? 'a new row has it false and an updated one keeps it as it was' : ins ? 'a new row has it false' : 'it stays as it was'} unless the caller already holds it.`
            : `Check ${use.groupCol} in the WITH CHECK too (allow only the values users may give themselves, never ${value} and the like, or check that the caller already holds it), or let users write these rows only through a SECURITY DEFINER function that decides the ${use.groupCol}.`
          : blind
            ? `Ask whether the ${use.groupCol} has members through a SECURITY DEFINER function, which reads past these policies (e.g. NOT ${use.member.name}_exist(${use.groupCol}), owned by a role that bypasses RLS), or let users write these rows only through a SECURITY DEFINER function that checks an invitation.`
            : lookup !== undefined
              ? `Tie the lookup to the caller (e.g. a row whose email is (select auth.jwt() ->> 'email'), or whose invitee column is (select auth.uid())), or let users join only through a SECURITY DEFINER function that checks the invitation is theirs.`
              : asks?.set
                ? // (the trusting read asks for a value users may write too, status = 'accepted': a
                  // request that accepts itself; steve-chavez/socnet's friendships)
                  `Check ${asks.col} in the WITH CHECK too (a row users write may not have ${asks.col} = ${asks.value}: it starts as a request, which only the other side, or an administrator, sets to ${asks.value}), or check ${use.groupCol} (e.g. that the caller holds an invitation for that ${use.groupCol}), or let users write these rows only through a SECURITY DEFINER function that decides the ${asks.col}.`
                : `Check ${use.groupCol} in the WITH CHECK too (e.g. that the caller holds an invitation for that ${use.groupCol}, or already administers it), or let users write these rows only through a SECURITY DEFINER function that checks an invitation.`;
      return { value, lookup, how, through, trust, gain, advice };
    }
  },
});

/**
 * SECURITY DEFINER functions its roles may call that take the group from the helper `use.via`
 * (the caller's own row of the membership table, whose group column they may change) and look at
 * the caller no other way, reading or writing a table with row-level security that the policies
 * would not let them reach (equity-flow-system's list_deals_v1(): `WHERE tenant_id =
 * current_tenant_id()`, where the RPCs calling require_min_role_v1() also check a membership).
 */
function rpcsTrusting(model: Model, use: Use, roles: string[]): Array<{ f: Func; tables: Table[]; callers: string }> {
  const via = use.via!;
  const out: Array<{ f: Func; tables: Table[]; callers: string }> = [];
  for (const f of functionLists(model).definers) {
    if (f === via || f.returnsTrigger || !f.calls.has(via.key)) continue;
    const tables: Table[] = [];
    for (const k of new Set([...f.reads, ...f.writes])) {
      const t = k === use.member.key ? undefined : unrestrictedFor(model, f, k);
      if (t && t.policies.length) tables.push(t);
    }
    if (!tables.length || funcLooksAtCaller(model, f, new Set([via]))) continue;
    const callers = callersOf(model, f, tables);
    if (!callers || !(callers.roles.includes('public') || roles.includes('public') || roles.some((r) => callers.roles.includes(r)))) continue;
    out.push({ f, tables, callers: callers.text });
  }
  return out;
}

/** The finding of a write policy whose trusting policies give nothing (no privilege), when a SECURITY DEFINER function trusts the same helper (rpcsTrusting). */
function reportRpc(model: Model, w: Policy, nothing: boolean, use: Use, roles: string[], report: (r: Report) => void): void {
  const rpcs = rpcsTrusting(model, use, roles);
  if (!rpcs.length) return;
  const member = use.member.key;
  const names = rpcs.slice(0, 3).map((r) => `${r.f.signature} (callable by ${r.callers}; ${tableListOf(r.tables)})`);
  const more = rpcs.length > 3 ? ` and ${rpcs.length - 3} more` : '';
  report({
    ...w.nameLoc,
    message:
      `Policy "${w.name}" on ${member} lets ${roleList(roles)} write rows of it ${nothing ? `checking nothing about them (its check admits any row, with anyone's ${use.userCol})` : `checking only their ${use.userCol} against who the caller is`}, so a user can change the ${use.groupCol} of their own row of ${member} to any value. ` +
      `Function ${use.via!.signature} returns that ${use.groupCol} (the caller's own row), and SECURITY DEFINER ${rpcs.length === 1 ? 'function' : 'functions'} ${names.join(', ')}${more} ${rpcs.length === 1 ? 'takes' : 'take'} the ${use.groupCol} from it and look at the caller no other way: ` +
      `${rpcs.length === 1 ? 'it runs' : 'they run'} as ${rpcs.length === 1 ? 'its' : 'their'} owner, past row-level security, so after the change they work on the rows of that ${use.groupCol}, which the user was never given ` +
      `(policy "${use.policy.name}" on ${use.table.key}, which trusts the same function, gives nothing: these roles hold no privilege on ${use.table.key}). ` +
      `Check ${use.groupCol} in the WITH CHECK too (e.g. that the caller is a member of that ${use.groupCol}), or have the functions check a membership the user cannot write.`,
    related: rpcs.map((r) => ({ ...r.f.nameLoc, message: `${r.f.signature} takes the ${use.groupCol} from ${use.via!.signature}` })),
    fixes: [],
  });
}

function tableListOf(tables: Table[]): string {
  const names = tables.map((t) => t.key);
  return `reads or writes ${names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`}`;
}

/** A claim's path as a policy reads it: `auth.jwt() ->> 'user_role'`, `auth.jwt() -> 'app_metadata' ->> 'role'`. */
function claimText(path: string[]): string {
  return `auth.jwt() ${path.map((k, i) => `${i === path.length - 1 ? '->>' : '->'} '${k}'`).join(' ')}`;
}
