# Expressions, filters, ORDER BY, LIMIT/OFFSET, LAST n.

statement ok
CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, action ENUM('pv','buy','cart','fav'), category U32, dwell F32)

statement ok
INSERT INTO events VALUES (1, 1700000000000, 42, 'pv', 7, 3.5), (1, 1700000001000, 43, 'buy', 7, 1.5), (1, 1700000002000, 44, 'pv', 8, NULL), (2, 1700000000500, 42, 'cart', 7, 2.0), (2, 1700000003000, 45, 'fav', 9, 0.25), (3, 1700000004000, 46, 'pv', 9, 10)

query
SELECT * FROM events
----
user_id | ts | item_id | action | category | dwell
1 | 2023-11-14 22:13:20 | 42 | pv | 7 | 3.5
1 | 2023-11-14 22:13:21 | 43 | buy | 7 | 1.5
1 | 2023-11-14 22:13:22 | 44 | pv | 8 | NULL
2 | 2023-11-14 22:13:20.500 | 42 | cart | 7 | 2
2 | 2023-11-14 22:13:23 | 45 | fav | 9 | 0.25
3 | 2023-11-14 22:13:24 | 46 | pv | 9 | 10

query
SELECT item_id, action, ts FROM events WHERE user_id = 1 LAST 2
----
item_id | action | ts
43 | buy | 2023-11-14 22:13:21
44 | pv | 2023-11-14 22:13:22

query
SELECT item_id FROM events WHERE user_id IN (1, 2) AND action = 'pv' LAST 1
----
item_id
44

query
SELECT user_id, item_id FROM events WHERE ts >= TIMESTAMP '2023-11-14 22:13:21' AND ts < 1700000004000
----
user_id | item_id
1 | 43
1 | 44
2 | 45

query
SELECT user_id, item_id * 2 + 1 AS x, dwell / 2, -category FROM events WHERE dwell IS NOT NULL ORDER BY x DESC LIMIT 3
----
user_id | x | (dwell / 2) | (-category)
3 | 93 | 5 | -9
2 | 91 | 0.125 | -9
1 | 87 | 0.75 | -7

query
SELECT item_id, CASE WHEN action = 'pv' THEN 'view' WHEN action IN ('buy', 'cart') THEN 'intent' ELSE 'other' END AS kind FROM events ORDER BY item_id, kind
----
item_id | kind
42 | intent
42 | view
43 | intent
44 | view
45 | other
46 | view

query
SELECT user_id, item_id FROM events WHERE item_id BETWEEN 43 AND 45 AND NOT (action = 'fav') ORDER BY 2 LIMIT 2 OFFSET 1
----
user_id | item_id
1 | 44

query
SELECT 1 + 2 * 3, 7 / 2, 7 % 3, 7.0 / 2, 1 / 0, 'a' || 'b', upper('xy'), length('héllo'), abs(-3), coalesce(NULL, 5), round(2.567, 2), CAST('12' AS I64), CAST(3.9 AS I32), substr('abcdef', 2, 3)
----
(1 + (2 * 3)) | (7 / 2) | (7 % 3) | (7.0 / 2) | (1 / 0) | ('a' || 'b') | upper('xy') | length('héllo') | abs(-3) | coalesce(NULL, 5) | round(2.567, 2) | CAST('12' AS I64) | CAST(3.9 AS I32) | substr('abcdef', 2, 3)
7 | 3 | 1 | 3.5 | NULL | ab | XY | 5 | 3 | 5 | 2.57 | 12 | 3 | bcd

query
SELECT count(*) FROM events WHERE action LIKE 'c%' OR item_id IS NULL
----
count(*)
1

query
SELECT user_id, ts FROM events WHERE user_id = 2 ORDER BY ts DESC
----
user_id | ts
2 | 2023-11-14 22:13:23
2 | 2023-11-14 22:13:20.500

query
SELECT action FROM events WHERE action > 'buy' ORDER BY action
----
action
cart
fav

query
SELECT user_id, item_id FROM events WHERE user_id = 99
----
user_id | item_id

query
SELECT e.item_id FROM events AS e WHERE e.user_id = 3
----
item_id
46

