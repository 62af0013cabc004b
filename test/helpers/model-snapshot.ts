// A model as one canonical string, to compare two models (e.g. the optimised replay with the
// reference one, or a model resumed after an edit with a full rebuild). Maps and sets keep
// their order; statements are named by file, span and kind; AST nodes by their JSON;
// function bodies by their span. Properties present with the value undefined are kept apart
// from absent ones. Identity is checked too: an object (not an array) that a model shares
// between two places (a policy in `tables` and `policies`, a trigger, a grants map, a
// location) must be shared the same way in the other model.
//
// `offsets: false` leaves out the offsets of statements and AST nodes (the parse's, not the
// model's): to check that an earlier model did not change, when the edits since then may have
// moved its statements where they are (parse.ts moveInPlace: the engine gives up the previous
// parse of an edited file). The locations the replay copied into the model are still compared.
import type { Model } from '../../server/src/analysis/model.js';

const OFFSET_KEYS = new Set(['location', 'name_location', 'list_start', 'list_end', 'rexpr_list_start', 'rexpr_list_end', 'start', 'end']);
const noOffsets = (k: string, v: unknown) => (OFFSET_KEYS.has(k) && typeof v === 'number' ? undefined : v);

const NODE_FIELDS = new Set(['using', 'withCheck', 'node']);

export function modelSnapshot(model: Model, { offsets = true }: { offsets?: boolean } = {}): string {
  const span = (s: { start: number; end: number }) => (offsets ? ` ${s.start}-${s.end}` : '');
  const ids = new Map<object, number>();
  const nodeJson = new Map<object, string>();
  const ser = (v: unknown, field: string): unknown => {
    if (v === undefined) return '<undefined>';
    if (v === null || typeof v !== 'object') return v;
    if (field === 'stmt') {
      const s = v as { start: number; end: number; kind: string };
      return `<stmt ${s.kind}${span(s)}>`;
    }
    if (field === 'body') {
      const b = v as { start: number; end: number };
      return `<body${span(b)}>`;
    }
    if (field === 'config') return '<config>';
    if (NODE_FIELDS.has(field)) {
      let j = nodeJson.get(v);
      if (j === undefined) nodeJson.set(v, (j = offsets ? JSON.stringify(v) : JSON.stringify(v, noOffsets)));
      return `<node ${j}>`;
    }
    if (Array.isArray(v)) return v.map((x) => ser(x, field === 'files' ? 'file' : ''));
    if (field === 'file' && typeof (v as { file?: unknown }).file === 'string' && 'statements' in (v as object)) return `<file ${(v as { file: string }).file}>`;
    // shared objects (not arrays): the first occurrence gets a number, later ones refer to it
    const seen = ids.get(v);
    if (seen !== undefined) return `<ref ${seen}>`;
    const id = ids.size;
    ids.set(v, id);
    if (v instanceof Map) return { $id: id, $map: [...v].map(([k, x]) => [k, ser(x, '')]) };
    if (v instanceof Set) return { $id: id, $set: [...v].map((x) => ser(x, '')) };
    const out: Record<string, unknown> = { $id: id };
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'function') continue;
      out[k] = ser(x, k);
    }
    return out;
  };
  const m = model as unknown as Record<string, unknown>;
  const parts: Record<string, unknown> = {};
  for (const k of Object.keys(m).sort()) {
    if (typeof m[k] === 'function') continue;
    if (k === 'statements') {
      parts[k] = model.statements.map((s) => `${s.file.file} ${s.stmt.kind}${span(s.stmt)}`);
      continue;
    }
    parts[k] = ser(m[k], k);
  }
  // the resolvers, on the names the model knows and a few it does not
  const probes: Array<string[]> = [['x'], ['public', 'x'], ['pg_catalog', 'now'], ['now'], ['auth', 'uid']];
  for (const k of [...model.tables.keys(), ...model.views.keys(), ...model.functions.keys()]) {
    const dot = k.indexOf('.');
    probes.push([k.slice(dot + 1)], [k.slice(0, dot), k.slice(dot + 1)]);
  }
  parts.$key = probes.map((p) => model.key(p));
  parts.$findFunction = probes.map((p) => {
    const f = model.findFunction(p);
    const f1 = model.findFunction(p, 1);
    return [f ? ids.get(f) ?? f.signature : null, f1 ? ids.get(f1) ?? f1.signature : null];
  });
  parts.$allFunctions = model.allFunctions().map((f) => ids.get(f) ?? f.signature);
  parts.$bypass = [...model.roles.keys(), 'nobody', 'POSTGRES'].map((r) => model.roleBypassesRls(r) ?? null);
  return JSON.stringify(parts);
}

/** The first difference of two snapshots, with some context, for an assertion message. */
export function firstDifference(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at ${i}:\n  expected …${a.slice(Math.max(0, i - 300), i + 200)}\n  actual   …${b.slice(Math.max(0, i - 300), i + 200)}`;
}
