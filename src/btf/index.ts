/**
 * BPF Type Format: parse `.BTF` and `.BTF.ext`, check BTF as the kernel
 * does, build and encode BTF, print it as C or as bpftool's raw listing.
 */
export { Btf, MAX_CHAIN } from './btf.js';
export { BtfBuilder, type MemberSpec } from './builder.js';
export { checkBtf } from './check.js';
export { typeName, DeclWriter } from './decl.js';
export { describeType } from './describe.js';
export { dumpC, type DumpCOptions } from './dump-c.js';
export { dumpRaw, rawType } from './dump-raw.js';
export { encodeBtf } from './encode.js';
export { parseBtfExt, type BtfExt, type CoreRelo, type ExtSection, type FuncInfo, type LineInfo } from './ext.js';
export * from './kinds.js';
export { parseBtf, detectEndianness, type ParseOptions } from './parse.js';
export { StringTable } from './strings.js';
export * from './types.js';
