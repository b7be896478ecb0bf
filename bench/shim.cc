// shim.cc: the only C++ in mailroom-bench. Registers the C cases (built by
// bn_enumerate over the mailbox table x scenarios x parameters) with Google
// Benchmark, implements the small C API over benchmark::State (shim.h), and
// adds the build/machine custom context to the JSON.
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
//  - git sha/dirty and pinning come from the caller through Google
//    Benchmark's own --benchmark_context=k=v,...;
//  - exit status: 0 ok, 1 when a case failed its own check or the filter
//    matched nothing, 2 on a bad flag or environment value.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "shim.h"

namespace {

benchmark::State &st(bn_state *s) { return *reinterpret_cast<benchmark::State *>(s); }

bool any_failed = false;

void add_case(const bn_case *c, void *)
{
	auto *b = benchmark::RegisterBenchmark(bn_case_name(c), [c](benchmark::State &s) {
		bn_run_case(reinterpret_cast<bn_state *>(&s), c);
	});
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

extern "C" {

bool bn_keep_running(bn_state *s) { return st(s).KeepRunning(); }
bool bn_keep_running_batch(bn_state *s, int64_t n) { return st(s).KeepRunningBatch(n); }
int64_t bn_max_iterations(bn_state *s) { return st(s).max_iterations; }
int64_t bn_range(bn_state *s, size_t i) { return st(s).range(i); }
void bn_set_items_processed(bn_state *s, int64_t items) { st(s).SetItemsProcessed(items); }

void bn_counter(bn_state *s, const char *name, double value, unsigned flags)
{
	int f = benchmark::Counter::kDefaults;
	if (flags & BN_CTR_RATE)
		f |= benchmark::Counter::kIsRate;
	if (flags & BN_CTR_AVG_ITERATIONS)
		f |= benchmark::Counter::kAvgIterations;
	if (flags & BN_CTR_INVERT)
		f |= benchmark::Counter::kInvert;
	st(s).counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

void bn_skip_with_error(bn_state *s, const char *msg)
{
	any_failed = true;
	st(s).SkipWithError(msg);
}

bool bn_error_occurred(bn_state *s) { return st(s).error_occurred(); }
void bn_pause_timing(bn_state *s) { st(s).PauseTiming(); }
void bn_resume_timing(bn_state *s) { st(s).ResumeTiming(); }
void bn_set_iteration_time(bn_state *s, double seconds) { st(s).SetIterationTime(seconds); }
void bn_set_label(bn_state *s, const char *label) { st(s).SetLabel(label); }
bool bn_any_failed(void) { return any_failed; }

} // extern "C"

int main(int argc, char **argv)
{
	bn_init(); // before any case pins the main thread
	bool full = bn_full_from_env("mailroom-bench");
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
	return bn_any_failed() ? 1 : 0;
}
