// workloads.cc: the CAF 0.17 peer's workloads over event-based actors
// (stateful_actor), asks through request(...).then. The clock runs from when
// every actor has answered a ready ask to when the last result reaches the
// driver's scoped_actor; spawning, the final balance reads and teardown are
// outside. Mailboxes are CAF's (unbounded).
#include "workloads.hpp"

#include <sched.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "caf/all.hpp"

namespace {

using namespace caf;

using ready_atom = atom_constant<atom("ready")>;
using go_atom = atom_constant<atom("go")>;
using done_atom = atom_constant<atom("done")>;
using bad_atom = atom_constant<atom("bad")>;
using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;
using pdone_atom = atom_constant<atom("pdone")>;
using debit_atom = atom_constant<atom("debit")>;
using credit_atom = atom_constant<atom("credit")>;
using balance_atom = atom_constant<atom("balance")>;
using inc_atom = atom_constant<atom("inc")>;
using get_atom = atom_constant<atom("get")>;
using next_atom = atom_constant<atom("next")>;
using token_atom = atom_constant<atom("token")>;

constexpr uint64_t golden = UINT64_C(0x9e3779b97f4a7c15);
constexpr uint64_t bank_seed = UINT64_C(0x6d61696c726f6f6d); // mailroom's BN_SEED

// splitmix64's finalizer, as mbx_mix64 in runtimes/mailbox/mbx_sync.h.
uint64_t mix64(uint64_t z)
{
	z += golden;
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

// Member i's share of n among k (the first n % k get one more).
uint64_t quota(uint64_t n, uint64_t k, uint64_t i) { return n / k + (i < n % k ? 1 : 0); }

template <class... Ts> std::string fmt(const char *f, Ts... xs)
{
	char buf[256];
	snprintf(buf, sizeof buf, f, xs...);
	return buf;
}

// Every actor answers a ready ask, so the driver knows it runs.
auto ready_handler() { return [](ready_atom) { return ready_atom::value; }; }

// One repetition's actors and the driver's scoped_actor: spawn waits for
// ready and monitors (a dead actor fails the run instead of hanging it);
// the destructor kills them all (rings and clients hold each other).
class rep_env {
public:
	explicit rep_env(actor_system &sys) : sys_(sys), self_(sys) {}
	~rep_env()
	{
		for (auto &a : spawned_)
			self_->send_exit(a, exit_reason::kill);
	}
	rep_env(const rep_env &) = delete;
	rep_env &operator=(const rep_env &) = delete;

	template <class F, class... Ts> actor spawn(F f, Ts &&...xs)
	{
		actor a = sys_.spawn(f, std::forward<Ts>(xs)...);
		self_->monitor(a);
		spawned_.push_back(a);
		return a;
	}
	void await_ready(const actor &a)
	{
		self_->request(a, infinite, ready_atom::value)
		        .receive([](ready_atom) {}, [](error &e) { throw std::runtime_error("ready ask: " + to_string(e)); });
	}
	actor main() { return actor_cast<actor>(self_); }
	scoped_actor &self() { return self_; }
	// Receives the one result message; a monitored actor's death throws.
	template <class... Fs> void await_result(Fs... fs)
	{
		self_->receive(fs..., [](down_msg &d) { throw std::runtime_error("an actor died: " + to_string(d.reason)); });
	}

private:
	actor_system &sys_;
	scoped_actor self_;
	std::vector<actor> spawned_;
};

using clock_type = std::chrono::steady_clock;
double secs(clock_type::time_point t0, clock_type::time_point t1) { return std::chrono::duration<double>(t1 - t0).count(); }

// ---- pingpong: one message bounced n times; each pong carries its round.
struct pinger_state {
	actor peer, main;
	uint64_t n = 0, i = 0, good = 0;
};

behavior pinger(stateful_actor<pinger_state> *self, actor peer, actor main, uint64_t n)
{
	self->state.peer = peer;
	self->state.main = main;
	self->state.n = n;
	return {ready_handler(), [=](go_atom) { self->send(self->state.peer, ping_atom::value, uint64_t{0}); },
	        [=](pong_atom, uint64_t j) {
		        auto &s = self->state;
		        if (j == s.i)
			        s.good++;
		        if (++s.i == s.n)
			        self->send(s.main, done_atom::value, s.good);
		        else
			        self->send(s.peer, ping_atom::value, s.i);
	        }};
}

behavior ponger(event_based_actor *self)
{
	return {ready_handler(), [=](ping_atom, uint64_t i) {
		        self->send(actor_cast<actor>(self->current_sender()), pong_atom::value, i);
	        }};
}

peer_result pingpong(actor_system &sys, const peer_case &c)
{
	rep_env env(sys);
	actor b = env.spawn(ponger);
	actor a = env.spawn(pinger, b, env.main(), c.n);
	env.await_ready(a);
	env.await_ready(b);
	uint64_t good = 0;
	auto t0 = clock_type::now();
	env.self()->send(a, go_atom::value);
	env.await_result([&](done_atom, uint64_t g) { good = g; });
	peer_result r{secs(t0, clock_type::now()), good == c.n, ""};
	r.text = r.ok ? fmt("%llu round trips, each pong its own round", (unsigned long long)c.n)
	              : fmt("%llu of the round trips came back right, expected %llu", (unsigned long long)good,
	                    (unsigned long long)c.n);
	return r;
}

// ---- ask: n request-reply asks from one client; reply = request + 1.
struct asker_state {
	actor server, main;
	uint64_t n = 0, i = 0;
	std::string err;
};

void ask_next(stateful_actor<asker_state> *self)
{
	auto &s = self->state;
	if (s.i == s.n) {
		self->send(s.main, done_atom::value, s.err);
		return;
	}
	uint64_t x = s.i;
	self->request(s.server, infinite, x).then([=](uint64_t r) {
		auto &st = self->state;
		if (r != x + 1 && st.err.empty())
			st.err = fmt("ask %llu: reply %llu, expected %llu", (unsigned long long)x, (unsigned long long)r,
			             (unsigned long long)(x + 1));
		st.i++;
		ask_next(self);
	});
}

behavior asker(stateful_actor<asker_state> *self, actor server, actor main, uint64_t n)
{
	self->state.server = server;
	self->state.main = main;
	self->state.n = n;
	return {ready_handler(), [=](go_atom) { ask_next(self); }};
}

behavior ask_server(event_based_actor *) { return {ready_handler(), [](uint64_t x) { return x + 1; }}; }

peer_result ask(actor_system &sys, const peer_case &c)
{
	rep_env env(sys);
	actor s = env.spawn(ask_server);
	actor a = env.spawn(asker, s, env.main(), c.n);
	env.await_ready(s);
	env.await_ready(a);
	std::string err;
	auto t0 = clock_type::now();
	env.self()->send(a, go_atom::value);
	env.await_result([&](done_atom, std::string &e) { err = e; });
	peer_result r{secs(t0, clock_type::now()), err.empty(), err};
	if (r.ok)
		r.text = fmt("%llu replies, each request + 1", (unsigned long long)c.n);
	return r;
}

// ---- fanin: P producers send their quota (id, seq, mix64(id << 40 ^ seq))
// to one consumer, then (pdone, their sum). The consumer checks per-producer
// FIFO, the count and the sum (mod 2^64, as mailroom's bn_mix payloads).
struct consumer_state {
	actor main;
	std::vector<uint64_t> next;
	uint64_t count = 0, sum = 0, want = 0, left = 0;
	std::string err;
};

behavior consumer(stateful_actor<consumer_state> *self, actor main, uint64_t p)
{
	self->state.main = main;
	self->state.next.assign(p, 0);
	self->state.left = p;
	return {ready_handler(),
	        [=](uint32_t id, uint64_t seq, uint64_t v) {
		        auto &s = self->state;
		        if (seq != s.next[id] && s.err.empty())
			        s.err = fmt("producer %u: seq %llu arrived, expected %llu", id, (unsigned long long)seq,
			                    (unsigned long long)s.next[id]);
		        s.next[id] = seq + 1;
		        s.count++;
		        s.sum += v;
	        },
	        [=](pdone_atom, uint64_t psum) {
		        auto &s = self->state;
		        s.want += psum;
		        if (--s.left == 0)
			        self->send(s.main, done_atom::value, s.count, s.sum, s.want, s.err);
	        }};
}

// drop: MAILROOM_PEER_CORRUPT=fanin loses message q / 2 of producer 0 (still in
// its sum), so the consumer's check must fail.
behavior producer(event_based_actor *self, actor cons, uint32_t id, uint64_t q, bool drop)
{
	return {ready_handler(), [=](go_atom) {
		        uint64_t sum = 0;
		        for (uint64_t seq = 0; seq < q; seq++) {
			        uint64_t v = mix64((uint64_t{id} << 40) ^ seq);
			        if (!drop || seq != q / 2)
				        self->send(cons, id, seq, v);
			        sum += v;
		        }
		        self->send(cons, pdone_atom::value, sum);
	        }};
}

peer_result fanin(actor_system &sys, const peer_case &c)
{
	const char *corrupt = getenv("MAILROOM_PEER_CORRUPT");
	bool drop = corrupt && std::string(corrupt) == "fanin";
	rep_env env(sys);
	actor cons = env.spawn(consumer, env.main(), c.producers);
	std::vector<actor> ps;
	for (uint32_t id = 0; id < c.producers; id++)
		ps.push_back(env.spawn(producer, cons, id, quota(c.n, c.producers, id), drop && id == 0));
	env.await_ready(cons);
	for (auto &p : ps)
		env.await_ready(p);
	uint64_t count = 0, sum = 0, want = 0;
	std::string err;
	auto t0 = clock_type::now();
	for (auto &p : ps)
		env.self()->send(p, go_atom::value);
	env.await_result([&](done_atom, uint64_t n, uint64_t s, uint64_t w, std::string &e) {
		count = n;
		sum = s;
		want = w;
		err = e;
	});
	peer_result r{secs(t0, clock_type::now()), false, err};
	if (!err.empty())
		return r;
	if (count != c.n)
		r.text = fmt("consumer got %llu messages, expected %llu", (unsigned long long)count, (unsigned long long)c.n);
	else if (sum != want)
		r.text = fmt("consumer sum %llu, producers sent %llu", (unsigned long long)sum, (unsigned long long)want);
	else {
		r.ok = true;
		r.text = fmt("%llu producers in order, %llu messages, sum %llu", (unsigned long long)c.producers,
		             (unsigned long long)count, (unsigned long long)sum);
	}
	return r;
}

// ---- bank: alice = 1000, bob = 500; clients do n transfers in all: a debit
// ask to `from`, then on ok a credit send to `to`.
struct account_state {
	int64_t balance = 0;
};

behavior account(stateful_actor<account_state> *self, int64_t initial)
{
	self->state.balance = initial;
	return {ready_handler(),
	        [=](debit_atom, int64_t amount) {
		        // Check and debit in one handler run: that makes the debit atomic.
		        int64_t &b = self->state.balance;
		        if (b < amount)
			        return false;
		        b -= amount;
		        return true;
	        },
	        [=](credit_atom, int64_t amount) { self->state.balance += amount; },
	        [=](balance_atom) { return self->state.balance; }};
}

struct client_state {
	actor acct[2], main;
	uint64_t rng = 0, left = 0, oks = 0, insufficient = 0;
};

// The last step: a balance ask to each account; this client's credits (sent
// before, same sender) are applied once they answer: no money in flight.
void client_flush(stateful_actor<client_state> *self)
{
	self->request(self->state.acct[0], infinite, balance_atom::value).then([=](int64_t) {
		self->request(self->state.acct[1], infinite, balance_atom::value).then([=](int64_t) {
			auto &s = self->state;
			self->send(s.main, done_atom::value, s.oks, s.insufficient);
		});
	});
}

// One transfer; from and amount from this client's splitmix64 stream.
void transfer_next(stateful_actor<client_state> *self)
{
	auto &s = self->state;
	if (s.left == 0) {
		client_flush(self);
		return;
	}
	s.left--;
	uint64_t v = mix64(s.rng);
	s.rng += golden;
	int from = (int)(v % 2);
	int64_t amount = 1 + (int64_t)((v >> 16) % 100);
	self->request(s.acct[from], infinite, debit_atom::value, amount).then([=](bool ok) {
		auto &st = self->state;
		if (ok) {
			self->send(st.acct[1 - from], credit_atom::value, amount);
			st.oks++;
		} else {
			st.insufficient++;
		}
		transfer_next(self);
	});
}

behavior client(stateful_actor<client_state> *self, actor alice, actor bob, actor main, uint32_t id, uint64_t q)
{
	auto &s = self->state;
	s.acct[0] = alice;
	s.acct[1] = bob;
	s.main = main;
	s.rng = mix64((uint64_t{id + 1} << 40) ^ bank_seed);
	s.left = q;
	return {ready_handler(), [=](go_atom) { transfer_next(self); }};
}

peer_result bank(actor_system &sys, const peer_case &c)
{
	rep_env env(sys);
	actor alice = env.spawn(account, int64_t{1000});
	actor bob = env.spawn(account, int64_t{500});
	std::vector<actor> cs;
	for (uint32_t id = 0; id < c.clients; id++)
		cs.push_back(env.spawn(client, alice, bob, env.main(), id, quota(c.n, c.clients, id)));
	env.await_ready(alice);
	env.await_ready(bob);
	for (auto &a : cs)
		env.await_ready(a);
	uint64_t oks = 0, ins = 0;
	auto t0 = clock_type::now();
	for (auto &a : cs)
		env.self()->send(a, go_atom::value);
	for (size_t i = 0; i < cs.size(); i++)
		env.await_result([&](done_atom, uint64_t o, uint64_t n) {
			oks += o;
			ins += n;
		});
	peer_result r{secs(t0, clock_type::now()), false, ""};
	int64_t bal[2] = {0, 0};
	for (int i = 0; i < 2; i++)
		env.self()
		        ->request(i ? bob : alice, infinite, balance_atom::value)
		        .receive([&](int64_t b) { bal[i] = b; },
		                 [](error &e) { throw std::runtime_error("balance ask: " + to_string(e)); });
	long long a = bal[0], b = bal[1];
	if (a + b != 1500)
		r.text = fmt("alice %lld + bob %lld = %lld, expected 1500", a, b, a + b);
	else if (a < 0 || b < 0)
		r.text = fmt("alice %lld, bob %lld: a balance below 0", a, b);
	else if (oks + ins != c.n)
		r.text = fmt("%llu ok + %llu insufficient = %llu answers, expected %llu", (unsigned long long)oks,
		             (unsigned long long)ins, (unsigned long long)(oks + ins), (unsigned long long)c.n);
	else {
		r.ok = true;
		r.text = fmt("alice %lld + bob %lld = 1500, %llu ok + %llu insufficient = %llu", a, b,
		             (unsigned long long)oks, (unsigned long long)ins, (unsigned long long)c.n);
	}
	return r;
}

// ---- savina_counting: a producer sends n increments (seq 0..n-1) to a
// counter, then asks for the count; check == n and every seq in order.
struct counter_state {
	uint64_t count = 0;
	std::string err;
};

behavior counter(stateful_actor<counter_state> *self)
{
	return {ready_handler(),
	        [=](inc_atom, uint64_t seq) {
		        auto &s = self->state;
		        if (seq != s.count && s.err.empty())
			        s.err = fmt("counter: increment %llu, expected %llu", (unsigned long long)seq,
			                    (unsigned long long)s.count);
		        s.count++;
	        },
	        [=](get_atom) {
		        auto &s = self->state;
		        message m = make_message(s.count, s.err);
		        s.count = 0;
		        s.err.clear();
		        return m;
	        }};
}

behavior count_producer(event_based_actor *self, actor ctr, actor main, uint64_t n)
{
	return {ready_handler(), [=](go_atom) {
		        for (uint64_t i = 0; i < n; i++)
			        self->send(ctr, inc_atom::value, i);
		        self->request(ctr, infinite, get_atom::value).then([=](uint64_t count, std::string &err) {
			        self->send(main, done_atom::value, count, err);
		        });
	        }};
}

peer_result counting(actor_system &sys, const peer_case &c)
{
	rep_env env(sys);
	actor ctr = env.spawn(counter);
	actor prod = env.spawn(count_producer, ctr, env.main(), c.n);
	env.await_ready(ctr);
	env.await_ready(prod);
	uint64_t count = 0;
	std::string err;
	auto t0 = clock_type::now();
	env.self()->send(prod, go_atom::value);
	env.await_result([&](done_atom, uint64_t n, std::string &e) {
		count = n;
		err = e;
	});
	peer_result r{secs(t0, clock_type::now()), false, err};
	if (!err.empty())
		return r;
	r.ok = count == c.n;
	r.text = r.ok ? fmt("counter answered %llu", (unsigned long long)count)
	              : fmt("counter answered %llu after %llu increments", (unsigned long long)count,
	                    (unsigned long long)c.n);
	return r;
}

// ---- savina_threadring: a ring of R actors passes (token, seq, left, total)
// n hops; each checks the token is its own (seq % R) and consistent
// (seq + left == total); the one that gets left == 0 reports.
struct ring_state {
	actor next, main;
	uint64_t idx = 0, size = 0;
};

behavior ring_actor(stateful_actor<ring_state> *self, actor main, uint64_t idx, uint64_t size)
{
	self->state.main = main;
	self->state.idx = idx;
	self->state.size = size;
	return {ready_handler(), [=](next_atom, actor next) { self->state.next = next; },
	        [=](token_atom, uint64_t seq, uint64_t left, uint64_t total) {
		        auto &s = self->state;
		        if (seq % s.size != s.idx || seq + left != total)
			        self->send(s.main, bad_atom::value, s.idx, seq, left);
		        else if (left == 0)
			        self->send(s.main, done_atom::value, s.idx, seq);
		        else
			        self->send(s.next, token_atom::value, seq + 1, left - 1, total);
	        }};
}

peer_result threadring(actor_system &sys, const peer_case &c)
{
	rep_env env(sys);
	std::vector<actor> ring;
	for (uint64_t i = 0; i < c.actors; i++)
		ring.push_back(env.spawn(ring_actor, env.main(), i, c.actors));
	for (uint64_t i = 0; i < c.actors; i++)
		env.self()->send(ring[i], next_atom::value, ring[(i + 1) % c.actors]);
	for (auto &a : ring)
		env.await_ready(a); // after `next` (same sender, FIFO): the ring is linked
	uint64_t end = c.n % c.actors;
	peer_result r;
	auto t0 = clock_type::now();
	env.self()->send(ring[0], token_atom::value, uint64_t{0}, c.n, c.n);
	env.await_result(
	        [&](done_atom, uint64_t idx, uint64_t seq) {
		        r.ok = idx == end && seq == c.n;
		        r.text = r.ok ? fmt("%llu hops, ended at actor %llu", (unsigned long long)c.n, (unsigned long long)end)
		                      : fmt("token ended at actor %llu after %llu hops, expected actor %llu after %llu",
		                            (unsigned long long)idx, (unsigned long long)seq, (unsigned long long)end,
		                            (unsigned long long)c.n);
	        },
	        [&](bad_atom, uint64_t idx, uint64_t seq, uint64_t left) {
		        r.text = fmt("actor %llu got hop %llu with %llu left, total %llu", (unsigned long long)idx,
		                     (unsigned long long)seq, (unsigned long long)left, (unsigned long long)c.n);
	        });
	r.seconds = secs(t0, clock_type::now());
	return r;
}

size_t nproc()
{
	cpu_set_t set;
	return sched_getaffinity(0, sizeof set, &set) == 0 ? (size_t)CPU_COUNT(&set) : 1;
}

} // namespace

void peer_run(bool workers_nproc, const peer_case &c, uint64_t reps,
                const std::function<bool(uint64_t rep, const peer_result &)> &emit)
{
	actor_system_config cfg;
	if (workers_nproc)
		cfg.set("scheduler.max-threads", static_cast<int64_t>(nproc()));
	actor_system sys{cfg};
	peer_result (*fn)(actor_system &, const peer_case &) =
	        c.workload == "pingpong"          ? pingpong
	        : c.workload == "ask"             ? ask
	        : c.workload == "fanin"           ? fanin
	        : c.workload == "bank"            ? bank
	        : c.workload == "savina_counting" ? counting
	                                          : threadring;
	for (uint64_t rep = 0; rep < reps; rep++)
		if (!emit(rep, fn(sys, c)))
			break;
}

std::string peer_versions()
{
	actor_system_config cfg;
	actor_system sys{cfg};
	return fmt("caf %d.%d.%d default workers %zu, caf_nproc workers %zu (nproc)", CAF_MAJOR_VERSION,
	           CAF_MINOR_VERSION, CAF_PATCH_VERSION, sys.scheduler().num_workers(), nproc());
}
