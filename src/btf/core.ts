import { BpfError } from '../errno.js';
import type { Insn } from '../isa/instruction.js';
import type { Btf } from './btf.js';
import { Computed, MISSING, computeValue, resizableLoad } from './core-calc.js';
import { CoreCandidates } from './core-candidates.js';
import { isMismatch, matchSpec } from './core-match.js';
import { PatchPlan, patchInsn } from './core-patch.js';
import { CoreSpec, formatSpec, kindFamily, kindLabel, parseLocalSpec } from './core-spec.js';
import type { CoreReloKind } from './kinds.js';

/**
 * CO-RE ("compile once, run everywhere"): rewrite a program's instructions
 * so that field offsets and sizes, type facts and enum values compiled
 * against the program's own BTF hold for a target BTF (the running
 * kernel's, or any other), as libbpf does at load time.
 *
 * Per relocation: parse the access string against the local BTF, find the
 * target's candidate types (same essential name, compatible kind), match the
 * access in each, and require all matching candidates to agree. What cannot
 * be resolved either has an answer (existence: 0) or poisons the
 * instruction, so the program fails only if it reaches it.
 */

/** One relocation as the ELF loader gives it: instruction index in the program. */
export interface CoreRelocation {
  insn: number;
  /** local type the access starts from */
  typeId: number;
  accessStr: string;
  kind: CoreReloKind;
}

export interface CoreTarget {
  typeId: number;
  /** the access in target terms, e.g. `struct task_struct.pid` */
  spec: string;
}

/** What one relocation did, for `tsbpf object show` and the loader. */
export interface CoreReport {
  insn: number;
  kind: CoreReloKind;
  localTypeId: number;
  accessStr: string;
  /** the access in local terms: `struct task_struct.pid` */
  local: string;
  /** the candidates that matched (all agreeing); empty when none did */
  targets: CoreTarget[];
  /** the value for the program's own types (what the compiler wrote) */
  localValue: bigint;
  /** the value written into the instruction (meaningless when poisoned) */
  value: bigint;
  poisoned: boolean;
  /** one line: `insn 12: CO-RE FIELD_BYTE_OFFSET of struct task_struct.pid (0:3): 1260 -> 1264 (target [114] struct task_struct.pid)` */
  message: string;
}

export interface CoreResult {
  /** the patched program (a copy; the input is untouched) */
  insns: Insn[];
  /** one entry per relocation, in input order */
  relocations: CoreReport[];
  /** poisoned instruction index → why, for the engines' "invalid func unknown#195896080" */
  poisoned: Map<number, string>;
}

export interface CoreOptions {
  /**
   * Candidate lists shared by all programs of one object (libbpf's cache:
   * narrowed as relocations match). Must be for the same local and target BTF.
   */
  candidates?: CoreCandidates;
}

export function applyCoreRelocations(insns: readonly Insn[], relos: readonly CoreRelocation[], localBtf: Btf, targetBtf: Btf, options: CoreOptions = {}): CoreResult {
  const candidates = options.candidates ?? new CoreCandidates(localBtf, targetBtf);
  if (candidates.local !== localBtf || candidates.target !== targetBtf) {
    throw new BpfError('EINVAL', 'CO-RE: the candidate cache belongs to another pair of BTFs');
  }
  const out = insns.map((i) => ({ ...i }));
  const result: CoreResult = { insns: out, relocations: [], poisoned: new Map() };
  for (const r of relos) {
    const report = relocateOne(out, r, localBtf, candidates);
    result.relocations.push(report);
    if (report.poisoned) result.poisoned.set(r.insn, report.message);
  }
  return result;
}

/** `insn 12: CO-RE FIELD_BYTE_OFFSET of struct task_struct.pid (0:18)`: how every message about a relocation starts. */
function relocationName(r: CoreRelocation, local: Btf, spec: CoreSpec | undefined): string {
  let what: string;
  try {
    what = spec ? formatSpec(spec) : local.typeName(r.typeId);
  } catch {
    what = `type [${r.typeId}]`;
  }
  const access = kindFamily(r.kind) === 'type' ? '' : ` (${r.accessStr})`;
  return `insn ${r.insn}: CO-RE ${kindLabel(r.kind)} of ${what}${access}`;
}

function relocateOne(insns: Insn[], r: CoreRelocation, local: Btf, candidates: CoreCandidates): CoreReport {
  let spec: CoreSpec | undefined;
  try {
    spec = parseLocalSpec(local, r.typeId, r.accessStr, r.kind);
    const res = resolve(spec, candidates);
    const why = patchInsn(insns, r.insn, res.plan);
    return report(r, relocationName(r, local, spec), res, why);
  } catch (e) {
    if (e instanceof BpfError) throw new BpfError(e.errno, `${relocationName(r, local, spec)}: ${e.message}`);
    throw e;
  }
}

interface Resolution {
  plan: PatchPlan;
  local: CoreSpec;
  targets: CoreSpec[];
}

/** Resolve one relocation against the candidates; throws on ambiguity. */
function resolve(local: CoreSpec, candidates: CoreCandidates): Resolution {
  const localValue = known(computeValue(local.kind, local, local.btf.littleEndian), 'the program\'s own BTF');
  if (local.kind === 'type_id_local') {
    // answered by the program's BTF alone
    return { local, targets: [], plan: { ...basePlan(localValue), value: localValue.value } };
  }
  const ids = candidates.of(local.rootId);
  const matched: CoreSpec[] = [];
  const reasons: string[] = [];
  let plan: PatchPlan | undefined;
  for (const id of ids) {
    const m = matchSpec(local, candidates.target, id);
    if (isMismatch(m)) {
      reasons.push(m.why);
      continue;
    }
    const p = planFor(local, localValue, m);
    if (plan && matched[0]) checkAgree(matched[0], plan, m, p);
    plan ??= p;
    matched.push(m);
  }
  candidates.narrow(local.rootId, matched.map((m) => m.rootId));
  return { local, targets: matched, plan: plan ?? planFor(local, localValue, undefined, missingReason(local, ids, reasons)) };
}

function known(c: Computed | typeof MISSING, where: string): Computed {
  if (c === MISSING) throw new BpfError('EINVAL', `cannot compute the relocation against ${where}`);
  return c;
}

function basePlan(local: Computed): PatchPlan {
  return { localValue: local.value, value: 0n, validate: local.validate, localMemSize: local.memSize, memSize: 0, unsafeResize: false };
}

/** The patch one candidate (or, with no target, the lack of one) calls for. */
function planFor(local: CoreSpec, localValue: Computed, target: CoreSpec | undefined, whyMissing = ''): PatchPlan {
  const plan = basePlan(localValue);
  const t = computeValue(local.kind, target, local.btf.littleEndian);
  if (t === MISSING) return { ...plan, poison: whyMissing };
  plan.value = t.value;
  plan.memSize = t.memSize;
  if (target && localValue.memSize !== t.memSize) {
    plan.unsafeResize = !resizableLoad(local.btf, localValue.memTypeId, target.btf, t.memTypeId);
  }
  return plan;
}

/** libbpf refuses a relocation whose candidates disagree: it cannot know which one the target means. */
function checkAgree(first: CoreSpec, firstPlan: PatchPlan, other: CoreSpec, plan: PatchPlan): void {
  const where = (s: CoreSpec): string => `${formatSpec(s)} [${s.rootId}]`;
  if (other.bitOffset !== first.bitOffset) {
    throw new BpfError('EINVAL', `ambiguous: candidates disagree on the field's offset: bit ${first.bitOffset} in ${where(first)}, bit ${other.bitOffset} in ${where(other)}`);
  }
  if ((plan.poison === undefined) !== (firstPlan.poison === undefined) || plan.value !== firstPlan.value) {
    throw new BpfError('EINVAL', `ambiguous: candidates disagree: ${firstPlan.value} for ${where(first)}, ${plan.value} for ${where(other)}`);
  }
}

function missingReason(local: CoreSpec, ids: readonly number[], reasons: string[]): string {
  const name = local.btf.type(local.rootId).name;
  if (ids.length === 0) return `the target BTF has no ${local.btf.typeName(local.rootId)} (nor a ___flavor of '${name}') of a compatible kind`;
  return `no candidate fits: ${reasons.join('; ')}`;
}

function report(r: CoreRelocation, name: string, res: Resolution, poisonWhy: string | undefined): CoreReport {
  const targets = res.targets.map((t) => ({ typeId: t.rootId, spec: formatSpec(t) }));
  const poisoned = poisonWhy !== undefined;
  return {
    insn: r.insn,
    kind: r.kind,
    localTypeId: r.typeId,
    accessStr: r.accessStr,
    local: formatSpec(res.local),
    targets,
    localValue: res.plan.localValue,
    value: res.plan.value,
    poisoned,
    message: poisoned ? `${name}: poisoned: ${poisonWhy}` : `${name}: ${outcome(r.kind, res.plan, targets)}`,
  };
}

/** `4 -> 16 (target [2] struct s.b)`, `1 -> 0 (not in the target)`, `29 (local type id)`. */
function outcome(kind: CoreReloKind, plan: PatchPlan, targets: CoreTarget[]): string {
  if (kind === 'type_id_local') return `${plan.value} (local type id)`;
  const where = targets.length > 0 ? `target ${targets.map((t) => `[${t.typeId}] ${t.spec}`).join(', ')}` : 'not in the target';
  return `${plan.localValue} -> ${plan.value} (${where})`;
}
