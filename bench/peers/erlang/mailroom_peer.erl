%% mailroom_peer: the Erlang/OTP peer driver of bench/peers (the contract is
%% in bench/peers/README.md): arguments, the case list, one JSON line per
%% repetition, exit codes. The workloads live in peer_procs (raw processes)
%% and peer_gen (gen_server).
-module(mailroom_peer).
-export([main/0]).

-define(RUNTIMES, ["erlang", "erlang_genserver"]).

%% Called by `erl -s mailroom_peer main -extra ARGS`: the plain arguments
%% are ours. Every path ends in erlang:halt/1 so the VM never lingers.
main() ->
    Code = try
               run(init:get_plain_arguments())
           catch
               throw:{usage, Msg} ->
                   io:format(standard_error, "driver: ~ts~n", [Msg]),
                   2;
               Class:Reason:Stack ->
                   io:format(standard_error, "driver: ~p:~p~n~p~n", [Class, Reason, Stack]),
                   1
           end,
    erlang:halt(Code).

%% {Runtime, Workload, [{Key, Value}]} in the order --list prints them.
cases() ->
    [{"erlang", "pingpong", []},
     {"erlang", "ask", []}]
    ++ [{"erlang", "fanin", [{"P", integer_to_list(P)}, {"cap", "none"}]} || P <- [1, 2, 4, 8]]
    ++ [{"erlang", "bank", [{"clients", "4"}]},
        {"erlang", "savina_counting", []},
        {"erlang", "savina_threadring", [{"actors", "1000"}]},
        {"erlang", "supervision_restart", []}]
    ++ [{"erlang", "supervision_stream", [{"crash_every", integer_to_list(K)}]} || K <- [1000, 10000]]
    ++ [        {"erlang_genserver", "ask", []},
        {"erlang_genserver", "bank", [{"clients", "4"}]}].

%% The keys each workload takes, in params order, with their check.
keys("fanin") -> [{"P", pos}, {"cap", none_only}];
keys("bank") -> [{"clients", pos}];
keys("savina_threadring") -> [{"actors", pos}];
keys("supervision_stream") -> [{"crash_every", pos}];
keys(_) -> [].

run(["--help"]) -> io:put_chars(usage()), 0;
run(["-h"]) -> io:put_chars(usage()), 0;
run(["--version"]) ->
    io:format("erlang otp ~s erts ~s schedulers ~b~n",
              [otp_version(), erlang:system_info(version), erlang:system_info(schedulers_online)]),
    0;
run(["--list"]) ->
    [io:format("~s ~s~s~n", [R, W, [[" ", K, "=", V] || {K, V} <- KVs]]) || {R, W, KVs} <- cases()],
    0;
run([Rt, Wl, NArg, RepsArg | KVArgs]) ->
    lists:member(Rt, ?RUNTIMES) orelse usage_error("unknown runtime '~s' (erlang, erlang_genserver)", [Rt]),
    lists:any(fun({R, W, _}) -> R =:= Rt andalso W =:= Wl end, cases())
        orelse usage_error("runtime ~s has no workload '~s' (see --list)", [Rt, Wl]),
    N = pos_int("N", NArg),
    Reps = pos_int("REPS", RepsArg),
    Params = parse_params(Wl, KVArgs),
    ParamStr = lists:join("/", [[K, ":", V] || {K, V} <- Params]),
    Opts = [{K, list_to_integer(V)} || {K, V} <- Params, V =/= "none"],
    process_flag(trap_exit, true), % a crashed worker is a message, not a silent hang
    reps(Rt, Wl, N, Opts, ParamStr, 0, Reps);
run(["-" ++ _ = Flag | _]) ->
    usage_error("unknown option '~s' (see --help)", [Flag]);
run(Args) when length(Args) < 4 ->
    usage_error("got ~b arguments '~s', need RUNTIME WORKLOAD N REPS (see --help)",
                [length(Args), lists:join(" ", Args)]).

reps(_Rt, _Wl, _N, _Opts, _ParamStr, Reps, Reps) -> 0;
reps(Rt, Wl, N, Opts, ParamStr, Rep, Reps) ->
    {Seconds, Result} = workload(Rt, Wl, N, Opts),
    Tail = case Result of
               {ok, Check} -> [",\"ok\":true,\"check\":", json_str(Check)];
               {error, Err} -> [",\"ok\":false,\"error\":", json_str(Err)]
           end,
    io:put_chars([io_lib:format("{\"runtime\":\"~s\",\"workload\":\"~s\",\"params\":~s,\"rep\":~b,"
                                "\"items\":~b,\"seconds\":~.9f",
                                [Rt, Wl, json_str(ParamStr), Rep, N, Seconds]),
                  Tail, "}\n"]),
    flush_exits(),
    case Result of
        {ok, _} -> reps(Rt, Wl, N, Opts, ParamStr, Rep + 1, Reps);
        {error, _} -> 1
    end.

workload("erlang", "supervision_" ++ _ = Wl, N, Opts) -> peer_sup:run(Wl, N, Opts);
workload("erlang", Wl, N, Opts) -> peer_procs:run(Wl, N, Opts);
workload("erlang_genserver", Wl, N, Opts) -> peer_gen:run(Wl, N, Opts).

%% Normal exits of this repetition's workers (they are linked to us).
flush_exits() ->
    receive {'EXIT', _, _} -> flush_exits() after 0 -> ok end.

parse_params(Wl, KVArgs) ->
    Given = [split_kv(A) || A <- KVArgs],
    Keys = keys(Wl),
    [lists:keymember(K, 1, Keys) orelse usage_error("~s takes no key '~s'", [Wl, K]) || {K, _} <- Given],
    [begin
         V = case lists:keyfind(K, 1, Given) of
                 {K, Val} -> Val;
                 false -> usage_error("~s needs ~s=<value>", [Wl, K])
             end,
         check_value(Wl, K, V, Kind),
         {K, V}
     end || {K, Kind} <- Keys].

split_kv(A) ->
    case string:split(A, "=") of
        [K, V] when K =/= "", V =/= "" -> {K, V};
        _ -> usage_error("bad argument '~s' (want key=value)", [A])
    end.

check_value(_Wl, K, V, pos) -> pos_int(K, V);
check_value(_Wl, _K, "none", none_only) -> ok;
check_value(_Wl, K, V, none_only) ->
    usage_error("~s=~s: Erlang mailboxes are unbounded, only ~s=none", [K, V, K]).

pos_int(What, S) ->
    case string:to_integer(S) of
        {I, ""} when I >= 1 -> I;
        _ -> usage_error("~s '~s' is not an integer >= 1", [What, S])
    end.

usage_error(Fmt, Args) -> throw({usage, io_lib:format(Fmt, Args)}).

json_str(S) ->
    [$", [case C of
              $" -> "\\\"";
              $\\ -> "\\\\";
              _ when C < 32 -> io_lib:format("\\u~4.16.0b", [C]);
              _ -> C
          end || C <- lists:flatten(S)], $"].

otp_version() ->
    File = filename:join([code:root_dir(), "releases", erlang:system_info(otp_release), "OTP_VERSION"]),
    case file:read_file(File) of
        {ok, B} -> string:trim(binary_to_list(B));
        _ -> erlang:system_info(otp_release)
    end.

usage() ->
    "usage: driver RUNTIME WORKLOAD N REPS [key=value ...]\n"
    "       driver --list | --version | --help\n"
    "Runs REPS repetitions of WORKLOAD with N items each on RUNTIME and prints one\n"
    "JSON line per repetition (runtime, workload, params, rep, items, seconds, ok,\n"
    "check or error). Exit 0: all checks passed; 1: a check failed; 2: bad arguments.\n"
    "  RUNTIME   erlang (processes, !/receive, make_ref() replies) or\n"
    "            erlang_genserver (gen_server:call/cast)\n"
    "  WORKLOAD  pingpong, ask, fanin, bank, savina_counting, savina_threadring,\n"
    "            supervision_restart, supervision_stream (erlang only)\n"
    "  N         items per repetition (round trips, asks, messages, transfers, hops,\n"
    "            restarts), >= 1\n"
    "  REPS      repetitions, >= 1\n"
    "  P=<n>         fanin: producers (N split among them)\n"
    "  cap=none      fanin: Erlang mailboxes are unbounded, no other capacity\n"
    "  clients=<n>   bank: client processes (N transfers split among them)\n"
    "  actors=<n>    savina_threadring: ring size\n"
    "  crash_every=<k> supervision_stream: the child crashes on every message with\n"
    "                seq rem k == k-1 (a supervisor restarts it)\n"
    "--list prints every case as `RUNTIME WORKLOAD [key=value ...]`; --version the\n"
    "OTP/ERTS versions and scheduler count.\n"
    "MAILROOM_PEER_CORRUPT=fanin makes one fanin producer drop one message, so the\n"
    "consumer's check fails (proves the check fires).\n".
