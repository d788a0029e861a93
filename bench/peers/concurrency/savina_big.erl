%% Savina's big on Erlang processes: 120 workers each send N pings to random workers
%% and answer the pings they get with pongs.
%%   erl -noshell -pa <ebin> -run savina_big main [N]          (default 20000)
%% The algorithm of caf_big.cpp: timed from before the processes are spawned until
%% main has the sink's report. Worker W (0..119), on start or on the pong it waits for:
%% after N pings it reports {pings, sum of targets} to the sink; else
%% X = xorshift32(X) (seeded with savina_common:seed(W)), ping worker X rem 120. On
%% {ping, V}: pong to worker V. A pong from another worker than the one pinged aborts.
%% The sink, after 120 reports, reports the totals to main and tells the workers to
%% quit. ops = 2 * 120 * N (pings and pongs); check = the sum of all ping targets.
-module(savina_big).
-export([main/0, main/1]).

-define(WORKERS, 120).
-define(START, -1).

main() -> main([]).

main(Args) ->
    N = savina_common:count_arg(Args, 20000),
    Main = self(),
    Start = savina_common:now(),
    Sink = spawn(fun() -> sink(Main) end),
    Workers = [spawn(fun() -> worker(W, N, Sink) end) || W <- lists:seq(0, ?WORKERS - 1)],
    Neighbors = list_to_tuple(Workers),
    Sink ! {neighbors, Neighbors},
    lists:foreach(fun(W) -> W ! {neighbors, Neighbors} end, Workers),
    lists:foreach(fun(W) -> W ! {pong, ?START} end, Workers),
    receive {done, Pings, TargetSum} -> ok end,
    Seconds = savina_common:seconds_since(Start),
    savina_common:report(big, Seconds, 2 * Pings, TargetSum).

worker(Id, N, Sink) ->
    receive
        {neighbors, Neighbors} ->
            loop(Id, N, Sink, Neighbors, savina_common:seed(Id), ?START, 0, 0)
    end.

%% loop(Id, N, Sink, Neighbors, Rng, Expected, Pings, TargetSum)
loop(Id, N, Sink, Nb, Rng, Expected, Pings, TargetSum) ->
    receive
        {ping, From} ->
            element(From + 1, Nb) ! {pong, Id},
            loop(Id, N, Sink, Nb, Rng, Expected, Pings, TargetSum);
        {pong, From} when From =/= Expected ->
            savina_common:fail("big: worker ~B expected a pong from ~B, got ~B",
                               [Id, Expected, From]);
        {pong, _From} when Pings == N ->
            Sink ! {report, Pings, TargetSum},
            loop(Id, N, Sink, Nb, Rng, Expected, Pings, TargetSum);
        {pong, _From} ->
            X = savina_common:xorshift32(Rng),
            Target = X rem ?WORKERS,
            element(Target + 1, Nb) ! {ping, Id},
            loop(Id, N, Sink, Nb, X, Target, Pings + 1, TargetSum + Target);
        quit ->
            ok
    end.

sink(Main) ->
    receive {neighbors, Workers} -> sink(Main, Workers, 0, 0, 0) end.

sink(Main, Workers, Reports, Pings, TargetSum) ->
    receive
        {report, P, T} when Reports + 1 == ?WORKERS ->
            Main ! {done, Pings + P, TargetSum + T},
            lists:foreach(fun(W) -> W ! quit end, tuple_to_list(Workers));
        {report, P, T} ->
            sink(Main, Workers, Reports + 1, Pings + P, TargetSum + T)
    end.
