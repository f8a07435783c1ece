/**
 * One sentence of what would make a rejected program safe, for messages
 * whose check did not give one: matched on the kernel's wording.
 */
const HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^R(\d+) !read_ok$/, 'give R$1 a value on every path that reaches this instruction'],
  [/invalid mem access 'scalar'/, 'only pointers can be dereferenced: this register holds a number'],
  [/invalid mem access '.*_or_null'/, 'check the pointer against NULL (if (!p) return ...) before using it'],
  [/^invalid bpf_context access/, 'read only the context fields this program type allows, with the sizes it allows'],
  [/^unreachable insn/, 'remove the code no path reaches'],
  [/^back-edge/, 'loops need a privileged loader'],
  [/^invalid (read from|write to|indirect access to) stack/, 'keep stack accesses within the 512 bytes below r10'],
  [/^invalid access to map value/, 'keep map value accesses within the value size: check the index against the size first'],
  [/^invalid access to packet/, 'compare the packet pointer plus the access size with data_end first'],
  [/pointer comparison prohibited/, 'compare numbers, not pointers (unprivileged programs)'],
  [/leaks addr/, 'unprivileged programs may not expose pointers: store or return numbers only'],
  [/^div by zero$/, 'divide by a non-zero constant'],
  [/^invalid shift/, 'shift by less than the register width (64, or 32 for w registers)'],
  [/^Unreleased reference/, 'submit or discard every ring buffer reservation on every path'],
  [/^BPF program is too large/, 'the program has too many paths or loop iterations to explore'],
  [/^infinite loop detected/, 'make every loop iteration move towards the loop bound'],
  [/^R\d+ type=.* expected=/, 'pass an argument of the type the helper expects'],
];

export function defaultHint(message: string): string | undefined {
  for (const [re, hint] of HINTS) {
    const m = re.exec(message);
    if (m) return hint.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? '');
  }
  return undefined;
}
