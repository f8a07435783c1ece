import { SCHED_CLS_HELPERS } from './helper-lists.js';
import { ProgramType } from './progtype.js';
import { SK_BUFF_SIZE, skbFields, skbTestRun } from './sk-buff.js';

/**
 * BPF_PROG_TYPE_SCHED_CLS (3): a tc classifier (in practice, with
 * direct-action, the whole tc program); it returns a TC_ACT_* verdict.
 *
 * Context fields (tc_cls_act_is_valid_access): direct packet access through
 * data / data_meta / data_end; writable mark, tc_index, priority,
 * tc_classid, cb[], tstamp, queue_mapping; tstamp_type readable as a byte;
 * family … local_port hidden.
 */
const fields = skbFields({
  hidden: ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'],
  writable: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'],
  own: { tstamp_type: { read: [1], write: [] } },
  yields: { data: 'packet', data_meta: 'packet_meta', data_end: 'packet_end', sk: 'sock_common_or_null' },
});

/** TC_ACT_* of linux/pkt_cls.h */
export const TC_ACT = {
  UNSPEC: -1, OK: 0, RECLASSIFY: 1, SHOT: 2, PIPE: 3, STOLEN: 4, QUEUED: 5, REPEAT: 6, REDIRECT: 7, TRAP: 8,
} as const;

export const schedCls: ProgramType = {
  type: 3,
  name: 'sched_cls',
  ctxType: 'struct __sk_buff',
  ctxSize: SK_BUFF_SIZE,
  fields,
  helpers: SCHED_CLS_HELPERS,
  retval: {
    range: [TC_ACT.UNSPEC, TC_ACT.TRAP],
    enforced: false,
    names: Object.fromEntries(Object.entries(TC_ACT).map(([k, v]) => [v, `TC_ACT_${k}`])),
  },
  testRun: skbTestRun('sched_cls', fields, true),
};
