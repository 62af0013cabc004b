// Results rules keep across lints on an object a re-lint's model shares with the last one (a
// policy row, a table, an overload list, a function body, a statement, an AST node: the same
// objects where the edit does not touch them, model.ts "sharing the replay's state"), valid while
// the object is the same and so are the facts the result was made of: the model's, compared with
// === (functionsToken, privilegesToken, a default schema, a modelToken), one of the object's own
// where it is asked with more than itself (the columns of a node's table, a table's accepted
// policies), and the relations the result read, by key, each still the same table object (or
// still none). Pure: reads the model.
import { sameItems, type Model, type Table } from '../../analysis/model.js';
import { functionsToken, memoModel } from '../../analysis/policy-exprs.js';

/** The relations a kept result read: key, table, key, table, … (the table undefined where there was none). */
export type TableDeps = Array<string | Table | undefined>;

/** A kept result, with the facts it holds under. */
export interface Kept<V> {
  /** the model's facts (an array made once per model: modelFacts, so that the entries of a lint share it) */
  facts: readonly unknown[];
  /** the key's own fact, compared with === (a list: element by element), if any */
  own: unknown;
  /** the relations it read (the caller may add to them while it makes the value) */
  tables: TableDeps | undefined;
  value: V;
}

export interface Keeper<K extends object, V> {
  /** The entry kept on `key`, if it was made under the same `facts` (element by element, ===) and `own`, and each relation it read is the same table. */
  get(model: Model, key: K, facts: readonly unknown[], own?: unknown): Kept<V> | undefined;
  /** Keeps `value` on `key` under `facts` and `own`, with the relations it read (which may grow until the next get); returns the entry. */
  set(key: K, facts: readonly unknown[], own: unknown, value: V, tables?: TableDeps): Kept<V>;
}

/**
 * A keeper of one kind of result, per object. A value that is a yes/no or undefined, read of no
 * relation, is kept as one entry shared by every object kept under the same facts array (a
 * keeper asked of thousands of rows or nodes makes no entry per object for it).
 */
export function keeper<K extends object, V>(): Keeper<K, V> {
  const kept = new WeakMap<K, Kept<V>>();
  // (the shared entries of the last facts array: for undefined, false, true)
  let shared: { facts: readonly unknown[]; entries: Array<Kept<V> | undefined> } | undefined;
  return {
    get(model, key, facts, own) {
      const k = kept.get(key);
      if (k === undefined || !sameFacts(k.facts, facts)) return undefined;
      if (k.own !== own && !(Array.isArray(k.own) && Array.isArray(own) && sameFacts(k.own, own))) return undefined;
      return k.tables === undefined || tablesHold(model, k.tables) ? k : undefined;
    },
    set(key, facts, own, value, tables) {
      let k: Kept<V> | undefined;
      if (own === undefined && tables === undefined && (value === undefined || typeof value === 'boolean')) {
        if (shared?.facts !== facts) shared = { facts, entries: [] };
        const i = value === undefined ? 0 : value ? 2 : 1;
        k = shared.entries[i] ??= { facts, own, tables, value };
      } else k = { facts, own, tables, value };
      kept.set(key, k);
      return k;
    },
  };
}

/** Whether two lists of facts are the same, element by element (===): model.ts sameItems. */
export const sameFacts: (a: readonly unknown[], b: readonly unknown[]) => boolean = sameItems;

/** Whether each relation key of `deps` (key, table, key, table, …) is still the table it was. */
export function tablesHold(model: Model, deps: ReadonlyArray<string | Table | undefined>): boolean {
  for (let i = 0; i < deps.length; i += 2) if (model.tables.get(deps[i] as string) !== deps[i + 1]) return false;
  return true;
}

/**
 * A token consecutive models share while the facts `of` takes from them are the same (sameFacts),
 * else a new one (`make`), once per model: a fact to keep results under, on which a caller may
 * also hang what it keeps for as long as the token lasts.
 */
export function modelToken<T extends object>(name: string, of: (model: Model) => readonly unknown[], make: () => T): (model: Model) => T {
  let last: { facts: readonly unknown[]; token: T } | undefined;
  const tokenOf = (model: Model): T => {
    const facts = of(model);
    const token = last !== undefined && sameFacts(last.facts, facts) ? last.token : make();
    last = { facts, token };
    return token;
  };
  return (model) => memoModel(model, name, tokenOf);
}

/** A facts list made once per model (`of`), so that the entries kept under it in one lint share it. */
export function modelFacts(name: string, of: (model: Model) => readonly unknown[]): (model: Model) => readonly unknown[] {
  return (model) => memoModel(model, name, of);
}

/** The facts of a result read of the functions calls resolve to (functionsToken). */
export const functionsFacts = modelFacts('kept:functions', (m) => [functionsToken(m)]);

/** No model facts: a result of the object alone. */
export const NO_FACTS: readonly unknown[] = [];
