%% peer_procs: the workloads over plain processes (`!`, `receive`, make_ref()
%% replies). ask/2 and bank/3 take their message operations as funs so that
%% peer_gen runs the same clients and checks through gen_server.
%% Each run returns {Seconds, {ok, Check} | {error, What}}; the clock runs from
%% when every process is spawned and has said ready to when the last reply is
%% in (setup, the final balance reads and teardown are outside).
-module(peer_procs).
-export([run/3, ask/2, bank/3]).
%% For peer_sup's workloads.
-export([opt/2, tick/0, secs/2, fmt/2, worker/1, await_ready/1, stop/1]).

%% A linked worker that crashed: fail the run instead of waiting forever.
-define(CRASH, {'EXIT', CrashPid, CrashWhy} when CrashWhy =/= normal ->
               erlang:error({worker_crashed, CrashPid, CrashWhy})).

run("pingpong", N, _) -> pingpong(N);
run("ask", N, _) -> ask(N, {fun raw_server/0, fun raw_ask/2});
run("fanin", N, Opts) -> fanin(N, opt("P", Opts));
run("bank", N, Opts) ->
    bank(N, opt("clients", Opts), {fun raw_account/1, fun raw_debit/2, fun raw_credit/2, fun raw_balance/1});
run("savina_counting", N, _) -> counting(N);
run("savina_threadring", N, Opts) -> threadring(N, opt("actors", Opts)).

opt(K, Opts) -> {K, V} = lists:keyfind(K, 1, Opts), V.

tick() -> erlang:monotonic_time().
secs(T0, T1) -> erlang:convert_time_unit(T1 - T0, native, nanosecond) / 1.0e9.
fmt(F, A) -> lists:flatten(io_lib:format(F, A)).

%% A worker linked to the driver (which traps exits); it says ready, then
%% runs Body.
worker(Body) ->
    Main = self(),
    spawn_link(fun() -> Main ! {ready, self()}, Body() end).

await_ready(Pids) -> [receive {ready, P} -> ok; ?CRASH end || P <- Pids], ok.

%% unlink first: no 'EXIT' of this repetition reaches the next one.
stop(Pids) -> [begin unlink(P), exit(P, kill) end || P <- Pids], ok.

%% Member I's share of N among K (the first N rem K get one more).
quota(N, K, I) when I < N rem K -> N div K + 1;
quota(N, K, _) -> N div K.

%% ---- pingpong: one message bounced N times; each pong carries its round.
pingpong(N) ->
    Main = self(),
    B = worker(fun ponger/0),
    A = worker(fun() -> receive {go, Peer} -> Main ! {pingpong_done, self(), pinger(Peer, 0, N, 0)} end end),
    await_ready([A, B]),
    T0 = tick(),
    A ! {go, B},
    Good = receive {pingpong_done, A, G} -> G; ?CRASH end,
    T1 = tick(),
    stop([A, B]),
    {secs(T0, T1), case Good of
                       N -> {ok, fmt("~b round trips, each pong its own round", [N])};
                       _ -> {error, fmt("~b of the round trips came back right, expected ~b", [Good, N])}
                   end}.

pinger(_Peer, N, N, Good) -> Good;
pinger(Peer, I, N, Good) ->
    Peer ! {ping, self(), I},
    receive {pong, J} -> pinger(Peer, I + 1, N, if J =:= I -> Good + 1; true -> Good end) end.

ponger() -> receive {ping, From, I} -> From ! {pong, I}, ponger() end.

%% ---- ask: N request-reply asks from one client; reply = request + 1.
ask(N, {SpawnServer, Ask}) ->
    Main = self(),
    S = SpawnServer(),
    C = worker(fun() -> receive go -> Main ! {ask_done, self(), ask_loop(Ask, S, 0, N, none)} end end),
    await_ready([C]),
    T0 = tick(),
    C ! go,
    Err = receive {ask_done, C, E} -> E; ?CRASH end,
    T1 = tick(),
    stop([C, S]),
    {secs(T0, T1), case Err of
                       none -> {ok, fmt("~b replies, each request + 1", [N])};
                       {I, R} -> {error, fmt("ask ~b: reply ~p, expected ~b", [I, R, I + 1])}
                   end}.

ask_loop(_Ask, _S, N, N, Err) -> Err;
ask_loop(Ask, S, I, N, Err) ->
    R = Ask(S, I),
    ask_loop(Ask, S, I + 1, N, if R =:= I + 1; Err =/= none -> Err; true -> {I, R} end).

raw_server() -> worker(fun raw_serve/0).
raw_serve() -> receive {ask, From, Ref, X} -> From ! {Ref, X + 1}, raw_serve() end.
raw_ask(S, X) ->
    Ref = make_ref(),
    S ! {ask, self(), Ref, X},
    receive {Ref, R} -> R end.

%% ---- fanin: P producers send their quota {m, Id, Seq, Value} to one
%% consumer, then {pdone, Id, TheirSum}. The consumer checks per-producer
%% FIFO, the count and the sum. Value = erlang:phash2({Id, Seq}) (see NOTES.md:
%% 64-bit splitmix arithmetic is bignum arithmetic here). The consumer keeps
%% its queue off_heap, as OTP advises for a process that receives a flood:
%% on_heap, each of its GCs copies the whole backlog (3x slower at P=4).
fanin(N, P) ->
    Main = self(),
    Drop = os:getenv("MAILROOM_PEER_CORRUPT") =:= "fanin",
    C = worker(fun() ->
                       process_flag(message_queue_data, off_heap),
                       consumer(Main, erlang:make_tuple(P, 0), 0, 0, none, P, 0)
               end),
    Ps = [worker(fun() -> receive go -> producer(C, Id, 0, quota(N, P, Id), Drop andalso Id =:= 0, 0) end end)
          || Id <- lists:seq(0, P - 1)],
    await_ready([C | Ps]),
    T0 = tick(),
    [Pid ! go || Pid <- Ps],
    {Count, Sum, Err, Want} = receive {fanin_done, C, Res} -> Res; ?CRASH end,
    T1 = tick(),
    stop([C | Ps]),
    {secs(T0, T1), if
                       Err =/= none ->
                           {Id, Seq, Exp} = Err,
                           {error, fmt("producer ~b: seq ~b arrived, expected ~b", [Id, Seq, Exp])};
                       Count =/= N -> {error, fmt("consumer got ~b messages, expected ~b", [Count, N])};
                       Sum =/= Want -> {error, fmt("consumer sum ~b, producers sent ~b", [Sum, Want])};
                       true -> {ok, fmt("~b producers in order, ~b messages, sum ~b", [P, Count, Sum])}
                   end}.

%% Drop: MAILROOM_PEER_CORRUPT=fanin loses message Q div 2 of producer 0 (still
%% counted in its sum), so the consumer's check must fail.
producer(C, Id, Q, Q, _Drop, Sum) -> C ! {pdone, Id, Sum};
producer(C, Id, Seq, Q, Drop, Sum) ->
    V = erlang:phash2({Id, Seq}),
    if Drop andalso Seq =:= Q div 2 -> ok;
       true -> C ! {m, Id, Seq, V}
    end,
    producer(C, Id, Seq + 1, Q, Drop, Sum + V).

consumer(Main, Next, Count, Sum, Err, Left, Want) ->
    receive
        {m, Id, Seq, V} ->
            Exp = element(Id + 1, Next),
            Err1 = if Seq =:= Exp; Err =/= none -> Err; true -> {Id, Seq, Exp} end,
            consumer(Main, setelement(Id + 1, Next, Seq + 1), Count + 1, Sum + V, Err1, Left, Want);
        {pdone, _Id, S} when Left =:= 1 -> Main ! {fanin_done, self(), {Count, Sum, Err, Want + S}};
        {pdone, _Id, S} -> consumer(Main, Next, Count, Sum, Err, Left - 1, Want + S)
    end.

%% ---- bank: alice = 1000, bob = 500; Clients clients do N transfers in all:
%% a debit ask to `from`, then on ok a credit send to `to`. Ops are
%% {SpawnAccount(Balance), Debit(Pid, Amount), Credit(Pid, Amount), Balance(Pid)}.
bank(N, Clients, {Spawn, _, _, Balance} = Ops) ->
    Main = self(),
    Accts = {Spawn(1000), Spawn(500)},
    Cs = [worker(fun() -> receive go -> Main ! {client_done, self(), client(Id, 0, quota(N, Clients, Id), Accts, Ops, 0, 0)} end end)
          || Id <- lists:seq(0, Clients - 1)],
    await_ready(Cs),
    T0 = tick(),
    [C ! go || C <- Cs],
    Answers = [receive {client_done, C, R} -> R; ?CRASH end || C <- Cs],
    T1 = tick(),
    Alice = Balance(element(1, Accts)),
    Bob = Balance(element(2, Accts)),
    stop(Cs ++ tuple_to_list(Accts)),
    Oks = lists:sum([O || {O, _} <- Answers]),
    Ins = lists:sum([I || {_, I} <- Answers]),
    {secs(T0, T1), if
                       Alice + Bob =/= 1500 ->
                           {error, fmt("alice ~b + bob ~b = ~b, expected 1500", [Alice, Bob, Alice + Bob])};
                       Alice < 0; Bob < 0 -> {error, fmt("alice ~b, bob ~b: a balance below 0", [Alice, Bob])};
                       Oks + Ins =/= N ->
                           {error, fmt("~b ok + ~b insufficient = ~b answers, expected ~b", [Oks, Ins, Oks + Ins, N])};
                       true ->
                           {ok, fmt("alice ~b + bob ~b = 1500, ~b ok + ~b insufficient = ~b", [Alice, Bob, Oks, Ins, N])}
                   end}.

%% One client: transfer I draws from/to/amount from a hash of (Id, I). At the
%% end a balance ask to each account: its credits (sent before, same sender)
%% are applied once they answer, so at T1 no money is in flight.
client(_Id, Q, Q, {A, B}, {_, _, _, Balance}, Oks, Ins) ->
    Balance(A),
    Balance(B),
    {Oks, Ins};
client(Id, I, Q, Accts, {_, Debit, Credit, _} = Ops, Oks, Ins) ->
    V = erlang:phash2({Id, I}, 16#100000000),
    From = 1 + (V band 1),
    Amount = 1 + (V bsr 16) rem 100,
    case Debit(element(From, Accts), Amount) of
        ok ->
            Credit(element(3 - From, Accts), Amount),
            client(Id, I + 1, Q, Accts, Ops, Oks + 1, Ins);
        insufficient ->
            client(Id, I + 1, Q, Accts, Ops, Oks, Ins + 1)
    end.

raw_account(Balance) ->
    P = worker(fun() -> account(Balance) end),
    await_ready([P]),
    P.

account(Bal) ->
    receive
        {debit, From, Ref, Amt} when Bal >= Amt -> From ! {Ref, ok}, account(Bal - Amt);
        {debit, From, Ref, _} -> From ! {Ref, insufficient}, account(Bal);
        {credit, Amt} -> account(Bal + Amt);
        {balance, From, Ref} -> From ! {Ref, Bal}, account(Bal)
    end.

raw_debit(P, Amt) ->
    Ref = make_ref(),
    P ! {debit, self(), Ref, Amt},
    receive {Ref, R} -> R end.
raw_credit(P, Amt) -> P ! {credit, Amt}.
raw_balance(P) ->
    Ref = make_ref(),
    P ! {balance, self(), Ref},
    receive {Ref, R} -> R end.

%% ---- savina_counting: a producer sends N increments (seq 0..N-1) to a
%% counter, then asks for the count; check == N and every seq in order.
counting(N) ->
    Main = self(),
    Ctr = worker(fun() -> counter(0, none) end),
    Prod = worker(fun() -> receive go -> Main ! {counting_done, self(), count_to(Ctr, 0, N)} end end),
    await_ready([Ctr, Prod]),
    T0 = tick(),
    Prod ! go,
    {Count, Err} = receive {counting_done, Prod, R} -> R; ?CRASH end,
    T1 = tick(),
    stop([Ctr, Prod]),
    {secs(T0, T1), case {Count, Err} of
                       {N, none} -> {ok, fmt("counter answered ~b", [N])};
                       {_, {Seq, Exp}} -> {error, fmt("counter: increment ~b, expected ~b", [Seq, Exp])};
                       _ -> {error, fmt("counter answered ~b after ~b increments", [Count, N])}
                   end}.

count_to(Ctr, N, N) ->
    Ref = make_ref(),
    Ctr ! {get, self(), Ref},
    receive {Ref, Count, Err} -> {Count, Err} end;
count_to(Ctr, I, N) ->
    Ctr ! {inc, I},
    count_to(Ctr, I + 1, N).

counter(Count, Err) ->
    receive
        {inc, Seq} -> counter(Count + 1, if Seq =:= Count; Err =/= none -> Err; true -> {Seq, Count} end);
        {get, From, Ref} -> From ! {Ref, Count, Err}, counter(0, none)
    end.

%% ---- savina_threadring: a ring of R processes passes {token, Seq, Left,
%% Total} N hops; each checks the token is its own (Seq rem R) and consistent
%% (Seq + Left = Total); the one that gets Left = 0 reports.
threadring(N, R) ->
    Main = self(),
    Ring = [spawn_link(fun() -> receive {next, Next} -> Main ! {ready, self()}, ring(Main, I, R, Next) end end)
            || I <- lists:seq(0, R - 1)],
    T = list_to_tuple(Ring),
    [element(I + 1, T) ! {next, element((I + 1) rem R + 1, T)} || I <- lists:seq(0, R - 1)],
    await_ready(Ring),
    T0 = tick(),
    element(1, T) ! {token, 0, N, N},
    Res = receive {ring, _} = M -> M; ?CRASH end,
    T1 = tick(),
    stop(Ring),
    End = N rem R,
    {secs(T0, T1), case Res of
                       {ring, {done, End, N}} -> {ok, fmt("~b hops, ended at actor ~b", [N, End])};
                       {ring, {done, I, Seq}} ->
                           {error, fmt("token ended at actor ~b after ~b hops, expected actor ~b after ~b", [I, Seq, End, N])};
                       {ring, {bad, I, Seq, Left}} ->
                           {error, fmt("actor ~b got hop ~b with ~b left, total ~b", [I, Seq, Left, N])}
                   end}.

ring(Main, I, R, Next) ->
    receive
        {token, Seq, Left, Total} when Seq rem R =/= I; Seq + Left =/= Total -> Main ! {ring, {bad, I, Seq, Left}};
        {token, Seq, 0, _} -> Main ! {ring, {done, I, Seq}};
        {token, Seq, Left, Total} -> Next ! {token, Seq + 1, Left - 1, Total}
    end,
    ring(Main, I, R, Next).
