import { ALL_TABLE_PRIVILEGES, type Model, type Table } from '../../analysis/model.js';
import { memoModel } from '../../analysis/policy-exprs.js';
import { sval, walk } from '../../analysis/parse.js';
import type { Node } from '../../analysis/types.js';
import { bareValue, looksAtCaller } from './util.js';

// Supabase Realtime Authorization: when a user joins a private channel, Realtime asks the SELECT
// policies of realtime.messages (to send, the INSERT ones) with realtime.topic() returning the
// channel's topic (`current_setting('realtime.topic', true)`). The platform makes the table and
// grants SELECT, INSERT and UPDATE on it to anon and authenticated (supabase/realtime's migration
// 20240523004032_redefine_authorization_tables); the migrations only add policies to it.

export const REALTIME_MESSAGES = 'realtime.messages';

/** The columns Supabase's realtime.messages has. */
const COLUMNS = ['topic', 'extension', 'payload', 'event', 'private', 'updated_at', 'inserted_at', 'id'];
/** What the platform grants on it. */
const PLATFORM_GRANTS: Array<[string, string[]]> = [
  ['anon', ['select', 'insert', 'update']],
  ['authenticated', ['select', 'insert', 'update']],
  ['service_role', ['select', 'insert', 'update']],
];

/**
 * realtime.messages as the platform makes it, when the migrations put policies on it without
 * creating it (they never do): its columns, RLS on, the platform's grants with the migrations'
 * GRANTs and REVOKEs on it applied, and the policies the migrations give it. Undefined when the
 * workspace creates the table (then the model has it) or gives it no policy. Kept per model.
 */
export function realtimeMessages(model: Model): Table | undefined {
  return memoModel(model, 'realtime:messages', build);
}

function build(model: Model): Table | undefined {
  if (model.tables.has(REALTIME_MESSAGES)) return undefined;
  const policies = model.policies.filter((p) => p.table === REALTIME_MESSAGES);
  const first = policies[0];
  if (!first) return undefined;
  const grants = new Map<string, Set<string>>(PLATFORM_GRANTS.map(([r, ps]) => [r, new Set(ps)]));
  for (const g of model.grantEvents) {
    if (g.objectKind !== 'table' || !g.objects.some((o) => o === REALTIME_MESSAGES || o === 'schema:realtime')) continue;
    const privileges = g.privileges.includes('all') ? ALL_TABLE_PRIVILEGES : g.privileges;
    for (const r of g.grantees) {
      let set = grants.get(r);
      if (!set) grants.set(r, (set = new Set()));
      for (const p of privileges) (g.isGrant ? set.add(p) : set.delete(p));
    }
  }
  return {
    key: REALTIME_MESSAGES,
    schema: 'realtime',
    name: 'messages',
    partitioned: true,
    temp: false,
    created: first.created,
    nameLoc: first.nameLoc,
    stmt: first.stmt,
    columns: COLUMNS,
    keys: [['id', 'inserted_at']],
    indexes: [],
    rlsEnabled: true,
    rlsForced: false,
    rlsEvents: [],
    owner: { role: 'supabase_realtime_admin' },
    parents: [],
    policies,
    triggers: [],
    grants,
  };
}

/** Whether `n` is a call of realtime.topic() (as bareValue sees it: `(select realtime.topic())` too). */
export function isRealtimeTopic(n: Node): boolean {
  const c = bareValue(n)?.FuncCall;
  const name: Node[] | undefined = c?.funcname;
  return !!c && !c.args?.length && name?.length === 2 && sval(name[0])?.toLowerCase() === 'realtime' && sval(name[1])?.toLowerCase() === 'topic';
}

/**
 * Whether `n` is the channel's topic or a function of it alone: realtime.topic(), `split_part((select
 * realtime.topic()), ':', 2)::bigint`, `substring(realtime.topic() from 6)`. It names no column and
 * nothing telling who calls, and holds no sub-select but `(select …)` wrappers without FROM.
 */
export function topicThrough(model: Model, n: Node): boolean {
  let topic = false;
  let ok = true;
  walk(n, (k, v) => {
    if (!ok) return false;
    if (k === 'FuncCall' && isRealtimeTopic({ FuncCall: v })) {
      topic = true;
      return false;
    }
    if (k === 'ColumnRef' || k === 'ParamRef') ok = false;
    else if (k === 'SubLink' && (v.subLinkType !== 'EXPR_SUBLINK' || v.subselect?.SelectStmt?.fromClause || v.subselect?.SelectStmt?.whereClause)) ok = false;
    return ok;
  });
  return ok && topic && !looksAtCaller(model, n);
}
