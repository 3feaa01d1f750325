# GROUP BY, aggregates, HAVING.

statement ok
CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, action ENUM('pv','buy','cart','fav'), category U32, dwell F32)

statement ok
INSERT INTO events VALUES (1, 1700000000000, 42, 'pv', 7, 3.5), (1, 1700000001000, 43, 'buy', 7, 1.5), (1, 1700000002000, 44, 'pv', 8, NULL), (2, 1700000000500, 42, 'cart', 7, 2.0), (2, 1700000003000, 42, 'pv', 9, 0.25), (3, 1700000004000, 46, 'pv', 9, 10)

query
SELECT action, count(*), count(DISTINCT item_id) FROM events WHERE user_id IN (1, 2, 3) AND ts >= TIMESTAMP '2017-11-25' GROUP BY action
----
action | count(*) | count(DISTINCT item_id)
pv | 4 | 3
buy | 1 | 1
cart | 1 | 1

query
SELECT count(*), count(dwell), sum(dwell), min(item_id), max(ts), avg(category) FROM events
----
count(*) | count(dwell) | sum(dwell) | min(item_id) | max(ts) | avg(category)
6 | 5 | 17.25 | 42 | 2023-11-14 22:13:24 | 7.833333333333333

query
SELECT user_id, count(*) AS n, sum(item_id) FROM events GROUP BY user_id HAVING count(*) > 1 ORDER BY n DESC, user_id
----
user_id | n | sum(item_id)
1 | 3 | 129
2 | 2 | 84

query
SELECT category % 2 AS parity, count(*) FROM events GROUP BY parity ORDER BY parity
----
parity | count(*)
0 | 1
1 | 5

query
SELECT action, max(dwell) FROM events GROUP BY 1 ORDER BY max(dwell) DESC LIMIT 2
----
action | max(dwell)
pv | 10
cart | 2

query
SELECT count(*), sum(item_id), avg(dwell), min(action) FROM events WHERE user_id = 42
----
count(*) | sum(item_id) | avg(dwell) | min(action)
0 | NULL | NULL | NULL

query
SELECT user_id, count(*) FROM events WHERE item_id = 42 GROUP BY user_id LAST 1
----
user_id | count(*)
1 | 1
2 | 1

error
SELECT user_id, item_id, count(*) FROM events GROUP BY user_id
----
Invalid argument: error at 1:17: column 'item_id' must appear in the GROUP BY clause or be used in an aggregate function
LINE 1: SELECT user_id, item_id, count(*) FROM events GROUP BY user_id
                        ^

error
SELECT sum(action) FROM events
----
Invalid argument: error at 1:12: sum() needs a number, got ENUM('pv', 'buy', 'cart', 'fav') (action)
LINE 1: SELECT sum(action) FROM events
                   ^

error
SELECT count(*) FROM events WHERE count(*) > 1
----
Invalid argument: error at 1:35: aggregate function count() is not allowed here
LINE 1: SELECT count(*) FROM events WHERE count(*) > 1
                                          ^

error
SELECT sum(count(*)) FROM events
----
Invalid argument: error at 1:12: aggregate functions cannot be nested
LINE 1: SELECT sum(count(*)) FROM events
                   ^

