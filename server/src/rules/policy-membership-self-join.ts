import type { Model, Policy, Table } from '../analysis/model.js';
import { roleList } from '../analysis/policies.js';
import { memoModel } from '../analysis/policy-exprs.js';
import { sval, walk } from '../analysis/parse.js';
import type { Node } from '../analysis/types.js';
import { defineRule } from './types.js';
import { columnRef, looksAtCaller, mayHoldPrivilege } from './lib/util.js';
import { subselectReads } from './lib/unreadable.js';

// A membership table (org_members, team_users …) decides what other tables' policies admit:
// `EXISTS (SELECT 1 FROM members m WHERE m.org_id = docs.org_id AND m.user_id = auth.uid())`. A
// policy that lets users write their own membership rows checking only the user column
// (`WITH CHECK (user_id = auth.uid())`) lets a user insert, or update their row to, any org_id,
// and so read every org's rows (measured).

/** The AND-ed conditions of an expression. */
function conjuncts(n: Node | undefined): Node[] {
  if (!n) return [];
  if (n.BoolExpr?.boolop === 'AND_EXPR') return (n.BoolExpr.args as Node[]).flatMap(conjuncts);
  return [n];
}

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
function isIdentity(model: Model, n: Node): boolean {
  return !hasColumn(n) && looksAtCaller(model, n);
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
}

/** How a sub-select of policy `p` of `t` uses a membership table, if it does. */
function membershipUse(model: Model, t: Table, p: Policy, link: Node): Use | undefined {
  const q = link.subselect?.SelectStmt;
  const from = q?.fromClause as Node[] | undefined;
  const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
  if (!rv?.relname) return undefined;
  const member = model.tables.get(model.relKey(rv));
  if (!member || member === t) return undefined;
  const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const ofMember = (c: { qual?: string; name: string } | undefined) => !!c && (c.qual === undefined ? member.columns.includes(c.name) : c.qual === alias) && member.columns.includes(c.name);
  const ofTable = (c: { qual?: string; name: string } | undefined) =>
    !!c && (c.qual === undefined ? !member.columns.includes(c.name) && t.columns.includes(c.name) : c.qual === t.name.toLowerCase() && t.columns.includes(c.name));
  let userCol: string | undefined;
  let groupCol: string | undefined;
  for (const c of conjuncts(q.whereClause)) {
    const eq = equality(c);
    if (!eq) continue;
    for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
      const col = columnRef(a);
      if (!ofMember(col)) continue;
      if (isIdentity(model, b)) userCol ??= col!.name;
      else if (link.subLinkType === 'EXISTS_SUBLINK' && ofTable(columnRef(b))) groupCol ??= col!.name;
    }
  }
  // t.org_id IN (SELECT m.org_id FROM members m WHERE m.user_id = auth.uid())
  if (link.subLinkType === 'ANY_SUBLINK' && ofTable(columnRef(link.testexpr)) && q.targetList?.length === 1) {
    const col = columnRef(q.targetList[0]?.ResTarget?.val);
    if (ofMember(col)) groupCol = col!.name;
  }
  if (!userCol || !groupCol || userCol === groupCol) return undefined;
  // (a group column unique on its own is an owner's row: stores.id with owner_id, which a user
  // cannot take from another row; a membership table has many rows per group)
  if (member.keys.some((k) => k.length === 1 && k[0]!.toLowerCase() === groupCol)) return undefined;
  return { policy: p, table: t, member, userCol, groupCol };
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

/** The membership uses of every policy, by membership table key: only tables with a write policy, read in other tables' policies' sub-selects. */
function membershipUses(model: Model): Map<string, Use[]> {
  const out = new Map<string, Use[]>();
  for (const [key, reads] of subselectReads(model)) {
    if (!writable(model, key)) continue;
    const list: Use[] = [];
    for (const { row } of reads) {
      const t = row.table;
      const p = row.policy;
      if (!t || !p.permissive) continue;
      for (const e of row.exprs) {
        walk(e.node, (k, v) => {
          if (k !== 'SubLink') return;
          const use = membershipUse(model, t, p, v);
          if (!use || use.member.key !== key) return;
          if (!list.some((u) => u.userCol === use.userCol && u.groupCol === use.groupCol && u.table === use.table)) list.push(use);
        });
      }
    }
    if (list.length) out.set(key, list);
  }
  return out;
}

/**
 * Whether the write policy's check constrains the user column to the caller and nothing that
 * could limit the group column: its conditions are ANDed, one is `user = <caller>`, none names
 * the group column, and none holds a sub-select or a call other than one telling who calls.
 */
function checksOnlyUser(model: Model, check: Node, use: Use): boolean {
  let user = false;
  for (const c of conjuncts(check)) {
    if (c.BoolExpr) return false; // OR / NOT: not followed
    const eq = equality(c);
    if (eq) {
      const [a, b] = eq;
      const ca = columnRef(a);
      const cb = columnRef(b);
      if ((ca?.name === use.userCol && isIdentity(model, b)) || (cb?.name === use.userCol && isIdentity(model, a))) {
        user = true;
        continue;
      }
    }
    // (`org_id IS NOT NULL` names the group column without limiting it)
    if (c.NullTest?.nulltesttype === 'IS_NOT_NULL' && columnRef(c.NullTest.arg)) continue;
    let limits = false;
    walk(c, (k, v) => {
      if (k === 'SubLink' || k === 'FuncCall') limits = true;
      if (k === 'ColumnRef' && columnRef({ ColumnRef: v })?.name === use.groupCol) limits = true;
      return !limits;
    });
    if (limits) return false;
  }
  return user;
}

/** Whether the role may run `cmd` on the table, as far as the migrations say (grants made elsewhere count as yes). */
function mayWrite(model: Model, t: Table, role: string, cmd: string): boolean {
  if (role === 'public' || t.owner?.role === role) return true;
  return mayHoldPrivilege(model, t, role, [cmd]);
}

const sharesRole = (a: Policy, b: Policy) => a.roles.includes('public') || b.roles.includes('public') || a.roles.some((r) => b.roles.includes(r));

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
  check({ model, report }) {
    const uses = membershipUses(model);
    for (const [key, list] of uses) {
      const member = model.tables.get(key)!;
      if (!member.rlsEnabled) continue;
      for (const w of member.policies) {
        if (!w.permissive || (w.command !== 'insert' && w.command !== 'update' && w.command !== 'all')) continue;
        // (without WITH CHECK, an UPDATE's new row is checked with USING: T14c)
        const check = w.withCheck ?? (w.command === 'insert' ? undefined : w.using);
        if (!check) continue;
        const use = list.find((u) => sharesRole(u.policy, w) && checksOnlyUser(model, check, u));
        if (!use) continue;
        const roles = w.roles.filter((r) => use.policy.roles.includes('public') || use.policy.roles.includes(r) || r === 'public');
        const cmds = w.command === 'all' ? ['insert', 'update'] : [w.command];
        const can = cmds.filter((c) => roles.some((r) => mayWrite(model, member, r, c)));
        if (can.length === 0) continue;
        const how = can
          .map((c) => (c === 'insert' ? `insert a row of ${member.key} with their own ${use.userCol} and any ${use.groupCol}` : `change the ${use.groupCol} of their own row of ${member.key} to any value`))
          .join(', or ');
        report({
          ...w.nameLoc,
          message:
            `Policy "${w.name}" on ${member.key} lets ${roleList(roles)} write rows of it checking only their ${use.userCol} against who the caller is: ${member.key} is a membership table that policy "${use.policy.name}" on ${use.table.key} trusts ` +
            `(it admits a row when ${member.key} has a row with its ${use.groupCol} and the caller's ${use.userCol}), so a user can ${how}, and then get the rows of ${use.table.key} that policy admits for that ${use.groupCol}, which they were never given. ` +
            `Check ${use.groupCol} in the WITH CHECK too (e.g. that the caller holds an invitation for that ${use.groupCol}, or already administers it), or let users write these rows only through a SECURITY DEFINER function that checks an invitation.`,
          related: [{ ...use.policy.nameLoc, message: `policy "${use.policy.name}" trusts the rows of ${member.key}` }],
          fixes: [],
        });
      }
    }
  },
});
