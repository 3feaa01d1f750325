# COPY FROM the real dataset layouts, COPY TO, atomicity.

statement ok
CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, action ENUM('pv','buy','cart','fav'), category U32, dwell F32)

statement ok
COPY events FROM 'data/UserBehavior_sample.csv' (FORMAT csv, HEADER false, COLUMNS (user_id, item_id, category, action, ts), TIME_UNIT 's')

query
SELECT count(*), count(DISTINCT user_id), min(ts), max(ts) FROM events
----
count(*) | count(DISTINCT user_id) | min(ts) | max(ts)
200 | 20 | 2017-11-24 17:52:29 | 2017-11-25 02:38:04

query
SELECT action, count(*) FROM events GROUP BY action ORDER BY action
----
action | count(*)
buy | 20
cart | 20
fav | 11
pv | 149

query
SELECT item_id, action, ts FROM events WHERE user_id = 3 LAST 3
----
item_id | action | ts
50000158 | pv | 2017-11-25 00:07:06
40000127 | buy | 2017-11-25 01:16:01
30000090 | pv | 2017-11-25 02:12:36

error
COPY events FROM 'data/UserBehavior_bad_last.csv' (FORMAT csv, COLUMNS (user_id, item_id, category, action, ts), TIME_UNIT 's')
----
Invalid argument: COPY events FROM 'data/UserBehavior_bad_last.csv': line 51, column 'action' (field 4): column 'action' (ENUM): cannot store 'click': unknown enum label; expected one of 'pv', 'buy', 'cart', 'fav' or an ordinal in [0, 4); nothing was ingested

error
COPY events FROM 'data/UserBehavior_bad_fields.csv' (FORMAT csv, COLUMNS (user_id, item_id, category, action, ts), TIME_UNIT 's')
----
Invalid argument: COPY events FROM 'data/UserBehavior_bad_fields.csv': line 11: expected 5 fields, found 4; nothing was ingested

query
SELECT count(*) FROM events
----
count(*)
200

error
COPY events FROM 'data/missing.csv' (FORMAT csv)
----
IO error: COPY events FROM 'data/missing.csv': cannot open the file: No such file or directory

error
COPY events FROM 'data/UserBehavior_sample.csv' (FORMAT csv, COLUMNS (user_id, item_id, colour, action, ts))
----
Not found: error at 1:89: COLUMNS names 'colour', which is not a column of events
LINE 1: COPY events FROM 'data/UserBehavior_sample.csv' (FORMAT csv, COLUMNS (user_id, item_id, colour, action, ts))
                                                                                                ^

statement ok
COPY events FROM 'data/events_sample.jsonl' (FORMAT jsonl)

query
SELECT user_id, ts, item_id, action, category, dwell FROM events WHERE user_id IN (1, 2) AND ts >= TIMESTAMP '2017-11-25 10:00:00' AND ts < TIMESTAMP '2017-11-25 10:00:03'
----
user_id | ts | item_id | action | category | dwell
1 | 2017-11-25 10:00:00 | 5 | pv | NULL | NULL
1 | 2017-11-25 10:00:01 | 6 | buy | NULL | 2.5
2 | 2017-11-25 10:00:02 | 7 | cart | NULL | NULL

statement ok
CREATE TABLE kuai (user_id U64 PARTITION KEY, time_ms TIMESTAMP(ms) ORDER KEY, video_id U64, date U32, hourmin U16, is_click BOOL, is_like BOOL, long_view BOOL, play_time_ms U32, duration_ms U32, tab U8)

statement ok
COPY kuai FROM 'data/kuairand_log_sample.csv' (FORMAT csv, HEADER true)

query
SELECT count(*), sum(is_click), max(duration_ms), count(DISTINCT date) FROM kuai
----
count(*) | sum(is_click) | max(duration_ms) | count(DISTINCT date)
100 | 49 | 119000 | 3

query
SELECT video_id, is_click, play_time_ms, time_ms FROM kuai WHERE user_id = 0 LAST 2
----
video_id | is_click | play_time_ms | time_ms
430 | true | 28999 | 2022-04-10 04:05:32.781
4180 | false | 0 | 2022-04-10 04:56:48.283

statement ok
COPY (SELECT user_id, ts, action, dwell FROM events WHERE user_id = 1 LAST 3) TO 'out.csv' (FORMAT csv, HEADER true)

statement ok
CREATE TABLE back (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, action ENUM('pv','buy','cart','fav'), dwell F32)

statement ok
COPY back FROM 'out.csv' (FORMAT csv, HEADER true)

query
SELECT * FROM back
----
user_id | ts | action | dwell
1 | 2017-11-24 23:17:41 | cart | NULL
1 | 2017-11-25 10:00:00 | pv | NULL
1 | 2017-11-25 10:00:01 | buy | 2.5

statement ok
COPY (SELECT user_id, ts, action, dwell FROM events WHERE user_id = 2 LAST 2) TO 'out.jsonl' (FORMAT jsonl)

statement ok
COPY back FROM 'out.jsonl' (FORMAT jsonl)

query
SELECT * FROM back WHERE user_id = 2
----
user_id | ts | action | dwell
2 | 2017-11-25 01:23:48 | pv | NULL
2 | 2017-11-25 10:00:02 | cart | NULL

