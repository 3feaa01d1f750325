# CREATE / DROP / ALTER / DESCRIBE / SHOW TABLES.

statement ok
CREATE TABLE events (
  user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY,
  item_id U64, action ENUM('pv','buy','cart','fav'), category U32, dwell F32
) WITH (max_events = 100000)

query
DESCRIBE events
----
column_name | type | key | nullable | default
user_id | U64 | PARTITION KEY | false | NULL
ts | TIMESTAMP(ms) | ORDER KEY | false | NULL
item_id | U64 |  | true | NULL
action | ENUM('pv', 'buy', 'cart', 'fav') |  | true | NULL
category | U32 |  | true | NULL
dwell | F32 |  | true | NULL

query
SHOW TABLES
----
name
events

error
CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY)
----
Already exists: error at 1:14: table 'events' already exists
LINE 1: CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY)
                     ^

statement ok
CREATE TABLE IF NOT EXISTS events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY)

error
CREATE TABLE t2 (user_id U32 PARTITION KEY, ts TIMESTAMP ORDER KEY)
----
Invalid argument: error at 1:18: PARTITION KEY column 'user_id' must be U64, not U32
LINE 1: CREATE TABLE t2 (user_id U32 PARTITION KEY, ts TIMESTAMP ORDER KEY)
                         ^

error
CREATE TABLE t2 (user_id U64 PARTITION KEY, v I64)
----
Invalid argument: error at 1:14: table 't2' needs an ORDER KEY column
LINE 1: CREATE TABLE t2 (user_id U64 PARTITION KEY, v I64)
                     ^

error
CREATE TABLE t2 (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, v BIGNUM)
----
Invalid argument: syntax error at 1:75: unknown type 'BIGNUM'; expected BOOL, I8..I64, U8..U64, F32, F64, TIMESTAMP(unit), STRING or ENUM('a', ...)
LINE 1: CREATE TABLE t2 (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, v BIGNUM)
                                                                                  ^

error
CREATE TABLE t2 (user_id U64 PARTITION KEY, ts I64 ORDER KEY) WITH (colour = 3)
----
Invalid argument: error at 1:69: unknown table option 'colour'; expected max_events, ttl or ttl_ms
LINE 1: CREATE TABLE t2 (user_id U64 PARTITION KEY, ts I64 ORDER KEY) WITH (colour = 3)
                                                                            ^

statement ok
INSERT INTO events VALUES (1, 1700000000000, 42, 'pv', 7, 3.5)

statement ok
ALTER TABLE events ADD COLUMN score F64 DEFAULT 0.5

query
SELECT user_id, item_id, score FROM events
----
user_id | item_id | score
1 | 42 | 0.5

error
ALTER TABLE events ADD COLUMN score F64
----
Already exists: error at 1:31: column 'score' already exists in events
LINE 1: ALTER TABLE events ADD COLUMN score F64
                                      ^

statement ok
DROP TABLE events

statement ok
DROP TABLE IF EXISTS events

error
DROP TABLE events
----
Not found: error at 1:12: table 'events' does not exist
LINE 1: DROP TABLE events
                   ^

error
DESCRIBE nope
----
Not found: error at 1:10: table 'nope' does not exist
LINE 1: DESCRIBE nope
                 ^

