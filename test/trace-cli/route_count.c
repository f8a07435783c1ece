// Requests per route: a handler for node_http:server_request_start, whose record
// (tsbpf tracepoints node_http:server_request_start) is struct req_rec.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct req_rec {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	unsigned int __data_loc_method;
	unsigned int __data_loc_path;
	unsigned int __data_loc_host;
	unsigned int __data_loc_remote_addr;
	unsigned short remote_port;
	unsigned int __data_loc_http_version;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, char[16]);
	__type(value, __u64);
	__uint(max_entries, 64);
} routes SEC(".maps");

SEC("tracepoint/node_http/server_request_start")
int count_route(struct req_rec *ctx)
{
	char key[16] = {};
	__u64 one = 1, *v;

	bpf_probe_read_kernel_str(key, sizeof(key), (void *)ctx + (ctx->__data_loc_path & 0xffff));
	v = bpf_map_lookup_elem(&routes, key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&routes, key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
