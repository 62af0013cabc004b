// Words for messages and summaries: counted nouns ("1 file", "2 files") and lists ("a, b and c"), the rules' and the CLI's. Pure.
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** `a`, `a and b`, `a, b and c` (or `or`). */
export function listOr(items: readonly string[], word: 'and' | 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}
