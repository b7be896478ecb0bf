%% peer_sup_child: the supervised gen_server of peer_sup. Its state is the
%% shared counters ref (1: inits, 2: work handled), crash_every K and its
%% incarnation (the inits before it: 0 for the first child).
-module(peer_sup_child).
-behaviour(gen_server).
-export([start_link/2]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link(Ctrs, K) -> gen_server:start_link({local, ?MODULE}, ?MODULE, {Ctrs, K}, []).

%% One child at a time (one_for_one, one child): the read after the add is its own.
init({Ctrs, K}) ->
    counters:add(Ctrs, 1, 1),
    {ok, {Ctrs, K, counters:get(Ctrs, 1) - 1}}.

handle_call(ping, _From, {_, _, Inc} = S) -> {reply, Inc, S}.

handle_cast(crash, _S) -> exit(crash);
handle_cast({work, Seq}, {_, K, _}) when Seq rem K =:= K - 1 -> exit(crash);
handle_cast({work, _}, {Ctrs, _, _} = S) -> counters:add(Ctrs, 2, 1), {noreply, S}.
