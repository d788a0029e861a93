%% Savina's chameneos on Erlang processes: 100 creatures meet in pairs at a mall.
%%   erl -noshell -pa <ebin> -run savina_chameneos main [N]    (default 200000 meetings)
%% The algorithm of caf_chameneos.cpp: timed from before the mall is spawned until
%% main has the mall's report. Colours 0 red, 1 yellow, 2 blue, 3 faded;
%% complement(A, B) = A if A == B, else 3 - A - B. The mall spawns creature I (0..99)
%% with colour I rem 3, pairs meets while meetings are left (the second's meet goes to
%% the waiting first), answers exit when none are, and sums the faded creatures'
%% counts. ops = every message the mall and the creatures received (800300);
%% check = the sum of the creatures' meetings, 2N.
-module(savina_chameneos).
-export([main/0, main/1]).

-define(CREATURES, 100).

main() -> main([]).

main(Args) ->
    N = savina_common:count_arg(Args, 200000),
    Main = self(),
    Start = savina_common:now(),
    spawn(fun() -> start_mall(N, Main) end),
    receive {done, Sum, Received} -> ok end,
    Seconds = savina_common:seconds_since(Start),
    savina_common:report(chameneos, Seconds, Received, Sum).

complement(C, C) -> C;
complement(A, B) -> 3 - A - B.

start_mall(N, Main) ->
    Mall = self(),
    [spawn(fun() -> start_creature(Mall, I rem 3) end) || I <- lists:seq(0, ?CREATURES - 1)],
    mall(N, none, 0, 0, 0, Main).

%% mall(MeetingsLeft, Waiting, Faded, SumMeetings, Received, Main)
mall(Left, Waiting, Faded, Sum, Received, Main) ->
    receive
        {meet, _Colour, From} when Left == 0 ->
            From ! exit,
            mall(Left, Waiting, Faded, Sum, Received + 1, Main);
        {meet, _Colour, From} when Waiting == none ->
            mall(Left, From, Faded, Sum, Received + 1, Main);
        {meet, Colour, From} ->
            Waiting ! {meet, Colour, From},
            mall(Left - 1, none, Faded, Sum, Received + 1, Main);
        {count, Meetings, CreatureReceived} ->
            Total = Received + 1 + CreatureReceived,
            case Faded + 1 of
                ?CREATURES -> Main ! {done, Sum + Meetings, Total};
                F -> mall(Left, Waiting, F, Sum + Meetings, Total, Main)
            end
    end.

start_creature(Mall, Colour) ->
    Mall ! {meet, Colour, self()},
    creature(Mall, Colour, 0, 0).

creature(Mall, Colour, Meetings, Received) ->
    receive
        {meet, Other, From} ->
            C = complement(Colour, Other),
            From ! {change, C},
            Mall ! {meet, C, self()},
            creature(Mall, C, Meetings + 1, Received + 1);
        {change, C} ->
            Mall ! {meet, C, self()},
            creature(Mall, C, Meetings + 1, Received + 1);
        exit ->
            % faded: report and end
            Mall ! {count, Meetings, Received + 1}
    end.
