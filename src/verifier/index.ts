/**
 * The verifier (DESIGN decision 5): a path-sensitive abstract interpreter
 * that accepts and rejects programs as Linux's verifier does, with its log.
 */
export { verify } from './verify.js';
export type { LineInfo, VerifyEnv, VerifyErrorInfo, VerifyResult, VerifyStats, VerifierMapSpec } from './verify.js';
export { VerifierError } from './context.js';
export { tracepointArgs } from './btf-access.js';
export type { CtxBtf } from './btf-access.js';
