# EXPLAIN shows pushdown: users, order-key range, LAST n, columns.

statement ok
CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, action ENUM('pv','buy','cart','fav'), category U32)

query
EXPLAIN SELECT item_id, action, ts FROM events WHERE user_id = 42 LAST 1000
----
plan
Project [item_id, action, ts]
  Scan [events, users={42}, columns=user_id,ts,item_id,action, last_n=1000]

query
EXPLAIN SELECT action, count(*) FROM events WHERE user_id IN (3, 1, 2) AND ts >= 1000 AND ts < 2000 GROUP BY action ORDER BY 2 DESC LIMIT 5
----
plan
Limit [limit=5]
  TopN [count(*) DESC, n=5]
    Project [action, count(*)]
      HashAggregate [keys=action; count(*)]
        Scan [events, users={1,2,3}, columns=user_id,ts,action, ts>=1000, ts<2000]

query
EXPLAIN SELECT item_id FROM events WHERE item_id > 5 LAST 10
----
plan
Project [item_id]
  Scan [events, all users, columns=item_id, filter=(item_id > 5), last=10 after filter]

query
EXPLAIN SELECT count(*) FROM events
----
plan
Project [count(*)]
  HashAggregate [count(*)]
    Scan [events, all users, columns=ts]

query
EXPLAIN SELECT item_id FROM events WHERE user_id = 1 AND user_id = 2
----
plan
Project [item_id]
  Scan [events, users={}, columns=user_id,item_id]

query
SHOW MODELS
----
name | path

