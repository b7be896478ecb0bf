// driver.cc: the CAF peer driver of bench/peers (contract in
// bench/peers/README.md): arguments, the case list, one JSON line per
// repetition, exit codes. The workloads are in workloads.cc.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "workloads.hpp"

namespace {

struct kv {
	std::string key, value;
};
struct case_row {
	const char *runtime, *workload;
	std::vector<kv> params; // in --list and "params" order
};

std::vector<case_row> cases()
{
	std::vector<case_row> rows;
	for (const char *rt : {"caf", "caf_nproc"}) {
		rows.push_back({rt, "pingpong", {}});
		rows.push_back({rt, "ask", {}});
		for (const char *p : {"1", "2", "4", "8"})
			rows.push_back({rt, "fanin", {{"P", p}, {"cap", "none"}}});
		rows.push_back({rt, "bank", {{"clients", "4"}}});
		rows.push_back({rt, "savina_counting", {}});
		rows.push_back({rt, "savina_threadring", {{"actors", "1000"}}});
	}
	return rows;
}

// The keys a workload takes, in params order.
std::vector<std::string> keys_of(const std::string &w)
{
	if (w == "fanin")
		return {"P", "cap"};
	if (w == "bank")
		return {"clients"};
	if (w == "savina_threadring")
		return {"actors"};
	return {};
}

[[noreturn]] void usage_error(const std::string &msg)
{
	fprintf(stderr, "driver: %s\n", msg.c_str());
	exit(2);
}

uint64_t pos_u64(const char *what, const std::string &s)
{
	char *end = nullptr;
	errno = 0;
	unsigned long long v = strtoull(s.c_str(), &end, 10);
	if (s.empty() || s[0] == '-' || *end || errno || v < 1)
		usage_error(std::string(what) + " '" + s + "' is not an integer >= 1");
	return v;
}

std::string json_str(const std::string &s)
{
	std::string out = "\"";
	for (char ch : s) {
		if (ch == '"' || ch == '\\') {
			out += '\\';
			out += ch;
		} else if ((unsigned char)ch < 32) {
			char buf[8];
			snprintf(buf, sizeof buf, "\\u%04x", ch);
			out += buf;
		} else {
			out += ch;
		}
	}
	return out + "\"";
}

const char usage[] =
        "usage: driver RUNTIME WORKLOAD N REPS [key=value ...]\n"
        "       driver --list | --version | --help\n"
        "Runs REPS repetitions of WORKLOAD with N items each on RUNTIME and prints one\n"
        "JSON line per repetition (runtime, workload, params, rep, items, seconds, ok,\n"
        "check or error). Exit 0: all checks passed; 1: a check failed; 2: bad arguments.\n"
        "  RUNTIME   caf (CAF 0.17 event-based actors, default scheduler) or\n"
        "            caf_nproc (the same with scheduler.max-threads = nproc)\n"
        "  WORKLOAD  pingpong, ask, fanin, bank, savina_counting, savina_threadring\n"
        "  N         items per repetition (round trips, asks, messages, transfers, hops), >= 1\n"
        "  REPS      repetitions, >= 1\n"
        "  P=<n>         fanin: producers (N split among them)\n"
        "  cap=none      fanin: CAF mailboxes are unbounded, no other capacity\n"
        "  clients=<n>   bank: client actors (N transfers split among them)\n"
        "  actors=<n>    savina_threadring: ring size\n"
        "--list prints every case as `RUNTIME WORKLOAD [key=value ...]`; --version the\n"
        "CAF version and worker counts.\n"
        "MAILROOM_PEER_CORRUPT=fanin makes one fanin producer drop one message, so the\n"
        "consumer's check fails (proves the check fires).\n";

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> args(argv + 1, argv + argc);
	if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (args.size() == 1 && args[0] == "--version") {
		printf("%s\n", peer_versions().c_str());
		return 0;
	}
	if (args.size() == 1 && args[0] == "--list") {
		for (const auto &row : cases()) {
			printf("%s %s", row.runtime, row.workload);
			for (const auto &p : row.params)
				printf(" %s=%s", p.key.c_str(), p.value.c_str());
			printf("\n");
		}
		return 0;
	}
	if (!args.empty() && args[0].size() > 1 && args[0][0] == '-')
		usage_error("unknown option '" + args[0] + "' (see --help)");
	if (args.size() < 4)
		usage_error("got " + std::to_string(args.size()) + " arguments, need RUNTIME WORKLOAD N REPS (see --help)");
	const std::string &rt = args[0], &wl = args[1];
	if (rt != "caf" && rt != "caf_nproc")
		usage_error("unknown runtime '" + rt + "' (caf, caf_nproc)");
	bool known = false;
	for (const auto &row : cases())
		known = known || (rt == row.runtime && wl == row.workload);
	if (!known)
		usage_error("runtime " + rt + " has no workload '" + wl + "' (see --list)");
	peer_case c;
	c.workload = wl;
	c.n = pos_u64("N", args[2]);
	uint64_t reps = pos_u64("REPS", args[3]);

	std::vector<kv> given;
	auto keys = keys_of(wl);
	for (size_t i = 4; i < args.size(); i++) {
		size_t eq = args[i].find('=');
		if (eq == std::string::npos || eq == 0 || eq + 1 == args[i].size())
			usage_error("bad argument '" + args[i] + "' (want key=value)");
		kv p{args[i].substr(0, eq), args[i].substr(eq + 1)};
		bool takes = false;
		for (const auto &k : keys)
			takes = takes || k == p.key;
		if (!takes)
			usage_error(wl + " takes no key '" + p.key + "'");
		given.push_back(p);
	}
	std::string params;
	for (const auto &k : keys) {
		const kv *p = nullptr;
		for (const auto &g : given)
			if (g.key == k)
				p = &g;
		if (!p)
			usage_error(wl + " needs " + k + "=<value>");
		if (k == "cap") {
			if (p->value != "none")
				usage_error("cap=" + p->value + ": CAF mailboxes are unbounded, only cap=none");
		} else {
			uint64_t v = pos_u64(k.c_str(), p->value);
			(k == "P" ? c.producers : k == "clients" ? c.clients : c.actors) = v;
		}
		params += (params.empty() ? "" : "/") + k + ":" + p->value;
	}
	if (c.producers > UINT32_MAX || c.clients > UINT32_MAX)
		usage_error("P/clients above 2^32");

	bool failed = false;
	peer_run(rt == "caf_nproc", c, reps, [&](uint64_t rep, const peer_result &r) {
		printf("{\"runtime\":%s,\"workload\":%s,\"params\":%s,\"rep\":%" PRIu64 ",\"items\":%" PRIu64
		       ",\"seconds\":%.9f,\"ok\":%s,\"%s\":%s}\n",
		       json_str(rt).c_str(), json_str(wl).c_str(), json_str(params).c_str(), rep, c.n, r.seconds,
		       r.ok ? "true" : "false", r.ok ? "check" : "error", json_str(r.text).c_str());
		fflush(stdout);
		failed = !r.ok;
		return r.ok;
	});
	return failed ? 1 : 0;
}
