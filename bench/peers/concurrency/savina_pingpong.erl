%% Savina's ping-pong on Erlang processes: ping and pong exchange N round trips.
%%   erl -noshell -pa <ebin> -run savina_pingpong main [N]     (default 1000000)
%% The algorithm of caf_pingpong.cpp: timed from before the two processes are spawned
%% until main has ping's report. ping: on start or on pong, if it has sent N pings,
%% send stop to pong and report the pongs received to main; else ping pong. pong:
%% on {ping, From}, pong to From; on stop, end. ops = 2N, check = pongs received (N).
-module(savina_pingpong).
-export([main/0, main/1]).

main() -> main([]).

main(Args) ->
    N = savina_common:count_arg(Args, 1000000),
    Main = self(),
    Start = savina_common:now(),
    Pong = spawn(fun pong/0),
    Ping = spawn(fun() -> ping(Pong, N, 0, 0, Main) end),
    Ping ! start,
    receive {done, Pongs} -> ok end,
    Seconds = savina_common:seconds_since(Start),
    savina_common:report(pingpong, Seconds, 2 * N, Pongs).

ping(Pong, N, Sent, Pongs, Main) ->
    receive
        start -> next(Pong, N, Sent, Pongs, Main);
        pong -> next(Pong, N, Sent, Pongs + 1, Main)
    end.

next(Pong, N, N, Pongs, Main) ->
    Pong ! stop,
    Main ! {done, Pongs};
next(Pong, N, Sent, Pongs, Main) ->
    Pong ! {ping, self()},
    ping(Pong, N, Sent + 1, Pongs, Main).

pong() ->
    receive
        {ping, From} -> From ! pong, pong();
        stop -> ok
    end.
