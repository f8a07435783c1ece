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
  [/uses reserved fields$/, 'the instruction is malformed: set the fields its opcode does not use to zero (a compiler or assembler bug)'],
  [/^unknown opcode/, 'the instruction is not eBPF: check the compiler target (-target bpf) or the assembler input'],
  [/^R\d+ is invalid$/, 'use registers r0 to r10 only'],
  [/^(invalid|unrecognized) bpf_ld_imm64 insn|^jump into the middle of ldimm64/, 'a 64-bit load takes two instruction slots: keep them together, the second with only its immediate set, and jump to the first'],
  [/^call to invalid destination/, 'a bpf-to-bpf call must land on an instruction of the program'],
  [/^fd_idx without fd_array|^no direct value access support/, 'refer only to maps the loader passes, and take value addresses of single-element arrays only'],
  [/^invalid func |cannot use helper/, 'call only helpers that exist and that this program type may use'],
  [/^BPF_LD_\[ABS\|IND\] instructions not allowed/, 'read packets of this type through data / data_end pointers instead of LD_ABS/LD_IND'],
  [/^BPF_ATOMIC stores into/, 'atomic operations work on the stack and map values only: copy the value there first'],
  [/^value -?\d+ makes .* pointer be out of bounds/, 'keep the offset added to the pointer within its object'],
  [/partial copy of pointer|pointer arithmetic prohibited$|pointer -= pointer prohibited|corrupt spilled pointer|variable stack access prohibited for !root|goes out of range, prohibited for !root/, 'unprivileged programs may only use pointers whole, at constant offsets inside their object'],
  [/pointer arithmetic on \w+ prohibited$/, 'only pointers to stack, map values, packets and memory may move; keep this one as it was given'],
  [/(bitwise operator|pointer arithmetic with) .* operator prohibited|operator .* on pointer prohibited/, 'pointers may only be moved with + and -: do other arithmetic on numbers'],
  [/pointer [+^]= pointer prohibited|tried to subtract pointer from scalar/, 'add or subtract numbers to a pointer, not other pointers'],
  [/must have zero offset when passed to release func/, 'pass the pointer the helper gave you, unmoved'],
];

export function defaultHint(message: string): string | undefined {
  for (const [re, hint] of HINTS) {
    const m = re.exec(message);
    if (m) return hint.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? '');
  }
  return undefined;
}
