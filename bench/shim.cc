// shim.cc: the only C++ in mailroom-bench, on top of the C harness
// (harness.h): registers the C cases (built by bn_enumerate over the mailbox
// table x scenarios x parameters) with Google Benchmark, runs each through
// bn_run_begin/body/end inside benchmark::State's loop, hands the outcome
// (error, items, counters, label) to the State, and adds the build/machine
// custom context to the JSON. The C side never calls back into this file.
//
// Conventions the result scripts rely on:
//  - names are scenario/impl/k:v/...; impl is a mailbox name, shared:<backend>
//    or probe; every case uses real time (or manual time where the scenario
//    times itself), so the name ends in /real_time or /manual_time;
//  - quick parameter values are always registered; --full-only values are
//    registered too when the environment has MAILROOM_BENCH_FULL=1 (0 or
//    unset: quick only; any other value is an error, exit 2). The quick suite
//    is therefore "everything", and scripts pick subsets with
//    --benchmark_filter; --benchmark_list_tests lists what is registered;
//  - the CPU time column is the whole process's (MeasureProcessCPUTime);
//  - git sha/dirty and pinning come from the caller through Google
//    Benchmark's own --benchmark_context=k=v,...;
//  - exit status: 0 ok, 1 when a case failed its own check or the filter
//    matched nothing, 2 on a bad flag or environment value.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "harness.h"

namespace {

bool any_failed = false;

void run_case(benchmark::State &s, const bn_case *c)
{
	const int64_t n = s.max_iterations;
	bn_run *r = bn_run_begin(c, n);
	if (bn_run_ready(r)) {
		// One batch of the whole iteration count: body runs once, its own
		// loop does the items, and nothing per item crosses into C++.
		while (s.KeepRunningBatch(n)) {
			double seconds = bn_run_body(r);
			if (bn_case_manual_time(c))
				s.SetIterationTime(seconds);
		}
	}
	bn_outcome out;
	bn_run_end(r, c, &out);
	if (out.error[0]) {
		std::fprintf(stderr, "mailroom-bench: FAILED %s\n", out.error);
		any_failed = true;
		s.SkipWithError(out.error);
		return;
	}
	if (!out.ran)
		return;
	s.SetItemsProcessed(out.items);
	for (int i = 0; i < out.ncounters; i++)
		s.counters[out.counter[i].name] = benchmark::Counter(out.counter[i].value);
	if (out.label[0])
		s.SetLabel(out.label);
}

void add_case(const bn_case *c, void *)
{
	auto *b = benchmark::RegisterBenchmark(bn_case_name(c), [c](benchmark::State &s) { run_case(s, c); });
	// CPU time of the whole process (every thread the case runs), not of the
	// main thread alone, which mostly waits: compare.py's CPU column.
	b->MeasureProcessCPUTime();
	if (bn_case_manual_time(c))
		b->UseManualTime();
	else
		b->UseRealTime();
}

void add_context(const char *key, const char *value, void *) { benchmark::AddCustomContext(key, value); }

void print_help()
{
	benchmark::PrintDefaultHelp();
	bn_print_help();
}

} // namespace

int main(int argc, char **argv)
{
	bn_init(); // before any case pins the main thread
	bool full = bn_full_from_env("mailroom-bench");
	bn_check_args(argc, argv);
	benchmark::Initialize(&argc, argv, print_help);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	bn_context(add_context, nullptr);
	bn_enumerate(full, add_case, nullptr);
	size_t ran = benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	if (ran == 0) {
		std::fprintf(stderr, "mailroom-bench: no benchmark matches the filter\n");
		return 1;
	}
	return any_failed ? 1 : 0;
}
