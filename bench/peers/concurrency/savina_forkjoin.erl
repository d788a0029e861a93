%% Savina's fork-join throughput on Erlang processes: 60 processes each receive N
%% messages and do a tiny computation on each.
%%   erl -noshell -pa <ebin> -run savina_forkjoin main [N]     (default 100000)
%% The algorithm of caf_forkjoin.cpp: timed from before the processes are spawned
%% until main has all 60 reports. Main sends I (0..N-1) to process 1, 2, ..., 60, then
%% I + 1, and so on. A process receiving I adds S * S, S = sin(37.2 + I * 1.0e-6), to
%% its accumulator; after its N-th message it reports the accumulator to main.
%% ops = 60 N; check = round(sum of the accumulators) (1134115 for N = 100000).
%% The workers keep their message queues off the heap ({message_queue_data, off_heap},
%% as Erlang's documentation advises for processes that may get many messages): with
%% the default on-heap queue a worker's collections slow down as its queue grows, and
%% runs on the 2-core machine took 15 s and 141 s instead of about 2 s.
-module(savina_forkjoin).
-export([main/0, main/1]).

-define(ACTORS, 60).

main() -> main([]).

main(Args) ->
    N = savina_common:count_arg(Args, 100000),
    Main = self(),
    Start = savina_common:now(),
    Workers = [spawn_opt(fun() -> worker(N, Main, 0, 0.0) end, [{message_queue_data, off_heap}])
               || _ <- lists:seq(1, ?ACTORS)],
    send_rounds(0, N, Workers),
    Total = collect(?ACTORS, 0.0),
    Seconds = savina_common:seconds_since(Start),
    savina_common:report(forkjoin, Seconds, ?ACTORS * N, round(Total)).

send_rounds(N, N, _Workers) ->
    ok;
send_rounds(I, N, Workers) ->
    lists:foreach(fun(W) -> W ! I end, Workers),
    send_rounds(I + 1, N, Workers).

collect(0, Total) -> Total;
collect(Left, Total) -> receive {done, Acc} -> collect(Left - 1, Total + Acc) end.

worker(N, Main, N, Acc) ->
    Main ! {done, Acc};
worker(N, Main, Count, Acc) ->
    receive
        I ->
            S = math:sin(37.2 + I * 1.0e-6),
            worker(N, Main, Count + 1, Acc + S * S)
    end.
