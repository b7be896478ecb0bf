%% peer_sup: supervision the OTP way, mirroring mailroom's scen_supervision.c:
%% a one_for_one `supervisor` (this module) with one permanent `gen_server`
%% child (peer_sup_child), registered as peer_sup_child (a new pid at every
%% restart). A `counters` ref in the child spec's args counts the child's
%% inits (restarts = inits - 1) and the work it handled, across incarnations.
%%   supervision_restart: N cycles of a crash cast and a ping call through the
%%     name; the call is retried while the child is down (see NOTES.md).
%%   supervision_stream crash_every=K: N casts {work, Seq}; the child crashes on
%%     Seq rem K == K-1; the client waits for the restart after each crashing
%%     message (an OTP mailbox dies with its process: see NOTES.md), then a
%%     final call; checks handled == N - N div K, restarts == N div K.
%% Crash, supervisor and progress reports are silenced (logger level none)
%% for the run: they would go to stdout, which carries the JSON lines.
-module(peer_sup).
-behaviour(supervisor).
-export([run/3]).
-export([init/1]).

-define(CHILD, peer_sup_child).
-define(INITS, 1).
-define(HANDLED, 2).

run(Wl, N, Opts) ->
    #{level := Level} = logger:get_primary_config(),
    ok = logger:set_primary_config(level, none),
    try
        case Wl of
            "supervision_restart" -> restart(N);
            "supervision_stream" -> stream(N, peer_procs:opt("crash_every", Opts))
        end
    after
        logger:set_primary_config(level, Level)
    end.

%% Never gives up: at most 1000000 restarts in 1 s. OTP keeps the restart
%% times of the last period in a list it walks at every restart, so a high
%% restart rate costs the supervisor time proportional to that rate.
init({Ctrs, K}) ->
    Child = #{id => child, start => {?CHILD, start_link, [Ctrs, K]},
              restart => permanent, shutdown => brutal_kill, type => worker},
    {ok, {#{strategy => one_for_one, intensity => 1000000, period => 1}, [Child]}}.

%% Linked to the driver (it traps exits); the child is up when this returns.
start(K) ->
    Ctrs = counters:new(2, [atomics]),
    {ok, Sup} = supervisor:start_link(?MODULE, {Ctrs, K}),
    {Sup, Ctrs}.

%% The supervisor's children die with it (linked), but asynchronously: wait
%% for both, so the next repetition's child can take the name.
teardown(Client, Sup) ->
    peer_procs:stop([Client]),
    Refs = [monitor(process, P) || P <- [Sup, whereis(?CHILD)], P =/= undefined],
    unlink(Sup),
    exit(Sup, kill),
    [receive {'DOWN', R, process, _, _} -> ok end || R <- Refs],
    ok.

%% ---- supervision_restart: cast crash, then call ping through the name.
%% The ping's reply is the incarnation that answered: cycle I must be
%% answered by incarnation I + 1 (0 is the first child).
restart(N) ->
    Main = self(),
    {Sup, Ctrs} = start(0),
    C = peer_procs:worker(fun() -> receive go -> Main ! {sv_done, self(), cycles(Sup, 0, N, none, 0, 0)} end end),
    peer_procs:await_ready([C]),
    T0 = peer_procs:tick(),
    C ! go,
    {Err, NoProc, Lost} = receive {sv_done, C, R} -> R; {'EXIT', C, Why} -> erlang:error({client_crashed, Why}) end,
    T1 = peer_procs:tick(),
    Restarts = counters:get(Ctrs, ?INITS) - 1,
    teardown(C, Sup),
    {peer_procs:secs(T0, T1),
     if
         Err =/= none ->
             {I, Got} = Err,
             {error, peer_procs:fmt("cycle ~b: ping answered by incarnation ~p, expected ~b", [I, Got, I + 1])};
         Restarts =/= N -> {error, peer_procs:fmt("restarts ~b, expected ~b (crashes)", [Restarts, N])};
         true ->
             {ok, peer_procs:fmt("~b crashes, restarts ~b, each ping answered by the next incarnation; "
                                 "~b calls lost in a dying child, ~b retried on noproc", [N, Restarts, Lost, NoProc])}
     end}.

cycles(_Sup, N, N, Err, NoProc, Lost) -> {Err, NoProc, Lost};
cycles(Sup, I, N, Err, NoProc, Lost) ->
    gen_server:cast(?CHILD, crash), % the child answered the last ping: it is registered and alive
    {Inc, NoProc1, Lost1} = ping(Sup, NoProc, Lost),
    cycles(Sup, I + 1, N, if Inc =:= I + 1; Err =/= none -> Err; true -> {I, Inc} end, NoProc1, Lost1).

%% A call through the name until a live incarnation answers: noproc (no
%% process has the name: the supervisor has not restarted it yet) and
%% crash (the request went into the mailbox of the incarnation that was
%% crashing, and died with it) are retried and counted.
ping(Sup, NoProc, Lost) ->
    try gen_server:call(?CHILD, ping, infinity) of
        Inc -> {Inc, NoProc, Lost}
    catch
        exit:{noproc, _} -> alive(Sup), erlang:yield(), ping(Sup, NoProc + 1, Lost);
        exit:{crash, _} -> ping(Sup, NoProc, Lost + 1)
    end.

alive(Sup) -> is_process_alive(Sup) orelse erlang:error(supervisor_gave_up).

%% ---- supervision_stream: N casts to the current incarnation's pid. After
%% each crashing message the client waits for that incarnation's 'DOWN' and
%% for the restarted child's name, so nothing is sent into a dying mailbox.
stream(N, K) ->
    Main = self(),
    {Sup, Ctrs} = start(K),
    C = peer_procs:worker(fun() -> receive go -> Main ! {sv_done, self(), feed(Sup, K, 0, N, whereis(?CHILD), 0)} end end),
    peer_procs:await_ready([C]),
    T0 = peer_procs:tick(),
    C ! go,
    Polls = receive {sv_done, C, R} -> R; {'EXIT', C, Why} -> erlang:error({client_crashed, Why}) end,
    T1 = peer_procs:tick(),
    Restarts = counters:get(Ctrs, ?INITS) - 1,
    Handled = counters:get(Ctrs, ?HANDLED),
    teardown(C, Sup),
    Crashes = N div K,
    {peer_procs:secs(T0, T1),
     if
         Restarts =/= Crashes orelse Handled =/= N - Crashes ->
             {error, peer_procs:fmt("crashes ~b: restarts ~b, handled ~b (want ~b)", [Crashes, Restarts, Handled, N - Crashes])};
         true ->
             {ok, peer_procs:fmt("~b messages, every ~bth crashed: handled ~b, restarts ~b; "
                                 "~b whereis polls while the child was down", [N, K, Handled, Restarts, Polls])}
     end}.

feed(Sup, _K, N, N, _Pid, Polls) ->
    {_Inc, NoProc, 0} = ping(Sup, 0, 0), % every earlier cast is handled once it answers
    Polls + NoProc;
feed(Sup, K, Seq, N, Pid, Polls) when Seq rem K =:= K - 1 ->
    Ref = monitor(process, Pid),
    gen_server:cast(Pid, {work, Seq}),
    receive {'DOWN', Ref, process, Pid, _} -> ok end,
    {Next, Polls1} = registered(Sup, Polls),
    feed(Sup, K, Seq + 1, N, Next, Polls1);
feed(Sup, K, Seq, N, Pid, Polls) ->
    gen_server:cast(Pid, {work, Seq}),
    feed(Sup, K, Seq + 1, N, Pid, Polls).

%% The restarted child's pid, once the supervisor has registered it.
registered(Sup, Polls) ->
    case whereis(?CHILD) of
        undefined -> alive(Sup), erlang:yield(), registered(Sup, Polls + 1);
        Pid -> {Pid, Polls}
    end.
