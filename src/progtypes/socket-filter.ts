import { SOCKET_FILTER_HELPERS } from './helper-lists.js';
import { ANY_RETVAL, ProgramType } from './progtype.js';
import { SK_BUFF_SIZE, skbFields, skbTestRun } from './sk-buff.js';

/**
 * BPF_PROG_TYPE_SOCKET_FILTER (1): a filter on a socket's incoming packets;
 * it returns how many bytes of the packet to keep (0 drops it).
 *
 * Context fields (sk_filter_is_valid_access): no direct packet access — the
 * packet is read with LD_ABS / LD_IND or skb_load_bytes — and no tc_classid,
 * family … local_port, tstamp, wire_len or hwtstamp; only cb[] is writable.
 */
const fields = skbFields({
  hidden: ['tc_classid', 'data', 'data_meta', 'data_end', 'family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port', 'tstamp', 'wire_len', 'hwtstamp'],
  writable: ['cb'],
  yields: { sk: 'sock_common_or_null' },
});

export const socketFilter: ProgramType = {
  type: 1,
  name: 'socket_filter',
  ctxType: 'struct __sk_buff',
  ctxSize: SK_BUFF_SIZE,
  fields,
  helpers: SOCKET_FILTER_HELPERS,
  retval: ANY_RETVAL,
  testRun: skbTestRun('socket_filter', fields, false),
};
