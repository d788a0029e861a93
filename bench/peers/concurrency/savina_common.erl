%% Shared helpers of the Erlang peers (bench/peers/concurrency/README.md): the size
%% argument, the monotonic clock, the one result line, and the xorshift32 generator
%% that `big` uses in every implementation. Each peer is run as
%%   erl -noshell -pa <ebin> -run savina_<bench> main [N]
-module(savina_common).
-export([count_arg/2, now/0, seconds_since/1, report/4, fail/2, xorshift32/1, seed/1]).

-define(MASK32, 16#FFFFFFFF).

%% The first argument as a positive count, or Default when absent.
count_arg([], Default) ->
    Default;
count_arg([Arg | _], _Default) ->
    case string:to_integer(Arg) of
        {N, ""} when N > 0 -> N;
        _ -> fail("'~s' is not a positive count", [Arg])
    end.

now() -> erlang:monotonic_time(nanosecond).

seconds_since(Start) -> (erlang:monotonic_time(nanosecond) - Start) / 1.0e9.

%% Prints bench=<name> impl=erlang seconds=<s> ops=<n> check=<value> and halts.
report(Bench, Seconds, Ops, Check) ->
    io:format("bench=~s impl=erlang seconds=~.4f ops=~B check=~B~n", [Bench, Seconds, Ops, Check]),
    erlang:halt(0).

fail(Format, Args) ->
    io:format(standard_error, "savina: " ++ Format ++ "~n", Args),
    erlang:halt(2).

%% Marsaglia's xorshift32 (13, 17, 5) on a 32-bit state that is never 0.
xorshift32(X0) ->
    X1 = X0 bxor ((X0 bsl 13) band ?MASK32),
    X2 = X1 bxor (X1 bsr 17),
    X2 bxor ((X2 bsl 5) band ?MASK32).

%% The seed of actor Id (0-based): (Id + 1) * 2654435761 mod 2^32, never 0.
seed(Id) -> ((Id + 1) * 2654435761) band ?MASK32.
