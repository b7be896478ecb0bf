%% peer_gen: the ask server and the bank accounts as gen_servers, the way most
%% Erlang code is written: gen_server:call for the debit and balance asks,
%% gen_server:cast for the credit. The clients and checks are peer_procs's.
-module(peer_gen).
-behaviour(gen_server).
-export([run/3]).
-export([init/1, handle_call/3, handle_cast/2]).

run("ask", N, _) ->
    peer_procs:ask(N, {fun() -> start(ask) end,
                       fun(S, X) -> gen_server:call(S, {inc, X}, infinity) end});
run("bank", N, Opts) ->
    {"clients", Clients} = lists:keyfind("clients", 1, Opts),
    peer_procs:bank(N, Clients, {fun(Bal) -> start({account, Bal}) end,
                                 fun(P, Amt) -> gen_server:call(P, {debit, Amt}, infinity) end,
                                 fun(P, Amt) -> gen_server:cast(P, {credit, Amt}) end,
                                 fun(P) -> gen_server:call(P, balance, infinity) end}).

%% Linked to the driver (it traps exits); init has run when this returns.
%% Calls wait without a timeout: a late reply is not a failure (as mailroom's
%% internal asks), a crash still is (the call exits).
start(Arg) ->
    {ok, P} = gen_server:start_link(?MODULE, Arg, []),
    P.

init(ask) -> {ok, ask};
init({account, Bal}) -> {ok, Bal}.

handle_call({inc, X}, _From, ask) -> {reply, X + 1, ask};
handle_call({debit, Amt}, _From, Bal) when is_integer(Bal), Bal >= Amt -> {reply, ok, Bal - Amt};
handle_call({debit, _}, _From, Bal) when is_integer(Bal) -> {reply, insufficient, Bal};
handle_call(balance, _From, Bal) when is_integer(Bal) -> {reply, Bal, Bal}.

handle_cast({credit, Amt}, Bal) when is_integer(Bal) -> {noreply, Bal + Amt}.
