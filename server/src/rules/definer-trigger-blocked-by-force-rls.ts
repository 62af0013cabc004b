import { roleText } from '../analysis/ast.js';
import { replayPlaces, type Func, type Model, type Table, type Trigger } from '../analysis/model.js';
import type { Loc } from '../analysis/types.js';
import { defineRule } from './types.js';
import { admitsInsert, callSite, insertRoute, insertsReached, mayEscape, type ReachedInsert } from './lib/inserts.js';
import { DF_BODY, DF_TRIGGER, insertAfter, quoteIdent, tableName, functionLists } from './lib/util.js';
import { memoModel } from '../analysis/policy-exprs.js';

/** The statement among `locs` that comes last in replay order (a file psql includes runs where it is included). */
function latest(model: Model, locs: Loc[]): Loc {
  const places = replayPlaces(model);
  return locs.reduce((a, b) => (places.before(a, b) ? b : a));
}

function forceLoc(t: Table): Loc {
  return [...t.rlsEvents].reverse().find((e) => e.kind === 'force')?.loc ?? t.created;
}

/** Whether the function sets row_security (a SET clause, or SET / set_config in its body). */
function setsRowSecurity(model: Model, f: Func): boolean {
  if (f.settings.some((x) => x.name === 'row_security')) return true;
  return model.contextWrites.some((w) => w.name === 'row_security' && w.inFunction === f.key && w.loc.file === f.created.file && f.created.start <= w.loc.start && w.loc.end <= f.created.end);
}

/** An insert a SECURITY DEFINER trigger function reaches that no policy of its table admits for the function's owner. */
interface BlockedInsert {
  f: Func;
  /** the triggers running f */
  triggers: Trigger[];
  owner: string | undefined;
  ins: ReachedInsert;
  t: Table;
}

/**
 * Each SECURITY DEFINER trigger function owned by a role not known to bypass RLS (and not setting
 * row_security itself: row-security-off-does-not-bypass tells), with the first insert it reaches
 * into each table, itself or through the SECURITY INVOKER functions it calls (they run as the same
 * owner, PGlite; one whose body may catch the error or SET ROLE is left out), where no policy of
 * the table admits that insert for the owner: under FORCE the insert fails with 42501 and aborts
 * the statement that fired the trigger (T07). Forced or not yet. Once per model.
 */
function blockedInserts(model: Model): readonly BlockedInsert[] {
  return memoModel(model, 'definer-trigger-blocked-by-force-rls:blocked', (m) => {
    const out: BlockedInsert[] = [];
    const { definers, definerFacts } = functionLists(m);
    for (let i = 0; i < definers.length; i++) {
      if ((definerFacts[i]! & (DF_TRIGGER | DF_BODY)) !== (DF_TRIGGER | DF_BODY)) continue; // (the definer is not read)
      const f = definers[i]!;
      if (!f.securityDefiner) continue;
      const triggers: Trigger[] = m.triggers.filter((t) => t.func === f.key);
      if (triggers.length === 0) continue;
      // With row_security = off on the function every such insert fails with 42501 even once a
      // policy admits it (T08): row-security-off-does-not-bypass reports that, and its fix
      // removes the setting and adds the same trigger-only policy.
      if (setsRowSecurity(m, f)) continue;
      const owner = f.owner?.role;
      const bypass = owner ? m.roleBypassesRls(owner) : undefined;
      if (bypass === true) continue;
      if (bypass === undefined && m.assumeUnknownOwnerBypassesRls) continue;
      const seen = new Set<string>();
      for (const ins of insertsReached(m, f)) {
        if (seen.has(ins.table)) continue;
        if (ins.chain.length > 1 && ins.chain.some((g, j) => j > 0 && mayEscape(m, g))) continue;
        seen.add(ins.table);
        const t = m.tables.get(ins.table);
        if (!t || t.policies.some((p) => admitsInsert(m, p, owner))) continue;
        out.push({ f, triggers, owner, ins, t });
      }
    }
    return out;
  });
}

/**
 * A SECURITY DEFINER trigger function whose insert into `t` FORCE would make fail (blockedInserts),
 * whether or not `t` is forced yet. rls-not-forced asks it of a table its FORCE fix would force:
 * daveyplate/pglofi's handle_new_user(), `after insert on public.users`, inserts into
 * public.profiles, whose only INSERT policy is crud-authenticated-policy-insert TO authenticated
 * WITH CHECK (false); --fix forced profiles, and then every insert into users failed.
 */
export function triggerForceWouldBreak(model: Model, t: Table): { f: Func; triggers: Trigger[] } | undefined {
  const byTable = memoModel(model, 'definer-trigger-blocked-by-force-rls:forceBreaks', (m) => {
    const out = new Map<string, { f: Func; triggers: Trigger[] }>();
    for (const b of blockedInserts(m)) if (!out.has(b.t.key)) out.set(b.t.key, { f: b.f, triggers: b.triggers });
    return out;
  });
  return byTable.get(t.key);
}

export const definerTriggerBlockedByForceRls = defineRule({
  meta: {
    id: 'definer-trigger-blocked-by-force-rls',
    description: 'A SECURITY DEFINER trigger function inserts into a FORCE ROW LEVEL SECURITY table with no policy admitting the insert.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "FORCE applies the table's policies to its owner too: a definer trigger function whose owner neither bypasses RLS nor has an INSERT policy makes every statement that fires the trigger fail with 42501 (T07).",
    truths: ['T07', 'T09', 'T10', 'T11', 'F2'],
    shownBy: { exposure: 'trigger-force' },
  },
  check({ model, report }) {
    for (const { f, triggers, owner, ins, t } of blockedInserts(model)) {
      if (!t.rlsEnabled || !t.rlsForced) continue;
      const at = latest(model, [f.created, ...triggers.map((x) => x.loc), forceLoc(t)]);
      const name = tableName(model, t, at);
      const firing = `${triggers.length === 1 ? 'trigger' : 'triggers'} ${triggers.map((x) => `${x.name} on ${x.table}`).join(', ')}`;
      const ownerText = owner
        ? `its owner ${roleText(owner)} is neither a superuser nor BYPASSRLS`
        : 'its owner is not shown in the workspace and is assumed not to bypass RLS (setting definerOwnerBypassesRls)';
      const to = owner ? quoteIdent(owner) : 'CURRENT_USER';
      const pname = quoteIdent(`${t.name}_insert_from_trigger`);
      const policy = `CREATE POLICY ${pname} ON ${name} FOR INSERT TO ${to}\n  WITH CHECK (pg_trigger_depth() > 0);`;
      const via = ins.chain.slice(1);
      const loc = via.length ? (callSite(model, f, via[0]!) ?? ins.loc) : ins.loc;
      report({
        ...loc,
        message:
          `SECURITY DEFINER trigger function ${f.signature} ${insertRoute(ins, t.key, "as the trigger function's owner")}, which has FORCE ROW LEVEL SECURITY and no INSERT policy that applies to ${via.length ? 'that owner' : "the function's owner"}; ` +
          `${ownerText}. The insert fails with 42501 new row violates row-level security policy for table "${t.name}", aborting each statement that fires ${firing} whenever the function reaches this ${via.length ? 'call' : 'insert'} (T07). ` +
          `SET row_security = off on the function does not help (it fails with 42501 too, F2). Add an INSERT policy for the owner limited to trigger context, ` +
          `CREATE POLICY ${pname} ON ${name} FOR INSERT TO ${to} WITH CHECK (pg_trigger_depth() > 0) (T10: the trigger works, direct inserts still fail), ` +
          'or have the function owned by a BYPASSRLS role (T11).',
        fixes: [
          {
            title: `Add policy ${pname} on ${name}: INSERT by ${owner ?? 'CURRENT_USER (the role running this migration, the function owner unless changed)'} only from a trigger (pg_trigger_depth() > 0)`,
            kind: 'unsafe',
            edits: [insertAfter(model, at, [policy])],
          },
        ],
      });
    }
  },
});
