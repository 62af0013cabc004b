// Reads snippets/sql.code-snippets and expands a snippet body the way VS Code inserts it when
// every placeholder keeps its default: `${1:default}` → default (nested placeholders expanded),
// `$1` / `${1}` → the text of tabstop 1 (a mirror), `${1|a,b|}` → `a` (the first choice),
// `$0` → nothing, `\$` `\}` `\\` → `$` `}` `\`.
//
// Stricter than VS Code on purpose: a `$` that starts no tabstop must be escaped (VS Code reads
// `$BODY$` as the variable BODY and `$name` as a variable), and variables and transforms are
// rejected, so a PL/pgSQL `$$` body written without `\$` fails here instead of in the editor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Snippet {
  name: string;
  prefix: string;
  description: string;
  body: string;
}

export const SNIPPETS_FILE = join(__dirname, '..', '..', 'snippets', 'sql.code-snippets');

export function loadSnippets(file = SNIPPETS_FILE): Map<string, Snippet> {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { prefix: string | string[]; body: string | string[]; description?: string }>;
  const out = new Map<string, Snippet>();
  for (const [name, s] of Object.entries(all)) {
    const prefix = [s.prefix].flat()[0]!;
    out.set(prefix, { name, prefix, description: s.description ?? '', body: [s.body].flat().join('\n') });
  }
  return out;
}

type Part = { kind: 'text'; text: string } | { kind: 'tab'; n: number; children?: Part[]; choices?: string[] };

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(msg: string): never {
    const line = this.s.slice(0, this.i).split('\n').length;
    throw new Error(`snippet body, line ${line}: ${msg} near ${JSON.stringify(this.s.slice(Math.max(0, this.i - 20), this.i + 20))}`);
  }

  /** Parts up to the end, or up to an unescaped `}` when inside a placeholder. */
  parts(inside: boolean): Part[] {
    const out: Part[] = [];
    let text = '';
    const flush = () => {
      if (text) out.push({ kind: 'text', text });
      text = '';
    };
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\\' && /[$}\\]/.test(this.s[this.i + 1] ?? '')) {
        text += this.s[this.i + 1];
        this.i += 2;
      } else if (c === '}' && inside) {
        flush();
        return out;
      } else if (c === '$') {
        flush();
        out.push(this.tabstop());
      } else {
        text += c;
        this.i++;
      }
    }
    if (inside) this.fail('unterminated placeholder');
    flush();
    return out;
  }

  tabstop(): Part {
    const rest = this.s.slice(this.i);
    let m = /^\$(\d+)/.exec(rest);
    if (m) {
      this.i += m[0].length;
      return { kind: 'tab', n: Number(m[1]) };
    }
    m = /^\$\{(\d+)([:|}])/.exec(rest);
    if (!m) this.fail('a `$` that starts no tabstop must be escaped as `\\$` (variables and `$$` are not allowed unescaped)');
    const n = Number(m[1]);
    this.i += m[0].length;
    if (m[2] === '}') return { kind: 'tab', n };
    if (m[2] === ':') {
      const children = this.parts(true);
      this.i++; // }
      return { kind: 'tab', n, children };
    }
    // choice: ${1|a,b|}
    const choices: string[] = [];
    let cur = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\\' && /[,|\\$}]/.test(this.s[this.i + 1] ?? '')) {
        cur += this.s[this.i + 1];
        this.i += 2;
      } else if (c === ',') {
        choices.push(cur);
        cur = '';
        this.i++;
      } else if (c === '|' && this.s[this.i + 1] === '}') {
        choices.push(cur);
        this.i += 2;
        return { kind: 'tab', n, choices };
      } else {
        cur += c;
        this.i++;
      }
    }
    return this.fail('unterminated choice');
  }
}

/** Expands a snippet body with every placeholder at its default (see the file comment), or at
 * the text `fill` gives for a tabstop (`{ 0: '…' }` fills the final cursor position). */
export function expandSnippet(body: string, fill: Record<number, string> = {}): string {
  const parts = new Parser(body).parts(false);
  // The text of each tabstop: its first occurrence with a placeholder or choices decides.
  const defs = new Map<number, Part[] | string>(Object.entries(fill).map(([n, t]) => [Number(n), t]));
  const collect = (ps: Part[]) => {
    for (const p of ps) {
      if (p.kind !== 'tab') continue;
      if (p.choices && !defs.has(p.n)) defs.set(p.n, p.choices[0] ?? '');
      if (p.children) {
        if (!defs.has(p.n)) defs.set(p.n, p.children);
        collect(p.children);
      }
    }
  };
  collect(parts);
  const render = (ps: Part[], stack: number[]): string =>
    ps
      .map((p) => {
        if (p.kind === 'text') return p.text;
        if (p.n === 0) return fill[0] ?? (p.children ? render(p.children, stack) : '');
        if (stack.includes(p.n)) throw new Error(`snippet tabstop $${p.n} contains itself`);
        const d = defs.get(p.n);
        if (d === undefined) return '';
        return typeof d === 'string' ? d : render(d, [...stack, p.n]);
      })
      .join('');
  return render(parts, []);
}

/** The tabstop numbers a body uses (to check that every snippet ends with `$0` or has tabstops). */
export function tabstopsOf(body: string): number[] {
  const ns = new Set<number>();
  const walk = (ps: Part[]) => {
    for (const p of ps) {
      if (p.kind !== 'tab') continue;
      ns.add(p.n);
      if (p.children) walk(p.children);
    }
  };
  walk(new Parser(body).parts(false));
  return [...ns].sort((a, b) => a - b);
}
