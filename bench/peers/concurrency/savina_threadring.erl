%% Savina's thread ring on Erlang processes: 503 processes pass a token N hops.
%%   erl -noshell -pa <ebin> -run savina_threadring main [N]   (default 10000000)
%% The algorithm of caf_threadring.cpp: timed from before the processes are spawned
%% until main hears the token's end. Process I (1..503) gets its successor
%% (I rem 503 + 1) from main; main sends the token N (hops left) to process 1. A
%% process receiving T: T == 0 reports its number to main, else sends T - 1 on.
%% ops = N; check = N rem 503 + 1 (361 for 10M). halt/1 ends the ring.
-module(savina_threadring).
-export([main/0, main/1]).

-define(RING, 503).

main() -> main([]).

main(Args) ->
    N = savina_common:count_arg(Args, 10000000),
    Main = self(),
    Start = savina_common:now(),
    Ring = [spawn(fun() -> member(Id, Main) end) || Id <- lists:seq(1, ?RING)],
    [First | Rest] = Ring,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end, lists:zip(Ring, Rest ++ [First])),
    First ! N,
    receive {done, Last} -> ok end,
    Seconds = savina_common:seconds_since(Start),
    savina_common:report(threadring, Seconds, N, Last).

member(Id, Main) ->
    receive {next, Next} -> loop(Id, Next, Main) end.

loop(Id, Next, Main) ->
    receive
        0 -> Main ! {done, Id}, loop(Id, Next, Main);
        T -> Next ! T - 1, loop(Id, Next, Main)
    end.
