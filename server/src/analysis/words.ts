// Counted nouns for messages and summaries: "1 file", "2 files" (the rules', the CLI's). Pure.
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
