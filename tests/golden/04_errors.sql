# Parse and bind errors: line:column and a caret under the offending token.

statement ok
CREATE TABLE events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, item_id U64, action ENUM('pv','buy','cart','fav'))

error
SELECT item_id FORM events
----
Invalid argument: syntax error at 1:21: expected ';' or the end of the statement, found 'events'
LINE 1: SELECT item_id FORM events
                            ^

error
SELECT itm FROM events
----
Not found: error at 1:8: column 'itm' does not exist in events; columns are user_id, ts, item_id, action
LINE 1: SELECT itm FROM events
               ^

error
SELECT item_id
FROM events
WHERE user_id = 1 AND
----
Invalid argument: syntax error at 3:22: expected an expression, found the end of the input
LINE 3: WHERE user_id = 1 AND
                             ^

error
SELECT * FROM nope
----
Not found: error at 1:15: table 'nope' does not exist
LINE 1: SELECT * FROM nope
                      ^

error
SELECT item_id FROM events WHERE action = 'click'
----
Invalid argument: error at 1:41: column 'action' (ENUM): cannot store 'click': unknown enum label; expected one of 'pv', 'buy', 'cart', 'fav' or an ordinal in [0, 4)
LINE 1: SELECT item_id FROM events WHERE action = 'click'
                                                ^

error
SELECT item_id FROM events WHERE item_id = 'x'
----
Invalid argument: error at 1:42: cannot compare U64 with STRING
LINE 1: SELECT item_id FROM events WHERE item_id = 'x'
                                                 ^

error
SELECT 'unterminated FROM events
----
Invalid argument: syntax error at 1:8: unterminated string literal
LINE 1: SELECT 'unterminated FROM events
               ^

error
SELECT nosuch(1)
----
Not found: error at 1:8: unknown function nosuch()
LINE 1: SELECT nosuch(1)
               ^

error
SELECT item_id FROM events LIMIT -1
----
Invalid argument: error at 1:34: LIMIT needs a non-negative integer, got -1
LINE 1: SELECT item_id FROM events LIMIT -1
                                         ^

error
INSERT INTO events VALUES (1, 2, 3)
----
Invalid argument: error at 1:28: row 1 has 3 values, but 4 columns are being inserted
LINE 1: INSERT INTO events VALUES (1, 2, 3)
                                   ^

error
INSERT INTO events VALUES (1, 2, 3, 'bogus')
----
Invalid argument: error at 1:37: column 'action' (ENUM): cannot store 'bogus': unknown enum label; expected one of 'pv', 'buy', 'cart', 'fav' or an ordinal in [0, 4)
LINE 1: INSERT INTO events VALUES (1, 2, 3, 'bogus')
                                            ^

error
INSERT INTO events VALUES (-1, 2, 3, 'pv')
----
Invalid argument: error at 1:28: column 'user_id' (U64): cannot store -1: out of range for U64 [0, 18446744073709551615]
LINE 1: INSERT INTO events VALUES (-1, 2, 3, 'pv')
                                   ^

error
SELECT item_id FROM events WHERE ts > TIMESTAMP '2017-13-01'
----
Invalid argument: error at 1:39: invalid timestamp '2017-13-01'; expected 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]'
LINE 1: SELECT item_id FROM events WHERE ts > TIMESTAMP '2017-13-01'
                                              ^

error
SELECT 9223372036854775807 + 1
----
Invalid argument: error at 1:28: integer overflow: 9223372036854775807 and 1 in (9223372036854775807 + 1)
LINE 1: SELECT 9223372036854775807 + 1
                                   ^

error
SELECT # FROM events
----
Invalid argument: syntax error at 1:8: unexpected character '#'
LINE 1: SELECT # FROM events
               ^

error
SELECT target, score FROM SCORE(ranker, events, user => 42, targets => [101, 102]) ORDER BY score DESC LIMIT 10
----
Invalid argument: error at 1:33: model 'ranker' does not exist
LINE 1: SELECT target, score FROM SCORE(ranker, events, user => 42, targets => [101, 102]) ORDER BY score DESC LIMIT 10
                                        ^

error
SELECT 1; SELECT x
----
Not found: error at 1:18: column 'x' does not exist
LINE 1: SELECT 1; SELECT x
                         ^

