// workloads.hpp: the CAF peer's workloads behind one call, so that only
// workloads.cc includes CAF (driver.cc, the arguments and JSON, compiles fast).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

struct peer_case {
	std::string workload; // pingpong, ask, fanin, bank, savina_counting, savina_threadring
	uint64_t n = 0;       // items per repetition
	uint64_t producers = 0, clients = 0, actors = 0; // fanin P, bank clients, ring size
};

struct peer_result {
	double seconds = 0;
	bool ok = false;
	std::string text; // the check on success, what failed (both values) otherwise
};

// Runs `reps` repetitions of c on one actor system (CAF's default scheduler,
// or scheduler.max-threads = nproc when workers_nproc), calling emit after
// each until it returns false.
void peer_run(bool workers_nproc, const peer_case &c, uint64_t reps,
                const std::function<bool(uint64_t rep, const peer_result &)> &emit);

// The CAF version and both runtimes' worker counts, for --version.
std::string peer_versions();
